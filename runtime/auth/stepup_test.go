package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpgen/mcpgen/runtime/audit"
	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// bankPolicy has a scope hierarchy, a baseline, a public tool and filtered lists:
// pay:large implies pay:small; transfer needs pay:small, and more than 100 needs
// pay:large, which the handler decides (auth.RequireScopes).
var bankPolicy = auth.ScopePolicy{
	Tools: map[string][]string{
		"transfer":     {"pay:small"},
		"transfer_sse": {"pay:small"},
		"greet_user":   {"usr:read"},
		"admin_tool":   {"admin"},
	},
	Implies:     map[string][]string{"pay:large": {"pay:small"}},
	Baseline:    []string{"usr:read"},
	Public:      []string{"weather"},
	FilterLists: true,
}

// exchange is one HTTP answer the client saw, with the JSON-RPC method it asked.
type exchange struct {
	method    string
	status    int
	challenge string
	header    http.Header
}

// recorder is the client's transport: it notes every answer, so tests see the HTTP
// status and challenge behind what the mcp-go client reports.
type recorder struct {
	mu   sync.Mutex
	seen []exchange
}

func (rc *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var method string
	if req.Body != nil {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		var m struct{ Method string }
		_ = json.Unmarshal(body, &m)
		method = m.Method
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		rc.mu.Lock()
		rc.seen = append(rc.seen, exchange{method, res.StatusCode, res.Header.Get("WWW-Authenticate"), res.Header.Clone()})
		rc.mu.Unlock()
	}
	return res, err
}

// last returns the last answer to method.
func (rc *recorder) last(t *testing.T, method string) exchange {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, ex := range slices.Backward(rc.seen) {
		if ex.method == method {
			return ex
		}
	}
	t.Fatalf("no %s was sent", method)
	return exchange{}
}

// bankServer serves a real mcp-go server with the bank policy behind the middleware,
// its tool list filtered (auth.ToolFilter) and its calls audited into logs.
func bankServer(t *testing.T, iss *authtest.Issuer, policy auth.ScopePolicy, logs *logBuffer, runs *atomic.Int64, mutate func(*auth.MiddlewareConfig)) string {
	t.Helper()
	hooks := &server.Hooks{}
	s := server.NewMCPServer("bank", "1.0.0", server.WithToolCapabilities(false), server.WithHooks(hooks), server.WithToolFilter(auth.ToolFilter(policy)))
	audit.Hook(hooks, s, logs.logger())
	transfer := func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		runs.Add(1)
		if req.GetFloat("amount", 0) > 100 {
			if err := auth.RequireScopes(ctx, "pay:large"); err != nil {
				return nil, err
			}
		}
		return mcp.NewToolResultText("sent"), nil
	}
	s.AddTool(mcp.NewTool("transfer", mcp.WithNumber("amount")), transfer)
	s.AddTool(mcp.NewTool("transfer_sse", mcp.WithNumber("amount")), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		// The answer will be an event stream: mcp-go writes its header with the result.
		if cs, ok := server.ClientSessionFromContext(ctx).(server.SessionWithStreamableHTTPConfig); ok {
			cs.UpgradeToSSEWhenReceiveNotification()
		} else {
			t.Error("the session cannot upgrade to an event stream")
		}
		return transfer(ctx, req)
	})
	s.AddTool(mcp.NewTool("weather", mcp.WithBoolean("detail")), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		runs.Add(1)
		if req.GetBool("detail", false) {
			// Returned as a tool error: a step-up turns it into a challenge all the same.
			if err := auth.RequireScopes(ctx, "weather:detail"); err != nil {
				return mcp.NewToolResultError(err.Error()), nil
			}
		}
		return mcp.NewToolResultText("sunny"), nil
	})
	handler := func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		runs.Add(1)
		return mcp.NewToolResultText("ok"), nil
	}
	s.AddTool(mcp.NewTool("greet_user"), handler)
	s.AddTool(mcp.NewTool("admin_tool"), handler)
	v, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{iss.URL}, Audiences: []string{testResource}}, iss.KeySet())
	if err != nil {
		t.Fatal(err)
	}
	cfg := auth.MiddlewareConfig{Validator: v, ResourceMetadataURL: testMetadataURL, Scopes: policy, Logger: logs.logger()}
	if mutate != nil {
		mutate(&cfg)
	}
	mw, err := auth.Middleware(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(mw(server.NewStreamableHTTPServer(s)))
	t.Cleanup(ts.Close)
	return ts.URL
}

