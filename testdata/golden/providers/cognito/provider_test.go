package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// TestProviderTokens feeds tokens shaped like Amazon Cognito user pool tokens through the
// server's auth chain. Fixtures follow
// https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html
// (access token: no aud, client_id, token_use access, scope, username, cognito:groups;
// ID token: aud = client ID, token_use id; RS256).
func TestProviderTokens(t *testing.T) {
	const issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123"
	const clientID = "1example23456789"
	checkProviderTokens(t, map[string]string{
		"MCP_RESOURCE_URL": "https://mcp.example.com/mcp",
		"AUTH_ISSUER":      issuer,
		"AUTH_AUDIENCE":    clientID,
	}, []providerCase{
		{
			name:   "access token",
			header: map[string]any{"typ": authtest.Omit},
			claims: authtest.Claims{"iss": issuer, "aud": authtest.Omit, "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
				"cognito:groups": []string{"admin"}, "token_use": "access", "scope": "https://mcp.example.com/mcp/usr:read openid",
				"auth_time": 1700000000, "client_id": clientID, "username": "ada", "origin_jti": "aaaaaaaa-1111", "jti": "bbbbbbbb-2222"},
			status: http.StatusOK,
			want: auth.Principal{Subject: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", ClientID: clientID,
				Scopes: []string{"https://mcp.example.com/mcp/usr:read", "openid"}},
		},
		{
			name:   "ID token (aud = client ID, token_use id)",
			claims: authtest.Claims{"iss": issuer, "aud": clientID, "token_use": "id", "client_id": authtest.Omit, "email": "ada@example.com"},
			status: http.StatusUnauthorized,
		},
		{
			name:   "access token of another app client",
			claims: authtest.Claims{"iss": issuer, "aud": authtest.Omit, "token_use": "access", "client_id": "9other1client", "scope": "openid"},
			status: http.StatusUnauthorized,
		},
		{
			name:   "token of another user pool",
			claims: authtest.Claims{"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other", "aud": authtest.Omit, "token_use": "access", "client_id": clientID},
			status: http.StatusUnauthorized,
		},
	})
}

// providerClaims are the claims of the tokens the other tests mint, shaped like this
// provider's: the scopes go in scope, with token_use access as every Cognito access token has.
func providerClaims(scopes []string) authtest.Claims {
	return authtest.Claims{"scope": strings.Join(scopes, " "), "token_use": "access"}
}
