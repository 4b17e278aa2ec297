package devserver

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mcpgen/mcpgen/internal/devissuer"
	"github.com/mcpgen/mcpgen/runtime/loopback"
)

// Paths of the dev server's endpoints, relative to its issuer.
const (
	MetadataPath     = "/.well-known/oauth-authorization-server"
	OIDCMetadataPath = "/.well-known/openid-configuration"
	JWKSPath         = devissuer.JWKSPath
	AuthorizePath    = "/authorize"
	ApprovePath      = "/authorize/approve"
	TokenPath        = "/token"
	RegisterPath     = "/register"
)

// Lifetimes of what the server hands out. Access tokens are short-lived on purpose:
// clients that can refresh do, and a leaked dev token is useless within minutes.
const (
	DefaultTokenTTL = 10 * time.Minute
	codeTTL         = time.Minute
	pendingTTL      = 10 * time.Minute
	refreshTTL      = 24 * time.Hour
	maxSpent        = 10000
)

// DevSubject is the sub of tokens issued through the consent page: there is no login,
// so every user is the same developer.
const DevSubject = "dev-user"

// Config configures a Server.
type Config struct {
	// Issuer is the issuer identifier and base URL: http://127.0.0.1:PORT.
	Issuer string
	// Resource is the one resource (RFC 8707) tokens are issued for: the MCP endpoint's
	// canonical URL. A request naming another resource is refused with invalid_target.
	Resource string
	// Scopes are the scopes a client may ask for (the project's scopes_supported).
	Scopes []string
	// Key signs the tokens and is published in the JWKS.
	Key Key
	// Client is the pre-registered confidential client for client_credentials.
	Client Client
	// StateDir, when set, is where dynamically registered clients are kept across
	// restarts (clients.json), so a client that registered once keeps working.
	StateDir string
	// TokenTTL is the lifetime of access tokens (default DefaultTokenTTL).
	TokenTTL time.Duration
	// HTTPClient fetches client ID metadata documents (default: 5 s timeout, no redirects).
	HTTPClient *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Server is the dev authorization server. Its state lives in memory; only the key and
// registered clients are kept on disk.
type Server struct {
	cfg  Config
	jwks []byte
	meta []byte
	mux  *http.ServeMux

	mu      sync.Mutex
	clients map[string]Client
	pending map[string]*authRequest
	codes   map[string]*grant
	refresh map[string]*grant
	spent   map[string]*grant // used codes and rotated refresh tokens, to spot a replay
	cimd    map[string]cachedClient
}

// grant is what an authorization code or refresh token stands for.
type grant struct {
	clientID      string
	redirectURI   string
	codeChallenge string
	scopes        []string
	expires       time.Time
	subject       string
	// family names the authorization a code started: the refresh tokens issued from it
	// share it, so a replay can revoke them all.
	family string
}

// New checks cfg and builds the server. It does not listen: serve Handler() on a
// listener from Listen.
func New(cfg Config) (*Server, error) {
	if _, err := devissuer.Check(cfg.Issuer); err != nil {
		return nil, err
	}
	if cfg.Resource == "" {
		return nil, errors.New("dev authorization server: the resource (MCP endpoint URL) is required")
	}
	if cfg.Key.Signer == nil {
		return nil, errors.New("dev authorization server: a signing key is required")
	}
	if cfg.Client.ID == "" || cfg.Client.Secret == "" {
		return nil, errors.New("dev authorization server: the dev client needs an id and a secret")
	}
	cfg.Issuer = strings.TrimSuffix(cfg.Issuer, "/")
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = newCIMDClient(defaultLookup)
	}
	cfg.Client.Secret = strings.TrimSpace(cfg.Client.Secret)
	cfg.Client.GrantTypes = []string{"client_credentials"}
	cfg.Client.AuthMethod = "client_secret_basic"
	s := &Server{
		cfg:     cfg,
		clients: map[string]Client{cfg.Client.ID: cfg.Client},
		pending: map[string]*authRequest{},
		codes:   map[string]*grant{},
		refresh: map[string]*grant{},
		spent:   map[string]*grant{},
		cimd:    map[string]cachedClient{},
	}
	var err error
	if s.jwks, err = cfg.Key.JWKS(); err != nil {
		return nil, err
	}
	if s.meta, err = json.MarshalIndent(s.Metadata(), "", "  "); err != nil {
		return nil, fmt.Errorf("encode metadata: %w", err)
	}
	if err := s.loadClients(); err != nil {
		return nil, err
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc(MetadataPath, s.public(s.serveMetadata))
	s.mux.HandleFunc(OIDCMetadataPath, s.public(s.serveMetadata))
	s.mux.HandleFunc(JWKSPath, s.public(s.serveJWKS))
	s.mux.HandleFunc(AuthorizePath, s.serveAuthorize)
	s.mux.HandleFunc(ApprovePath, s.serveApprove)
	s.mux.HandleFunc(TokenPath, s.public(s.serveToken))
	s.mux.HandleFunc(RegisterPath, s.public(s.serveRegister))
	s.mux.HandleFunc("/", s.serveIndex)
	return s, nil
}

// Handler serves every endpoint of the server, to requests addressed to a loopback host
// only: a page on a name that an attacker re-points at 127.0.0.1 (DNS rebinding) would
// otherwise be same-origin with the server and could read its consent page.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(r.Host); err == nil {
			host = h
		}
		if !loopback.IsHost(host) {
			writeOAuthError(w, http.StatusForbidden, "access_denied", "the dev authorization server answers only requests addressed to 127.0.0.1, [::1] or localhost")
			return
		}
		s.mux.ServeHTTP(w, r)
	})
}

