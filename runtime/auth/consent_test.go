package auth_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// TestEntitlementsAreNotScopes: with the default scope claims, permissions, roles and
// groups grant nothing, and a handler reads them with ClaimValues.
func TestEntitlementsAreNotScopes(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	p := validateWith(t, iss, func(*auth.ValidatorConfig) {}, authtest.Claims{
		"scope": "openid", "permissions": []string{"files:delete"}, "roles": []string{"admin"},
		"groups": "staff", "role": 7,
	})
	if !slices.Equal(p.Scopes, []string{"openid"}) {
		t.Errorf("Scopes = %q, want [openid]: entitlement claims are not scopes", p.Scopes)
	}
	for _, tt := range []struct {
		claim string
		want  []string
	}{
		{"permissions", []string{"files:delete"}},
		{"roles", []string{"admin"}},
		{"groups", []string{"staff"}},
		{"role", nil}, // a number is no value
		{"absent", nil},
	} {
		if got := p.ClaimValues(tt.claim); !slices.Equal(got, tt.want) {
			t.Errorf("ClaimValues(%s) = %q, want %q", tt.claim, got, tt.want)
		}
	}
	if !p.HasClaimValue("permissions", "files:delete") || p.HasClaimValue("permissions", "files") || p.HasScope("files:delete") {
		t.Error("HasClaimValue/HasScope disagree with the claims")
	}
	var nilPrincipal *auth.Principal
	if nilPrincipal.ClaimValues("roles") != nil || nilPrincipal.HasClaimValue("roles", "admin") {
		t.Error("a nil principal has no claims")
	}
}

// TestAppOnlyScopeClaims: AppScopeClaims are read only from tokens IsAppOnly accepts,
// and then instead of the scope claims.
func TestAppOnlyScopeClaims(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	appOnly := func(c *auth.ValidatorConfig) {
		c.ScopeClaims = []string{"scp"}
		c.AppScopeClaims = []string{"roles"}
		c.IsAppOnly = func(claims map[string]any) bool { return claims["idtyp"] == "app" }
	}
	if p := validateWith(t, iss, appOnly, authtest.Claims{"idtyp": "app", "roles": []string{"usr:read"}, "scp": "ignored"}); !slices.Equal(p.Scopes, []string{"usr:read"}) {
		t.Errorf("app-only token: Scopes = %q, want [usr:read]", p.Scopes)
	}
	if p := validateWith(t, iss, appOnly, authtest.Claims{"idtyp": "user", "roles": []string{"usr:read"}, "scp": "User.Read"}); !slices.Equal(p.Scopes, []string{"User.Read"}) {
		t.Errorf("user token: Scopes = %q, want [User.Read]", p.Scopes)
	}
	cfg := iss.ValidatorConfig()
	cfg.AppScopeClaims = []string{"roles"}
	if _, err := auth.NewValidator(cfg, iss.KeySet()); err == nil || !strings.Contains(err.Error(), "app-only") {
		t.Errorf("AppScopeClaims without IsAppOnly: err = %v, want a config error", err)
	}
}

