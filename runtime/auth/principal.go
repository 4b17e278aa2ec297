package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mcpgen/mcpgen/runtime/internal/perrequest"
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
	Scopes       []string // what the client was granted, from ValidatorConfig.ScopeClaims (default scope/scp/scopes): unique, sorted
	ExpiresAt    time.Time
	IssuedAt     time.Time
	Claims       map[string]any // raw claims

	// grantors maps a scope to the broader scopes that imply it (ScopePolicy.Implies):
	// set by the middleware for the request, so HasScope honours the hierarchy.
	grantors map[string][]string
}

// HasScope reports whether the principal may do what scope allows: it was granted
// scope, or, on a request the middleware let through, a broader scope that implies it
// (ScopePolicy.Implies). A nil principal has no scopes.
func (p *Principal) HasScope(scope string) bool {
	if p == nil {
		return false
	}
	if _, found := slices.BinarySearch(p.Scopes, scope); found {
		return true
	}
	for _, broad := range p.grantors[scope] {
		if _, found := slices.BinarySearch(p.Scopes, broad); found {
			return true
		}
	}
	return false
}

// MissingScopes returns the scopes of required that the principal lacks (HasScope), in
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

// ClaimValues returns the string values of the claim name: the claim itself when it is
// a non-empty string, the non-empty strings of it when it is an array, else nil. It is
// how a handler reads an entitlement (Auth0 and WorkOS permissions, Entra roles and
// groups, Cognito cognito:groups): what the user may do, whatever the client was
// granted. An entitlement can be required in addition to a tool's scopes, never in
// place of them: Scopes alone say what this client may do for the user.
func (p *Principal) ClaimValues(name string) []string {
	if p == nil {
		return nil
	}
	switch v := p.Claims[name].(type) {
	case string:
		if v != "" {
			return []string{v}
		}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return slices.DeleteFunc(slices.Clone(v), func(s string) bool { return s == "" })
	}
	return nil
}

// HasClaimValue reports whether the claim name is value or an array holding value:
// for example p.HasClaimValue("permissions", "files:delete") on an Auth0 token.
func (p *Principal) HasClaimValue(name, value string) bool {
	return slices.Contains(p.ClaimValues(name), value)
}

type principalKey struct{}

// FromContext returns the principal the middleware stored for this request.
// Tool handlers of mcp-go receive contexts derived from the HTTP request's, so
// they can call it directly.
func FromContext(ctx context.Context) (*Principal, bool) {
	switch v := callerValue(ctx).(type) {
	case *Principal:
		return v, v != nil
	case *stepUp:
		return v.p, v.p != nil
	}
	return nil, false
}

// ContextWithPrincipal returns a context carrying p, for the middleware and
// for tests of handlers that call FromContext.
func ContextWithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// callerValue is what the middleware stored for the request ctx belongs to (a
// *Principal, or the *stepUp of a tools/call), or nil: a context value first (tests,
// ContextWithPrincipal, a second middleware in the chain), else the request's shared
// state.
func callerValue(ctx context.Context) any {
	if v := ctx.Value(principalKey{}); v != nil {
		return v
	}
	if s := perrequest.From(ctx); s != nil {
		return s.Caller
	}
	return nil
}

// withCaller returns r carrying v for FromContext: in the request's shared state when
// its slot is free (no allocation, no copy of r), else in a new context.
func withCaller(r *http.Request, v any) *http.Request {
	if s := perrequest.From(r.Context()); s != nil && s.Caller == nil {
		s.Caller = v
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), principalKey{}, v))
}

// ScopesFromClaims returns the scopes granted by the claims named in names,
// merged into one sorted set without duplicates: what the Validator puts in
// Principal.Scopes, for claims as decoded from a token's JSON.
//
// scope (RFC 8693 §4.2, RFC 9068 §2.2.3) must be a string of scopes separated
// by the space character (U+0020 only, RFC 6749 §3.3); scopes, permissions and
// roles must be arrays; any other claim (scp, which Okta sends as an array and
// Entra as a string, or a custom one) may be either. Every scope, in a string
// or an array, must be an RFC 6749 scope-token: printable ASCII without space,
// double quote or backslash.
//
// A claim or entry of another shape grants nothing: failing closed is safer
// than guessing what an unexpected shape means. The error names each one
// ignored, for tools that explain a token (mcpgen doctor); the scopes returned
// with it are those of the rest. The Validator does not refuse such a token:
// it grants the scopes returned, as if the ignored claims were absent.
func ScopesFromClaims(claims map[string]any, names []string) ([]string, error) {
	var out []string
	var problems []error
	for _, name := range names {
		v, present := claims[name]
		if !present {
			continue
		}
		stringOK := name != "scopes" && name != "permissions" && name != "roles"
		arrayOK := name != "scope"
		if arr, ok := v.([]string); ok {
			v = anySlice(arr)
		}
		switch v := v.(type) {
		case string:
			if stringOK {
				// RFC 6749 §3.3: scope-tokens separated by %x20 only. strings.Fields
				// would also split on tabs, U+00A0 or U+0085, turning one claim value
				// into scopes the authorization server never granted.
				for s := range strings.SplitSeq(v, " ") {
					switch {
					case s == "":
					case isScopeToken(s):
						out = append(out, s)
					default:
						problems = append(problems, fmt.Errorf("claim %s: %s is not a scope (RFC 6749 §3.3: printable ASCII without quotes or backslashes, separated by single spaces)", name, describeJSON(s)))
					}
				}
				continue
			}
		case []any:
			if arrayOK {
				for i, e := range v {
					s, ok := e.(string)
					if ok && isScopeToken(s) {
						out = append(out, s)
						continue
					}
					problems = append(problems, fmt.Errorf("claim %s: entry %d (%s) is not a scope: each must be a scope token (RFC 6749 §3.3), a non-empty string of printable ASCII without spaces", name, i, describeJSON(e)))
				}
				continue
			}
		}
		want := "a space-separated string or an array of strings"
		switch {
		case !stringOK:
			want = "an array of strings"
		case !arrayOK:
			want = "a space-separated string"
		}
		problems = append(problems, fmt.Errorf("claim %s is %s, not %s: it grants nothing", name, describeJSON(v), want))
	}
	slices.Sort(out)
	return slices.Compact(out), errors.Join(problems...)
}

// anySlice is a []string as JSON decoding would give it.
func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, e := range s {
		out[i] = e
	}
	return out
}

// describeJSON names the JSON type of a decoded value, with the value when it
// is short, for errors about a token's claims.
func describeJSON(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		switch {
		case v == "":
			return "an empty string"
		case len(v) > 64:
			return fmt.Sprintf("a string of %d bytes", len(v))
		}
		return fmt.Sprintf("the string %q", v)
	case bool:
		return fmt.Sprintf("the boolean %v", v)
	case float64, json.Number, int, int64:
		return fmt.Sprintf("the number %v", v)
	case []any, []string:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
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
