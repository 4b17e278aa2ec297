package devserver

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mcpgen/mcpgen/runtime/loopback"
)

// ClientsFile is where dynamically registered clients are kept, inside the state dir.
const ClientsFile = "clients.json"

// Client is a registered OAuth client.
type Client struct {
	ID           string   `json:"client_id"`
	Secret       string   `json:"client_secret,omitempty"` // "" for a public client
	Name         string   `json:"client_name,omitempty"`
	RedirectURIs []string `json:"redirect_uris,omitempty"`
	GrantTypes   []string `json:"grant_types,omitempty"`
	AuthMethod   string   `json:"token_endpoint_auth_method"`
	IssuedAt     int64    `json:"client_id_issued_at,omitempty"`
}

// maxClients bounds dynamic registrations, and maxPending the authorization requests
// and codes alive at once: the server is a local tool, but a loop in a client (or a page
// hammering it) must not grow it without end.
const (
	maxClients = 1000
	maxPending = 1000
)

// maxRegistrationBytes bounds a registration request and a metadata document.
const maxRegistrationBytes = 64 << 10

// registration is the RFC 7591 §2 client metadata a client may send.
type registration struct {
	RedirectURIs []string `json:"redirect_uris"`
	AuthMethod   string   `json:"token_endpoint_auth_method"`
	GrantTypes   []string `json:"grant_types"`
	Name         string   `json:"client_name"`
	ClientID     string   `json:"client_id"`     // only in client ID metadata documents
	ClientSecret string   `json:"client_secret"` // must be absent from them
}

// serveRegister is RFC 7591 dynamic client registration. Anyone may register (there is
// no initial access token): the server only runs on loopback.
func (s *Server) serveRegister(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodPost) {
		return
	}
	var reg registration
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRegistrationBytes))
	if err == nil {
		err = json.Unmarshal(body, &reg)
	}
	if err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_client_metadata", "the body must be a JSON object of client metadata (RFC 7591)")
		return
	}
	c, code, err := newRegisteredClient(reg)
	if err != nil {
		writeOAuthError(w, http.StatusBadRequest, code, err.Error())
		return
	}
	c.IssuedAt = s.cfg.Now().Unix()
	s.mu.Lock()
	if len(s.clients) > maxClients {
		s.mu.Unlock()
		writeOAuthError(w, http.StatusBadRequest, "invalid_client_metadata", fmt.Sprintf("too many registered clients (%d): delete %s and restart mcpgen dev", maxClients, filepath.Join(s.cfg.StateDir, ClientsFile)))
		return
	}
	s.clients[c.ID] = c
	err = s.saveClientsLocked()
	s.mu.Unlock()
	if err != nil {
		// The client works until the server stops; say so rather than fail the client.
		w.Header().Set("Warning", `199 - "registration not persisted"`)
	}
	resp := map[string]any{
		"client_id":                  c.ID,
		"client_id_issued_at":        c.IssuedAt,
		"redirect_uris":              c.RedirectURIs,
		"grant_types":                c.GrantTypes,
		"response_types":             []string{"code"},
		"token_endpoint_auth_method": c.AuthMethod,
	}
	if c.Name != "" {
		resp["client_name"] = c.Name
	}
	if c.Secret != "" {
		resp["client_secret"] = c.Secret
		resp["client_secret_expires_at"] = 0
	}
	writeJSON(w, http.StatusCreated, resp)
}

// newRegisteredClient checks registration metadata and returns the client to register,
// or the RFC 7591 §3.2.2 error code and why.
func newRegisteredClient(reg registration) (Client, string, error) {
	c := Client{Name: reg.Name, RedirectURIs: reg.RedirectURIs, AuthMethod: reg.AuthMethod, GrantTypes: reg.GrantTypes}
	if c.AuthMethod == "" {
		c.AuthMethod = "client_secret_basic" // RFC 7591 §2 default
	}
	if len(c.GrantTypes) == 0 {
		c.GrantTypes = []string{"authorization_code"}
	}
	switch c.AuthMethod {
	case "none", "client_secret_basic", "client_secret_post":
	default:
		return c, "invalid_client_metadata", fmt.Errorf("token_endpoint_auth_method %q is not supported: use none, client_secret_basic or client_secret_post", c.AuthMethod)
	}
	for _, g := range c.GrantTypes {
		switch g {
		case "authorization_code", "refresh_token":
		case "client_credentials":
			if c.AuthMethod == "none" {
				return c, "invalid_client_metadata", errors.New("client_credentials needs a confidential client: use token_endpoint_auth_method client_secret_basic")
			}
		default:
			return c, "invalid_client_metadata", fmt.Errorf("grant type %q is not supported: use authorization_code, refresh_token or client_credentials", g)
		}
	}
	if slices.Contains(c.GrantTypes, "authorization_code") && len(c.RedirectURIs) == 0 {
		return c, "invalid_redirect_uri", errors.New("redirect_uris is required for the authorization_code grant")
	}
	for _, u := range c.RedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			return c, "invalid_redirect_uri", err
		}
	}
	c.ID = "dev-" + randomToken(12)
	if c.AuthMethod != "none" {
		c.Secret = randomToken(24)
	}
	return c, "", nil
}

