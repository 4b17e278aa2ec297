package auth_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// TestOnRejectSeesEveryCredentialRejection holds the hook metrics and
// failed-auth limits rely on: it runs once per rejection with the stable
// reason, and never for accepted requests or body problems.
func TestOnRejectSeesEveryCredentialRejection(t *testing.T) {
	var got []string
	e := newEnv(t, nil, nil, func(c *auth.MiddlewareConfig) {
		c.OnReject = func(r *http.Request, err *auth.Error) {
			if r == nil {
				t.Error("OnReject without the request")
			}
			got = append(got, err.Reason)
		}
	})
	good := e.iss.Mint(authtest.Claims{"scope": "mcp usr:read"})
	cases := []struct {
		name   string
		header http.Header
		body   string
		want   string // "" for no call
	}{
		{"valid", bearer(good), toolCall("greet_user"), ""},
		{"no token", nil, toolsList, "no_token"},
		{"garbage", bearer("abc"), toolsList, "malformed"},
		{"expired", bearer(e.iss.Mint(authtest.Claims{"scope": "mcp", "exp": time.Now().Add(-time.Hour).Unix()})), toolsList, "expired"},
		{"scope", bearer(e.iss.Mint(authtest.Claims{"scope": "mcp"})), toolCall("greet_user"), "insufficient_scope"},
		{"bad body", bearer(good), `{`, ""},
	}
	for _, c := range cases {
		got = nil
		e.do(http.MethodPost, "/mcp", c.body, c.header)
		switch {
		case c.want == "" && len(got) != 0:
			t.Errorf("%s: OnReject called with %v, want no call", c.name, got)
		case c.want != "" && (len(got) != 1 || got[0] != c.want):
			t.Errorf("%s: OnReject reasons %v, want [%s]", c.name, got, c.want)
		}
	}
}

// TestJWKSOnRefreshReportsOutcomes checks the refresh hook sees successes
// and failures, so a JWKS outage shows in metrics before tokens fail.
func TestJWKSOnRefreshReportsOutcomes(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	var mu sync.Mutex
	var outcomes []bool
	ks := remoteJWKS(t, iss.JWKSURL, auth.JWKSOptions{OnRefresh: func(err error) {
		mu.Lock()
		outcomes = append(outcomes, err == nil)
		mu.Unlock()
	}})
	if err := ks.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	iss.SetJWKSAvailable(false)
	if err := ks.Refresh(context.Background()); err == nil {
		t.Fatal("refresh against a 503 JWKS succeeded")
	}
	mu.Lock()
	defer mu.Unlock()
	// The first fetch at start may or may not be counted before Refresh
	// joins it; the last two outcomes are ours.
	n := len(outcomes)
	if n < 2 || !outcomes[n-2] || outcomes[n-1] {
		t.Errorf("refresh outcomes %v, want ... success, failure", outcomes)
	}
}
