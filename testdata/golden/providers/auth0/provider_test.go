package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// TestProviderTokens feeds tokens shaped like Auth0's access tokens through the server's
// auth chain. Fixtures follow
// https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles (the "Auth0"
// profile: typ JWT, azp, aud array with /userinfo; the "RFC 9068" profile: typ at+jwt,
// client_id) and https://auth0.com/docs/manage-users/organizations (org_id).
func TestProviderTokens(t *testing.T) {
	const issuer = "https://acme.us.auth0.com/"
	const resource = "https://mcp.example.com/mcp"
	checkProviderTokens(t, map[string]string{
		"MCP_RESOURCE_URL": resource,
		"AUTH_ISSUER":      issuer,
	}, []providerCase{
		{
			name:   "Auth0 profile with RBAC permissions and an organization",
			header: map[string]any{"typ": "JWT"},
			claims: authtest.Claims{"iss": issuer, "sub": "auth0|64f1c2", "aud": []string{resource, issuer + "userinfo"},
				"azp": "kbyuFDidLLm280LIwVFiazOqjO3ty8KH", "client_id": authtest.Omit, "scope": "openid profile",
				"permissions": []string{"usr:read"}, "org_id": "org_9ybsU1dN2dKfDkBi"},
			status: http.StatusOK,
			want: auth.Principal{Subject: "auth0|64f1c2", ClientID: "kbyuFDidLLm280LIwVFiazOqjO3ty8KH",
				Organization: "org_9ybsU1dN2dKfDkBi", Scopes: []string{"openid", "profile", "usr:read"}},
		},
		{
			name:   "RFC 9068 profile",
			header: map[string]any{"typ": "at+jwt"},
			claims: authtest.Claims{"iss": issuer, "sub": "kbyuFDidLLm280LIwVFiazOqjO3ty8KH@clients", "aud": resource,
				"client_id": "kbyuFDidLLm280LIwVFiazOqjO3ty8KH", "scope": "usr:read"},
			status: http.StatusOK,
			want: auth.Principal{Subject: "kbyuFDidLLm280LIwVFiazOqjO3ty8KH@clients", ClientID: "kbyuFDidLLm280LIwVFiazOqjO3ty8KH",
				Scopes: []string{"usr:read"}},
		},
		{
			name:   "token for /userinfo only (no audience requested)",
			claims: authtest.Claims{"iss": issuer, "aud": issuer + "userinfo", "scope": "openid"},
			status: http.StatusUnauthorized,
		},
		{
			name:   "issuer without the trailing slash",
			claims: authtest.Claims{"iss": "https://acme.us.auth0.com", "aud": resource},
			status: http.StatusUnauthorized,
		},
		{
			name:   "scp is not an Auth0 scope claim",
			claims: authtest.Claims{"iss": issuer, "aud": resource, "sub": "auth0|1", "scp": "usr:read"},
			status: http.StatusOK,
			want:   auth.Principal{Subject: "auth0|1", ClientID: "client-123"},
		},
	})
}

// providerClaims are the claims of the tokens the other tests mint, shaped like this
// provider's: the scopes go in scope (a space-separated string), as Auth0 grants them.
func providerClaims(scopes []string) authtest.Claims {
	return authtest.Claims{"scope": strings.Join(scopes, " ")}
}
