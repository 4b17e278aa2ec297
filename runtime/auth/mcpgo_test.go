package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// newMCPServer serves a real mcp-go Streamable HTTP server behind the
// middleware, with a greet_user tool that reads the principal.
func newMCPServer(t *testing.T, iss *authtest.Issuer, runs *atomic.Int64) *httptest.Server {
	t.Helper()
	s := server.NewMCPServer("authtest", "1.0.0", server.WithToolCapabilities(false))
	handler := func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		runs.Add(1)
		p, ok := auth.FromContext(ctx)
		if !ok {
			return nil, errors.New("no principal in the tool handler's context")
		}
		return mcp.NewToolResultText(fmt.Sprintf("Hi %s, scopes %s", p.Subject, strings.Join(p.Scopes, ","))), nil
	}
	s.AddTool(mcp.NewTool("greet_user", mcp.WithString("name")), handler)
	s.AddTool(mcp.NewTool("admin_tool"), handler)
	v, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{iss.URL}, Audiences: []string{testResource}}, iss.KeySet())
	if err != nil {
		t.Fatal(err)
	}
	mw, err := auth.Middleware(auth.MiddlewareConfig{Validator: v, ResourceMetadataURL: testMetadataURL, Scopes: testPolicy, Logger: (&logBuffer{}).logger()})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", mw(server.NewStreamableHTTPServer(s)))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

func connect(t *testing.T, url, token, version string) (*client.Client, error) {
	t.Helper()
	var opts []transport.StreamableHTTPCOption
	if token != "" {
		opts = append(opts, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	}
	c, err := client.NewStreamableHttpClient(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		return nil, err
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = version
	req.Params.ClientInfo = mcp.Implementation{Name: "test", Version: "1"}
	if _, err := c.Initialize(ctx, req); err != nil {
		return nil, err
	}
	return c, nil
}

func callTool(c *client.Client, name string) (*mcp.CallToolResult, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = map[string]any{"name": "Ada"}
	return c.CallTool(context.Background(), req)
}

// TestMCPGoToolHandlerSeesPrincipal drives a real mcp-go server with the
// real mcp-go client in both protocol eras: the tool handler reads the
// principal from its context, a tool needing a missing scope is refused
// before it runs, and no token gets the resource_metadata challenge.
func TestMCPGoToolHandlerSeesPrincipal(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	var runs atomic.Int64
	ts := newMCPServer(t, iss, &runs)
	for _, version := range []string{mcp.LATEST_PROTOCOL_VERSION, mcp.LATEST_LEGACY_PROTOCOL_VERSION} {
		t.Run(version, func(t *testing.T) {
			c, err := connect(t, ts.URL+"/mcp", iss.Mint(authtest.Claims{"sub": "ada", "scope": "mcp usr:read"}), version)
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			res, err := callTool(c, "greet_user")
			if err != nil {
				t.Fatalf("greet_user: %v", err)
			}
			if res.IsError || len(res.Content) != 1 {
				t.Fatalf("result = %+v", res)
			}
			if text := res.Content[0].(mcp.TextContent).Text; text != "Hi ada, scopes mcp,usr:read" {
				t.Errorf("tool said %q", text)
			}
			before := runs.Load()
			if _, err := callTool(c, "admin_tool"); err == nil || !strings.Contains(err.Error(), "insufficient_scope") {
				t.Errorf("admin_tool without the admin scope: %v, want insufficient_scope", err)
			}
			if runs.Load() != before {
				t.Error("the admin_tool handler ran without the admin scope")
			}
		})
	}
	t.Run("no token", func(t *testing.T) {
		_, err := connect(t, ts.URL+"/mcp", "", "")
		var are *client.AuthorizationRequiredError
		if !errors.As(err, &are) {
			t.Fatalf("err = %v, want AuthorizationRequiredError", err)
		}
		if are.ResourceMetadataURL != testMetadataURL {
			t.Errorf("resource metadata = %q", are.ResourceMetadataURL)
		}
	})
}
