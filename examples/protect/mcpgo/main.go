// Command mcpgo is an MCP server built with mark3labs/mcp-go, as an application already
// has it, protected by the mcpgen runtime: bearer tokens from the authorization server
// in AUTH_ISSUER, the scopes each tool needs, the protected resource metadata, the
// Origin policy, limits, logs and health probes. Only run and protectedServer are new;
// newMCPServer is the application's own code, unchanged.
//
//	MCP_RESOURCE_URL=http://localhost:8080/mcp AUTH_ISSUER=https://auth.example.com go run .
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/protect"
	"github.com/mcpgen/mcpgen/runtime/provider"
	"github.com/mcpgen/mcpgen/runtime/settings"
)

// scopes are the OAuth scopes each tool needs.
var scopes = map[string][]string{"search_docs": {"docs:read"}}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "mcpgo: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	s, err := settings.Load(".env", provider.Generic, settings.Defaults{Port: 8080, ResourceURL: "http://localhost:8080/mcp"})
	if err != nil {
		return err
	}
	logger := s.NewLogger(os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := protectedServer(ctx, s, logger, nil)
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}

// protectedServer puts the application's MCP server behind the runtime's protection.
// keys is nil in production (the settings say where the keys are); tests pass an
// in-process issuer's.
func protectedServer(ctx context.Context, s settings.Settings, logger *slog.Logger, keys auth.KeySet) (*protect.Server, error) {
	mcpServer := newMCPServer()
	return protect.New(ctx, s, mcpServer, protect.Options{
		Logger:     logger,
		Name:       "docs",
		Scopes:     auth.ScopePolicy{Tools: scopes},
		Keys:       keys,
		OnShutdown: func() { mcpServer.CloseSessions(context.Background()) },
	})
}

// newMCPServer is the application's existing MCP server.
func newMCPServer() *server.StreamableHTTPServer {
	s := server.NewMCPServer("docs", "1.0.0")
	s.AddTool(mcp.NewTool("search_docs",
		mcp.WithDescription("Searches the documentation."),
		mcp.WithString("query", mcp.Required()),
	), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		caller, _ := auth.FromContext(ctx)
		return mcp.NewToolResultText(fmt.Sprintf("results for %q, as %s", req.GetString("query", ""), caller.Subject)), nil
	})
	// Stateless session ids: protect binds each to its caller, so any replica sharing
	// MCP_SESSION_KEY serves that caller's requests.
	return server.NewStreamableHTTPServer(s, server.WithSessionIdManager(&server.StatelessGeneratingSessionIdManager{}))
}
