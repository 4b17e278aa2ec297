package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// TestProviderTokens feeds tokens shaped like WorkOS AuthKit access tokens through the
// server's auth chain. Fixtures follow https://workos.com/docs/authkit/mcp and
// https://workos.com/docs/user-management/sessions (iss = the AuthKit domain, sub user_…,
// sid, org_id, role, permissions; RS256 keys at /oauth2/jwks).
func TestProviderTokens(t *testing.T) {
	const issuer = "https://acme-42.authkit.app"
	const resource = "https://mcp.example.com/mcp"
	checkProviderTokens(t, map[string]string{
		"MCP_RESOURCE_URL": resource,
		"AUTH_ISSUER":      issuer,
	}, []providerCase{
		{
			name:   "user in an organization",
			header: map[string]any{"typ": authtest.Omit},
			claims: authtest.Claims{"iss": issuer, "aud": resource, "sub": "user_01HXYZ", "sid": "session_01HXYZ",
				"client_id": "client_01HXYZ", "org_id": "org_01HXYZ", "role": "member", "permissions": []string{"usr:read"}},
			status: http.StatusOK,
			want:   auth.Principal{Subject: "user_01HXYZ", ClientID: "client_01HXYZ", Organization: "org_01HXYZ", Scopes: []string{"usr:read"}},
		},
		{
			name:   "OAuth client with scope",
			claims: authtest.Claims{"iss": issuer, "aud": resource, "sub": "user_01ABC", "client_id": "client_01DEF", "scope": "usr:read openid"},
			status: http.StatusOK,
			want:   auth.Principal{Subject: "user_01ABC", ClientID: "client_01DEF", Scopes: []string{"openid", "usr:read"}},
		},
		{
			name:   "session token of the WorkOS API issuer",
			claims: authtest.Claims{"iss": "https://api.workos.com", "aud": resource, "sub": "user_01HXYZ"},
			status: http.StatusUnauthorized,
		},
		{
			name:   "token for another resource",
			claims: authtest.Claims{"iss": issuer, "aud": "https://other.example.com/mcp", "sub": "user_01HXYZ"},
			status: http.StatusUnauthorized,
		},
	})
}

// providerClaims are the claims of the tokens the other tests mint, shaped like this
// provider's: the scopes go in scope (a space-separated string).
func providerClaims(scopes []string) authtest.Claims {
	return authtest.Claims{"scope": strings.Join(scopes, " ")}
}
