package authtest

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"github.com/mcpgen/mcpgen/runtime/auth"
)

// DefaultAudience is the aud of minted tokens when WithAudience is not used.
const DefaultAudience = "http://localhost:3002/mcp"

// Issuer is an in-process OAuth authorization server for tests: it holds
// signing keys, serves their JWKS and discovery metadata from an httptest
// server on loopback, and mints signed access tokens.
type Issuer struct {
	URL     string // issuer identifier = base URL of an httptest server on loopback
	JWKSURL string // URL + "/jwks"; the server also serves RFC 8414 and OIDC discovery
	// IntrospectionURL is URL + "/introspect": an RFC 7662 endpoint that answers for
	// tokens from MintOpaque, to clients authenticating with IntrospectionClientID and
	// IntrospectionClientSecret (client_secret_basic).
	IntrospectionURL string

	t        testing.TB
	alg      string
	audience string
	srv      *httptest.Server

	mu       sync.Mutex
	keys     []issuerKey // published keys; the last one signs
	leased   []*signingKey
	jwksDown bool
	closed   bool
	opaque   map[string]jwt.MapClaims // active opaque tokens and their claims

	fetches atomic.Int64
}

type issuerKey struct {
	kid string
	key *signingKey
}

type issuerOptions struct {
	alg      string
	audience string
}

// Option configures NewIssuer.
type Option func(*issuerOptions)

// WithAlgorithm sets the signing algorithm: "RS256" (default), "RS384",
// "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512" or "EdDSA".
func WithAlgorithm(alg string) Option { return func(o *issuerOptions) { o.alg = alg } }

// WithAudience sets the default audience put in minted tokens.
func WithAudience(aud string) Option { return func(o *issuerOptions) { o.audience = aud } }

// NewIssuer starts an issuer whose server and keys are released via
// t.Cleanup.
func NewIssuer(t testing.TB, opts ...Option) *Issuer {
	t.Helper()
	o := issuerOptions{alg: "RS256", audience: DefaultAudience}
	for _, opt := range opts {
		opt(&o)
	}
	i := &Issuer{t: t, alg: o.alg, audience: o.audience}
	if err := i.addKey(); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/jwks", i.serveJWKS)
	mux.HandleFunc("/.well-known/oauth-authorization-server", i.serveMetadata)
	mux.HandleFunc("/.well-known/openid-configuration", i.serveMetadata)
	mux.HandleFunc("/introspect", i.serveIntrospection)
	i.srv = httptest.NewServer(mux)
	i.URL = i.srv.URL
	i.JWKSURL = i.srv.URL + "/jwks"
	i.IntrospectionURL = i.srv.URL + "/introspect"
	t.Cleanup(func() {
		i.Close()
		i.mu.Lock()
		defer i.mu.Unlock()
		for _, k := range i.leased {
			releaseKey(k)
		}
		i.leased = nil
	})
	return i
}

func (i *Issuer) addKey() error {
	k, err := leaseKey(i.alg)
	if err != nil {
		return err
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.leased = append(i.leased, k)
	i.keys = append(i.keys, issuerKey{kid: newKID(), key: k})
	return nil
}

func newKID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "test-" + hex.EncodeToString(b)
}

// Claims are the claims of a minted token.
type Claims map[string]any

type omitMarker struct{}

// Omit removes a default claim (or header parameter) when used as its value
// in Mint or MintWithHeader: Claims{"exp": authtest.Omit}.
var Omit any = &omitMarker{}

// Mint returns a signed access token. Defaults: iss = URL, aud = the
// issuer's audience, sub "user-123", client_id "client-123", iat now, exp
// now+5m; header kid (the current key) and typ "at+jwt". claims override
// them; time.Time values are written as NumericDate seconds.
func (i *Issuer) Mint(claims Claims) string {
	return i.MintWithHeader(nil, claims)
}

// MintWithHeader is Mint with JOSE header parameters added or overridden
// (crit, kid, typ, even alg: the token is still signed with the current key
// and the issuer's algorithm). Omit removes a parameter.
func (i *Issuer) MintWithHeader(header map[string]any, claims Claims) string {
	i.mu.Lock()
	cur := i.keys[len(i.keys)-1]
	i.mu.Unlock()
	c := i.claims(claims)
	tok := jwt.NewWithClaims(signingMethod(i.alg), c)
	tok.Header["kid"] = cur.kid
	tok.Header["typ"] = "at+jwt"
	for k, v := range header {
		if v == Omit {
			delete(tok.Header, k)
			continue
		}
		tok.Header[k] = v
	}
	s, err := tok.SignedString(cur.key.signer)
	if err != nil {
		i.t.Errorf("authtest: sign token: %v", err)
		return ""
	}
	return s
}

// claims returns Mint's default claims with claims applied.
func (i *Issuer) claims(claims Claims) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{
		"iss":       i.URL,
		"aud":       i.audience,
		"sub":       "user-123",
		"client_id": "client-123",
		"iat":       now.Unix(),
		"exp":       now.Add(5 * time.Minute).Unix(),
	}
	for k, v := range claims {
		if v == Omit {
			delete(c, k)
			continue
		}
		if tv, ok := v.(time.Time); ok {
			v = tv.Unix()
		}
		c[k] = v
	}
	return c
}

// Client credentials the introspection endpoint accepts.
const (
	IntrospectionClientID     = "authtest-resource-server"
	IntrospectionClientSecret = "authtest-introspection-secret"
)

