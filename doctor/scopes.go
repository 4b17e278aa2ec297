package doctor

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/mcpgen/mcpgen/runtime/auth"
)

// openID is the OpenID Connect scope that asks the authorization server for an ID token:
// the authorization server's business, never a scope of a protected resource.
const openID = "openid"

// stringList returns the strings of the JSON array doc[key] (other entries are
// ignored) and whether the member is an array at all.
func stringList(doc map[string]any, key string) ([]string, bool) {
	list, ok := doc[key].([]any)
	if !ok {
		return nil, false
	}
	var out []string
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out, true
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	return slices.Equal(sortedSet(a), sortedSet(b))
}

func sortedSet(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

func quoted(scopes []string) string { return fmt.Sprintf("%q", strings.Join(scopes, " ")) }

// checkBaselineScopes reports the scopes a client asks for at first connection: the
// 401 challenge's scope, else the metadata's scopes_supported (the MCP spec's order of
// choice). A server with a scope policy (mcpgen: auth.ScopePolicy.Baseline) names the
// same baseline in both; when they disagree, clients that read one get other tokens
// than clients that read the other.
func (r *run) checkBaselineScopes() {
	const id, title = "scopes-baseline", "baseline scopes (asked for at first connection)"
	supported, listed := stringList(r.prm, "scopes_supported")
	challenge := r.challengeScopes
	switch {
	case len(challenge) > 0:
		r.report.BaselineScopes = sortedSet(challenge)
	default:
		r.report.BaselineScopes = sortedSet(supported)
	}
	switch {
	case len(challenge) == 0 && len(supported) == 0:
		r.pass(id, title, "none: neither the 401 challenge nor scopes_supported names a scope, so clients ask for none and the authorization server decides what the token holds")
	case len(challenge) == 0:
		r.pass(id, title, fmt.Sprintf("%s, from scopes_supported (the 401 challenge names no scope)", quoted(supported)))
	case !listed:
		r.pass(id, title, fmt.Sprintf("%s, from the 401 challenge (the metadata has no scopes_supported)", quoted(challenge)))
	case sameSet(challenge, supported):
		r.pass(id, title, fmt.Sprintf("%s, in the 401 challenge and scopes_supported", quoted(r.report.BaselineScopes)))
	default:
		r.warn(id, title, fmt.Sprintf("the 401 challenge asks for %s but scopes_supported lists %s", quoted(challenge), quoted(supported)),
			"name the same baseline in both: clients ask for the challenge's scope at first connection and fall back to scopes_supported, so the two disagreeing give clients different tokens (mcpgen servers: both come from the scope policy's Baseline; check protect.Options.ScopesSupported)")
	}
}

// checkReservedScopes warns about offline_access and openid where the protected
// resource advertises scopes: the 401 challenge and scopes_supported.
func (r *run) checkReservedScopes() {
	const id, title = "scopes-reserved", "no offline_access or openid advertised by the resource"
	supported, _ := stringList(r.prm, "scopes_supported")
	var found []string
	found = append(found, reservedIn(r.challengeScopes, "the 401 challenge")...)
	found = append(found, reservedIn(supported, "scopes_supported")...)
	if len(found) == 0 {
		r.pass(id, title, "neither the 401 challenge nor scopes_supported names offline_access or openid")
		return
	}
	r.warn(id, title, strings.Join(found, "; "), reservedFix)
}

// reservedFix says why a protected resource leaves offline_access and openid out.
const reservedFix = "remove them from what the resource advertises: a protected resource should not list offline_access (MCP authorization 2026-07-28; whether a client gets a refresh token is between it and the authorization server, and clients add it themselves when the authorization server supports it), and openid asks the authorization server for an ID token, which this resource never sees"

// reservedIn names the reserved scopes among scopes, saying where they are.
func reservedIn(scopes []string, where string) []string {
	var out []string
	for _, s := range []string{auth.OfflineAccess, openID} {
		if slices.Contains(scopes, s) {
			out = append(out, fmt.Sprintf("%s names %s", where, s))
		}
	}
	return out
}

// challenges records the WWW-Authenticate challenges of the 401 and 403 answers to the
// requests made with the token, as a client meets them.
type challenges struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []seenChallenge
}

type seenChallenge struct {
	status int
	header string // "" when the answer had none
}

func (c *challenges) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err == nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
		c.mu.Lock()
		c.seen = append(c.seen, seenChallenge{resp.StatusCode, resp.Header.Get("WWW-Authenticate")})
		c.mu.Unlock()
	}
	return resp, err
}

// forbidden returns the 403 answers seen (none before any request was sent).
func (c *challenges) forbidden() []seenChallenge {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.DeleteFunc(slices.Clone(c.seen), func(s seenChallenge) bool { return s.status != http.StatusForbidden })
}

// checkStepUpScopes reports the scopes the server asked for beyond the token's in the
// 403 insufficient_scope answers met while listing tools. Nothing else publishes them:
// the server says which scopes a tool needs only in the 403 a client gets when it calls
// the tool (mcp-go's tools/list carries no per-tool scopes), and the doctor calls no
// tool, since a call could change something.
func (r *run) checkStepUpScopes(id, title string, seen []seenChallenge) {
	var named, malformed, notes []string
	for _, s := range seen {
		cs, _ := parseChallenges(s.header)
		b, ok := bearer(cs)
		if !ok || b.Params["error"] != auth.CodeInsufficientScope {
			continue // another refusal (a claim rule: access_denied) is not a step-up
		}
		scopes := strings.Fields(b.Params["scope"])
		if len(scopes) == 0 {
			malformed = append(malformed, fmt.Sprintf("403 insufficient_scope without scope (%q)", s.header))
			continue
		}
		named = append(named, scopes...)
		notes = append(notes, reservedIn(scopes, "a 403 challenge")...)
	}
	named = sortedSet(named)
	for _, s := range named {
		if !slices.Contains(r.report.BaselineScopes, s) {
			r.report.StepUpScopes = append(r.report.StepUpScopes, s)
		}
	}
	switch {
	case len(malformed) > 0:
		r.warn(id, title, strings.Join(malformed, "; ")+": clients cannot tell which scope to ask for, so they cannot step up",
			`name every scope the operation needs: WWW-Authenticate: Bearer error="insufficient_scope", scope="<scopes>", resource_metadata="…" (RFC 6750 §3.1, MCP authorization)`)
	case len(notes) > 0:
		r.warn(id, title, strings.Join(notes, "; "), reservedFix)
	case len(named) == 0:
		r.pass(id, title, "none seen: initialize and tools/list needed no scope the token lacks; the doctor calls no tool, and a tool needing scopes beyond the baseline names them only in the 403 insufficient_scope a client gets when calling it")
	case len(r.report.StepUpScopes) > 0:
		r.warn(id, title, fmt.Sprintf("403 insufficient_scope named %s to initialize or list tools; beyond the baseline: %s", quoted(named), quoted(r.report.StepUpScopes)),
			"put the scopes every request needs into the baseline (the 401 challenge's scope and scopes_supported): a client that asks for the baseline at first connection gets a token that cannot even list the tools, and steps up before doing anything (mcpgen servers: ScopePolicy.Required is always advertised)")
	default:
		r.pass(id, title, fmt.Sprintf("403 insufficient_scope named %s, all in the baseline: this token lacks baseline scopes (see token-scope)", quoted(named)))
	}
}
