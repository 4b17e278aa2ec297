package authtest_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
	"github.com/mcpgen/mcpgen/runtime/envconfig"
	"github.com/mcpgen/mcpgen/runtime/protect"
	"github.com/mcpgen/mcpgen/runtime/provider"
	"github.com/mcpgen/mcpgen/runtime/settings"
)

var tools = map[string][]string{"greet": {"usr:read"}}

// protected builds a correctly protected mcp-go server, wrapping its whole handler
// in breakage.
func protected(breakage func(http.Handler, *slog.Logger) http.Handler) authtest.Server {
	return authtest.Server{
		Tools: tools,
		New: func(t testing.TB, env map[string]string, keys auth.KeySet, logger *slog.Logger) http.Handler {
			e := envconfig.FromMap(env)
			s := settings.Read(e, provider.Generic, settings.Defaults{})
			if err := e.Err(); err != nil {
				t.Fatal(err)
			}
			mcpServer := server.NewMCPServer("broken", "1")
			mcpServer.AddTool(mcp.NewTool("greet"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				return mcp.NewToolResultText("hi"), nil
			})
			srv, err := protect.New(context.Background(), s, server.NewStreamableHTTPServer(mcpServer),
				protect.Options{Logger: logger, Scopes: auth.ScopePolicy{Tools: tools}, Keys: keys})
			if err != nil {
				t.Fatal(err)
			}
			return breakage(srv.Handler, logger)
		},
	}
}

// broken are servers with one security flaw each, and what the suite must say of it.
var broken = map[string]struct {
	server authtest.Server
	says   string
}{
	"sound": {protected(func(h http.Handler, _ *slog.Logger) http.Handler { return h }), ""},
	"logs tokens": {protected(func(h http.Handler, logger *slog.Logger) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			logger.Debug("incoming", "authorization", r.Header.Get("Authorization"))
			h.ServeHTTP(w, r)
		})
	}), "a token appears in the logs"},
	"ignores Origin": {protected(func(h http.Handler, _ *slog.Logger) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Del("Origin")
			h.ServeHTTP(w, r)
		})
	}), "POST from Origin https://evil.example: status 200, want 403"},
	"reads the query string": {protected(func(h http.Handler, _ *slog.Logger) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tok := r.URL.Query().Get("access_token"); tok != "" {
				r.Header.Set("Authorization", "Bearer "+tok)
			}
			h.ServeHTTP(w, r)
		})
	}), "only the Authorization header carries tokens"},
	"lets another caller into a session": {protected(sessionsOfAnyone), "another subject sends a request in it (POST): status 200, want 404"},

	"sound policy":                      {withPolicy(filesPolicy, filesPolicy, true), ""},
	"sound policy without public tools": {withPolicy(tokensOnly, tokensOnly, true), ""},
	"asks for every scope first": {withPolicy(tokensOnly, changed(tokensOnly, func(p *auth.ScopePolicy) { p.Baseline = nil }), true),
		"want exactly the baseline"},
	"ignores the hierarchy": {withPolicy(filesPolicy, changed(filesPolicy, func(p *auth.ScopePolicy) { p.Implies = nil }), true),
		"read_file with files:write, which implies files:read, instead of it: status 403, want 200"},
	"ignores claim rules": {withPolicy(filesPolicy, changed(filesPolicy, func(p *auth.ScopePolicy) { p.Rules = nil }), true),
		"delete_file with its scopes but without its claims: status 200, want 403 access_denied"},
	"needs a token for public tools": {withPolicy(filesPolicy, changed(filesPolicy, func(p *auth.ScopePolicy) { p.Public = nil }), true),
		"initialize without a token, with public tools: status 401, want 200"},
	"lists every tool": {withPolicy(filesPolicy, filesPolicy, false), "tools/list (baseline) lists delete_file, which it may not call"},
	"ignores resource scopes": {withPolicy(filesPolicy, changed(filesPolicy, func(p *auth.ScopePolicy) { p.ResourceTemplates = nil }), true),
		"template files://docs/{name} (files://docs/conformance): challenge"},
	"ignores prompt scopes": {withPolicy(filesPolicy, changed(filesPolicy, func(p *auth.ScopePolicy) { p.Prompts = nil }), true),
		"prompt review without its scopes: status 200, want 403"},
}