// MintOpaque returns a random opaque access token that the introspection endpoint
// reports active with Mint's default claims, claims applied, until Revoke.
func (i *Issuer) MintOpaque(claims Claims) string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	token := "opaque-" + hex.EncodeToString(b)
	c := i.claims(claims)
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.opaque == nil {
		i.opaque = map[string]jwt.MapClaims{}
	}
	i.opaque[token] = c
	return token
}

// Revoke makes the introspection endpoint report an opaque token inactive.
func (i *Issuer) Revoke(token string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	delete(i.opaque, token)
}

// RotateKey adds a new signing key with a new kid. The JWKS serves the old
// and new keys; new tokens are signed with the new one.
func (i *Issuer) RotateKey() {
	if err := i.addKey(); err != nil {
		i.t.Errorf("authtest: rotate key: %v", err)
	}
}

// KeyID returns the kid of the current signing key.
func (i *Issuer) KeyID() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.keys[len(i.keys)-1].kid
}

// PublicKey returns the public key of the current signing key.
func (i *Issuer) PublicKey() crypto.PublicKey {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.keys[len(i.keys)-1].key.public()
}

// Algorithm returns the signing algorithm.
func (i *Issuer) Algorithm() string { return i.alg }

// Audience returns the default audience of minted tokens.
func (i *Issuer) Audience() string { return i.audience }

// JWKS returns the JSON Web Key Set of all published (public) keys.
func (i *Issuer) JWKS() []byte {
	i.mu.Lock()
	keys := append([]issuerKey(nil), i.keys...)
	i.mu.Unlock()
	set := jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{}}
	for _, k := range keys {
		jwk, err := jwkset.NewJWKFromKey(k.key.public(), jwkset.JWKOptions{
			Metadata: jwkset.JWKMetadataOptions{ALG: jwkset.ALG(k.key.alg), KID: k.kid, USE: jwkset.UseSig},
		})
		if err != nil {
			i.t.Errorf("authtest: build jwk: %v", err)
			continue
		}
		set.Keys = append(set.Keys, jwk.Marshal())
	}
	raw, err := json.Marshal(set)
	if err != nil {
		i.t.Errorf("authtest: encode jwks: %v", err)
	}
	return raw
}

// KeySet returns a static key set holding the issuer's keys as of now, with
// no HTTP involved. Keys added by a later RotateKey are not in it; call
// KeySet again (or use a remote JWKS on JWKSURL) to see them.
func (i *Issuer) KeySet() auth.KeySet {
	ks, err := auth.NewStaticJWKS(i.JWKS())
	if err != nil {
		i.t.Fatalf("authtest: key set: %v", err)
	}
	return ks
}

// ValidatorConfig returns a config accepting this issuer's tokens for its
// audience.
func (i *Issuer) ValidatorConfig() auth.ValidatorConfig {
	return auth.ValidatorConfig{Issuers: []string{i.URL}, Audiences: []string{i.audience}}
}

// Validator returns a validator for this issuer's tokens over KeySet().
func (i *Issuer) Validator() *auth.Validator {
	v, err := auth.NewValidator(i.ValidatorConfig(), i.KeySet())
	if err != nil {
		i.t.Fatalf("authtest: validator: %v", err)
	}
	return v
}

// RemoteKeySet returns a remote JWKS on JWKSURL with a short unknown-kid
// window (100ms) so rotation tests run fast; it stops with the test.
func (i *Issuer) RemoteKeySet() *auth.JWKS {
	ctx, cancel := context.WithCancel(context.Background())
	i.t.Cleanup(cancel)
	ks, err := auth.NewRemoteJWKS(ctx, i.JWKSURL, auth.JWKSOptions{UnknownKIDInterval: 100 * time.Millisecond, HTTPTimeout: 5 * time.Second})
	if err != nil {
		i.t.Fatalf("authtest: remote key set: %v", err)
	}
	return ks
}

// JWKSFetches returns how many times the JWKS endpoint was requested.
func (i *Issuer) JWKSFetches() int64 { return i.fetches.Load() }

// SetJWKSAvailable makes the JWKS endpoint answer 503 (false) or serve the
// keys again (true), to simulate an outage of the authorization server.
func (i *Issuer) SetJWKSAvailable(ok bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.jwksDown = !ok
}

// Close stops the HTTP server (a hard outage: connections are refused).
// Minting keeps working. It is called by t.Cleanup and may be called twice.
func (i *Issuer) Close() {
	i.mu.Lock()
	if i.closed {
		i.mu.Unlock()
		return
	}
	i.closed = true
	i.mu.Unlock()
	if i.srv != nil {
		i.srv.Close()
	}
}

func (i *Issuer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	i.fetches.Add(1)
	i.mu.Lock()
	down := i.jwksDown
	i.mu.Unlock()
	if down {
		http.Error(w, "jwks unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	_, _ = w.Write(i.JWKS())
}

func (i *Issuer) serveMetadata(w http.ResponseWriter, r *http.Request) {
	doc := map[string]any{
		"issuer":                                i.URL,
		"jwks_uri":                              i.JWKSURL,
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"client_credentials", "authorization_code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{i.alg},
		"code_challenge_methods_supported":      []string{"S256"},
		"introspection_endpoint":                i.IntrospectionURL,
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(doc)
}

// serveIntrospection answers RFC 7662 requests for tokens from MintOpaque.
func (i *Issuer) serveIntrospection(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != IntrospectionClientID || secret != IntrospectionClientSecret {
		w.Header().Set("WWW-Authenticate", `Basic realm="authtest"`)
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	i.mu.Lock()
	claims, active := i.opaque[r.PostForm.Get("token")]
	i.mu.Unlock()
	answer := map[string]any{"active": false}
	if active {
		answer = map[string]any{"active": true}
		maps.Copy(answer, claims)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(answer)
}
