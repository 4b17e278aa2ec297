// Command gosdk is an MCP server built with the official Go SDK
// (github.com/modelcontextprotocol/go-sdk), as an application already has it, protected
// by the mcpgen runtime instead of the SDK's RequireBearerToken: the same one call as for
// any http.Handler. It is its own module so the SDK does not enter mcpgen's dependencies.
//
//	MCP_RESOURCE_URL=http://localhost:8080/mcp AUTH_ISSUER=https://auth.example.com go run .
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/protect"
	"github.com/mcpgen/mcpgen/runtime/provider"
	"github.com/mcpgen/mcpgen/runtime/settings"
)

// scopes are the OAuth scopes each tool needs.
var scopes = map[string][]string{"search_docs": {"docs:read"}}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "gosdk: %v\n", err)
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

// protectedServer puts the application's MCP handler behind the runtime's protection.
// keys is nil in production; tests pass an in-process issuer's.
func protectedServer(ctx context.Context, s settings.Settings, logger *slog.Logger, keys auth.KeySet) (*protect.Server, error) {
	return protect.New(ctx, s, newMCPHandler(), protect.Options{
		Logger: logger,
		Name:   "docs",
		Scopes: auth.ScopePolicy{Tools: scopes},
		Keys:   keys,
	})
}

type searchArgs struct {
	Query string `json:"query" jsonschema:"what to search for"`
}

// newMCPHandler is the application's existing MCP server over Streamable HTTP. Stateless:
// no session to keep, so any replica serves any request.
func newMCPHandler() http.Handler {
	server := mcp.NewServer(&mcp.Implementation{Name: "docs", Version: "1.0.0"}, nil)
	mcp.AddTool(server, &mcp.Tool{Name: "search_docs", Description: "Searches the documentation."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in searchArgs) (*mcp.CallToolResult, any, error) {
			caller, _ := auth.FromContext(ctx)
			text := fmt.Sprintf("results for %q, as %s", in.Query, caller.Subject)
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}, nil, nil
		})
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{Stateless: true})
}
