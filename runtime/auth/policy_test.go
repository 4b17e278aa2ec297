package auth_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// filesPolicy is a project with a scope hierarchy and a baseline: files:admin implies
// files:write implies files:read; clients start with files:read.
var filesPolicy = auth.ScopePolicy{
	Tools: map[string][]string{
		"read_file":   {"files:read"},
		"write_file":  {"files:write"},
		"delete_file": {"files:admin"},
		"share_file":  {"files:write", "files:share"},
	},
	Implies: map[string][]string{
		"files:admin": {"files:write", "files:share"},
		"files:write": {"files:read"},
	},
	Baseline: []string{"files:read"},
}

// TestScopeHierarchy: a broader scope satisfies every narrower one it implies,
// transitively; never the reverse; and 403 challenges name the narrowest scopes the
// tool needs, not the broad scope that would also do.
func TestScopeHierarchy(t *testing.T) {
	e := newEnv(t, nil, nil, func(c *auth.MiddlewareConfig) { c.Scopes = filesPolicy })
	for _, tt := range []struct {
		granted, tool string
		status        int
		challenge     string // scope= of the 403
	}{
		{"files:read", "read_file", 200, ""},
		{"files:write", "read_file", 200, ""},
		{"files:admin", "read_file", 200, ""}, // two steps down
		{"files:admin", "share_file", 200, ""},
		{"files:admin", "delete_file", 200, ""},
		{"files:read", "write_file", 403, "files:write"},
		{"files:write", "delete_file", 403, "files:admin"},
		{"files:write", "share_file", 403, "files:share files:write"},
		{"files:share", "read_file", 403, "files:read"}, // share implies nothing
	} {
		w := e.do(http.MethodPost, "/mcp", toolCall(tt.tool), bearer(e.iss.Mint(authtest.Claims{"scope": tt.granted})))
		if w.Code != tt.status {
			t.Errorf("%s calling %s: status %d, want %d", tt.granted, tt.tool, w.Code, tt.status)
			continue
		}
		if tt.status == http.StatusOK {
			if !e.seen.HasScope(filesPolicy.Tools[tt.tool][0]) {
				t.Errorf("%s calling %s: the handler's Principal.HasScope(%s) = false", tt.granted, tt.tool, filesPolicy.Tools[tt.tool][0])
			}
			continue
		}
		if got := parseChallenge(t, w.Header().Get("WWW-Authenticate"))["scope"]; got != tt.challenge {
			t.Errorf("%s calling %s: challenge scope %q, want %q", tt.granted, tt.tool, got, tt.challenge)
		}
	}
	// Outside a request the middleware let through, a Principal has its own scopes only.
	if (&auth.Principal{Scopes: []string{"files:admin"}}).HasScope("files:read") {
		t.Error("a Principal built by hand honours a hierarchy it was never given")
	}
}

// TestBaselineChallenge: the 401 challenge and the advertised scopes are the baseline,
// not every scope of the policy; without a baseline, every scope.
func TestBaselineChallenge(t *testing.T) {
	e := newEnv(t, nil, nil, func(c *auth.MiddlewareConfig) { c.Scopes = filesPolicy })
	w := e.do(http.MethodPost, "/mcp", toolCall("delete_file"), nil)
	if got := parseChallenge(t, w.Header().Get("WWW-Authenticate"))["scope"]; w.Code != 401 || got != "files:read" {
		t.Errorf("no token: status %d, challenge scope %q; want 401 and the baseline files:read", w.Code, got)
	}
	if got := filesPolicy.Advertised(); !slices.Equal(got, []string{"files:read"}) {
		t.Errorf("Advertised() = %q, want [files:read]", got)
	}
	flat := auth.ScopePolicy{Tools: filesPolicy.Tools}
	if got := flat.Advertised(); !slices.Equal(got, []string{"files:admin", "files:read", "files:share", "files:write"}) {
		t.Errorf("Advertised() without a baseline = %q, want every scope", got)
	}
}

