package auth_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// These tests cover the options provider presets set: which claims carry
// scopes and the organization, claims a token must have, and Cognito's
// client_id in place of aud.

// validateWith validates a token of iss carrying claims with the issuer's
// validator config changed by mutate; the token must be accepted.
func validateWith(t *testing.T, iss *authtest.Issuer, mutate func(*auth.ValidatorConfig), claims authtest.Claims) *auth.Principal {
	t.Helper()
	cfg := iss.ValidatorConfig()
	mutate(&cfg)
	v, err := auth.NewValidator(cfg, iss.KeySet())
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Validate(context.Background(), iss.Mint(claims))
	if err != nil {
		t.Fatalf("claims %v: %v", claims, err)
	}
	return p
}

func TestScopeClaimsOption(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	for name, tt := range map[string]struct {
		claimNames []string
		claims     authtest.Claims
		want       []string
	}{
		"okta: scp only, scope ignored": {[]string{"scp"}, authtest.Claims{"scp": []string{"a"}, "scope": "b", "scopes": []string{"c"}}, []string{"a"}},
		"entra: scp string and roles":   {[]string{"scp", "roles"}, authtest.Claims{"scp": "a b", "roles": []string{"Tasks.Write"}}, []string{"Tasks.Write", "a", "b"}},
		"roles must be an array":        {[]string{"roles"}, authtest.Claims{"roles": "admin"}, nil},
		"auth0: scope and permissions":  {[]string{"scope", "permissions"}, authtest.Claims{"scope": "a", "permissions": []string{"b"}, "scp": "c"}, []string{"a", "b"}},
		"custom claim either shape":     {[]string{"x_scopes"}, authtest.Claims{"x_scopes": "a b"}, []string{"a", "b"}},
		"empty list grants nothing":     {[]string{}, authtest.Claims{"scope": "a"}, nil},
	} {
		p := validateWith(t, iss, func(c *auth.ValidatorConfig) { c.ScopeClaims = tt.claimNames }, tt.claims)
		if !slices.Equal(p.Scopes, tt.want) {
			t.Errorf("%s: scopes %q, want %q", name, p.Scopes, tt.want)
		}
	}
}

func TestOrganizationClaimsOption(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	// An Entra access token: oid is the user's object id, tid the tenant.
	// https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference
	entra := authtest.Claims{"oid": "6e1e0b6e-user-object-id", "tid": "72f988bf-tenant-id"}
	for name, tt := range map[string]struct {
		orgClaims []string
		claims    authtest.Claims
		want      string
	}{
		"default picks the Entra tenant, not the user": {nil, entra, "72f988bf-tenant-id"},
		"default keeps Scalekit's oid":                 {nil, authtest.Claims{"oid": "org_123"}, "org_123"},
		"default prefers org_id":                       {nil, authtest.Claims{"org_id": "org_a", "tid": "t"}, "org_a"},
		"explicit tid":                                 {[]string{"tid"}, entra, "72f988bf-tenant-id"},
		"explicit oid":                                 {[]string{"oid"}, entra, "6e1e0b6e-user-object-id"},
		"none":                                         {[]string{}, entra, ""},
		"wrong type skipped":                           {[]string{"org_id", "tid"}, authtest.Claims{"org_id": 7, "tid": "t"}, "t"},
	} {
		p := validateWith(t, iss, func(c *auth.ValidatorConfig) { c.OrganizationClaims = tt.orgClaims }, tt.claims)
		if p.Organization != tt.want {
			t.Errorf("%s: Organization = %q, want %q", name, p.Organization, tt.want)
		}
	}
}

// TestCognitoStyleAudience: Cognito access tokens have no aud but a
// client_id and token_use "access"; its ID tokens have aud = client id and
// token_use "id" and must never pass.
// https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html
func TestCognitoStyleAudience(t *testing.T) {
	const clientID = "1example23456789"
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	cfg := auth.ValidatorConfig{
		Issuers:              []string{iss.URL},
		Audiences:            []string{clientID},
		RequiredClaims:       map[string]string{"token_use": "access"},
		AudienceFromClientID: true,
	}
	v, err := auth.NewValidator(cfg, iss.KeySet())
	if err != nil {
		t.Fatal(err)
	}
	strict, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{iss.URL}, Audiences: []string{clientID}}, iss.KeySet())
	if err != nil {
		t.Fatal(err)
	}
	access := authtest.Claims{"aud": authtest.Omit, "client_id": clientID, "token_use": "access", "scope": "usr:read"}
	with := func(over authtest.Claims) authtest.Claims {
		c := authtest.Claims{}
		maps.Copy(c, access)
		maps.Copy(c, over)
		return c
	}
	for name, tt := range map[string]struct {
		v      *auth.Validator
		claims authtest.Claims
		reason string // "" = accepted
	}{
		"access token":                     {v, access, ""},
		"other app client":                 {v, with(authtest.Claims{"client_id": "other-client"}), "wrong_audience"},
		"no client_id":                     {v, with(authtest.Claims{"client_id": authtest.Omit}), "wrong_audience"},
		"id token (aud = client id)":       {v, with(authtest.Claims{"aud": clientID, "token_use": "id"}), "required_claim"},
		"token_use missing":                {v, with(authtest.Claims{"token_use": authtest.Omit}), "required_claim"},
		"token_use not a string":           {v, with(authtest.Claims{"token_use": []string{"access"}}), "required_claim"},
		"aud present wins over client_id":  {v, with(authtest.Claims{"aud": "https://other.example.com"}), "wrong_audience"},
		"without the option aud is needed": {strict, access, "missing_aud"},
	} {
		p, err := tt.v.Validate(context.Background(), iss.Mint(tt.claims))
		if tt.reason == "" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			} else if p.ClientID != clientID || !p.HasScope("usr:read") {
				t.Errorf("%s: principal %+v", name, p)
			}
			continue
		}
		var e *auth.Error
		if !errors.As(err, &e) || e.Reason != tt.reason || e.Status != 401 {
			t.Errorf("%s: err = %v, want 401 %s", name, err, tt.reason)
		}
	}
}

func TestValidatorRefusesEmptyClaimNames(t *testing.T) {
	iss := authtest.NewIssuer(t)
	for name, mutate := range map[string]func(*auth.ValidatorConfig){
		"scope claim":    func(c *auth.ValidatorConfig) { c.ScopeClaims = []string{""} },
		"org claim":      func(c *auth.ValidatorConfig) { c.OrganizationClaims = []string{" "} },
		"required claim": func(c *auth.ValidatorConfig) { c.RequiredClaims = map[string]string{"": "x"} },
	} {
		cfg := iss.ValidatorConfig()
		mutate(&cfg)
		if _, err := auth.NewValidator(cfg, iss.KeySet()); err == nil {
			t.Errorf("%s: an empty claim name was accepted", name)
		}
	}
}

// SameAudience is the validator's comparison: what it accepts as aud, a client may
// treat as the same server, and nothing looser.
func TestSameAudience(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"https://h/mcp", "https://h/mcp", true},
		{"https://h/mcp/", "https://h/mcp", true},
		{"HTTPS://H.Example/mcp", "https://h.example/mcp", true},
		{"https://h/MCP", "https://h/mcp", false},
		{"https://h/mcp-admin", "https://h/mcp", false},
		{"https://h/mcp", "http://h/mcp", false},
		{"https://h:8443/mcp", "https://h/mcp", false},
		{"", "https://h/mcp", false},
	} {
		if got := auth.SameAudience(tc.a, tc.b); got != tc.same {
			t.Errorf("SameAudience(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
}
