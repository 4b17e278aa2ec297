package provider_test

import (
	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update

	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
	"github.com/mcpgen/mcpgen/runtime/envconfig"
	"github.com/mcpgen/mcpgen/runtime/provider"
	"github.com/mcpgen/mcpgen/runtime/settings"
)

// tokenCase is a token shaped like the identity provider's, and what the server must
// make of it: the status, and for an accepted token the principal tools see.
type tokenCase struct {
	name   string
	header map[string]any  // JOSE header parameters to add or change (authtest.Omit removes)
	claims authtest.Claims // the token's claims; authtest's defaults fill the rest
	status int             // http.StatusOK when the token is accepted
	want   auth.Principal  // Subject, ClientID, Organization and Scopes of an accepted token
}

// checkTokens reads the settings of a server generated for p from env, as in
// production, and checks what the validator they configure makes of each case's token.
// The tokens carry the provider's real issuer URLs but are signed by an in-process
// issuer whose keys the validator is given: the validator checks signatures against its
// key set, and everything else against the settings.
func checkTokens(t *testing.T, p provider.Preset, env map[string]string, cases []tokenCase) {
	t.Helper()
	e := envconfig.FromMap(env)
	s := settings.Read(e, p, settings.Defaults{Port: 3002})
	if err := e.Err(); err != nil {
		t.Fatalf("settings: %v", err)
	}
	iss := authtest.NewIssuer(t)
	v, err := auth.NewValidator(s.ValidatorConfig(), iss.KeySet())
	if err != nil {
		t.Fatalf("NewValidator: %v", err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Validate(context.Background(), iss.MintWithHeader(tc.header, tc.claims))
			status := http.StatusOK
			if err != nil {
				var ae *auth.Error
				if !errors.As(err, &ae) {
					t.Fatalf("Validate: %v, not an *auth.Error", err)
				}
				status = ae.Status
			}
			if status != tc.status {
				t.Fatalf("status = %d, want %d (%v)", status, tc.status, err)
			}
			if tc.status != http.StatusOK {
				return
			}
			got := auth.Principal{Subject: p.Subject, ClientID: p.ClientID, Organization: p.Organization, Scopes: p.Scopes}
			if got.Subject != tc.want.Subject || got.ClientID != tc.want.ClientID || got.Organization != tc.want.Organization || !slices.Equal(got.Scopes, tc.want.Scopes) {
				t.Errorf("principal = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestScalekitTokens feeds tokens shaped like Scalekit's MCP and machine-to-machine
// access tokens through the validator. Fixtures follow
// https://docs.scalekit.com/authenticate/mcp/quickstart/ (claims iss, aud, sub,
// client_id, scope or scopes, oid; RS256 with the environment's /keys).
func TestScalekitTokens(t *testing.T) {
	const env = "https://acme.scalekit.dev"
	const resource = "https://mcp.example.com/mcp"
	checkTokens(t, provider.Scalekit, map[string]string{
		"MCP_RESOURCE_URL": resource,
		"SK_ENV_URL":       env,
	}, []tokenCase{
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

// TestScalekitResourceIssuer: some Scalekit tokens carry the resource-specific issuer
// <environment>/resources/<id>; they are accepted when the server advertises that
// issuer as its authorization server (PROTECTED_RESOURCE_METADATA from the dashboard),
// and only then.
func TestScalekitResourceIssuer(t *testing.T) {
	const env = "https://acme.scalekit.dev"
	const resource = "https://mcp.example.com/mcp"
	const resourceIssuer = env + "/resources/res_123"
	checkTokens(t, provider.Scalekit, map[string]string{
		"MCP_RESOURCE_URL": resource,
		"SK_ENV_URL":       env,
		"PROTECTED_RESOURCE_METADATA": `{"resource": "` + resource + `", "authorization_servers": ["` + resourceIssuer + `"],
			"bearer_methods_supported": ["header"], "scopes_supported": ["usr:read"]}`,
	}, []tokenCase{
		{
			name:   "resource-specific issuer",
			claims: authtest.Claims{"iss": resourceIssuer, "aud": resource, "sub": "usr_1", "client_id": "c1", "scope": "usr:read", "oid": "org_1"},
			status: http.StatusOK,
			want:   auth.Principal{Subject: "usr_1", ClientID: "c1", Organization: "org_1", Scopes: []string{"usr:read"}},
		},
		{
			name:   "environment issuer",
			claims: authtest.Claims{"iss": env, "aud": resource, "sub": "usr_1", "client_id": "c1"},
			status: http.StatusOK,
			want:   auth.Principal{Subject: "usr_1", ClientID: "c1"},
		},
		{
			name:   "another resource of the environment",
			claims: authtest.Claims{"iss": env + "/resources/res_999", "aud": resource},
			status: http.StatusUnauthorized,
		},
	})
	checkTokens(t, provider.Scalekit, map[string]string{
		"MCP_RESOURCE_URL": resource,
		"SK_ENV_URL":       env,
	}, []tokenCase{
		{
			name:   "resource-specific issuer not advertised",
			claims: authtest.Claims{"iss": resourceIssuer, "aud": resource},
			status: http.StatusUnauthorized,
		},
	})
}

// TestAuth0Tokens feeds tokens shaped like Auth0's access tokens through the validator.
// Fixtures follow
// https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles (the "Auth0"
// profile: typ JWT, azp, aud array with /userinfo; the "RFC 9068" profile: typ at+jwt,
// client_id) and https://auth0.com/docs/manage-users/organizations (org_id).
func TestAuth0Tokens(t *testing.T) {
	const issuer = "https://acme.us.auth0.com/"
	const resource = "https://mcp.example.com/mcp"
	checkTokens(t, provider.Auth0, map[string]string{
		"MCP_RESOURCE_URL": resource,
		"AUTH_ISSUER":      issuer,
	}, []tokenCase{
		{
			// permissions lists everything the user may do in the API whatever the
			// client asked for: a client registered through DCR that asked only for
			// openid profile must not be granted usr:read by it.
			name:   "Auth0 profile: RBAC permissions are the user's, not the client's scopes",
			header: map[string]any{"typ": "JWT"},
			claims: authtest.Claims{"iss": issuer, "sub": "auth0|64f1c2", "aud": []string{resource, issuer + "userinfo"},
				"azp": "kbyuFDidLLm280LIwVFiazOqjO3ty8KH", "client_id": authtest.Omit, "scope": "openid profile",
				"permissions": []string{"usr:read", "admin:all"}, "org_id": "org_9ybsU1dN2dKfDkBi"},
			status: http.StatusOK,
			want: auth.Principal{Subject: "auth0|64f1c2", ClientID: "kbyuFDidLLm280LIwVFiazOqjO3ty8KH",
				Organization: "org_9ybsU1dN2dKfDkBi", Scopes: []string{"openid", "profile"}},
		},
		{
			name:   "Auth0 profile with the scope consented and RBAC permissions",
			header: map[string]any{"typ": "JWT"},
			claims: authtest.Claims{"iss": issuer, "sub": "auth0|64f1c2", "aud": resource, "azp": "kbyuFDidLLm280LIwVFiazOqjO3ty8KH",
				"client_id": authtest.Omit, "scope": "openid usr:read", "permissions": []string{"usr:read", "admin:all"}},
			status: http.StatusOK,
			want: auth.Principal{Subject: "auth0|64f1c2", ClientID: "kbyuFDidLLm280LIwVFiazOqjO3ty8KH",
				Scopes: []string{"openid", "usr:read"}},
		},
		{
			name:   "machine-to-machine token (client credentials)",
			header: map[string]any{"typ": "JWT"},
			claims: authtest.Claims{"iss": issuer, "sub": "kbyuFDidLLm280LIwVFiazOqjO3ty8KH@clients", "aud": resource,
				"azp": "kbyuFDidLLm280LIwVFiazOqjO3ty8KH", "client_id": authtest.Omit, "gty": "client-credentials", "scope": "usr:read"},
			status: http.StatusOK,
			want: auth.Principal{Subject: "kbyuFDidLLm280LIwVFiazOqjO3ty8KH@clients", ClientID: "kbyuFDidLLm280LIwVFiazOqjO3ty8KH",
				Scopes: []string{"usr:read"}},
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

// TestOktaTokens feeds tokens shaped like Okta custom authorization server access
// tokens through the validator. Fixtures follow
// https://developer.okta.com/docs/reference/api/oidc/#access-token (ver, jti, iss
// https://DOMAIN/oauth2/<id>, aud, cid, uid, scp array, sub = login).
func TestOktaTokens(t *testing.T) {
	const issuer = "https://acme.okta.com/oauth2/default"
	const resource = "https://mcp.example.com/mcp"
	checkTokens(t, provider.Okta, map[string]string{
		"MCP_RESOURCE_URL": resource,
		"AUTH_ISSUER":      issuer,
	}, []tokenCase{
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

// TestKeycloakTokens feeds tokens shaped like Keycloak access tokens through the
// validator. Fixtures follow https://www.keycloak.org/docs/latest/server_admin/#_audience
// (typ JWT header; payload typ Bearer, azp, scope string, aud from an audience mapper
// plus "account"; ID and refresh tokens are signed by the same realm keys).
func TestKeycloakTokens(t *testing.T) {
	const issuer = "https://sso.example.com/realms/acme"
	const resource = "https://mcp.example.com/mcp"
	checkTokens(t, provider.Keycloak, map[string]string{
		"MCP_RESOURCE_URL": resource,
		"AUTH_ISSUER":      issuer,
	}, []tokenCase{
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

// TestEntraTokens feeds tokens shaped like Microsoft Entra ID access tokens through the
// validator. Fixtures follow
// https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference
// (v2.0: iss login.microsoftonline.com/<tid>/v2.0, aud = client ID, azp; v1.0: iss
// sts.windows.net/<tid>/, aud = Application ID URI, appid; scp, roles, tid, oid; typ JWT).
func TestEntraTokens(t *testing.T) {
	const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	const clientID = "6e74172b-be56-4843-9ff4-e66a39bb12e3"
	const resource = "https://mcp.example.com/mcp"
	v2 := "https://login.microsoftonline.com/" + tenant + "/v2.0"
	v1 := "https://sts.windows.net/" + tenant + "/"
	checkTokens(t, provider.Entra, map[string]string{
		"MCP_RESOURCE_URL": resource,
		"AUTH_ISSUER":      v2,
		"AUTH_AUDIENCE":    clientID + ",api://" + clientID,
	}, []tokenCase{
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
			// No scp, and sub = oid (the client's service principal): the application
			// permissions granted to the client are in roles, and are its scopes.
			name: "app-only token with app roles",
			claims: authtest.Claims{"iss": v2, "aud": clientID, "tid": tenant, "oid": "9c5bb0a7-service-principal", "azp": "b2c3d4e5-daemon",
				"client_id": authtest.Omit, "roles": []string{"usr:read"}, "sub": "9c5bb0a7-service-principal"},
			status: http.StatusOK,
			want:   auth.Principal{Subject: "9c5bb0a7-service-principal", ClientID: "b2c3d4e5-daemon", Organization: tenant, Scopes: []string{"usr:read"}},
		},
		{
			name: "app-only token with the idtyp claim",
			claims: authtest.Claims{"iss": v2, "aud": clientID, "tid": tenant, "oid": "9c5bb0a7-service-principal", "azp": "b2c3d4e5-daemon",
				"client_id": authtest.Omit, "idtyp": "app", "roles": []string{"usr:read"}, "sub": "other-subject"},
			status: http.StatusOK,
			want:   auth.Principal{Subject: "other-subject", ClientID: "b2c3d4e5-daemon", Organization: tenant, Scopes: []string{"usr:read"}},
		},
		{
			// In a token with a user, roles are the user's app roles: entitlements.
			name: "delegated token: the user's roles are not scopes",
			claims: authtest.Claims{"iss": v2, "aud": clientID, "tid": tenant, "oid": "00000000-0000-0000-66f3-3332eca7ea81",
				"azp": "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "client_id": authtest.Omit, "scp": "User.Read",
				"roles": []string{"usr:read", "admin"}, "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ"},
			status: http.StatusOK,
			want: auth.Principal{Subject: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", ClientID: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
				Organization: tenant, Scopes: []string{"User.Read"}},
		},
		{
			name: "user token without scp is not app-only (idtyp user)",
			claims: authtest.Claims{"iss": v2, "aud": clientID, "tid": tenant, "oid": "u-1", "azp": "04b07795", "client_id": authtest.Omit,
				"idtyp": "user", "roles": []string{"usr:read"}, "sub": "u-1"},
			status: http.StatusOK,
			want:   auth.Principal{Subject: "u-1", ClientID: "04b07795", Organization: tenant},
		},
		{
			name: "user token without scp or idtyp is not app-only (sub is not oid)",
			claims: authtest.Claims{"iss": v2, "aud": clientID, "tid": tenant, "oid": "u-1", "azp": "04b07795", "client_id": authtest.Omit,
				"roles": []string{"usr:read"}, "sub": "pairwise-subject"},
			status: http.StatusOK,
			want:   auth.Principal{Subject: "pairwise-subject", ClientID: "04b07795", Organization: tenant},
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
		{
			name:   "v1.0 token of another tenant",
			claims: authtest.Claims{"iss": "https://sts.windows.net/9188040d-6c67-4c5b-b112-36a304b66dad/", "aud": clientID, "scp": "usr:read"},
			status: http.StatusUnauthorized,
		},
	})
}

// TestCognitoTokens feeds tokens shaped like Amazon Cognito user pool tokens through the
// validator. Fixtures follow
// https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html
// (access token: no aud, client_id, token_use access, scope, username, cognito:groups;
// ID token: aud = client ID, token_use id; RS256).
func TestCognitoTokens(t *testing.T) {
	const issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123"
	const clientID = "1example23456789"
	checkTokens(t, provider.Cognito, map[string]string{
		"MCP_RESOURCE_URL": "https://mcp.example.com/mcp",
		"AUTH_ISSUER":      issuer,
		"AUTH_AUDIENCE":    clientID,
	}, []tokenCase{
		{
			name:   "access token",
			header: map[string]any{"typ": authtest.Omit},
			claims: authtest.Claims{"iss": issuer, "aud": authtest.Omit, "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
				"cognito:groups": []string{"admin"}, "token_use": "access", "scope": "https://mcp.example.com/mcp/usr:read openid",
				"auth_time": 1700000000, "client_id": clientID, "username": "ada", "origin_jti": "aaaaaaaa-1111", "jti": "bbbbbbbb-2222"},
			status: http.StatusOK,
			// The scopes of this server's resource server, by their short names; openid
			// is not one of them.
			want: auth.Principal{Subject: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", ClientID: clientID,
				Scopes: []string{"usr:read"}},
		},
		{
			// The same app client can get tokens for another API (resource server)
			// of the pool: client_id matches, only the scopes say which API.
			name: "access token for another resource server of the same app client",
			claims: authtest.Claims{"iss": issuer, "aud": authtest.Omit, "token_use": "access", "client_id": clientID,
				"scope": "https://orders.example.com/orders:read openid"},
			status: http.StatusUnauthorized,
		},
		{
			name:   "access token with OpenID scopes only",
			claims: authtest.Claims{"iss": issuer, "aud": authtest.Omit, "token_use": "access", "client_id": clientID, "scope": "openid email"},
			status: http.StatusUnauthorized,
		},
		{
			name: "a resource server whose identifier extends this one's",
			claims: authtest.Claims{"iss": issuer, "aud": authtest.Omit, "token_use": "access", "client_id": clientID,
				"scope": "https://mcp.example.com/mcp-admin/usr:read"},
			status: http.StatusUnauthorized,
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

// TestWorkOSTokens feeds tokens shaped like WorkOS AuthKit access tokens through the
// validator. Fixtures follow https://workos.com/docs/authkit/mcp and
// https://workos.com/docs/user-management/sessions (iss = the AuthKit domain, sub user_…,
// sid, org_id, role, permissions; RS256 keys at /oauth2/jwks).
func TestWorkOSTokens(t *testing.T) {
	const issuer = "https://acme-42.authkit.app"
	const resource = "https://mcp.example.com/mcp"
	checkTokens(t, provider.WorkOS, map[string]string{
		"MCP_RESOURCE_URL": resource,
		"AUTH_ISSUER":      issuer,
	}, []tokenCase{
		{
			name:   "user in an organization",
			header: map[string]any{"typ": authtest.Omit},
			claims: authtest.Claims{"iss": issuer, "aud": resource, "sub": "user_01HXYZ", "sid": "session_01HXYZ",
				"client_id": "client_01HXYZ", "org_id": "org_01HXYZ", "role": "member", "permissions": []string{"usr:read"},
				"scope": "openid"},
			status: http.StatusOK,
			// permissions and role are the user's in the organization, not what the
			// client was granted.
			want: auth.Principal{Subject: "user_01HXYZ", ClientID: "client_01HXYZ", Organization: "org_01HXYZ", Scopes: []string{"openid"}},
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

// TestGenericTokens feeds RFC 9068 JWT access tokens through the validator. Fixtures
// follow https://datatracker.ietf.org/doc/html/rfc9068#section-2 (typ at+jwt; iss, exp,
// aud, sub, client_id, iat, jti, scope).
func TestGenericTokens(t *testing.T) {
	checkRFC9068Tokens(t, provider.Generic, "https://auth.example.com", "https://mcp.example.com/mcp", "acme")
}

// TestDevTokens feeds tokens shaped like those of the `mcpgen dev` authorization server
// (devserver/token.go) through the validator. They follow RFC 9068, as the generic
// preset's do; the dev preset reads no organization its server never issues.
func TestDevTokens(t *testing.T) {
	checkRFC9068Tokens(t, provider.Dev, "http://127.0.0.1:3003", "http://localhost:3002/mcp", "")
}

// checkRFC9068Tokens checks p with RFC 9068 access tokens of issuer for resource: one
// accepted (carrying the organization org when it is not ""), a logout token and a token
// without exp of the same issuer refused.
func checkRFC9068Tokens(t *testing.T, p provider.Preset, issuer, resource, org string) {
	t.Helper()
	accepted := authtest.Claims{"iss": issuer, "aud": resource, "sub": "5ba552d67", "client_id": "s6BhdRkqt3",
		"jti": "dbe39bf3a3ba4238a513f51d6e1691c4", "scope": "usr:read openid", "org_id": authtest.Omit}
	if org != "" {
		accepted["org_id"] = org
	}
	checkTokens(t, p, map[string]string{
		"MCP_RESOURCE_URL": resource,
		"AUTH_ISSUER":      issuer,
		"AUTH_JWKS_URL":    issuer + "/jwks",
	}, []tokenCase{
		{
			name:   "RFC 9068 access token",
			header: map[string]any{"typ": "at+jwt"},
			claims: accepted,
			status: http.StatusOK,
			want:   auth.Principal{Subject: "5ba552d67", ClientID: "s6BhdRkqt3", Organization: org, Scopes: []string{"openid", "usr:read"}},
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

// TestProviderClaimsAreAccepted: the tokens authtest.ProviderClaims shapes for each
// preset, which other tests mint, are accepted with their scopes.
func TestProviderClaimsAreAccepted(t *testing.T) {
	const resource = "https://mcp.example.com/mcp"
	const issuer = "https://auth.example.com"
	for _, p := range provider.All {
		t.Run(p.Name, func(t *testing.T) {
			scopes := []string{"usr:read", "usr:write"}
			if p.ResourceScopePrefix {
				scopes = []string{resource + "/usr:read", resource + "/usr:write"}
			}
			claims := authtest.ProviderClaims(p, scopes...)
			claims["iss"] = issuer
			claims["aud"] = resource
			checkTokens(t, p, map[string]string{"MCP_RESOURCE_URL": resource, "AUTH_ISSUER": issuer}, []tokenCase{{
				name:   "provider claims",
				claims: claims,
				status: http.StatusOK,
				want:   auth.Principal{Subject: "user-123", ClientID: "client-123", Scopes: []string{"usr:read", "usr:write"}},
			}})
		})
	}
}

func TestJWKSURL(t *testing.T) {
	const entraTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	tests := []struct {
		preset provider.Preset
		issuer string
		want   string // "" means discover from the issuer's metadata
	}{
		{provider.Scalekit, "https://acme.scalekit.dev", "https://acme.scalekit.dev/keys"},
		{provider.Scalekit, "https://acme.scalekit.dev/", "https://acme.scalekit.dev/keys"},
		{provider.Auth0, "https://acme.us.auth0.com/", "https://acme.us.auth0.com/.well-known/jwks.json"},
		{provider.Okta, "https://acme.okta.com/oauth2/default", "https://acme.okta.com/oauth2/default/v1/keys"},
		{provider.Okta, "https://acme.okta.com/oauth2/aus1a2b3c4/", "https://acme.okta.com/oauth2/aus1a2b3c4/v1/keys"},
		{provider.Okta, "https://acme.okta.com", ""}, // the org authorization server
		{provider.Keycloak, "https://sso.example.com/realms/acme", "https://sso.example.com/realms/acme/protocol/openid-connect/certs"},
		{provider.Keycloak, "https://sso.example.com/auth", ""},
		{provider.Entra, "https://login.microsoftonline.com/" + entraTenant + "/v2.0", "https://login.microsoftonline.com/" + entraTenant + "/discovery/v2.0/keys"},
		{provider.Entra, "https://sts.windows.net/" + entraTenant + "/", ""},
		{provider.Cognito, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123/.well-known/jwks.json"},
		{provider.WorkOS, "https://acme-42.authkit.app", "https://acme-42.authkit.app/oauth2/jwks"},
		{provider.Generic, "https://auth.example.com", ""},
		{provider.Dev, "http://127.0.0.1:3003", "http://127.0.0.1:3003/jwks"},
	}
	for _, tt := range tests {
		if got := tt.preset.JWKSURL(tt.issuer); got != tt.want {
			t.Errorf("%s.JWKSURL(%q) = %q, want %q", tt.preset.Name, tt.issuer, got, tt.want)
		}
	}
	for _, p := range provider.All {
		if got := p.JWKSURL(""); got != "" {
			t.Errorf("%s.JWKSURL(\"\") = %q, want \"\" (no issuer, nothing to derive)", p.Name, got)
		}
	}
}

func TestIssuers(t *testing.T) {
	const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	entraV2 := "https://login.microsoftonline.com/" + tenant + "/v2.0"
	tests := []struct {
		name    string
		preset  provider.Preset
		issuer  string
		servers []string
		want    []string
	}{
		{"scalekit alone", provider.Scalekit, "https://acme.scalekit.dev", []string{"https://acme.scalekit.dev"},
			[]string{"https://acme.scalekit.dev"}},
		{"scalekit resource issuer advertised", provider.Scalekit, "https://acme.scalekit.dev",
			[]string{"https://acme.scalekit.dev/resources/res_1", "https://acme.scalekit.dev/resources/res_2"},
			[]string{"https://acme.scalekit.dev", "https://acme.scalekit.dev/resources/res_1", "https://acme.scalekit.dev/resources/res_2"}},
		{"scalekit issuer with trailing slash", provider.Scalekit, "https://acme.scalekit.dev/",
			[]string{"https://acme.scalekit.dev/resources/res_1"},
			[]string{"https://acme.scalekit.dev/", "https://acme.scalekit.dev/resources/res_1"}},
		{"scalekit other environment's resource", provider.Scalekit, "https://acme.scalekit.dev",
			[]string{"https://other.scalekit.dev/resources/res_1", "https://acme.scalekit.dev.evil.com/resources/res_1", "https://acme.scalekit.dev/other/res_1"},
			[]string{"https://acme.scalekit.dev"}},
		{"entra v2 adds v1", provider.Entra, entraV2, nil,
			[]string{entraV2, "https://sts.windows.net/" + tenant + "/"}},
		{"entra v1 alone", provider.Entra, "https://sts.windows.net/" + tenant + "/", nil,
			[]string{"https://sts.windows.net/" + tenant + "/"}},
		{"entra not a tenant id", provider.Entra, "https://login.microsoftonline.com/common/v2.0", nil,
			[]string{"https://login.microsoftonline.com/common/v2.0"}},
		{"entra another host", provider.Entra, "https://login.example.com/" + tenant + "/v2.0", nil,
			[]string{"https://login.example.com/" + tenant + "/v2.0"}},
		{"auth0 ignores resource issuers", provider.Auth0, "https://acme.us.auth0.com/", []string{"https://acme.us.auth0.com/resources/r"},
			[]string{"https://acme.us.auth0.com/"}},
		{"okta", provider.Okta, "https://acme.okta.com/oauth2/default", nil, []string{"https://acme.okta.com/oauth2/default"}},
		{"keycloak", provider.Keycloak, "https://sso.example.com/realms/acme", nil, []string{"https://sso.example.com/realms/acme"}},
		{"cognito", provider.Cognito, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_A", nil, []string{"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_A"}},
		{"workos", provider.WorkOS, "https://acme-42.authkit.app", []string{"https://api.workos.com"}, []string{"https://acme-42.authkit.app"}},
		{"generic", provider.Generic, "https://auth.example.com", []string{"https://auth.example.com/resources/r"}, []string{"https://auth.example.com"}},
		{"dev", provider.Dev, "http://127.0.0.1:3003", nil, []string{"http://127.0.0.1:3003"}},
	}
	for _, tt := range tests {
		if got := tt.preset.Issuers(tt.issuer, tt.servers); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Issuers(%q, %q) = %q, want %q", tt.name, tt.issuer, tt.servers, got, tt.want)
		}
	}
}

func TestLookup(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range provider.All {
		if seen[p.Name] {
			t.Errorf("two presets are called %q", p.Name)
		}
		seen[p.Name] = true
		got, ok := provider.Lookup(p.Name)
		if !ok || got.Name != p.Name || got.Title != p.Title || got.Docs != p.Docs {
			t.Errorf("Lookup(%q) = %q %q, %v; want the %s preset", p.Name, got.Name, got.Title, ok, p.Title)
		}
		if p.Title == "" || p.Docs == "" {
			t.Errorf("preset %q lacks a title or documentation link", p.Name)
		}
	}
	if len(provider.All) != 9 {
		t.Errorf("All has %d presets, want 9", len(provider.All))
	}
	for _, name := range []string{"", "Scalekit", "azure", "nope"} {
		if _, ok := provider.Lookup(name); ok {
			t.Errorf("Lookup(%q) found a preset", name)
		}
	}
}

func TestSetting(t *testing.T) {
	if got := provider.Scalekit.Setting("AUTH_ISSUER"); got != "SK_ENV_URL" {
		t.Errorf("Scalekit AUTH_ISSUER alias = %q, want SK_ENV_URL", got)
	}
	if got := provider.Scalekit.Setting("AUTH_AUDIENCE"); got != "EXPECTED_AUDIENCE" {
		t.Errorf("Scalekit AUTH_AUDIENCE alias = %q, want EXPECTED_AUDIENCE", got)
	}
	if got := provider.Scalekit.Setting("AUTH_JWKS_URL"); got != "" {
		t.Errorf("Scalekit AUTH_JWKS_URL alias = %q, want none", got)
	}
	for _, p := range provider.All {
		if p.Name == provider.Scalekit.Name {
			continue
		}
		if got := p.Setting("AUTH_ISSUER"); got != "" {
			t.Errorf("%s AUTH_ISSUER alias = %q, want none", p.Name, got)
		}
		if p.MetadataSetting != "" {
			t.Errorf("%s MetadataSetting = %q, want none", p.Name, p.MetadataSetting)
		}
	}
}

// TestEntitlementsNeverScopes: no preset reads a claim it names as an entitlement (what
// the user may do, whatever the client asked for) as a scope, except the app-only scope
// claims of tokens without a user, where the claim holds what the client was granted.
func TestEntitlementsNeverScopes(t *testing.T) {
	for _, p := range provider.All {
		scopeClaims := p.ScopeClaims
		if scopeClaims == nil {
			scopeClaims = auth.DefaultScopeClaims
		}
		for _, c := range append(slices.Clone(p.EntitlementClaims), "permissions", "roles", "groups") {
			if slices.Contains(scopeClaims, c) {
				t.Errorf("%s reads the entitlement claim %s as scopes", p.Name, c)
			}
		}
		if (p.AppOnly == nil) != (len(p.AppScopeClaims) == 0) {
			t.Errorf("%s: AppScopeClaims %q without a test for app-only tokens, or the reverse", p.Name, p.AppScopeClaims)
		}
	}
}

// TestCognitoScopePrefixSetting: AUTH_SCOPE_PREFIX names another resource server
// identifier; only its scopes count.
func TestCognitoScopePrefixSetting(t *testing.T) {
	const issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123"
	checkTokens(t, provider.Cognito, map[string]string{
		"MCP_RESOURCE_URL":  "https://mcp.example.com/mcp",
		"AUTH_ISSUER":       issuer,
		"AUTH_AUDIENCE":     "1example23456789",
		"AUTH_SCOPE_PREFIX": "mcp-api/",
	}, []tokenCase{
		{
			name: "scopes of the configured resource server",
			claims: authtest.Claims{"iss": issuer, "aud": authtest.Omit, "token_use": "access", "client_id": "1example23456789",
				"sub": "u", "scope": "mcp-api/usr:read https://mcp.example.com/mcp/usr:write"},
			status: http.StatusOK,
			want:   auth.Principal{Subject: "u", ClientID: "1example23456789", Scopes: []string{"usr:read"}},
		},
		{
			name: "scopes of the default identifier only",
			claims: authtest.Claims{"iss": issuer, "aud": authtest.Omit, "token_use": "access", "client_id": "1example23456789",
				"scope": "https://mcp.example.com/mcp/usr:read"},
			status: http.StatusUnauthorized,
		},
	})
}
