package protect_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/authtest"
	"github.com/mcpgen/mcpgen/runtime/envconfig"
	"github.com/mcpgen/mcpgen/runtime/protect"
	"github.com/mcpgen/mcpgen/runtime/provider"
	"github.com/mcpgen/mcpgen/runtime/settings"
)

// TestSeveralIssuers: with AUTH_ISSUERS naming two authorization servers and no
// AUTH_JWKS_URL, the server discovers each one's keys, accepts the tokens of both,
// refuses a third issuer's (fetching no keys for it) and a token signed by one issuer
// that claims the other, and advertises both.
func TestSeveralIssuers(t *testing.T) {
	a := authtest.NewIssuer(t)
	b := authtest.NewIssuer(t, authtest.WithAlgorithm("ES256"))
	c := authtest.NewIssuer(t)
	srv, err := serve(t, map[string]string{"AUTH_ISSUERS": a.URL + "," + b.URL})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if !srv.Ready() || a.JWKSFetches() == 0 || b.JWKSFetches() == 0 {
		t.Fatalf("keys not loaded from each discovered JWKS (ready %v, fetches A %d, B %d)", srv.Ready(), a.JWKSFetches(), b.JWKSFetches())
	}
	for name, token := range map[string]string{"A": a.Mint(nil), "B": b.Mint(nil)} {
		if res := inSession(srv.Handler, token, "", initialize); res.Code != http.StatusOK {
			t.Errorf("%s's token: status %d %s, want 200", name, res.Code, res.Body)
		}
	}

	// A third issuer's tokens are refused before any key lookup: no JWKS is fetched
	// for their unknown kid. (Checked first: a cross-signed token below may fetch the
	// claimed issuer's keys for its unknown kid, and the on-demand fetch it spends
	// would hide one.)
	unauthorized := func(name, token string) {
		t.Helper()
		res := inSession(srv.Handler, token, "", initialize)
		if res.Code != http.StatusUnauthorized || !strings.Contains(res.Header().Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("%s token: status %d, WWW-Authenticate %q; want 401 invalid_token", name, res.Code, res.Header().Get("WWW-Authenticate"))
		}
	}
	fa, fb := a.JWKSFetches(), b.JWKSFetches()
	for range 3 {
		unauthorized("C's", c.Mint(nil))
	}
	if a.JWKSFetches() != fa || b.JWKSFetches() != fb {
		t.Errorf("C's tokens fetched keys: A %d→%d, B %d→%d; want no fetch", fa, a.JWKSFetches(), fb, b.JWKSFetches())
	}

	noKID := map[string]any{"kid": authtest.Omit}
	for name, token := range map[string]string{
		"C's claiming to be A":    c.MintWithHeader(noKID, authtest.Claims{"iss": a.URL}),
		"A's claiming to be B":    a.Mint(authtest.Claims{"iss": b.URL}),
		"A's, no kid, claiming B": a.MintWithHeader(noKID, authtest.Claims{"iss": b.URL}),
		"B's claiming to be A":    b.Mint(authtest.Claims{"iss": a.URL}),
		"B's, no kid, claiming A": b.MintWithHeader(noKID, authtest.Claims{"iss": a.URL}),
	} {
		unauthorized(name, token)
	}

	rec := httptest.NewRecorder()
	srv.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/oauth-protected-resource/mcp", nil))
	var meta struct {
		AuthorizationServers []string `json:"authorization_servers"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &meta); err != nil || !slices.Equal(meta.AuthorizationServers, []string{a.URL, b.URL}) {
		t.Errorf("metadata authorization_servers = %q (%v), want both issuers", meta.AuthorizationServers, err)
	}
}

// TestSeveralIssuersReady: /ready waits for every issuer's keys, while tokens of an
// issuer whose keys loaded are served at once.
func TestSeveralIssuersReady(t *testing.T) {
	a, b := authtest.NewIssuer(t), authtest.NewIssuer(t)
	b.SetJWKSAvailable(false)
	srv, err := serve(t, map[string]string{"AUTH_ISSUERS": a.URL + "," + b.URL})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	status := func() int {
		rec := httptest.NewRecorder()
		srv.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ready", nil))
		return rec.Code
	}
	if got := status(); got != http.StatusServiceUnavailable || srv.Ready() {
		t.Errorf("/ready with B's keys down = %d (Ready %v), want 503", got, srv.Ready())
	}
	if res := inSession(srv.Handler, a.Mint(nil), "", initialize); res.Code != http.StatusOK {
		t.Errorf("A's token with B's keys down: status %d, want 200", res.Code)
	}
	if res := inSession(srv.Handler, b.Mint(nil), "", initialize); res.Code != http.StatusServiceUnavailable {
		t.Errorf("B's token with B's keys down: status %d, want 503", res.Code)
	}
	b.SetJWKSAvailable(true)
	deadline := time.Now().Add(10 * time.Second)
	for status() != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("/ready stayed 503 after B's keys came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if res := inSession(srv.Handler, b.Mint(nil), "", initialize); res.Code != http.StatusOK {
		t.Errorf("B's token once its keys loaded: status %d, want 200", res.Code)
	}
}

// TestSeveralIssuersUndiscoverable: an issuer of AUTH_ISSUERS whose metadata cannot be
// read stops the server with a message naming it.
func TestSeveralIssuersUndiscoverable(t *testing.T) {
	a, b := authtest.NewIssuer(t), authtest.NewIssuer(t)
	b.Close()
	_, err := serve(t, map[string]string{"AUTH_ISSUERS": a.URL + "," + b.URL})
	if err == nil || !strings.Contains(err.Error(), "AUTH_ISSUERS "+b.URL) || strings.Contains(err.Error(), "AUTH_ISSUERS "+a.URL) {
		t.Errorf("New = %v, want an error naming AUTH_ISSUERS %s only", err, b.URL)
	}
}

// TestSeveralIssuersOpaqueRefused: settings that ask for introspection with several
// issuers, built by hand past settings.Read's check, stop the server.
func TestSeveralIssuersOpaqueRefused(t *testing.T) {
	a, b := authtest.NewIssuer(t), authtest.NewIssuer(t)
	e := envconfig.FromMap(map[string]string{
		"AUTH_ISSUER":                      a.URL,
		"AUTH_TOKEN_FORMAT":                "opaque",
		"AUTH_INTROSPECTION_CLIENT_ID":     authtest.IntrospectionClientID,
		"AUTH_INTROSPECTION_CLIENT_SECRET": authtest.IntrospectionClientSecret,
	})
	s := settings.Read(e, provider.Generic, settings.Defaults{Port: 3002, ResourceURL: "http://localhost:3002/mcp"})
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	s.TrustedIssuers = append(s.TrustedIssuers, settings.TrustedIssuer{Issuer: b.URL, Accepted: []string{b.URL}})
	_, err := protect.New(t.Context(), s, newMCPServer(), protect.Options{})
	if err == nil || !strings.Contains(err.Error(), "AUTH_TOKEN_FORMAT=opaque") {
		t.Errorf("New = %v, want an error naming AUTH_TOKEN_FORMAT=opaque", err)
	}
}
