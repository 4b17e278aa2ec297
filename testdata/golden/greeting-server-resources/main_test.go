package main

// These tests run the whole server in-process, over real HTTP, against an in-process
// authorization server (runtime/authtest) that mints signed tokens.

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
	"github.com/mcpgen/mcpgen/runtime/envconfig"

	"example.com/greeting-server/internal/config"
	"example.com/greeting-server/internal/tools"
)

// testServer builds the server's handler from env, as the server reads its environment,
// with keys for its tokens.
func testServer(t testing.TB, env map[string]string, keys auth.KeySet, logger *slog.Logger) http.Handler {
	t.Helper()
	cfg, err := config.FromEnv(envconfig.FromMap(env))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	srv, err := newServer(context.Background(), cfg, logger, keys)
	if err != nil {
		t.Fatalf("newServer: %v", err)
	}
	return srv.Handler
}

// TestConformance runs the mcpgen runtime's security checks against this server: the
// challenges a client gets without a token or with a wrong one, the baseline and step-up
// scopes of every tool, the scope hierarchy, claim rules, public tools and filtered
// lists as tools.Policy declares them, the metadata, the Origin policy, limits, and that
// no token is ever logged. Upgrading the runtime brings its new checks here.
func TestConformance(t *testing.T) {
	authtest.Conformance(t, authtest.Server{New: testServer, Policy: tools.Policy, Provider: config.Provider})
}

// TestMCPClient calls the tools with mcp-go's client in both protocol eras.
func TestMCPClient(t *testing.T) {
	iss := authtest.NewIssuer(t)
	hs := httptest.NewUnstartedServer(nil)
	url := "http://" + hs.Listener.Addr().String() + "/mcp"
	hs.Config.Handler = testServer(t, map[string]string{
		"MCP_RESOURCE_URL": url,
		"AUTH_ISSUER":      iss.URL,
		"AUTH_AUDIENCE":    url,
	}, iss.KeySet(), slog.New(slog.DiscardHandler))
	hs.Start()
	t.Cleanup(hs.Close)
	scopes := tools.Policy.All()
	token := iss.Mint(authtest.ResourceClaims(config.Provider, url, scopes...))
	caller := &auth.Principal{Scopes: scopes} // what the token carries, for Policy.Callable

	for _, version := range []string{"2025-11-25", mcp.LATEST_PROTOCOL_VERSION} {
		t.Run(version, func(t *testing.T) {
			trans, err := transport.NewStreamableHTTP(url, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
			if err != nil {
				t.Fatal(err)
			}
			c := client.NewClient(trans, client.WithProtocolVersion(version))
			t.Cleanup(func() { c.Close() })
			if err := c.Start(t.Context()); err != nil {
				t.Fatalf("start client: %v", err)
			}
			if _, err := c.Initialize(t.Context(), mcp.InitializeRequest{}); err != nil {
				t.Fatalf("initialize: %v", err)
			}
			list, err := c.ListTools(t.Context(), mcp.ListToolsRequest{})
			if err != nil {
				t.Fatalf("tools/list: %v", err)
			}
			// Every tool the token may call is listed (with Policy.FilterLists, only those).
			for _, name := range append(slices.Sorted(maps.Keys(tools.Policy.Tools)), tools.Policy.Public...) {
				listed := slices.ContainsFunc(list.Tools, func(tool mcp.Tool) bool { return tool.Name == name })
				if callable := tools.Policy.Callable(name, caller); callable && !listed {
					t.Errorf("tools/list lacks %s", name)
				} else if !callable && listed && tools.Policy.FilterLists {
					t.Errorf("tools/list shows %s, which the token cannot call", name)
				}
			}
			res, err := c.CallTool(t.Context(), mcp.CallToolRequest{Params: mcp.CallToolParams{
				Name:      "greet_user",
				Arguments: map[string]any{"name": "Ada"},
			}})
			if err != nil {
				t.Fatalf("tools/call: %v", err)
			}
			if got, want := mcp.GetTextFromContent(res.Content[0]), "Hi Ada, welcome to greeting-server!"; got != want {
				t.Errorf("greeting = %q, want %q", got, want)
			}
		})
	}
}
