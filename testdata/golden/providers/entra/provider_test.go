package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// TestProviderTokens feeds tokens shaped like Microsoft Entra ID access tokens through
// the server's auth chain. Fixtures follow
// https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference
// (v2.0: iss login.microsoftonline.com/<tid>/v2.0, aud = client ID, azp; v1.0: iss
// sts.windows.net/<tid>/, aud = Application ID URI, appid; scp, roles, tid, oid; typ JWT).
func TestProviderTokens(t *testing.T) {
	const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	const clientID = "6e74172b-be56-4843-9ff4-e66a39bb12e3"
	const resource = "https://mcp.example.com/mcp"
	v2 := "https://login.microsoftonline.com/" + tenant + "/v2.0"
	v1 := "https://sts.windows.net/" + tenant + "/"
	checkProviderTokens(t, map[string]string{
		"MCP_RESOURCE_URL": resource,
		"AUTH_ISSUER":      v2,
		"AUTH_AUDIENCE":    clientID + ",api://" + clientID,
	}, []providerCase{
		{
			name:   "v2.0 delegated token",
			header: map[string]any{"typ": "JWT"},
			claims: authtest.Claims{"iss": v2, "aud": clientID, "ver": "2.0", "tid": tenant, "oid": "00000000-0000-0000-66f3-3332eca7ea81",
				"azp": "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "client_id": authtest.Omit, "scp": "usr:read User.Read",
				"sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "name": "Ada Lovelace"},
			status: http.StatusOK,
			want: auth.Principal{Subject: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", ClientID: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
				Organization: tenant, Scopes: []string{"User.Read", "usr:read"}},
		},
		{
			name:   "v1.0 token (Application ID URI audience)",
			header: map[string]any{"typ": "JWT"},
			claims: authtest.Claims{"iss": v1, "aud": "api://" + clientID, "ver": "1.0", "tid": tenant, "oid": "00000000-0000-0000-66f3-3332eca7ea81",
				"appid": "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "client_id": authtest.Omit, "scp": "usr:read", "sub": "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA"},
			status: http.StatusOK,
			want: auth.Principal{Subject: "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA", ClientID: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
				Organization: tenant, Scopes: []string{"usr:read"}},
		},
		{
			name: "app-only token with app roles",
			claims: authtest.Claims{"iss": v2, "aud": clientID, "tid": tenant, "oid": "9c5bb0a7-service-principal", "azp": "b2c3d4e5-daemon",
				"client_id": authtest.Omit, "roles": []string{"usr:read"}, "sub": "9c5bb0a7-service-principal"},
			status: http.StatusOK,
			want:   auth.Principal{Subject: "9c5bb0a7-service-principal", ClientID: "b2c3d4e5-daemon", Organization: tenant, Scopes: []string{"usr:read"}},
		},
		{
			name:   "Microsoft Graph token",
			claims: authtest.Claims{"iss": v2, "aud": "00000003-0000-0000-c000-000000000000", "tid": tenant, "scp": "User.Read"},
			status: http.StatusUnauthorized,
		},
		{
			name:   "token of another tenant",
			claims: authtest.Claims{"iss": "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", "aud": clientID, "scp": "usr:read"},
			status: http.StatusUnauthorized,
		},
	})
}

// providerClaims are the claims of the tokens the other tests mint, shaped like this
// provider's: the scopes go in scp (a space-separated string), as Entra puts delegated permissions.
func providerClaims(scopes []string) authtest.Claims {
	return authtest.Claims{"scp": strings.Join(scopes, " ")}
}
