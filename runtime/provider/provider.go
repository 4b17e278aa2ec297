// Package provider holds what mcpgen knows about each identity provider's access
// tokens: which issuers it uses, where it publishes its keys, which claims carry
// scopes and the organization, and what a token must say to be an access token for
// this server. A generated server names its preset once (provider.Scalekit, ...) and
// package settings applies it; a fix to a convention here reaches every server built
// on it with `go get -u`, with no change to its files.
//
// The generator knows the same presets by Name, for what it asks the user; what a
// token must look like is decided only here.
package provider

import (
	"regexp"
	"strings"

	"github.com/mcpgen/mcpgen/internal/devissuer"
)

// Preset is one identity provider's conventions.
type Preset struct {
	Name  string // the preset name used by `mcpgen new --provider`
	Title string // the product name, for messages and docs
	Docs  string // the provider documentation these conventions follow

	// ScopeClaims name the claims scopes are read from (auth.ValidatorConfig.ScopeClaims):
	// only claims that carry what was granted to this client; nil means the runtime's
	// defaults (scope, scp, scopes).
	ScopeClaims []string
	// EntitlementClaims name the claims that carry what the user may do whatever the
	// client asked for (roles, permissions, groups): never read as scopes. A tool may
	// require them in addition to its scopes (auth.Principal.ClaimValues).
	EntitlementClaims []string
	// AppScopeClaims are read as scopes, instead of ScopeClaims, from a token AppOnly
	// says was issued to a client for itself (client credentials, no user).
	AppScopeClaims []string
	AppOnly        func(claims map[string]any) bool
	// ResourceScopePrefix: tokens name this server only through the prefix of its
	// scopes (Cognito: "<resource server identifier>/<scope>"), so a token must carry a
	// scope with the prefix (AUTH_SCOPE_PREFIX, default MCP_RESOURCE_URL + "/").
	ResourceScopePrefix bool
	// OrganizationClaims name the claims the organization is read from; nil means the
	// runtime's defaults, empty means none.
	OrganizationClaims []string
	// RequiredClaims must be present with these values.
	RequiredClaims map[string]string
	// AudienceFromClientID accepts a token without aud whose client_id is an accepted
	// audience: Cognito access tokens carry no aud.
	AudienceFromClientID bool
	// Introspection: the provider offers RFC 7662 introspection, so the server may be
	// told to accept opaque tokens (AUTH_TOKEN_FORMAT=opaque).
	Introspection bool

	// Aliases are the provider's own names for generic settings (AUTH_ISSUER ->
	// SK_ENV_URL), read when the generic name is unset.
	Aliases map[string]string
	// MetadataSetting names a setting that may hold the whole protected resource
	// metadata document, as the provider's dashboard shows it; "" when there is none.
	MetadataSetting string

	// keys returns where the provider publishes the signing keys of issuer, or "" when
	// issuer is not of the provider's documented form (the server then discovers them).
	keys func(issuer string) string
	// issuers returns every iss value a token for this server may carry, given the
	// configured issuer and the advertised authorization servers; nil: the issuer alone.
	issuers func(issuer string, authorizationServers []string) []string
}

// JWKSURL returns where the provider publishes the signing keys of issuer, or "" when
// that is not known from the issuer alone: the server then reads jwks_uri from the
// issuer's metadata at start.
func (p Preset) JWKSURL(issuer string) string {
	if p.keys == nil || issuer == "" {
		return ""
	}
	return p.keys(issuer)
}

// Issuers returns every iss value accepted for issuer, given the authorization servers
// the server advertises.
func (p Preset) Issuers(issuer string, authorizationServers []string) []string {
	if p.issuers == nil {
		return []string{issuer}
	}
	return p.issuers(issuer, authorizationServers)
}

// Setting returns the provider's own name for a generic setting, or "".
func (p Preset) Setting(generic string) string { return p.Aliases[generic] }

func trimSlash(issuer string) string { return strings.TrimSuffix(issuer, "/") }

// appendPath returns a keys function that appends path to the issuer.
func appendPath(path string) func(string) string {
	return func(issuer string) string { return trimSlash(issuer) + path }
}

