package authtest_test

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"

	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update
)

func parseUnverified(t *testing.T, tok string) (map[string]any, jwt.MapClaims) {
	t.Helper()
	claims := jwt.MapClaims{}
	parsed, _, err := jwt.NewParser().ParseUnverified(tok, claims)
	if err != nil {
		t.Fatal(err)
	}
	return parsed.Header, claims
}

func TestMintDefaultsAndOverrides(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience("https://mcp.example.com/mcp"))
	h, c := parseUnverified(t, iss.Mint(nil))
	if h["alg"] != "RS256" || h["typ"] != "at+jwt" || h["kid"] != iss.KeyID() {
		t.Errorf("header = %v", h)
	}
	if c["iss"] != iss.URL || c["aud"] != "https://mcp.example.com/mcp" || c["sub"] != "user-123" || c["client_id"] != "client-123" {
		t.Errorf("claims = %v", c)
	}
	exp, _ := c.GetExpirationTime()
	iat, _ := c.GetIssuedAt()
	if d := exp.Sub(iat.Time); d != 5*time.Minute {
		t.Errorf("exp - iat = %v", d)
	}
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	_, c = parseUnverified(t, iss.Mint(authtest.Claims{"sub": "ada", "exp": at, "client_id": authtest.Omit, "scope": "a b"}))
	if c["sub"] != "ada" || c["exp"] != float64(at.Unix()) || c["scope"] != "a b" {
		t.Errorf("overrides = %v", c)
	}
	if _, ok := c["client_id"]; ok {
		t.Error("Omit did not remove client_id")
	}
	h, _ = parseUnverified(t, iss.MintWithHeader(map[string]any{"kid": authtest.Omit, "crit": []string{"x"}}, nil))
	if _, ok := h["kid"]; ok || h["crit"] == nil {
		t.Errorf("header overrides = %v", h)
	}
	if iss.Audience() != "https://mcp.example.com/mcp" || iss.Algorithm() != "RS256" {
		t.Error("accessors")
	}
}

func TestIssuerServesDiscoveryAndJWKS(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAlgorithm("ES256"))
	if !strings.HasPrefix(iss.URL, "http://127.0.0.1:") || iss.JWKSURL != iss.URL+"/jwks" {
		t.Errorf("URL %q JWKSURL %q", iss.URL, iss.JWKSURL)
	}
	for _, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
		resp, err := http.Get(iss.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		err = json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		if err != nil || doc["issuer"] != iss.URL || doc["jwks_uri"] != iss.JWKSURL {
			t.Errorf("%s: %v %v", path, doc, err)
		}
	}
	resp, err := http.Get(iss.JWKSURL)
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	err = json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	if err != nil || len(set.Keys) != 1 || set.Keys[0]["kid"] != iss.KeyID() || set.Keys[0]["alg"] != "ES256" || set.Keys[0]["kty"] != "EC" {
		t.Fatalf("jwks = %v, %v", set, err)
	}
	if _, private := set.Keys[0]["d"]; private {
		t.Fatal("JWKS publishes private key material")
	}
	if iss.JWKSFetches() != 1 {
		t.Errorf("fetches = %d", iss.JWKSFetches())
	}
	iss.SetJWKSAvailable(false)
	resp, err = http.Get(iss.JWKSURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("unavailable JWKS status %d", resp.StatusCode)
	}
	iss.Close()
	iss.Close()
	if _, err := http.Get(iss.JWKSURL); err == nil {
		t.Error("server still answers after Close")
	}
	if iss.Mint(nil) == "" {
		t.Error("Mint stopped working after Close")
	}
}

func TestRotateKey(t *testing.T) {
	iss := authtest.NewIssuer(t)
	before := iss.KeyID()
	old := iss.Mint(nil)
	keys := iss.KeySet()
	iss.RotateKey()
	if iss.KeyID() == before {
		t.Fatal("RotateKey kept the kid")
	}
	h, _ := parseUnverified(t, iss.Mint(nil))
	if h["kid"] != iss.KeyID() {
		t.Error("new tokens not signed with the new key")
	}
	var set struct{ Keys []json.RawMessage }
	if err := json.Unmarshal(iss.JWKS(), &set); err != nil || len(set.Keys) != 2 {
		t.Fatalf("JWKS after rotation has %d keys (%v)", len(set.Keys), err)
	}
	v := iss.Validator()
	for _, tok := range []string{old, iss.Mint(nil)} {
		if _, err := v.Validate(context.Background(), tok); err != nil {
			t.Errorf("validator over the current key set: %v", err)
		}
	}
	if keys.Ready() != true {
		t.Error("static key set not ready")
	}
}

