package main

import (
	"net/http"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// TestProviderTokens feeds tokens shaped like Okta custom authorization server access
// tokens through the server's auth chain. Fixtures follow
// https://developer.okta.com/docs/reference/api/oidc/#access-token (ver, jti, iss
// https://DOMAIN/oauth2/<id>, aud, cid, uid, scp array, sub = login).
func TestProviderTokens(t *testing.T) {
	const issuer = "https://acme.okta.com/oauth2/default"
	const resource = "https://mcp.example.com/mcp"
	checkProviderTokens(t, map[string]string{
		"MCP_RESOURCE_URL": resource,
		"AUTH_ISSUER":      issuer,
	}, []providerCase{
		{
			name:   "user token",
			header: map[string]any{"typ": authtest.Omit},
			claims: authtest.Claims{"ver": 1, "jti": "AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE", "iss": issuer, "aud": resource,
				"cid": "0oa1a2b3c4d5e6f7g8h9", "client_id": authtest.Omit, "uid": "00u1a2b3c4d5e6f7g8h9",
				"scp": []string{"usr:read", "openid"}, "sub": "ada@example.com"},
			status: http.StatusOK,
			want:   auth.Principal{Subject: "ada@example.com", ClientID: "0oa1a2b3c4d5e6f7g8h9", Scopes: []string{"openid", "usr:read"}},
		},
		{
			name:   "scope string is not read (Okta uses scp)",
			claims: authtest.Claims{"iss": issuer, "aud": resource, "cid": "0oa1", "client_id": authtest.Omit, "scope": "usr:read", "sub": "ada@example.com"},
			status: http.StatusOK,
			want:   auth.Principal{Subject: "ada@example.com", ClientID: "0oa1"},
		},
		{
			name:   "default audience api://default not configured",
			claims: authtest.Claims{"iss": issuer, "aud": "api://default", "scp": []string{"usr:read"}},
			status: http.StatusUnauthorized,
		},
		{
			name:   "org authorization server token",
			claims: authtest.Claims{"iss": "https://acme.okta.com", "aud": "https://acme.okta.com", "scp": []string{"okta.users.read"}},
			status: http.StatusUnauthorized,
		},
	})
}

// providerClaims are the claims of the tokens the other tests mint, shaped like this
// provider's: the scopes go in scp (an array), as Okta puts them.
func providerClaims(scopes []string) authtest.Claims {
	return authtest.Claims{"scp": scopes}
}