// checkRedirectURI accepts absolute URIs without a fragment that lead back to this
// machine: http or https on a loopback host (RFC 8252 §7.3) and private-use schemes of
// native apps (RFC 8252 §7.1). Because consent is automatic, a redirect URI on another
// host would let any web page that starts a flow receive a code for the developer's
// server; the clients that can reach a loopback MCP server redirect locally anyway.
func checkRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return fmt.Errorf("redirect URI %q must be an absolute URI", raw)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("redirect URI %q must not have a fragment", raw)
	}
	switch u.Scheme {
	case "http", "https":
		if !loopback.IsHost(u.Hostname()) {
			return fmt.Errorf("redirect URI %q is not on this machine: the dev authorization server approves without a login, so it sends codes only to loopback (http://127.0.0.1:PORT/…, http://localhost:PORT/…) or app-scheme redirect URIs", raw)
		}
	case "javascript", "data", "file", "blob", "vbscript":
		return fmt.Errorf("redirect URI %q uses a forbidden scheme", raw)
	}
	return nil
}

// redirectMatches compares a requested redirect URI with a registered one: exactly,
// except that the port of a loopback http URI may differ (RFC 8252 §7.3, OAuth 2.1),
// because native apps listen on whatever port is free.
func redirectMatches(registered, requested string) bool {
	if registered == requested {
		return true
	}
	a, err1 := url.Parse(registered)
	b, err2 := url.Parse(requested)
	if err1 != nil || err2 != nil || a.Scheme != "http" || b.Scheme != "http" || !loopback.IsHost(a.Hostname()) {
		return false
	}
	return a.Hostname() == b.Hostname() && a.EscapedPath() == b.EscapedPath() && a.RawQuery == b.RawQuery
}

// authenticate checks the client's credentials on a token request: client_secret_basic
// or client_secret_post for confidential clients, client_id alone for public ones.
// It returns the client, or an error message for invalid_client.
func (s *Server) authenticate(r *http.Request) (Client, bool, string) {
	id, secret, basic := r.BasicAuth()
	if basic {
		var err1, err2 error
		id, err1 = url.QueryUnescape(id) // RFC 6749 §2.3.1: form-encoded before Basic
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			return Client{}, basic, "malformed client credentials in the Authorization header"
		}
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id == "" {
		return Client{}, basic, "client authentication is required: send client_id (and client_secret for a confidential client)"
	}
	c, err := s.client(r, id)
	if err != nil {
		return Client{}, basic, err.Error()
	}
	if c.Secret == "" {
		if secret != "" {
			return Client{}, basic, "this is a public client: it has no secret"
		}
		return c, basic, ""
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
		return Client{}, basic, "wrong client secret"
	}
	return c, basic, ""
}

// client finds a registered client, or resolves a client ID metadata document.
func (s *Server) client(r *http.Request, id string) (Client, error) {
	s.mu.Lock()
	c, ok := s.clients[id]
	s.mu.Unlock()
	if ok {
		return c, nil
	}
	if isMetadataDocumentID(id) {
		return s.metadataDocumentClient(r.Context(), id)
	}
	return Client{}, fmt.Errorf("unknown client %q: register it at %s%s (RFC 7591) or use a client ID metadata document URL", id, s.cfg.Issuer, RegisterPath)
}

// loadClients reads the clients registered in an earlier run.
func (s *Server) loadClients() error {
	if s.cfg.StateDir == "" {
		return nil
	}
	path := filepath.Join(s.cfg.StateDir, ClientsFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read registered dev clients %s: %w", path, err)
	}
	var list []Client
	if err := json.Unmarshal(data, &list); err != nil {
		return fmt.Errorf("read registered dev clients %s: %w (delete the file to start over)", path, err)
	}
	for _, c := range list {
		if c.ID != "" && c.ID != s.cfg.Client.ID {
			s.clients[c.ID] = c
		}
	}
	return nil
}

// saveClientsLocked writes every registered client but the pre-registered one.
func (s *Server) saveClientsLocked() error {
	if s.cfg.StateDir == "" {
		return nil
	}
	list := []Client{}
	for _, c := range s.clients {
		if c.ID != s.cfg.Client.ID {
			list = append(list, c)
		}
	}
	slices.SortFunc(list, func(a, b Client) int { return strings.Compare(a.ID, b.ID) })
	data, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	return writeState(s.cfg.StateDir, ClientsFile, data)
}
