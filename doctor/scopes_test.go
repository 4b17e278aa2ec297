package doctor

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/auth"
)

// stepUpPolicy is issue #15's example: clients ask for usr:read first and step up to
// admin:write for admin_op.
var stepUpPolicy = auth.ScopePolicy{
	Baseline: []string{"usr:read"},
	Tools:    map[string][]string{"greet_user": {"usr:read"}, "admin_op": {"admin:write"}},
}

// TestBaselineScopes: the doctor reports the scopes a client asks for first, from the
// 401 challenge and scopes_supported, warns when the two disagree, and warns about
// offline_access and openid wherever the resource advertises them.
func TestBaselineScopes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		b        breakage
		baseline string // Report.BaselineScopes, space-separated
		warnID   string // "" when every scope check passes
		detail   string // in the warning's detail
	}{
		{name: "baseline and step-up policy", b: breakage{policy: &stepUpPolicy}, baseline: "usr:read"},
		{name: "policy without baseline advertises every scope", b: breakage{policy: &auth.ScopePolicy{Tools: stepUpPolicy.Tools}}, baseline: "admin:write usr:read"},
		{name: "challenge and metadata disagree", b: breakage{policy: &stepUpPolicy, scopesSupported: []string{"usr:read", "admin:write"}},
			baseline: "usr:read", warnID: "scopes-baseline", detail: `the 401 challenge asks for "usr:read" but scopes_supported lists "usr:read admin:write"`},
		{name: "challenge without scope", b: breakage{policy: &stepUpPolicy, challengeScope: new("")}, baseline: "usr:read"},
		{name: "offline_access in scopes_supported", b: breakage{prmOverride: map[string]any{"scopes_supported": []string{"usr:read", "offline_access"}}, challengeScope: new("")},
			baseline: "offline_access usr:read", warnID: "scopes-reserved", detail: "scopes_supported names offline_access"},
		{name: "openid in the challenge", b: breakage{challengeScope: new("openid usr:read"), prmOverride: map[string]any{"scopes_supported": []string{"openid", "usr:read"}}},
			baseline: "openid usr:read", warnID: "scopes-reserved", detail: "the 401 challenge names openid; scopes_supported names openid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startFixture(t, tc.b)
			r := diagnose(t, f.MCPURL, Options{})
			if got := strings.Join(r.BaselineScopes, " "); got != tc.baseline {
				t.Errorf("baseline scopes %q, want %q", got, tc.baseline)
			}
			for _, id := range []string{"scopes-baseline", "scopes-reserved"} {
				c, ok := r.Check(id)
				want := StatusPass
				if id == tc.warnID {
					want = StatusWarn
				}
				if !ok || c.Status != want {
					t.Errorf("check %s = %+v, want %s:\n%s", id, c, want, dump(r))
				}
				if id == tc.warnID && (!strings.Contains(c.Detail, tc.detail) || c.Fix == "") {
					t.Errorf("check %s: detail %q, want %q and a fix", id, c.Detail, tc.detail)
				}
			}
			if c, _ := r.Check("scopes-step-up"); c.Status != StatusSkip || !strings.Contains(c.Detail, "--token") {
				t.Errorf("without a token, scopes-step-up = %+v", c)
			}
			if !strings.Contains(dump(r), "baseline scopes: "+tc.baseline+"\n") {
				t.Errorf("text report lacks the baseline:\n%s", dump(r))
			}
		})
	}
}

// TestStepUpScopes: with a token, the doctor reads the 403 insufficient_scope
// challenges it meets and reports the scopes they name beyond the baseline.
func TestStepUpScopes(t *testing.T) {
	t.Run("nothing beyond the token", func(t *testing.T) {
		f := startFixture(t, breakage{policy: &stepUpPolicy})
		r := diagnose(t, f.MCPURL, Options{Token: f.token(t, f.ASURL, f.MCPURL, time.Minute, "usr:read")})
		c, _ := r.Check("scopes-step-up")
		if !r.OK || c.Status != StatusPass || !strings.Contains(c.Detail, "none seen") || !strings.Contains(c.Detail, "calls no tool") || r.StepUpScopes != nil {
			t.Errorf("scopes-step-up = %+v, step-up scopes %v:\n%s", c, r.StepUpScopes, dump(r))
		}
	})
	// A server that needs more than its baseline for every request: the runtime never
	// does (Required is advertised), so a fake answers 403.
	for _, tc := range []struct {
		name   string
		forbid string
		status Status
		stepUp string // Report.StepUpScopes, space-separated
		detail string
	}{
		{"a scope beyond the baseline", `Bearer resource_metadata="x", scope="admin:write", error="insufficient_scope"`,
			StatusWarn, "admin:write", `403 insufficient_scope named "admin:write" to initialize or list tools; beyond the baseline: "admin:write"`},
		{"a baseline scope", `Bearer scope="usr:read", error="insufficient_scope"`,
			StatusPass, "", `named "usr:read", all in the baseline`},
		{"insufficient_scope without scope", `Bearer error="insufficient_scope"`,
			StatusWarn, "", "403 insufficient_scope without scope"},
		{"offline_access", `Bearer scope="usr:read offline_access", error="insufficient_scope"`,
			StatusWarn, "offline_access", "a 403 challenge names offline_access"},
		{"access_denied is not a step-up", `Bearer error="access_denied"`, StatusPass, "", "none seen"},
		{"403 without a challenge", "", StatusPass, "", "none seen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startFixture(t, breakage{policy: &stepUpPolicy, forbid: new(tc.forbid)})
			r := diagnose(t, f.MCPURL, Options{Token: f.token(t, f.ASURL, f.MCPURL, time.Minute, "usr:read")})
			c, _ := r.Check("scopes-step-up")
			if c.Status != tc.status || !strings.Contains(c.Detail, tc.detail) || (tc.status == StatusWarn && c.Fix == "") {
				t.Errorf("scopes-step-up = %+v, want %s with %q:\n%s", c, tc.status, tc.detail, dump(r))
			}
			if got := strings.Join(r.StepUpScopes, " "); got != tc.stepUp {
				t.Errorf("step-up scopes %q, want %q", got, tc.stepUp)
			}
			if tools, _ := r.Check("tools"); tools.Status != StatusFail || !strings.Contains(tools.Detail, "the server answered 403") {
				t.Errorf("tools = %+v, want the 403 named", tools)
			}
			if tc.stepUp == "" {
				return
			}
			if tools, _ := r.Check("tools"); !strings.Contains(tools.Fix, `scope="`) {
				t.Errorf("tools fix %q does not name the scope to request", tools.Fix)
			}
			if !strings.Contains(dump(r), "step-up scopes: "+tc.stepUp+"\n") {
				t.Errorf("text report lacks the step-up scopes:\n%s", dump(r))
			}
			var js bytes.Buffer
			_ = r.WriteJSON(&js)
			if !strings.Contains(js.String(), `"step_up_scopes": [`) {
				t.Errorf("JSON report lacks step_up_scopes:\n%s", js.String())
			}
		})
	}
	t.Run("token not sent", func(t *testing.T) {
		f := startFixture(t, breakage{policy: &stepUpPolicy})
		r := diagnose(t, f.MCPURL, Options{Token: f.token(t, f.ASURL, "https://other.example.com/mcp", time.Minute, "usr:read")})
		if c, _ := r.Check("scopes-step-up"); c.Status != StatusSkip || !strings.Contains(c.Detail, "not sent") {
			t.Errorf("scopes-step-up = %+v", c)
		}
	})
}
