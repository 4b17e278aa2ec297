package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// TestProviderTokens feeds tokens shaped like those of the `mcpgen dev` authorization
// server (devserver/token.go) through the server's auth chain. They follow RFC 9068,
// https://datatracker.ietf.org/doc/html/rfc9068#section-2 (typ at+jwt; iss, exp, aud,
// sub, client_id, iat, jti, scope).
func TestProviderTokens(t *testing.T) {
	const issuer = "http://127.0.0.1:3003"
	const resource = "http://localhost:3002/mcp"
	checkProviderTokens(t, map[string]string{
		"MCP_RESOURCE_URL": resource,
		"AUTH_ISSUER":      issuer,
		"AUTH_JWKS_URL":    issuer + "/jwks",
	}, []providerCase{
		{
			name:   "RFC 9068 access token",
			header: map[string]any{"typ": "at+jwt"},
			claims: authtest.Claims{"iss": issuer, "aud": resource, "sub": "5ba552d67", "client_id": "s6BhdRkqt3",
				"jti": "dbe39bf3a3ba4238a513f51d6e1691c4", "scope": "usr:read openid", "org_id": authtest.Omit},
			status: http.StatusOK,
			want:   auth.Principal{Subject: "5ba552d67", ClientID: "s6BhdRkqt3", Scopes: []string{"openid", "usr:read"}},
		},
		{
			name:   "logout token of the same issuer",
			header: map[string]any{"typ": "logout+jwt"},
			claims: authtest.Claims{"iss": issuer, "aud": resource},
			status: http.StatusUnauthorized,
		},
		{
			name:   "no exp",
			claims: authtest.Claims{"iss": issuer, "aud": resource, "exp": authtest.Omit},
			status: http.StatusUnauthorized,
		},
	})
}

// providerClaims are the claims of the tokens the other tests mint, shaped like this
// provider's: the scopes go in scope (a space-separated string, RFC 9068).
func providerClaims(scopes []string) authtest.Claims {
	return authtest.Claims{"scope": strings.Join(scopes, " ")}
}