// TestPolicyCheck: cycles are refused naming the cycle, and every scope is checked.
func TestPolicyCheck(t *testing.T) {
	if err := filesPolicy.Check(); err != nil {
		t.Fatalf("Check() = %v", err)
	}
	for name, tt := range map[string]struct {
		p    auth.ScopePolicy
		want string
	}{
		"self":          {auth.ScopePolicy{Implies: map[string][]string{"a": {"a"}}}, "scope a implies a"},
		"three":         {auth.ScopePolicy{Implies: map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"a"}}}, "scope a implies b implies c implies a"},
		"offline":       {auth.ScopePolicy{Baseline: []string{auth.OfflineAccess}}, "offline_access"},
		"bad scope":     {auth.ScopePolicy{Implies: map[string][]string{"a b": {"c"}}}, `"a b" is not a valid OAuth scope`},
		"empty tool":    {auth.ScopePolicy{Tools: map[string][]string{"": {"a"}}}, "tool name must not be empty"},
		"implied empty": {auth.ScopePolicy{Implies: map[string][]string{"a": {""}}}, "must not be empty"},
	} {
		err := tt.p.Check()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Check() = %v, want an error containing %q", name, err, tt.want)
		}
		if _, merr := auth.Middleware(auth.MiddlewareConfig{Validator: fakeValidator{}, ResourceMetadataURL: testMetadataURL, Scopes: tt.p}); merr == nil {
			t.Errorf("%s: Middleware accepted the policy", name)
		}
	}
}

// TestClaimRules: a tool's claim rules are checked after its scopes; a caller with the
// scopes but not the claim gets 403 access_denied without a challenge (no scope would
// help); a caller lacking the scopes gets the insufficient_scope challenge first.
func TestClaimRules(t *testing.T) {
	policy := auth.ScopePolicy{
		Tools: map[string][]string{"purge": {"files:admin"}, "report": {"files:read"}},
		Rules: map[string][]auth.ClaimRule{
			"purge":  {{Claim: "permissions", Values: []string{"files:purge"}}},
			"report": {{Claim: "organization", Values: []string{"org_acme", "org_beta"}}},
		},
	}
	e := newEnv(t, nil, nil, func(c *auth.MiddlewareConfig) { c.Scopes = policy })
	for _, tt := range []struct {
		name   string
		tool   string
		claims authtest.Claims
		status int
		code   string
	}{
		{"entitlement held", "purge", authtest.Claims{"scope": "files:admin", "permissions": []string{"files:purge"}}, 200, ""},
		{"entitlement missing", "purge", authtest.Claims{"scope": "files:admin", "permissions": []string{"files:read"}}, 403, "access_denied"},
		{"entitlement as a string", "purge", authtest.Claims{"scope": "files:admin", "permissions": "files:purge"}, 200, ""},
		{"scope missing first", "purge", authtest.Claims{"scope": "files:read", "permissions": []string{"files:purge"}}, 403, "insufficient_scope"},
		{"tenant allowed", "report", authtest.Claims{"scope": "files:read", "org_id": "org_beta"}, 200, ""},
		{"other tenant", "report", authtest.Claims{"scope": "files:read", "org_id": "org_evil"}, 403, "access_denied"},
		{"no tenant", "report", authtest.Claims{"scope": "files:read"}, 403, "access_denied"},
		{"batch hides nothing", "", authtest.Claims{"scope": "files:read files:admin", "org_id": "org_acme"}, 403, "access_denied"},
	} {
		body := toolCall(tt.tool)
		if tt.tool == "" {
			body = "[" + toolCall("report") + "," + toolCall("purge") + "]"
		}
		w := e.do(http.MethodPost, "/mcp", body, bearer(e.iss.Mint(tt.claims)))
		if w.Code != tt.status {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, w.Code, tt.status, w.Body)
			continue
		}
		if tt.status == 200 {
			continue
		}
		if got := decodeErrBody(t, w).Error; got != tt.code {
			t.Errorf("%s: error %q, want %q", tt.name, got, tt.code)
		}
		if challenge := w.Header().Get("WWW-Authenticate"); (tt.code == "insufficient_scope") != (challenge != "") {
			t.Errorf("%s: WWW-Authenticate %q; a challenge only when a scope would help", tt.name, challenge)
		}
	}
	bad := auth.ScopePolicy{Rules: map[string][]auth.ClaimRule{"t": {{Claim: "roles"}}}}
	if err := bad.Check(); err == nil {
		t.Error("a claim rule without values was accepted")
	}
}