// Scalekit is a Scalekit environment: JWKS at <environment>/keys; MCP tokens carry
// scope (a string), machine-to-machine tokens scopes (an array), both granted to the
// client; roles and permissions are the user's; the organization is oid. Some tokens carry the resource-specific issuer <environment>/resources/<id>,
// accepted when advertised as an authorization server.
var Scalekit = Preset{
	Name: "scalekit", Title: "Scalekit",
	Docs:               "https://docs.scalekit.com/authenticate/mcp/quickstart/",
	ScopeClaims:        []string{"scope", "scopes"},
	EntitlementClaims:  []string{"roles", "permissions"},
	OrganizationClaims: []string{"oid"},
	Aliases: map[string]string{
		"AUTH_ISSUER":   "SK_ENV_URL",
		"AUTH_AUDIENCE": "EXPECTED_AUDIENCE",
	},
	MetadataSetting: "PROTECTED_RESOURCE_METADATA",
	keys:            appendPath("/keys"),
	issuers: func(issuer string, servers []string) []string {
		issuers := []string{issuer}
		prefix := trimSlash(issuer) + "/resources/"
		for _, s := range servers {
			if strings.HasPrefix(s, prefix) && s != issuer {
				issuers = append(issuers, s)
			}
		}
		return issuers
	},
}

// Auth0 is an Auth0 tenant (issuer https://DOMAIN/): scope holds the scopes granted to
// the client (machine-to-machine tokens too); permissions, when the API adds them (RBAC),
// lists everything the user may do whatever the client asked for, so it is an
// entitlement, never a scope. org_id is Auth0 Organizations.
var Auth0 = Preset{
	Name: "auth0", Title: "Auth0",
	Docs:               "https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles",
	ScopeClaims:        []string{"scope"},
	EntitlementClaims:  []string{"permissions"},
	OrganizationClaims: []string{"org_id"},
	keys:               appendPath("/.well-known/jwks.json"),
}

// Okta is an Okta custom authorization server (https://DOMAIN/oauth2/ID): scopes in
// scp; opaque tokens can be introspected.
var Okta = Preset{
	Name: "okta", Title: "Okta",
	Docs:               "https://developer.okta.com/docs/guides/validate-access-tokens/go/main/",
	ScopeClaims:        []string{"scp"},
	EntitlementClaims:  []string{"groups"},
	OrganizationClaims: []string{},
	Introspection:      true,
	keys: func(issuer string) string {
		// The org authorization server (no /oauth2/ in the issuer) keeps its keys
		// elsewhere: discovered.
		if !strings.Contains(issuer, "/oauth2/") {
			return ""
		}
		return trimSlash(issuer) + "/v1/keys"
	},
}

// Keycloak is a Keycloak realm (https://HOST/realms/REALM).
var Keycloak = Preset{
	Name: "keycloak", Title: "Keycloak",
	Docs:               "https://www.keycloak.org/docs/latest/server_admin/#_oidc_token_and_saml_assertion_mappings",
	ScopeClaims:        []string{"scope"},
	EntitlementClaims:  []string{"groups", "realm_access", "resource_access"},
	OrganizationClaims: []string{},
	Introspection:      true,
	keys: func(issuer string) string {
		if !strings.Contains(issuer, "/realms/") {
			return ""
		}
		return trimSlash(issuer) + "/protocol/openid-connect/certs"
	},
}

// entraV2Issuer matches the v2.0 issuer of an Entra tenant.
var entraV2Issuer = regexp.MustCompile(`^https://login\.microsoftonline\.com/([0-9a-fA-F-]{36})/v2\.0$`)

