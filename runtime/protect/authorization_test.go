package protect_test

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpgen/mcpgen/internal/logcapture"
	"github.com/mcpgen/mcpgen/runtime/audit"
	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
	"github.com/mcpgen/mcpgen/runtime/envconfig"
	"github.com/mcpgen/mcpgen/runtime/protect"
	"github.com/mcpgen/mcpgen/runtime/provider"
	"github.com/mcpgen/mcpgen/runtime/settings"
)

// lazyPolicy has a public tool, a step-up tool and filtered lists.
var lazyPolicy = auth.ScopePolicy{
	Tools:       map[string][]string{"transfer": {"pay:small"}},
	Implies:     map[string][]string{"pay:large": {"pay:small"}},
	Public:      []string{"weather"},
	FilterLists: true,
}

// authorizationServer is an mcp-go server with lazyPolicy behind protect.New, its
// list filtered and its calls audited, as a generated server wires it.
func authorizationServer(t *testing.T, iss *authtest.Issuer, env map[string]string, logs *logcapture.Buffer) http.Handler {
	t.Helper()
	vars := map[string]string{"MCP_RESOURCE_URL": "https://mcp.example.com/mcp", "AUTH_ISSUER": iss.URL}
	maps.Copy(vars, env)
	e := envconfig.FromMap(vars)
	s := settings.Read(e, provider.Generic, settings.Defaults{})
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	hooks := &server.Hooks{}
	ms := server.NewMCPServer("bank", "1", server.WithHooks(hooks), server.WithToolFilter(auth.ToolFilter(lazyPolicy)))
	audit.Hook(hooks, ms, logger)
	ms.AddTool(mcp.NewTool("weather"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("sunny"), nil
	})
	ms.AddTool(mcp.NewTool("transfer", mcp.WithNumber("amount")), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if req.GetFloat("amount", 0) > 100 {
			if err := auth.RequireScopes(ctx, "pay:large"); err != nil {
				return nil, err
			}
		}
		return mcp.NewToolResultText("sent"), nil
	})
	srv, err := protect.New(t.Context(), s, server.NewStreamableHTTPServer(ms, server.WithStateLess(true)), protect.Options{Logger: logger, Scopes: lazyPolicy, Keys: iss.KeySet()})
	if err != nil {
		t.Fatal(err)
	}
	return srv.Handler
}

func postFrom(h http.Handler, addr, token, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
	r.RemoteAddr = addr + ":40000"
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json, text/event-stream")
	r.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func callBody(name, args string) string {
	return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + name + `","arguments":` + args + `}}`
}

// TestLazyAuthenticationThroughProtect: anonymous callers are let in for discovery and
// public tools, limited per client address apart from callers with tokens, and marked
// anonymous on the request and audit lines; a protected tool gets the 401 challenge.
func TestLazyAuthenticationThroughProtect(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience("https://mcp.example.com/mcp"))
	var logs logcapture.Buffer
	h := authorizationServer(t, iss, map[string]string{"RATE_LIMIT_PER_MINUTE": "3"}, &logs)
	if w := postFrom(h, "192.0.2.1", "", callBody("weather", "{}")); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "sunny") {
		t.Fatalf("public tool without a token: %d %s", w.Code, w.Body)
	}
	w := postFrom(h, "192.0.2.1", "", callBody("transfer", `{"amount":1}`))
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Header().Get("WWW-Authenticate"), `scope="pay:small"`) {
		t.Errorf("protected tool without a token: %d %q, want 401 naming pay:small", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	if w := postFrom(h, "192.0.2.1", "", initialize); w.Code != http.StatusOK {
		t.Errorf("third anonymous request: status %d, want 200", w.Code)
	}
	w = postFrom(h, "192.0.2.1", "", initialize)
	if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Header().Get("RateLimit-Policy"), `"anonymous"`) {
		t.Errorf("fourth anonymous request of the minute from one address: status %d, RateLimit-Policy %q; want 429 anonymous",
			w.Code, w.Header().Get("RateLimit-Policy"))
	}
	if w := postFrom(h, "192.0.2.2", "", initialize); w.Code != http.StatusOK {
		t.Errorf("anonymous request from another address: status %d, want 200", w.Code)
	}
	token := iss.Mint(authtest.Claims{"scope": "pay:small"})
	if w := postFrom(h, "192.0.2.1", token, initialize); w.Code != http.StatusOK {
		t.Errorf("a token from the anonymous-limited address: status %d, want 200 (its own budget)", w.Code)
	}
	text := logs.String()
	if !strings.Contains(text, `msg="tool call" tool=weather outcome=ok anonymous=true`) {
		t.Errorf("no anonymous audit line:\n%s", text)
	}
	if !strings.Contains(text, "anonymous=true") || !strings.Contains(text, "status=401") {
		t.Errorf("request lines do not say anonymous:\n%s", text)
	}
}

// TestStepUpThroughProtect: a tool's RequireScopes becomes a 403 naming the call's
// needs with AUTH_SCOPE_PREFIX, and an audit line; the broader scope passes.
func TestStepUpThroughProtect(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience("https://mcp.example.com/mcp"))
	var logs logcapture.Buffer
	h := authorizationServer(t, iss, map[string]string{"AUTH_SCOPE_PREFIX": "bank/"}, &logs)
	w := postFrom(h, "192.0.2.1", iss.Mint(authtest.Claims{"scope": "bank/pay:small"}), callBody("transfer", `{"amount":500}`))
	if w.Code != http.StatusForbidden || !strings.Contains(w.Header().Get("WWW-Authenticate"), `scope="bank/pay:large bank/pay:small", error="insufficient_scope"`) {
		t.Errorf("step-up: %d %q, want 403 naming bank/pay:large bank/pay:small", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	if !strings.Contains(logs.String(), "tool=transfer outcome=step_up") || !strings.Contains(logs.String(), "scopes=pay:large") {
		t.Errorf("no step-up audit line:\n%s", logs.String())
	}
	if w := postFrom(h, "192.0.2.1", iss.Mint(authtest.Claims{"scope": "bank/pay:large"}), callBody("transfer", `{"amount":500}`)); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "sent") {
		t.Errorf("pay:large: %d %s, want the transfer sent", w.Code, w.Body)
	}
}