// dial connects an mcp-go client speaking version, with token ("" for none), whose
// HTTP answers rc records.
func dial(t *testing.T, url, token, version string, rc *recorder) (*client.Client, error) {
	t.Helper()
	opts := []transport.StreamableHTTPCOption{transport.WithHTTPBasicClient(&http.Client{Transport: rc})}
	if token != "" {
		opts = append(opts, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	}
	trans, err := transport.NewStreamableHTTP(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(trans, client.WithProtocolVersion(version))
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Start(t.Context()); err != nil {
		return nil, err
	}
	if _, err := c.Initialize(t.Context(), mcp.InitializeRequest{}); err != nil {
		return nil, err
	}
	return c, nil
}

func callWith(c *client.Client, name string, args map[string]any) (*mcp.CallToolResult, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	return c.CallTool(context.Background(), req)
}

var eras = []string{mcp.LATEST_PROTOCOL_VERSION, mcp.LATEST_LEGACY_PROTOCOL_VERSION}

// TestStepUpAtRequestTime: a handler that asks for a scope the caller lacks
// (auth.RequireScopes) makes the whole HTTP answer a 403 insufficient_scope naming
// what the call needs (the policy's scopes plus the new ones, with the scope prefix),
// in both protocol eras, when mcp-go answers with JSON and with an event stream; a
// broader scope that implies the new one passes; the audit records the step-up.
func TestStepUpAtRequestTime(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	var runs atomic.Int64
	logs := &logBuffer{}
	policy := bankPolicy
	policy.Public, policy.FilterLists = nil, false
	url := bankServer(t, iss, policy, logs, &runs, func(c *auth.MiddlewareConfig) { c.ScopePrefix = "api://bank/" })
	small := iss.Mint(authtest.Claims{"sub": "ada", "scope": "usr:read pay:small"})
	large := iss.Mint(authtest.Claims{"sub": "ada", "scope": "usr:read pay:large"})
	for _, version := range eras {
		for _, tool := range []string{"transfer", "transfer_sse"} {
			t.Run(version+"/"+tool, func(t *testing.T) {
				rc := &recorder{}
				c, err := dial(t, url, small, version, rc)
				if err != nil {
					t.Fatalf("connect: %v", err)
				}
				if res, err := callWith(c, tool, map[string]any{"amount": 5}); err != nil || res.IsError {
					t.Fatalf("a small transfer with pay:small: %v %+v", err, res)
				}
				before := runs.Load()
				_, err = callWith(c, tool, map[string]any{"amount": 500})
				if err == nil {
					t.Error("a large transfer with pay:small succeeded")
				}
				if runs.Load() != before+1 {
					t.Error("the handler did not run: the step-up must be its own decision")
				}
				ex := rc.last(t, "tools/call")
				if ex.status != http.StatusForbidden {
					t.Fatalf("status %d, want 403 (a tool error in a 200 never reaches the client's authorization code)", ex.status)
				}
				p := parseChallenge(t, ex.challenge)
				if p["error"] != "insufficient_scope" || p["scope"] != "api://bank/pay:large api://bank/pay:small" || p["resource_metadata"] != testMetadataURL {
					t.Errorf("challenge %q: want insufficient_scope naming api://bank/pay:large api://bank/pay:small", ex.challenge)
				}
				if ct := ex.header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q, want the JSON error body", ct)
				}

				rc = &recorder{}
				c, err = dial(t, url, large, version, rc)
				if err != nil {
					t.Fatalf("connect: %v", err)
				}
				if res, err := callWith(c, tool, map[string]any{"amount": 500}); err != nil || res.IsError {
					t.Errorf("a large transfer with pay:large (which implies pay:small): %v %+v", err, res)
				}
				wantType := "application/json"
				if tool == "transfer_sse" {
					wantType = "text/event-stream"
				}
				if ct := rc.last(t, "tools/call").header.Get("Content-Type"); ct != wantType {
					t.Errorf("the answer of %s came as %q, want %s", tool, ct, wantType)
				}
			})
		}
	}
	var stepUps int
	for line := range strings.SplitSeq(logs.String(), "\n") {
		if strings.Contains(line, `msg="tool call"`) && strings.Contains(line, "outcome=step_up") {
			stepUps++
			if !strings.Contains(line, "scopes=pay:large") || !strings.Contains(line, "subject=ada") {
				t.Errorf("audit line %q: want the scopes asked for and the caller", line)
			}
		}
	}
	if stepUps != 4 {
		t.Errorf("%d step-up audit lines, want 4:\n%s", stepUps, logs)
	}
}

// TestRequireScopes: outside the middleware the error is only returned; a scope
// that is not one is an error, never a grant; a caller holding the scopes (directly
// or through the request's hierarchy) gets nil.
func TestRequireScopes(t *testing.T) {
	ctx := auth.ContextWithPrincipal(context.Background(), &auth.Principal{Scopes: []string{"a"}})
	if err := auth.RequireScopes(ctx, "a"); err != nil {
		t.Errorf("held scope: %v", err)
	}
	err := auth.RequireScopes(ctx, "b", "a")
	e, ok := err.(*auth.Error)
	if !ok || e.Status != http.StatusForbidden || e.Code != auth.CodeInsufficientScope || strings.Join(e.Scopes, " ") != "a b" {
		t.Errorf("missing scope: %#v", err)
	}
	if e := auth.RequireScopes(context.Background(), "b"); e == nil || e.(*auth.Error).Status != http.StatusUnauthorized {
		t.Errorf("no caller: %v, want a 401 error", e)
	}
	for _, bad := range []string{"", "a b", auth.OfflineAccess} {
		if err := auth.RequireScopes(ctx, bad); err == nil {
			t.Errorf("RequireScopes(%q) = nil", bad)
		}
	}
}

// TestStepUpWriter: once the response has started the step-up can no longer replace
// it (the handler's answer goes out unchanged); a demand made without writing
// anything still gets its challenge; the writer keeps Flush and Unwrap.
func TestStepUpWriter(t *testing.T) {
	var demand, flushFirst, silent bool
	e := newEnv(t, nil, nil, nil)
	e.h = behind(t, e.iss, func(w http.ResponseWriter, r *http.Request) {
		if u, ok := w.(interface{ Unwrap() http.ResponseWriter }); !ok || u.Unwrap() == nil {
			t.Error("the step-up writer does not unwrap (http.ResponseController)")
		}
		if flushFirst {
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
		}
		if demand {
			_ = auth.RequireScopes(r.Context(), "extra")
		}
		if !silent {
			_, _ = w.Write([]byte(`{"ok":true}`))
		}
	})
	token := bearer(e.iss.Mint(authtest.Claims{"scope": "mcp usr:read"}))
	for _, tt := range []struct {
		name                      string
		demand, flushFirst, quiet bool
		status                    int
	}{
		{"no demand", false, false, false, 200},
		{"demand", true, false, false, 403},
		{"demand after the answer started", true, true, false, 200},
		{"demand, nothing written", true, false, true, 403},
	} {
		demand, flushFirst, silent = tt.demand, tt.flushFirst, tt.quiet
		w := e.do(http.MethodPost, "/mcp", toolCall("greet_user"), token)
		if w.Code != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, w.Code, tt.status)
			continue
		}
		if tt.status == 403 {
			if got := parseChallenge(t, w.Header().Get("WWW-Authenticate"))["scope"]; got != "extra mcp usr:read" {
				t.Errorf("%s: challenge scope %q, want the tool's needs plus extra", tt.name, got)
			}
			if strings.Contains(w.Body.String(), `"ok":true`) {
				t.Errorf("%s: the handler's answer leaked into the challenge: %s", tt.name, w.Body)
			}
		}
	}
}

// behind returns h behind the middleware with testPolicy and iss's keys.
func behind(t *testing.T, iss *authtest.Issuer, h http.HandlerFunc) http.Handler {
	t.Helper()
	v, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{iss.URL}, Audiences: []string{testResource}}, iss.KeySet())
	if err != nil {
		t.Fatal(err)
	}
	mw, err := auth.Middleware(auth.MiddlewareConfig{Validator: v, ResourceMetadataURL: testMetadataURL, Scopes: testPolicy, Logger: (&logBuffer{}).logger()})
	if err != nil {
		t.Fatal(err)
	}
	return mw(h)
}