// Metadata is the RFC 8414 authorization server metadata, also served as the OIDC
// discovery document (the members a discovery client needs are the same).
func (s *Server) Metadata() map[string]any {
	iss := s.cfg.Issuer
	return map[string]any{
		"issuer":                                         iss,
		"authorization_endpoint":                         iss + AuthorizePath,
		"token_endpoint":                                 iss + TokenPath,
		"registration_endpoint":                          iss + RegisterPath,
		"jwks_uri":                                       iss + JWKSPath,
		"scopes_supported":                               s.cfg.Scopes,
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query"},
		"grant_types_supported":                          []string{"authorization_code", "client_credentials", "refresh_token"},
		"token_endpoint_auth_methods_supported":          []string{"client_secret_basic", "client_secret_post", "none"},
		"code_challenge_methods_supported":               []string{"S256"},
		"client_id_metadata_document_supported":          true,
		"authorization_response_iss_parameter_supported": true,
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          []string{Algorithm},
		"service_documentation":                          "https://github.com/mcpgen/mcpgen#local-development-mcpgen-dev",
	}
}

// public makes an endpoint readable from browser-based clients (the MCP Inspector runs
// its OAuth flow in the browser): any origin may call it, and preflights are answered.
// None of these endpoints relies on cookies, so a wildcard origin grants nothing extra.
func (s *Server) public(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			hd.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			hd.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, MCP-Protocol-Version")
			hd.Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		// Reading metadata is harmless, but registering a client or getting a token is
		// not: consent is automatic, so a page from the web must not do either.
		if r.Method == http.MethodPost && r.Header.Get("Origin") != "" && !isLoopbackOrigin(r.Header.Get("Origin")) {
			writeOAuthError(w, http.StatusForbidden, "access_denied", "browser origin "+strconv.Quote(r.Header.Get("Origin"))+" is not on this machine: the dev authorization server serves only pages on 127.0.0.1, [::1] or localhost")
			return
		}
		h(w, r)
	}
}

// isLoopbackOrigin reports whether a browser Origin header names a page served from
// this machine, such as the MCP Inspector at http://localhost:6274.
func isLoopbackOrigin(origin string) bool {
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && loopback.IsHost(u.Hostname())
}

func (s *Server) serveMetadata(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.meta)
}

func (s *Server) serveJWKS(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	_, _ = w.Write(s.jwks)
}

// serveIndex answers the issuer URL itself with a pointer to the metadata, and any
// other path with 404.
func (s *Server) serveIndex(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "mcpgen dev authorization server (development only)\nmetadata: %s%s\n", s.cfg.Issuer, MetadataPath)
}

// allowMethods answers 405 unless r uses one of methods.
func allowMethods(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if slices.Contains(methods, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "use "+strings.Join(methods, " or "))
	return false
}

// oauthError is the RFC 6749 §5.2 error body.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, oauthError{Error: code, Description: description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// randomToken returns n random bytes, base64url-encoded: codes, refresh tokens, ids
// and secrets.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics rather than return short)
	return base64.RawURLEncoding.EncodeToString(b)
}

// expire drops codes, pending requests and refresh tokens past their time. Called with
// s.mu held on every write, so the maps stay bounded by what is alive.
func (s *Server) expire(now time.Time) {
	for k, p := range s.pending {
		if now.After(p.expires) {
			delete(s.pending, k)
		}
	}
	for k, g := range s.codes {
		if now.After(g.expires) {
			delete(s.codes, k)
		}
	}
	for k, g := range s.refresh {
		if now.After(g.expires) {
			delete(s.refresh, k)
		}
	}
	for k, g := range s.spent {
		if now.After(g.expires) {
			delete(s.spent, k)
		}
	}
}

// spend takes the code or refresh token t out of m for its one use. A t already spent
// is a replay: one copy leaked, so every refresh token of its family is revoked.
// Called with s.mu held.
func (s *Server) spend(m map[string]*grant, t string, now time.Time) (*grant, bool) {
	g, ok := m[t]
	delete(m, t)
	if ok {
		// Remembered as long as a refresh token lives, within the bound on state.
		if len(s.spent) < maxSpent {
			s.spent[t] = &grant{family: g.family, expires: now.Add(refreshTTL)}
		}
		return g, true
	}
	if old, replay := s.spent[t]; replay && old.family != "" {
		for k, r := range s.refresh {
			if r.family == old.family {
				delete(s.refresh, k)
			}
		}
	}
	return nil, false
}
