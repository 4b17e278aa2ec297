package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// TestProviderTokens feeds tokens shaped like Scalekit's MCP and machine-to-machine
// access tokens through the server's auth chain. Fixtures follow
// https://docs.scalekit.com/authenticate/mcp/quickstart/ (claims iss, aud, sub,
// client_id, scope or scopes, oid; RS256 with the environment's /keys).
func TestProviderTokens(t *testing.T) {
	const env = "https://acme.scalekit.dev"
	const resource = "https://mcp.example.com/mcp"
	checkProviderTokens(t, map[string]string{
		"MCP_RESOURCE_URL": resource,
		"SK_ENV_URL":       env,
	}, []providerCase{
		{
			name:   "MCP client token",
			header: map[string]any{"typ": "JWT"},
			claims: authtest.Claims{"iss": env, "aud": []string{resource}, "sub": "usr_87234", "client_id": "m2m_client_1",
				"scope": "usr:read openid", "oid": "org_59615193906282635"},
			status: http.StatusOK,
			want:   auth.Principal{Subject: "usr_87234", ClientID: "m2m_client_1", Organization: "org_59615193906282635", Scopes: []string{"openid", "usr:read"}},
		},
		{
			name: "machine-to-machine token (scopes array)",
			claims: authtest.Claims{"iss": env, "aud": resource, "sub": "m2m_client_2", "client_id": "m2m_client_2",
				"scopes": []string{"usr:read"}, "oid": "org_1"},
			status: http.StatusOK,
			want:   auth.Principal{Subject: "m2m_client_2", ClientID: "m2m_client_2", Organization: "org_1", Scopes: []string{"usr:read"}},
		},
		{
			name:   "token for another resource",
			claims: authtest.Claims{"iss": env, "aud": "https://other.example.com/mcp", "scope": "usr:read"},
			status: http.StatusUnauthorized,
		},
		{
			name:   "token of another environment",
			claims: authtest.Claims{"iss": "https://other.scalekit.dev", "aud": resource},
			status: http.StatusUnauthorized,
		},
	})
}

// providerClaims are the claims of the tokens the other tests mint, shaped like this
// provider's: the scopes go in scope (a space-separated string), as in tokens Scalekit issues to MCP clients.
func providerClaims(scopes []string) authtest.Claims {
	return authtest.Claims{"scope": strings.Join(scopes, " ")}
}
