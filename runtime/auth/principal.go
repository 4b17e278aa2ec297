package auth

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Principal is the authenticated caller of one request, derived from a
// validated access token. Tool handlers read it with FromContext.
//
// Each request gets its own Principal, but with the verified-token cache on,
// requests bearing the same token share its Audience, Scopes and Claims: read
// them, never modify them.
type Principal struct {
	Subject      string
	ClientID     string // client_id | azp | cid | appid
	Organization string // the first of ValidatorConfig.OrganizationClaims present (default org_id | tid | oid)
	Issuer       string
	Audience     []string
	Scopes       []string // from ValidatorConfig.ScopeClaims (default scope/scp/scopes/permissions): unique, sorted
	ExpiresAt    time.Time
	IssuedAt     time.Time
	Claims       map[string]any // raw claims
}

// HasScope reports whether the principal was granted scope. A nil principal
// has no scopes.
func (p *Principal) HasScope(scope string) bool {
	if p == nil {
		return false
	}
	_, found := slices.BinarySearch(p.Scopes, scope)
	return found
}

// MissingScopes returns the scopes of required that the principal lacks, in
// the order given and without duplicates; nil when nothing is missing.
func (p *Principal) MissingScopes(required ...string) []string {
	var missing []string
	for _, s := range required {
		if !p.HasScope(s) && !slices.Contains(missing, s) {
			missing = append(missing, s)
		}
	}
	return missing
}

type principalKey struct{}

// FromContext returns the principal the middleware stored for this request.
// Tool handlers of mcp-go receive contexts derived from the HTTP request's, so
// they can call it directly.
func FromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}

// ContextWithPrincipal returns a context carrying p, for the middleware and
// for tests of handlers that call FromContext.
func ContextWithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// normalizeScopes merges the scope claims named in names into one sorted
// set. scope (RFC 8693/9068) must be a space-separated string; scopes,
// permissions and roles must be arrays; any other claim (scp, which Okta
// sends as an array and Entra as a string, or a custom one) may be either. A
// claim of the wrong shape grants nothing: failing closed is safer than
// guessing what an unexpected shape means.
func normalizeScopes(claims map[string]any, names []string) []string {
	var out []string
	for _, name := range names {
		v := claims[name]
		if s, ok := v.(string); ok && name != "scopes" && name != "permissions" && name != "roles" {
			out = append(out, strings.Fields(s)...)
		}
		if arr, ok := v.([]any); ok && name != "scope" {
			for _, e := range arr {
				if s, ok := e.(string); ok && s != "" && !strings.ContainsAny(s, " \t\r\n") {
					out = append(out, s)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// firstString returns the first of the named claims that is a non-empty
// string; claims of other types are ignored rather than coerced.
func firstString(claims map[string]any, names ...string) string {
	for _, n := range names {
		if s, ok := claims[n].(string); ok && s != "" {
			return s
		}
	}
	return ""
}