// filesPolicy is a whole policy: a hierarchy (files:admin implies files:write implies
// files:read), a baseline, a claim rule, a public tool and filtered lists.
var filesPolicy = auth.ScopePolicy{
	Tools: map[string][]string{
		"read_file":   {"files:read"},
		"write_file":  {"files:write"},
		"delete_file": {"files:admin"},
	},
	Resources:         map[string][]string{"files://index": {"files:read"}},
	ResourceTemplates: map[string][]string{"files://docs/{name}": {"files:write"}},
	Prompts:           map[string][]string{"review": {"files:admin"}},
	Implies:           map[string][]string{"files:admin": {"files:write"}, "files:write": {"files:read"}},
	Baseline:          []string{"files:read"},
	Rules:             map[string][]auth.ClaimRule{"delete_file": {{Claim: "permissions", Values: []string{"files:delete"}}}},
	Public:            []string{"weather"},
	FilterLists:       true,
}

// tokensOnly is filesPolicy without public tools: every request needs a token.
var tokensOnly = changed(filesPolicy, func(p *auth.ScopePolicy) { p.Public = nil })

// changed returns p changed by change: the policy a flawed server enforces.
func changed(p auth.ScopePolicy, change func(*auth.ScopePolicy)) auth.ScopePolicy {
	change(&p)
	return p
}

// withPolicy is a server the suite is told has the policy told, enforcing enforced,
// its tools/list filtered or not.
func withPolicy(told, enforced auth.ScopePolicy, filter bool) authtest.Server {
	return authtest.Server{
		Policy: told,
		New: func(t testing.TB, env map[string]string, keys auth.KeySet, logger *slog.Logger) http.Handler {
			e := envconfig.FromMap(env)
			s := settings.Read(e, provider.Generic, settings.Defaults{})
			if err := e.Err(); err != nil {
				t.Fatal(err)
			}
			hooks := &server.Hooks{}
			opts := []server.ServerOption{server.WithHooks(hooks)}
			if filter {
				opts = append(opts, server.WithToolFilter(auth.ToolFilter(enforced)), server.WithPromptFilter(auth.PromptFilter(enforced)))
				auth.FilterResourceLists(hooks, enforced)
			}
			mcpServer := server.NewMCPServer("files", "1", opts...)
			contents := func(_ context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
				return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, Text: "contents"}}, nil
			}
			mcpServer.AddResource(mcp.NewResource("files://index", "index"), contents)
			mcpServer.AddResourceTemplate(mcp.NewResourceTemplate("files://docs/{name}", "docs"), contents)
			mcpServer.AddPrompt(mcp.NewPrompt("review"), func(context.Context, mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
				return mcp.NewGetPromptResult("review", nil), nil
			})
			for _, name := range []string{"read_file", "write_file", "delete_file", "weather"} {
				mcpServer.AddTool(mcp.NewTool(name), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
					return mcp.NewToolResultText(name), nil
				})
			}
			srv, err := protect.New(context.Background(), s, server.NewStreamableHTTPServer(mcpServer),
				protect.Options{Logger: logger, Scopes: enforced, Keys: keys})
			if err != nil {
				t.Fatal(err)
			}
			return srv.Handler
		},
	}
}

// sessionsOfAnyone is a server whose sessions are not bound to their caller: it
// remembers who started each session and serves every later request in it as that
// caller, whoever sends it, as a server keeping its callers by session id would.
func sessionsOfAnyone(h http.Handler, _ *slog.Logger) http.Handler {
	var mu sync.Mutex
	starter := map[string]string{} // session id → Authorization of the caller that started it
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("Mcp-Session-Id")
		mu.Lock()
		authorization, known := starter[id]
		mu.Unlock()
		if id == "" || !known {
			h.ServeHTTP(w, r)
			if id := w.Header().Get("Mcp-Session-Id"); id != "" {
				mu.Lock()
				starter[id] = r.Header.Get("Authorization")
				mu.Unlock()
			}
			return
		}
		r.Header.Set("Authorization", authorization)
		h.ServeHTTP(w, r)
	})
}

// TestConformanceCatchesFlaws runs the suite, in a child process each, against a sound
// server and against servers with one flaw: the sound one passes, each flawed one
// fails with the check that names its flaw.
func TestConformanceCatchesFlaws(t *testing.T) {
	if name := os.Getenv("AUTHTEST_SERVER"); name != "" {
		authtest.Conformance(t, broken[name].server)
		return
	}
	for name, b := range broken {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestConformanceCatchesFlaws$")
			cmd.Env = append(os.Environ(), "AUTHTEST_SERVER="+name)
			out, err := cmd.CombinedOutput()
			switch {
			case b.says == "" && err != nil:
				t.Fatalf("the sound server failed the suite:\n%s", out)
			case b.says != "" && err == nil:
				t.Fatalf("the suite passed a server that %s", name)
			case !strings.Contains(string(out), b.says):
				t.Errorf("the suite's output does not say %q:\n%s", b.says, out)
			}
		})
	}
}
