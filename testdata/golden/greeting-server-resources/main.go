// Command greeting-server is an MCP server. It serves its tools over Streamable HTTP at /mcp to
// clients that present an OAuth access token issued for it, and tells other clients where
// to get one (RFC 9728 protected resource metadata).
//
// Settings come from the environment and an optional .env file: see README.md. Token
// validation, scopes, the metadata, the Origin policy, limits, logs and metrics are
// the mcpgen runtime's (runtime/protect), so `go get -u` brings their fixes.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/mark3labs/mcp-go/server"
	"github.com/mcpgen/mcpgen/runtime/audit"
	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/protect"

	"example.com/greeting-server/internal/config"
	"example.com/greeting-server/internal/middleware"
	"example.com/greeting-server/internal/tools"
)

// serverVersion is reported to MCP clients in the initialize and discover results.
const serverVersion = "0.1.0"

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "greeting-server: %v\n", err)
		os.Exit(1)
	}
}

// run loads the settings, builds the server and serves until SIGINT or SIGTERM, then
// lets in-flight requests finish.
func run() error {
	cfg, err := config.Load(".env")
	if err != nil {
		return err
	}
	logger := cfg.NewLogger(os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	srv, err := newServer(ctx, cfg, logger, nil)
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}

// newServer puts the MCP server, wrapped in your own middleware, behind the runtime's
// protection, with the authorization policy of the registry (tools.Policy: the scopes
// each tool needs, baseline and step-up scopes, claim rules, public tools). keys is nil
// in production (the settings say where the keys are); tests pass an in-process
// issuer's.
func newServer(ctx context.Context, cfg config.Config, logger *slog.Logger, keys auth.KeySet) (*protect.Server, error) {
	mcp := newMCPHandler(logger)
	return protect.New(ctx, cfg.Settings, middleware.Wrap(mcp), protect.Options{
		Logger: logger,
		Name:   tools.ServerName,
		Scopes: tools.Policy,
		Keys:   keys,
		// 2025-11-25 clients may hold an event stream open per session: end them when
		// shutdown starts, or every stop would wait out SHUTDOWN_TIMEOUT.
		OnShutdown: func() { mcp.CloseSessions(context.Background()) },
	})
}

// newMCPHandler builds the MCP server with every tool, resource and prompt of the
// registry and serves it over Streamable HTTP, in both protocol eras mcp-go speaks:
// 2025-11-25 (initialize, then a session) and 2026-07-28 (stateless by design). Each
// tool call writes an audit line.
//
// Stateless sessions: 2025-11-25 clients get a random session id with no server-side
// session store; the runtime binds it to the caller it was issued to (MCP_SESSION_KEY),
// so any replica sharing that key answers the caller's requests without sticky
// sessions, and anyone else presenting the id gets 404. Ids are still issued (rather
// than server.WithStateLess, which issues none) because each GET event stream needs one
// of its own. Tools that keep per-session state would need server.WithStateful(true) and
// sticky sessions instead.
//
// The tool and prompt filters and the resource list hooks apply tools.Policy to
// tools/list, prompts/list, resources/list and resources/templates/list: with
// FilterLists set there, each caller sees only what its token can use; otherwise
// everything is listed. Registering a resource or prompt declares that capability.
func newMCPHandler(logger *slog.Logger) *server.StreamableHTTPServer {
	hooks := &server.Hooks{}
	auth.FilterResourceLists(hooks, tools.Policy)
	s := server.NewMCPServer(tools.ServerName, serverVersion,
		server.WithToolCapabilities(false),
		server.WithInputSchemaValidation(),
		server.WithRecovery(),
		server.WithHooks(hooks),
		server.WithToolFilter(auth.ToolFilter(tools.Policy)),
		server.WithPromptFilter(auth.PromptFilter(tools.Policy)),
	)
	audit.Hook(hooks, s, logger)
	tools.Register(s)
	return server.NewStreamableHTTPServer(s,
		server.WithSessionIdManager(&server.StatelessGeneratingSessionIdManager{}))
}
