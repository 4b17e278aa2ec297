package auth_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

func toolNames(t *testing.T, c interface {
	ListTools(context.Context, mcp.ListToolsRequest) (*mcp.ListToolsResult, error)
}) []string {
	t.Helper()
	res, err := c.ListTools(t.Context(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	return names
}

// TestLazyAuthentication drives a real mcp-go server with a public tool through the
// middleware, in both protocol eras: a client without a token connects, lists only
// the public tool (FilterLists) and calls it; a protected tool gets a 401 naming its
// scopes, never a 200 with a tool error; a public tool asking for more
// (RequireScopes) gets a 401 naming that; a token lists what it may call; an invalid
// token is refused, never taken as no token; tools/list answers are private.
func TestLazyAuthentication(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	var runs atomic.Int64
	logs := &logBuffer{}
	var anonymous atomic.Int64
	url := bankServer(t, iss, bankPolicy, logs, &runs, func(c *auth.MiddlewareConfig) {
		c.OnAnonymous = func(http.ResponseWriter, *http.Request) bool { anonymous.Add(1); return true }
	})
	for _, version := range eras {
		t.Run(version, func(t *testing.T) {
			rc := &recorder{}
			c, err := dial(t, url, "", version, rc)
			if err != nil {
				t.Fatalf("connect without a token: %v", err)
			}
			if version == mcp.LATEST_PROTOCOL_VERSION {
				if ex := rc.last(t, "server/discover"); ex.status != http.StatusOK {
					t.Errorf("server/discover without a token: status %d, want 200", ex.status)
				}
			}
			if c.GetServerCapabilities().Tools == nil {
				t.Error("discovery without a token lost the tools capability")
			}
			if got := toolNames(t, c); !slices.Equal(got, []string{"weather"}) {
				t.Errorf("tools/list without a token = %q, want only the public weather", got)
			}
			if cc := rc.last(t, "tools/list").header.Get("Cache-Control"); cc != "private" {
				t.Errorf("tools/list Cache-Control = %q, want private: the list depends on the caller", cc)
			}
			res, err := callWith(c, "weather", nil)
			if err != nil || res.IsError || res.Content[0].(mcp.TextContent).Text != "sunny" {
				t.Fatalf("public tool without a token: %v %+v", err, res)
			}
			for tool, scope := range map[string]string{"greet_user": "usr:read", "admin_tool": "admin"} {
				before := runs.Load()
				if _, err := callWith(c, tool, nil); err == nil {
					t.Errorf("%s without a token succeeded", tool)
				}
				ex := rc.last(t, "tools/call")
				p := parseChallenge(t, ex.challenge)
				if ex.status != http.StatusUnauthorized || p["scope"] != scope || p["resource_metadata"] != testMetadataURL || p["error"] != "" {
					t.Errorf("%s without a token: status %d, challenge %q; want 401 naming %s, without error=", tool, ex.status, ex.challenge, scope)
				}
				if runs.Load() != before {
					t.Errorf("%s ran without a token", tool)
				}
			}
			if _, err := callWith(c, "weather", map[string]any{"detail": true}); err == nil {
				t.Error("weather detail without a token succeeded")
			}
			if ex := rc.last(t, "tools/call"); ex.status != http.StatusUnauthorized || parseChallenge(t, ex.challenge)["scope"] != "weather:detail" {
				t.Errorf("public tool stepping up without a token: status %d, challenge %q; want 401 naming weather:detail", ex.status, ex.challenge)
			}

			rc = &recorder{}
			c, err = dial(t, url, iss.Mint(authtest.Claims{"scope": "usr:read"}), version, rc)
			if err != nil {
				t.Fatalf("connect with a token: %v", err)
			}
			if got := toolNames(t, c); !slices.Equal(got, []string{"greet_user", "weather"}) {
				t.Errorf("tools/list with usr:read = %q, want greet_user and weather", got)
			}
			if cc := rc.last(t, "tools/list").header.Get("Cache-Control"); cc != "private" {
				t.Errorf("tools/list with a token: Cache-Control = %q, want private", cc)
			}

			rc = &recorder{}
			if _, err := dial(t, url, "not-a-token", version, rc); err == nil {
				t.Error("an invalid token connected: it must never count as no token")
			}
			for _, ex := range rc.seen {
				if ex.status != http.StatusUnauthorized || parseChallenge(t, ex.challenge)["error"] != "invalid_token" {
					t.Errorf("%s with an invalid token: status %d, challenge %q; want 401 invalid_token", ex.method, ex.status, ex.challenge)
				}
			}
		})
	}
	if anonymous.Load() == 0 {
		t.Error("OnAnonymous never ran")
	}
	if !strings.Contains(logs.String(), "anonymous=true") {
		t.Errorf("no anonymous audit line:\n%s", logs)
	}
}

// TestLazyAuthenticationMethods: without a token only discovery, notifications and
// public tools pass; everything else, a batch hiding a protected call, and methods
// other than POST, GET and DELETE get the 401 challenge; a malformed Authorization is
// still 400; OnAnonymous answering stops the request.
func TestLazyAuthenticationMethods(t *testing.T) {
	policy := auth.ScopePolicy{Required: []string{"mcp"}, Tools: map[string][]string{"greet_user": {"usr:read"}}, Public: []string{"weather"}}
	stop := false
	e := newEnv(t, nil, nil, func(c *auth.MiddlewareConfig) {
		c.Scopes = policy
		c.OnAnonymous = func(w http.ResponseWriter, _ *http.Request) bool {
			if stop {
				w.WriteHeader(http.StatusTooManyRequests)
			}
			return !stop
		}
	})
	rpc := func(method string) string { return `{"jsonrpc":"2.0","id":1,"method":"` + method + `"}` }
	for _, tt := range []struct {
		name, method, body string
		header             http.Header
		status             int
		scope              string
	}{
		{"initialize", http.MethodPost, rpc("initialize"), nil, 200, ""},
		{"ping", http.MethodPost, rpc("ping"), nil, 200, ""},
		{"discover", http.MethodPost, rpc("server/discover"), nil, 200, ""},
		{"tools/list", http.MethodPost, toolsList, nil, 200, ""},
		{"resources/list", http.MethodPost, rpc("resources/list"), nil, 200, ""},
		{"prompts/list", http.MethodPost, rpc("prompts/list"), nil, 200, ""},
		{"initialized", http.MethodPost, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, nil, 200, ""},
		{"public tool", http.MethodPost, toolCall("weather"), nil, 200, ""},
		{"other scheme is no token", http.MethodPost, toolCall("weather"), http.Header{"Authorization": {"Basic YTpi"}}, 200, ""},
		{"event stream", http.MethodGet, "", nil, 200, ""},
		{"end session", http.MethodDelete, "", nil, 200, ""},
		{"protected tool", http.MethodPost, toolCall("greet_user"), nil, 401, "mcp usr:read"},
		{"unknown tool", http.MethodPost, toolCall("nope"), nil, 401, "mcp"},
		{"batch hiding a protected call", http.MethodPost, "[" + toolsList + "," + toolCall("greet_user") + "]", nil, 401, "mcp usr:read"},
		{"resources/read", http.MethodPost, `{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"file:///a"}}`, nil, 401, "mcp"},
		{"prompts/get", http.MethodPost, `{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"p"}}`, nil, 401, "mcp"},
		{"logging/setLevel", http.MethodPost, rpc("logging/setLevel"), nil, 401, "mcp"},
		{"PUT", http.MethodPut, toolsList, nil, 401, "mcp usr:read"},
		{"malformed header", http.MethodPost, toolsList, http.Header{"Authorization": {"Bearer"}}, 400, ""},
		{"invalid token", http.MethodPost, toolCall("weather"), bearer("not-a-token"), 401, "mcp usr:read"},
	} {
		w := e.doAnonymous(t, tt.method, tt.body, tt.header)
		if w.Code != tt.status {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, w.Code, tt.status, w.Body)
			continue
		}
		if tt.status == 401 {
			if got := parseChallenge(t, w.Header().Get("WWW-Authenticate"))["scope"]; got != tt.scope {
				t.Errorf("%s: challenge scope %q, want %q", tt.name, got, tt.scope)
			}
		}
	}
	stop = true
	if w := e.doAnonymous(t, http.MethodPost, toolsList, nil); w.Code != http.StatusTooManyRequests {
		t.Errorf("OnAnonymous refusing: status %d, want its 429", w.Code)
	}
}

// TestEveryRequestNeedsATokenWithoutPublicTools: lazy authentication is off unless a
// tool is public: discovery, public-looking calls, GET and DELETE all need a token.
func TestEveryRequestNeedsATokenWithoutPublicTools(t *testing.T) {
	ran := false
	e := newEnv(t, nil, nil, func(c *auth.MiddlewareConfig) {
		c.Scopes.FilterLists = true
		c.OnAnonymous = func(http.ResponseWriter, *http.Request) bool { ran = true; return true }
	})
	for _, r := range []struct{ method, body string }{
		{http.MethodPost, `{"jsonrpc":"2.0","id":1,"method":"initialize"}`},
		{http.MethodPost, toolsList},
		{http.MethodPost, `{"jsonrpc":"2.0","id":1,"method":"server/discover"}`},
		{http.MethodPost, `{"jsonrpc":"2.0","method":"notifications/initialized"}`},
		{http.MethodPost, toolCall("weather")},
		{http.MethodGet, ""},
		{http.MethodDelete, ""},
	} {
		if w := e.do(r.method, "/mcp", r.body, nil); w.Code != http.StatusUnauthorized {
			t.Errorf("%s %.40s without a token: status %d, want 401", r.method, r.body, w.Code)
		}
	}
	if ran {
		t.Error("OnAnonymous ran without a public tool")
	}
}
