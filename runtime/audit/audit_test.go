package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpgen/mcpgen/internal/logcapture"
	"github.com/mcpgen/mcpgen/runtime/audit"
	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/requestlog"

	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update
)

// TestAuditLines calls tools through a real MCP server and client, in both
// protocol eras, and reads the log: one audit line per call with who, what
// and how it went, the tool on the request line too, and never the
// arguments or the token.
func TestAuditLines(t *testing.T) {
	var logs logcapture.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	hooks := &server.Hooks{}
	s := server.NewMCPServer("audit-test", "1", server.WithHooks(hooks), server.WithInputSchemaValidation())
	audit.Hook(hooks, s, logger)
	s.AddTool(mcp.NewTool("echo", mcp.WithString("text", mcp.Required())), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText(req.GetString("text", "")), nil
	})
	s.AddTool(mcp.NewTool("refuse"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultError("no"), nil
	})
	s.AddTool(mcp.NewTool("broken"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return nil, errors.New("backend down")
	})
	// Stand-in for the auth middleware: the principal a token would give.
	withPrincipal := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := &auth.Principal{Subject: "user-42", ClientID: "app-7"}
			next.ServeHTTP(w, r.WithContext(auth.ContextWithPrincipal(r.Context(), p)))
		})
	}
	srv := httptest.NewServer(requestlog.Middleware(logger)(withPrincipal(server.NewStreamableHTTPServer(s))))
	defer srv.Close()

	const secret = "token-value-that-must-not-be-logged"
	for _, version := range []string{"2025-11-25", mcp.LATEST_PROTOCOL_VERSION} {
		trans, err := transport.NewStreamableHTTP(srv.URL, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + secret}))
		if err != nil {
			t.Fatal(err)
		}
		c := client.NewClient(trans, client.WithProtocolVersion(version))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Initialize(ctx, mcp.InitializeRequest{}); err != nil {
			t.Fatalf("%s: initialize: %v", version, err)
		}
		// "nope" is not a tool: no audit line, so no client-chosen name reaches
		// the tool label of metrics either.
		for _, name := range []string{"echo", "refuse", "broken", "nope"} {
			_, _ = c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: name, Arguments: map[string]any{"text": "private-argument"}}})
		}
		// Arguments failing the input schema never reach the tool, but the call
		// is audited all the same.
		_, _ = c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "echo", Arguments: map[string]any{}}})
		cancel()
		c.Close()
	}

	var auditLines, toolRequestLines int
	outcomes := map[string]int{}
	for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		switch rec["msg"] {
		case audit.Message:
			auditLines++
			outcomes[rec["tool"].(string)+"="+rec["outcome"].(string)]++
			if rec["subject"] != "user-42" || rec["client_id"] != "app-7" || rec["request_id"] == "" || rec["request_id"] == nil {
				t.Errorf("audit line without caller or request id: %s", line)
			}
		case requestlog.Message:
			if rec["tool"] != nil {
				toolRequestLines++
			}
		}
	}
	if auditLines != 8 {
		t.Errorf("%d audit lines, want 8 (4 calls x 2 eras)", auditLines)
	}
	if outcomes["echo=tool_error"] != 2 {
		t.Errorf("calls with invalid arguments audited %d times, want 2; all: %v", outcomes["echo=tool_error"], outcomes)
	}
	for _, want := range []string{"echo=ok", "refuse=tool_error", "broken=error"} {
		if outcomes[want] != 2 {
			t.Errorf("outcome %s seen %d times, want 2 (one per era); all: %v", want, outcomes[want], outcomes)
		}
	}
	if toolRequestLines != 8 {
		t.Errorf("%d request lines name a tool, want 8", toolRequestLines)
	}
	for _, leak := range []string{secret, "private-argument", `"nope"`} {
		if strings.Contains(logs.String(), leak) {
			t.Errorf("the log contains %q", leak)
		}
	}
}