// Entra is a Microsoft Entra ID tenant: scp holds the delegated permissions granted to
// the client; in a token with a user, roles, groups and wids are the user's
// (entitlements). An app-only token (client credentials) has no scp and carries in roles
// the application permissions granted to the client, read as its scopes. tid is the
// tenant (oid is the user). Tokens carry the v2.0
// issuer or the tenant's v1.0 one (https://sts.windows.net/<tenant>/) depending on the
// app registration's accessTokenAcceptedVersion, not on the client, and both are
// signed by the same keys, so both are accepted.
var Entra = Preset{
	Name: "entra", Title: "Microsoft Entra ID",
	Docs:               "https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference",
	ScopeClaims:        []string{"scp"},
	EntitlementClaims:  []string{"roles", "groups", "wids"},
	AppScopeClaims:     []string{"roles"},
	AppOnly:            entraAppOnly,
	OrganizationClaims: []string{"tid"},
	keys: func(issuer string) string {
		if base, ok := strings.CutSuffix(issuer, "/v2.0"); ok {
			return base + "/discovery/v2.0/keys"
		}
		return ""
	},
	issuers: func(issuer string, _ []string) []string {
		m := entraV2Issuer.FindStringSubmatch(issuer)
		if m == nil {
			return []string{issuer}
		}
		return []string{issuer, "https://sts.windows.net/" + m[1] + "/"}
	},
}

// Cognito is an Amazon Cognito user pool: access tokens carry client_id and no aud,
// and say token_use=access (ID tokens are signed by the same keys). Since client_id does
// not say which API a token is for, a token must also carry a scope of this server's
// resource server ("<identifier>/<scope>"); cognito:groups are the user's.
var Cognito = Preset{
	Name: "cognito", Title: "Amazon Cognito",
	Docs:                 "https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html",
	ScopeClaims:          []string{"scope"},
	EntitlementClaims:    []string{"cognito:groups"},
	ResourceScopePrefix:  true,
	OrganizationClaims:   []string{},
	RequiredClaims:       map[string]string{"token_use": "access"},
	AudienceFromClientID: true,
	keys:                 appendPath("/.well-known/jwks.json"),
}

// WorkOS is WorkOS AuthKit (https://DOMAIN): scope is what the client was granted;
// permissions and role are the user's in its organization (org_id).
var WorkOS = Preset{
	Name: "workos", Title: "WorkOS AuthKit",
	Docs:               "https://workos.com/docs/authkit/mcp",
	ScopeClaims:        []string{"scope"},
	EntitlementClaims:  []string{"permissions", "role"},
	OrganizationClaims: []string{"org_id"},
	keys:               appendPath("/oauth2/jwks"),
}

// Generic is any OAuth 2.1 authorization server issuing RFC 9068 JWT access tokens:
// keys from the issuer's metadata, scopes from scope, scp and scopes; the entitlement
// claims of RFC 9068 §2.2.3.1 (roles, groups, entitlements) and permissions are the
// user's.
var Generic = Preset{
	Name: "generic", Title: "your authorization server",
	Docs:              "https://datatracker.ietf.org/doc/html/rfc9068",
	EntitlementClaims: []string{"roles", "groups", "entitlements", "permissions"},
	Introspection:     true,
}

// Dev is the local authorization server of `mcpgen dev`, for development only.
var Dev = Preset{
	Name: "dev", Title: "the mcpgen dev authorization server",
	Docs: "https://datatracker.ietf.org/doc/html/rfc9068",
	keys: appendPath(devissuer.JWKSPath),
}

// entraAppOnly reports whether an Entra token was issued to a client for itself: no
// delegated permissions (scp), and idtyp "app" (the optional claim), or, without idtyp,
// the subject being the client's own object id (sub equals oid), as Microsoft documents
// for app-only tokens.
func entraAppOnly(claims map[string]any) bool {
	if _, delegated := claims["scp"]; delegated {
		return false
	}
	if idtyp, ok := claims["idtyp"].(string); ok {
		return idtyp == "app"
	}
	sub, _ := claims["sub"].(string)
	oid, _ := claims["oid"].(string)
	return sub != "" && sub == oid
}

// All lists every preset, in the order `mcpgen new` offers them.
var All = []Preset{Scalekit, Auth0, Okta, Keycloak, Entra, Cognito, WorkOS, Generic, Dev}

// Lookup returns the preset called name.
func Lookup(name string) (Preset, bool) {
	for _, p := range All {
		if p.Name == name {
			return p, true
		}
	}
	return Preset{}, false
}
