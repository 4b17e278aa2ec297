package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// TestProviderTokens feeds tokens shaped like Keycloak access tokens through the server's
// auth chain. Fixtures follow https://www.keycloak.org/docs/latest/server_admin/#_audience
// (typ JWT header; payload typ Bearer, azp, scope string, aud from an audience mapper
// plus "account"; ID and refresh tokens are signed by the same realm keys).
func TestProviderTokens(t *testing.T) {
	const issuer = "https://sso.example.com/realms/acme"
	const resource = "https://mcp.example.com/mcp"
	checkProviderTokens(t, map[string]string{
		"MCP_RESOURCE_URL": resource,
		"AUTH_ISSUER":      issuer,
	}, []providerCase{
		{
			name:   "access token with audience mapper",
			header: map[string]any{"typ": "JWT"},
			claims: authtest.Claims{"iss": issuer, "aud": []string{resource, "account"}, "typ": "Bearer", "azp": "mcp-inspector",
				"client_id": authtest.Omit, "sub": "f1b2c3d4-0000-4000-8000-000000000001", "scope": "openid usr:read profile",
				"preferred_username": "ada", "realm_access": map[string]any{"roles": []string{"default-roles-acme"}}},
			status: http.StatusOK,
			want: auth.Principal{Subject: "f1b2c3d4-0000-4000-8000-000000000001", ClientID: "mcp-inspector",
				Scopes: []string{"openid", "profile", "usr:read"}},
		},
		{
			name:   "no audience mapper: aud account only",
			claims: authtest.Claims{"iss": issuer, "aud": "account", "typ": "Bearer", "azp": "mcp-inspector", "scope": "usr:read"},
			status: http.StatusUnauthorized,
		},
		{
			name:   "ID token (aud = the client)",
			claims: authtest.Claims{"iss": issuer, "aud": "mcp-inspector", "typ": "ID", "azp": "mcp-inspector"},
			status: http.StatusUnauthorized,
		},
		{
			name:   "token of another realm",
			claims: authtest.Claims{"iss": "https://sso.example.com/realms/master", "aud": resource, "scope": "usr:read"},
			status: http.StatusUnauthorized,
		},
	})
}

// providerClaims are the claims of the tokens the other tests mint, shaped like this
// provider's: the scopes go in scope (a space-separated string), as Keycloak puts them.
func providerClaims(scopes []string) authtest.Claims {
	return authtest.Claims{"scope": strings.Join(scopes, " ")}
}
