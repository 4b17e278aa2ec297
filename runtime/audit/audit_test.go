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

// TestAuditResourcesAndPrompts reads resources and gets prompts through a real MCP
// server and client: a read of one of the server's resources or templates and a get
// of one of its prompts each write an audit line naming it, with the outcome and the
// caller, and name it on the request line; a URI or prompt the server does not have
// writes none, so a client cannot fill the audit with names of its choosing.
func TestAuditResourcesAndPrompts(t *testing.T) {
	var logs logcapture.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	hooks := &server.Hooks{}
	s := server.NewMCPServer("audit-test", "1", server.WithHooks(hooks))
	audit.Hook(hooks, s, logger)
	s.AddResource(mcp.NewResource("docs://about", "about"), func(_ context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, Text: "about"}}, nil
	})
	s.AddResourceTemplate(mcp.NewResourceTemplate("docs://broken/{id}", "broken"), func(context.Context, mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		return nil, errors.New("backend down")
	})
	s.AddPrompt(mcp.NewPrompt("summarize"), func(context.Context, mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		return mcp.NewGetPromptResult("summary", nil), nil
	})
	withPrincipal := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(auth.ContextWithPrincipal(r.Context(), &auth.Principal{Subject: "user-42", ClientID: "app-7"})))
		})
	}
	srv := httptest.NewServer(requestlog.Middleware(logger)(withPrincipal(server.NewStreamableHTTPServer(s))))
	defer srv.Close()
	trans, err := transport.NewStreamableHTTP(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(trans)
	defer c.Close()
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Initialize(t.Context(), mcp.InitializeRequest{}); err != nil {
		t.Fatal(err)
	}
	for _, uri := range []string{"docs://about", "docs://broken/7", "docs://not-a-resource"} {
		_, _ = c.ReadResource(t.Context(), mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: uri}})
	}
	for _, name := range []string{"summarize", "not-a-prompt"} {
		_, _ = c.GetPrompt(t.Context(), mcp.GetPromptRequest{Params: mcp.GetPromptParams{Name: name}})
	}

	var lines []string
	named := map[string]int{}
	for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		switch rec["msg"] {
		case audit.MessageResource, audit.MessagePrompt:
			what, _ := rec["resource"].(string)
			if what == "" {
				what, _ = rec["prompt"].(string)
			}
			lines = append(lines, what+"="+rec["outcome"].(string))
			if rec["subject"] != "user-42" || rec["client_id"] != "app-7" || rec["request_id"] == nil {
				t.Errorf("audit line without caller or request id: %s", line)
			}
		case requestlog.Message:
			for _, k := range []string{"resource", "prompt"} {
				if v, ok := rec[k].(string); ok {
					named[v]++
				}
			}
		}
	}
	if got, want := strings.Join(lines, " "), "docs://about=ok docs://broken/7=error summarize=ok"; got != want {
		t.Errorf("audit lines %q, want %q", got, want)
	}
	for _, want := range []string{"docs://about", "docs://broken/7", "summarize"} {
		if named[want] != 1 {
			t.Errorf("%d request lines name %s, want 1", named[want], want)
		}
	}
	for _, unknown := range []string{"docs://not-a-resource", "not-a-prompt"} {
		if strings.Contains(logs.String(), `":"`+unknown+`"`) {
			t.Errorf("a log line names %s, which the server does not have", unknown)
		}
	}
}
