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
