package auth

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ScopePolicy says what requests to the protected handler need: the scopes of each
// tool, which scopes imply others, and which scopes a client should ask for first.
type ScopePolicy struct {
	Required []string            // needed for every request to the protected handler
	Tools    map[string][]string // tools/call name -> scopes it needs (in addition to Required)

	// Resources maps the URI of a resource to the scopes a resources/read of it needs
	// (in addition to Required). ResourceTemplates does the same for resource
	// templates, keyed by their RFC 6570 URI template: reading any URI a template
	// matches needs its scopes. The read URI is matched exactly as mcp-go dispatches
	// it: the resource with that exact URI first, else the templates; a URI several
	// templates match needs the scopes of each, and a URI nothing matches needs every
	// resource and template scope, so an unknown URI is never a way around a scope.
	Resources         map[string][]string
	ResourceTemplates map[string][]string
	// Prompts maps a prompt's name to the scopes a prompts/get of it needs (in
	// addition to Required).
	Prompts map[string][]string

	// Implies maps a scope to the narrower scopes it grants: with
	// {"files:admin": {"files:write"}, "files:write": {"files:read"}} a token with
	// files:admin may call a tool needing files:read. Implications are transitive;
	// a cycle is refused (Check). Sufficiency is decided on the closure of the
	// token's scopes (MCP authorization 2026-07-28: servers MUST account for scope
	// hierarchies); challenges still name the narrowest scopes an operation needs.
	Implies map[string][]string
	// Baseline are the scopes a client should ask for at first connection: the
	// 401 challenge and scopes_supported name them, and a tool needing more gets a
	// 403 insufficient_scope naming what it needs, so the client steps up then
	// (least privilege). Empty: every scope of the policy is baseline.
	Baseline []string
	// Rules maps a tool to claims its caller's token must carry in addition to the
	// tool's scopes: an entitlement (Auth0 permissions, Entra roles, groups) or a
	// tenant. Checked after the scopes, before the tool runs; a request breaking one
	// gets 403 access_denied without a challenge.
	Rules map[string][]ClaimRule
	// Public tools may be called without a token. When there is one, discovery
	// (initialize, tools/list, ...) needs no token either, and a protected tool
	// called without one gets a 401 challenge naming its scopes (lazy
	// authentication); without any, every request needs a token.
	Public []string
	// FilterLists makes tools/list, prompts/list, resources/list and
	// resources/templates/list show each caller only what its token can use
	// (ToolFilter, PromptFilter, FilterResourceLists); off, every caller sees
	// everything.
	FilterLists bool
}

// ClaimRule requires a claim of the caller's token.
type ClaimRule struct {
	// Claim is the claim's name; "organization" means Principal.Organization, the
	// organization or tenant read from the provider's organization claim.
	Claim string
	// Values are the accepted values: the claim must equal one of them, or, as an
	// array, contain one.
	Values []string
}

// Callable reports whether p may call tool under the policy: a public tool always; any
// other when p (nil: no token) holds Required and the tool's scopes (with the
// hierarchy) and meets its claim rules.
func (p ScopePolicy) Callable(tool string, caller *Principal) bool {
	if slices.Contains(p.Public, tool) {
		return true
	}
	if caller == nil {
		return false
	}
	if caller.grantors == nil && len(p.Implies) > 0 {
		q := *caller
		q.grantors = p.grantors()
		caller = &q
	}
	if len(caller.MissingScopes(p.Required...)) > 0 || len(caller.MissingScopes(p.Tools[tool]...)) > 0 {
		return false
	}
	for _, r := range p.Rules[tool] {
		if !r.allows(caller) {
			return false
		}
	}
	return true
}

// allows reports whether p meets the rule.
func (c ClaimRule) allows(p *Principal) bool {
	if c.Claim == "organization" {
		return p.Organization != "" && slices.Contains(c.Values, p.Organization)
	}
	return slices.ContainsFunc(c.Values, func(v string) bool { return p.HasClaimValue(c.Claim, v) })
}

// String describes the rule for error descriptions and logs.
func (c ClaimRule) String() string {
	return c.Claim + " in [" + strings.Join(c.Values, " ") + "]"
}