// TestScopePrefix: with a scope prefix (Cognito resource servers), a token needs a
// scope bearing it, is granted those scopes by their short names, and the challenges
// name the full ones clients ask the authorization server for.
func TestScopePrefix(t *testing.T) {
	const prefix = "https://mcp.example.com/mcp/"
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	cfg := iss.ValidatorConfig()
	cfg.Audiences = []string{testResource}
	cfg.ScopePrefix = prefix
	v, err := auth.NewValidator(cfg, iss.KeySet())
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Validate(context.Background(), iss.Mint(authtest.Claims{"scope": "openid " + prefix + "usr:read " + prefix + "mcp https://other.example.com/api/admin"}))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Scopes, []string{"mcp", "usr:read"}) {
		t.Errorf("Scopes = %q, want [mcp usr:read]: this resource's scopes, short", p.Scopes)
	}
	for name, scope := range map[string]string{
		"another resource server":  "https://other.example.com/api/usr:read openid",
		"a longer identifier":      "https://mcp.example.com/mcp-admin/usr:read",
		"the prefix alone":         prefix,
		"OpenID Connect only":      "openid email",
		"no scope claim (omitted)": "",
	} {
		claims := authtest.Claims{"scope": scope}
		if scope == "" {
			claims["scope"] = authtest.Omit
		}
		if _, err := v.Validate(context.Background(), iss.Mint(claims)); reason(err) != "wrong_audience" {
			t.Errorf("%s: err = %v, want wrong_audience", name, err)
		}
	}
	cfg.ScopePrefix = "bad prefix"
	if _, err := auth.NewValidator(cfg, iss.KeySet()); err == nil {
		t.Error("a scope prefix with a space was accepted")
	}

	e := newEnv(t, nil, iss, func(c *auth.MiddlewareConfig) { c.Validator = v; c.ScopePrefix = prefix })
	w := e.do(http.MethodPost, "/mcp", toolCall("admin_tool"), bearer(iss.Mint(authtest.Claims{"scope": prefix + "mcp " + prefix + "usr:read"})))
	if w.Code != http.StatusForbidden {
		t.Fatalf("admin_tool without admin: status %d, want 403", w.Code)
	}
	if got := parseChallenge(t, w.Header().Get("WWW-Authenticate"))["scope"]; got != prefix+"admin "+prefix+"mcp "+prefix+"usr:read" {
		t.Errorf("403 challenge scope = %q, want the full names", got)
	}
	if d := decodeErrBody(t, w).Description; !strings.HasSuffix(d, ": "+prefix+"admin") {
		t.Errorf("403 description %q, want it to name %sadmin", d, prefix)
	}
	w = e.do(http.MethodPost, "/mcp", toolCall("admin_tool"), nil)
	if got := parseChallenge(t, w.Header().Get("WWW-Authenticate"))["scope"]; got != prefix+"admin "+prefix+"mcp "+prefix+"usr:read" {
		t.Errorf("401 challenge scope = %q, want the full names", got)
	}
	if w := e.do(http.MethodPost, "/mcp", toolCall("greet_user"), bearer(iss.Mint(authtest.Claims{"scope": prefix + "mcp " + prefix + "usr:read"}))); w.Code != http.StatusOK {
		t.Errorf("greet_user with its scopes: status %d, want 200", w.Code)
	}
}

// TestOfflineAccessIsNeverAdvertised: offline_access can be neither a scope the
// middleware asks for nor one the metadata lists (MCP authorization, 2026-07-28).
func TestOfflineAccessIsNeverAdvertised(t *testing.T) {
	v := fakeValidator{}
	for name, cfg := range map[string]auth.MiddlewareConfig{
		"required":  {Scopes: auth.ScopePolicy{Required: []string{"mcp", auth.OfflineAccess}}},
		"tool":      {Scopes: auth.ScopePolicy{Tools: map[string][]string{"t": {auth.OfflineAccess}}}},
		"challenge": {ChallengeScopes: []string{auth.OfflineAccess}},
	} {
		cfg.Validator, cfg.ResourceMetadataURL = v, testMetadataURL
		if _, err := auth.Middleware(cfg); err == nil || !strings.Contains(err.Error(), "offline_access") {
			t.Errorf("%s: err = %v, want offline_access refused", name, err)
		}
	}
	m := auth.ProtectedResourceMetadata{Resource: testResource, AuthorizationServers: []string{"https://auth.example.com"},
		ScopesSupported: []string{"usr:read", auth.OfflineAccess}}
	if err := m.Validate(); err == nil || !strings.Contains(err.Error(), "scopes_supported") {
		t.Errorf("metadata with offline_access: %v, want it refused", err)
	}
	for _, s := range []string{"usr:read", "https://mcp.example.com/mcp/usr:read"} {
		if err := auth.CheckScope(s); err != nil {
			t.Errorf("CheckScope(%q) = %v", s, err)
		}
	}
	for _, s := range []string{"", "a b", `a"b`, "a\u00a0b", auth.OfflineAccess} {
		if err := auth.CheckScope(s); err == nil {
			t.Errorf("CheckScope(%q) = nil, want an error", s)
		}
	}
}

// fakeValidator accepts every token; for middleware configuration tests.
type fakeValidator struct{}

func (fakeValidator) Validate(context.Context, string) (*auth.Principal, error) {
	return &auth.Principal{Subject: "s"}, nil
}
