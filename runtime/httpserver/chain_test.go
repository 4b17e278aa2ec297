package httpserver_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpgen/mcpgen/runtime/health"
	"github.com/mcpgen/mcpgen/runtime/httpserver"
	"github.com/mcpgen/mcpgen/runtime/origin"
	"github.com/mcpgen/mcpgen/runtime/requestlog"

	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update
	"github.com/mcpgen/mcpgen/internal/logcapture"
)

// TestChainWithMCP wires the plumbing the way a generated main.go does
// (request log, then origin, then the MCP handler; health beside it) and
// drives it with mcp-go's client in both protocol eras. The tool sends a
// notification and waits until the client has it before answering: that only
// works if the POST's SSE stream is flushed mid-request through the log
// middleware's recorder. The tool also annotates the log line from its own
// context.
func TestChainWithMCP(t *testing.T) {
	received := make(chan struct{}, 1)
	mcpSrv := server.NewMCPServer("chain-test", "1.0.0", server.WithToolCapabilities(false))
	mcpSrv.AddTool(mcp.NewTool("progress", mcp.WithDescription("notifies, then answers")),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			requestlog.Annotate(ctx, slog.String("tool", req.Params.Name))
			if err := server.ServerFromContext(ctx).SendNotificationToClient(ctx, "notifications/message",
				map[string]any{"level": "info", "data": "halfway"}); err != nil {
				return mcp.NewToolResultError("notify: " + err.Error()), nil
			}
			select {
			case <-received:
				return mcp.NewToolResultText("done"), nil
			case <-time.After(10 * time.Second):
				return mcp.NewToolResultError("the notification did not reach the client before the result"), nil
			}
		})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	policy, err := origin.NewPolicy(base+"/mcp", []string{"http://localhost:6274"})
	if err != nil {
		t.Fatal(err)
	}
	var logs logcapture.Buffer
	logMW := requestlog.Middleware(slog.New(slog.NewJSONHandler(&logs, nil)))
	mux := http.NewServeMux()
	mux.Handle("/mcp", logMW(policy.Middleware(server.NewStreamableHTTPServer(mcpSrv, server.WithStateLess(true)))))
	mux.Handle("/health", logMW(health.Handler()))

	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- httpserver.Serve(ctx, httpserver.New("", mux), ln, 5*time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()

	for _, era := range []string{mcp.LATEST_PROTOCOL_VERSION, "2025-11-25"} {
		for _, o := range []string{"", base, "http://localhost:6274"} {
			t.Run(era+" origin="+o, func(t *testing.T) {
				headers := map[string]string{}
				if o != "" {
					headers["Origin"] = o
				}
				tr, err := transport.NewStreamableHTTP(base+"/mcp", transport.WithHTTPHeaders(headers))
				if err != nil {
					t.Fatal(err)
				}
				c := client.NewClient(tr, client.WithProtocolVersion(era))
				defer c.Close()
				c.OnNotification(func(n mcp.JSONRPCNotification) {
					if n.Method == "notifications/message" {
						select {
						case received <- struct{}{}:
						default:
						}
					}
				})
				cctx, ccancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer ccancel()
				if err := c.Start(cctx); err != nil {
					t.Fatal(err)
				}
				if _, err := c.Initialize(cctx, mcp.InitializeRequest{}); err != nil {
					t.Fatalf("initialize: %v", err)
				}
				res, err := c.CallTool(cctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "progress"}})
				if err != nil {
					t.Fatalf("call: %v", err)
				}
				if len(res.Content) != 1 || res.IsError {
					t.Fatalf("result %+v", res)
				}
				if text, _ := res.Content[0].(mcp.TextContent); text.Text != "done" {
					t.Errorf("result %+v", res.Content)
				}
			})
		}
	}
	if !strings.Contains(logs.String(), `"tool":"progress"`) {
		t.Errorf("tool annotation missing from the log:\n%s", logs.String())
	}

	t.Run("evil origin", func(t *testing.T) {
		req, _ := http.NewRequest("POST", base+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("status %d, want 403", resp.StatusCode)
		}
	})
	t.Run("health", func(t *testing.T) {
		resp, err := http.Get(base + "/health")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != `{"status":"healthy"}` || resp.Header.Get(requestlog.Header) == "" {
			t.Errorf("health: %d %q", resp.StatusCode, b)
		}
	})
}

// TestShutdownEndsSessionStreams shows the wiring a generated main.go needs
// for a prompt drain: a 2025-11-25 client keeps a GET event stream open per
// session, which http.Server.Shutdown waits for like any request. Without a
// hook every shutdown runs into its deadline; with mcp-go's CloseSessions
// registered through RegisterOnShutdown the streams end and Serve returns nil.
func TestShutdownEndsSessionStreams(t *testing.T) {
	for _, hook := range []bool{false, true} {
		t.Run(map[bool]string{false: "no hook", true: "CloseSessions hook"}[hook], func(t *testing.T) {
			h := server.NewStreamableHTTPServer(server.NewMCPServer("drain-test", "1.0.0"))
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			endpoint := "http://" + ln.Addr().String() + "/mcp"
			srv := httpserver.New("", h)
			timeout := 200 * time.Millisecond
			if hook {
				srv.RegisterOnShutdown(func() { h.CloseSessions(context.Background()) })
				timeout = 20 * time.Second // a clean drain must not need it
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			served := make(chan error, 1)
			go func() {
				served <- httpserver.Serve(ctx, srv, ln, timeout, slog.New(slog.NewTextHandler(io.Discard, nil)))
			}()

			req, _ := http.NewRequest("POST", endpoint, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			sid := resp.Header.Get("Mcp-Session-Id")
			if sid == "" {
				t.Fatalf("no session id (status %d)", resp.StatusCode)
			}
			get, _ := http.NewRequest("GET", endpoint, nil)
			get.Header.Set("Accept", "text/event-stream")
			get.Header.Set("Mcp-Session-Id", sid)
			get.Header.Set("Mcp-Protocol-Version", "2025-11-25")
			stream, err := http.DefaultClient.Do(get)
			if err != nil {
				t.Fatal(err)
			}
			defer stream.Body.Close()
			if stream.StatusCode != 200 || stream.Header.Get("Content-Type") != "text/event-stream" {
				t.Fatalf("GET stream: %d %q", stream.StatusCode, stream.Header.Get("Content-Type"))
			}

			cancel()
			err = <-served
			if hook && err != nil {
				t.Errorf("Serve with the hook = %v, want a clean drain", err)
			}
			if !hook && err == nil {
				t.Errorf("Serve without the hook drained an open stream; the hook would be unnecessary")
			}
		})
	}
}
