package protect_test

import (
	"context"
	"log/slog"
	"net/http"
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

// scopes are the tools of the server under test and what each needs.
var scopes = map[string][]string{
	"echo":  {"echo:read"},
	"erase": {"files:write", "files:admin"},
}

// newMCPServer is an mcp-go server as an application would have it, unprotected.
func newMCPServer() *server.StreamableHTTPServer {
	s := server.NewMCPServer("protect-test", "1.0.0")
	for name := range scopes {
		s.AddTool(mcp.NewTool(name), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(name), nil
		})
	}
	return server.NewStreamableHTTPServer(s, server.WithSessionIdManager(&server.StatelessGeneratingSessionIdManager{}))
}

func newHandler(t testing.TB, p provider.Preset, env map[string]string, keys auth.KeySet, logger *slog.Logger) http.Handler {
	t.Helper()
	e := envconfig.FromMap(env)
	s := settings.Read(e, p, settings.Defaults{Port: 3002})
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	srv, err := protect.New(context.Background(), s, newMCPServer(), protect.Options{
		Logger: logger,
		Name:   "protect-test",
		Scopes: auth.ScopePolicy{Tools: scopes},
		Keys:   keys,
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv.Handler
}

// TestConformance runs the runtime's conformance suite against an mcp-go server
// protected by protect.New, with each preset's token conventions.
func TestConformance(t *testing.T) {
	for _, p := range []provider.Preset{provider.Generic, provider.Scalekit, provider.Entra, provider.Cognito} {
		t.Run(p.Name, func(t *testing.T) {
			authtest.Conformance(t, authtest.Server{
				New: func(t testing.TB, env map[string]string, keys auth.KeySet, logger *slog.Logger) http.Handler {
					return newHandler(t, p, env, keys, logger)
				},
				Tools:    scopes,
				Provider: p,
			})
		})
	}
}