// All returns every scope of the policy, sorted and unique: Required, the tools'
// scopes, the baseline and the scopes of the hierarchy.
func (p ScopePolicy) All() []string {
	all := slices.Concat(p.Required, p.Baseline)
	for _, scopes := range p.Tools {
		all = append(all, scopes...)
	}
	for _, m := range []map[string][]string{p.Resources, p.ResourceTemplates, p.Prompts} {
		for _, scopes := range m {
			all = append(all, scopes...)
		}
	}
	for broad, narrow := range p.Implies {
		all = append(append(all, broad), narrow...)
	}
	return sortedSet(all)
}

// Advertised returns the scopes a client is told to ask for before it has a token, in
// the 401 challenge and the metadata's scopes_supported: the baseline (with Required),
// or every scope when the policy has no baseline. Sorted and unique.
func (p ScopePolicy) Advertised() []string {
	if len(p.Baseline) == 0 {
		return p.All()
	}
	return sortedSet(slices.Concat(p.Required, p.Baseline))
}

// Check reports every problem with the policy at once: a scope that is not a valid
// scope (CheckScope), an empty tool or prompt name or resource URI, a resource
// template that is not an RFC 6570 URI template, and a cycle of implications, named in order
// ("a implies b implies a").
func (p ScopePolicy) Check() error {
	var problems []error
	for _, s := range p.All() {
		if err := CheckScope(s); err != nil {
			problems = append(problems, err)
		}
	}
	for name := range p.Tools {
		if name == "" {
			problems = append(problems, errors.New("a tool name must not be empty"))
		}
	}
	for uri := range p.Resources {
		if uri == "" {
			problems = append(problems, errors.New("a resource URI must not be empty"))
		}
	}
	for raw := range p.ResourceTemplates {
		if _, err := parseTemplate(raw); err != nil {
			problems = append(problems, err)
		}
	}
	for name := range p.Prompts {
		if name == "" {
			problems = append(problems, errors.New("a prompt name must not be empty"))
		}
	}
	for name, rules := range p.Rules {
		for _, r := range rules {
			if strings.TrimSpace(r.Claim) == "" || len(r.Values) == 0 || slices.Contains(r.Values, "") {
				problems = append(problems, fmt.Errorf("tool %s: a claim rule needs a claim name and at least one non-empty value (%s)", name, r))
			}
		}
	}
	if cycle := p.cycle(); cycle != nil {
		problems = append(problems, fmt.Errorf("scope %s: a scope cannot imply itself", strings.Join(cycle, " implies ")))
	}
	return errors.Join(problems...)
}

// cycle returns a cycle of implications, first scope repeated at the end, or nil.
func (p ScopePolicy) cycle() []string {
	const (
		unvisited = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(s string) []string
	visit = func(s string) []string {
		switch state[s] {
		case onPath:
			i := slices.Index(path, s)
			return append(slices.Clone(path[i:]), s)
		case done:
			return nil
		}
		state[s] = onPath
		path = append(path, s)
		for _, n := range slices.Sorted(slices.Values(p.Implies[s])) {
			if c := visit(n); c != nil {
				return c
			}
		}
		path = path[:len(path)-1]
		state[s] = done
		return nil
	}
	for _, s := range slices.Sorted(maps.Keys(p.Implies)) {
		if c := visit(s); c != nil {
			return c
		}
	}
	return nil
}

// grantors returns, for every scope some other scope implies, the scopes that grant it
// (transitively), sorted: a token holding any of them holds the scope. nil without
// implications. The policy must be free of cycles.
func (p ScopePolicy) grantors() map[string][]string {
	if len(p.Implies) == 0 {
		return nil
	}
	out := map[string][]string{}
	var walk func(broad, s string)
	walk = func(broad, s string) {
		for _, n := range p.Implies[s] {
			if n == broad || slices.Contains(out[n], broad) {
				continue
			}
			out[n] = append(out[n], broad)
			walk(broad, n)
		}
	}
	for broad := range p.Implies {
		walk(broad, broad)
	}
	for s := range out {
		slices.Sort(out[s])
	}
	return out
}

func cloneRules(rules map[string][]ClaimRule) map[string][]ClaimRule {
	if len(rules) == 0 {
		return nil
	}
	out := make(map[string][]ClaimRule, len(rules))
	for name, rs := range rules {
		c := make([]ClaimRule, len(rs))
		for i, r := range rs {
			c[i] = ClaimRule{Claim: r.Claim, Values: slices.Clone(r.Values)}
		}
		out[name] = c
	}
	return out
}
