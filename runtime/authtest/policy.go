package authtest

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
)

// The checks of Server.Policy beyond flat scopes, each run only when the policy
// calls for it.

// caller is the Principal a token of scopes meeting tool's claim rules stands for.
func (c *suite) caller(tool string, scopes []string) *auth.Principal {
	p := &auth.Principal{Scopes: sortedSet(scopes), Claims: map[string]any{}}
	for k, v := range c.ruleClaims(tool) {
		p.Claims[k] = v
		if s, ok := v.(string); ok && c.isOrgClaim(k) {
			p.Organization = s
		}
	}
	return p
}

func (c *suite) isOrgClaim(name string) bool {
	orgs := c.srv.Provider.OrganizationClaims
	if orgs == nil {
		return name == "org_id"
	}
	return len(orgs) > 0 && orgs[0] == name
}

// stepUp: a token holding only the baseline is refused each tool the baseline does not
// cover with 403 insufficient_scope naming exactly the tool's needs: the narrowest
// scopes, not a broad scope that would also do.
func (c *suite) stepUp(t *testing.T) {
	tg := c.start(t, nil)
	baseline := c.policy.Advertised()
	token := tg.token(baseline, nil)
	session := tg.session(token)
	checked := 0
	for _, name := range c.protectedTools() {
		if c.policy.Callable(name, c.caller(name, baseline)) || len(c.policy.Tools[name]) == 0 {
			continue
		}
		checked++
		res := tg.call(tg.callerToken(name, baseline), session, name)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s with only the baseline %q: status %d, want 403", name, baseline, res.StatusCode)
			continue
		}
		p := challenge(t, res)
		want := strings.Join(sortedSet(tg.outward(c.needs(name))), " ")
		if p["error"] != auth.CodeInsufficientScope || strings.Join(sortedSet(strings.Fields(p["scope"])), " ") != want {
			t.Errorf("%s with only the baseline: challenge %v, want insufficient_scope naming exactly %q", name, p, want)
		}
	}
	if checked == 0 {
		t.Logf("every tool is callable with the baseline: no step-up to check")
	}
}

// hierarchy: for each tool needing a scope some broader scope implies, a token holding
// the broader scope instead calls it.
func (c *suite) hierarchy(t *testing.T) {
	tg := c.start(t, nil)
	for _, name := range c.protectedTools() {
		needs := c.needs(name)
		for _, narrow := range needs {
			broad := ""
			for _, b := range slices.Sorted(maps.Keys(c.policy.Implies)) {
				if slices.Contains(c.policy.Implies[b], narrow) {
					broad = b
					break
				}
			}
			if broad == "" {
				continue
			}
			scopes := append(slices.DeleteFunc(slices.Clone(needs), func(s string) bool { return s == narrow }), broad)
			token := tg.callerToken(name, scopes)
			if res := tg.call(token, tg.session(token), name); res.StatusCode != http.StatusOK {
				t.Errorf("%s with %s, which implies %s, instead of it: status %d, want 200", name, broad, narrow, res.StatusCode)
			}
			break
		}
	}
}

// claimRules: a token with every scope a tool needs but without the claims its rules
// require is refused with 403 access_denied and no challenge: no scope would help.
func (c *suite) claimRules(t *testing.T) {
	tg := c.start(t, nil)
	for _, name := range slices.Sorted(maps.Keys(c.policy.Rules)) {
		if slices.Contains(c.policy.Public, name) {
			continue
		}
		token := tg.token(c.needs(name), nil)
		res := tg.call(token, tg.session(token), name)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s with its scopes but without its claims: status %d, want 403 access_denied", name, res.StatusCode)
			continue
		}
		var body struct{ Error string }
		_ = json.Unmarshal([]byte(readAll(res)), &body)
		if body.Error != auth.CodeAccessDenied || res.Header.Get("WWW-Authenticate") != "" {
			t.Errorf("%s without its claims: error %q, WWW-Authenticate %q; want access_denied without a challenge",
				name, body.Error, res.Header.Get("WWW-Authenticate"))
		}
	}
}

// publicTools: without a token, discovery and public tools are served; a protected tool
// gets 401 with resource_metadata and the scopes it needs, never a 200 with a tool
// error; an invalid token is refused, never taken as no token.
func (c *suite) publicTools(t *testing.T) {
	tg := c.start(t, nil)
	session := tg.session("")
	for _, name := range slices.Sorted(slices.Values(c.policy.Public)) {
		if res := tg.call("", session, name); res.StatusCode != http.StatusOK {
			t.Errorf("public tool %s without a token: status %d, want 200", name, res.StatusCode)
		}
		if res := tg.call("not-a-token", session, name); res.StatusCode != http.StatusUnauthorized || challenge(t, res)["error"] != auth.CodeInvalidToken {
			t.Errorf("public tool %s with an invalid token: status %d, want 401 invalid_token", name, res.StatusCode)
		}
	}
	for _, name := range c.protectedTools() {
		res := tg.call("", session, name)
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("protected tool %s without a token: status %d, want 401 with a challenge", name, res.StatusCode)
			continue
		}
		p := challenge(t, res)
		want := tg.outward(c.needs(name))
		if len(want) == 0 {
			want = tg.outward(c.policy.Advertised())
		}
		if p["resource_metadata"] != tg.metadataURL() || strings.Join(sortedSet(strings.Fields(p["scope"])), " ") != strings.Join(sortedSet(want), " ") {
			t.Errorf("protected tool %s without a token: challenge %v, want resource_metadata and scope %q", name, p, strings.Join(want, " "))
		}
	}
}

// filteredLists: tools/list shows a caller exactly the tools of the policy it may call
// (none it may not), marked Cache-Control: private; without a token, the public ones.
func (c *suite) filteredLists(t *testing.T) {
	tg := c.start(t, nil)
	callers := map[string][]string{"baseline": c.policy.Advertised(), "every scope": c.allScopes()}
	for _, who := range slices.Sorted(maps.Keys(callers)) {
		scopes := callers[who]
		token := tg.token(scopes, nil)
		tg.checkList(t, who, token, c.caller("", scopes))
	}
	if c.lazy() {
		tg.checkList(t, "no token", "", nil)
	}
}

func (tg *target) checkList(t *testing.T, who, token string, caller *auth.Principal) {
	t.Helper()
	c := tg.c
	session := tg.session(token)
	header := []string{"Mcp-Protocol-Version", "2025-11-25"}
	if session != "" {
		header = append(header, "Mcp-Session-Id", session)
	}
	res := tg.post(token, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`, header...)
	if res.StatusCode != http.StatusOK {
		t.Errorf("tools/list (%s): status %d, want 200", who, res.StatusCode)
		return
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "private") {
		t.Errorf("tools/list (%s): Cache-Control %q, want private: the list depends on the caller", who, cc)
	}
	var answer struct {
		Result struct{ Tools []struct{ Name string } }
	}
	if err := json.Unmarshal([]byte(readAll(res)), &answer); err != nil {
		t.Errorf("tools/list (%s): %v", who, err)
		return
	}
	var listed []string
	for _, tool := range answer.Result.Tools {
		listed = append(listed, tool.Name)
		if !c.policy.Callable(tool.Name, caller) {
			t.Errorf("tools/list (%s) lists %s, which it may not call", who, tool.Name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.policy.Tools)) {
		if c.policy.Callable(name, caller) && len(c.policy.Rules[name]) == 0 && !slices.Contains(listed, name) {
			t.Errorf("tools/list (%s) = %q, want it to list %s, which it may call", who, listed, name)
		}
	}
}