// TestLiveIssuersHaveDistinctKeys guards the key pool: a key is never shared
// by two issuers alive at once, or "token of another issuer" tests would
// pass for the wrong reason.
func TestLiveIssuersHaveDistinctKeys(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		a := authtest.NewIssuer(t, authtest.WithAlgorithm(alg))
		b := authtest.NewIssuer(t, authtest.WithAlgorithm(alg))
		type equaler interface{ Equal(x crypto.PublicKey) bool }
		if a.PublicKey().(equaler).Equal(b.PublicKey()) {
			t.Errorf("%s: two live issuers share a key", alg)
		}
		// b's token, relabelled with a's kid and issuer, must not verify with a's keys.
		tok := b.MintWithHeader(map[string]any{"kid": a.KeyID()}, authtest.Claims{"iss": a.URL})
		if _, err := a.Validator().Validate(context.Background(), tok); err == nil {
			t.Errorf("%s: a token signed by another issuer's key verified", alg)
		}
	}
}

func TestAlgorithms(t *testing.T) {
	for _, alg := range []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"} {
		iss := authtest.NewIssuer(t, authtest.WithAlgorithm(alg))
		h, _ := parseUnverified(t, iss.Mint(nil))
		if h["alg"] != alg {
			t.Errorf("alg = %v, want %s", h["alg"], alg)
		}
		if _, err := iss.Validator().Validate(context.Background(), iss.Mint(nil)); err != nil {
			t.Errorf("%s: %v", alg, err)
		}
	}
}

// fatalRecorder records Fatal instead of stopping the test.
type fatalRecorder struct {
	testing.TB
	fatal bool
}

func (f *fatalRecorder) Fatal(args ...any) { f.fatal = true; panic(f) }
func (f *fatalRecorder) Helper()           {}

func TestUnsupportedAlgorithmFails(t *testing.T) {
	for _, alg := range []string{"HS256", "none", "rs256", ""} {
		rec := &fatalRecorder{TB: t}
		func() {
			defer func() {
				if r := recover(); r != nil && r != rec {
					panic(r)
				}
			}()
			authtest.NewIssuer(rec, authtest.WithAlgorithm(alg))
		}()
		if !rec.fatal {
			t.Errorf("NewIssuer accepted algorithm %q", alg)
		}
	}
}

// TestOpaqueTokensIntrospect: the issuer's introspection endpoint, found through its
// metadata, makes auth.Introspector accept MintOpaque tokens until they are revoked.
func TestOpaqueTokensIntrospect(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience("https://mcp.example.com/mcp"))
	meta, err := auth.Discover(context.Background(), iss.URL, auth.DiscoveryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if meta.IntrospectionEndpoint != iss.IntrospectionURL {
		t.Fatalf("introspection_endpoint = %q, want %q", meta.IntrospectionEndpoint, iss.IntrospectionURL)
	}
	in, err := auth.NewIntrospector(auth.IntrospectionConfig{
		Endpoint: meta.IntrospectionEndpoint, ClientID: authtest.IntrospectionClientID, ClientSecret: authtest.IntrospectionClientSecret,
		Issuers: []string{iss.URL}, Audiences: []string{"https://mcp.example.com/mcp"}, CacheEntries: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	token := iss.MintOpaque(authtest.Claims{"scope": "usr:read", "sub": "ada"})
	p, err := in.Validate(context.Background(), token)
	if err != nil || p.Subject != "ada" || !p.HasScope("usr:read") {
		t.Fatalf("Validate = %+v, %v", p, err)
	}
	iss.Revoke(token)
	if _, err := in.Validate(context.Background(), token); err == nil {
		t.Error("a revoked token is still active")
	}
	wrong, err := auth.NewIntrospector(auth.IntrospectionConfig{
		Endpoint: iss.IntrospectionURL, ClientID: "someone", ClientSecret: "else", Audiences: []string{"https://mcp.example.com/mcp"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var e *auth.Error
	if _, err := wrong.Validate(context.Background(), iss.MintOpaque(nil)); !errors.As(err, &e) || e.Status != 503 {
		t.Errorf("wrong client credentials: %v, want 503", err)
	}
}
