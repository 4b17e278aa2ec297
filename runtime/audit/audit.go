// Package audit writes one log line per MCP tool call: who called which tool,
// with what outcome, tied to the request's log line by its request id.
//
// It plugs into the MCP server itself (mcp-go's tool handler middleware),
// because that is where a request becomes a tool call: the HTTP chain sees
// bytes, and a batch or a 2026-07-28 request names the tool only inside. On
// the way it labels the request for the HTTP log line (requestlog.Annotate)
// and for metrics (metrics.SetTool). Arguments and results are never logged:
// they are the user's data and may hold secrets.
package audit

import (
	"context"
	"log/slog"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/metrics"
	"github.com/mcpgen/mcpgen/runtime/requestlog"
)

// Message is the message of every audit line.
const Message = "tool call"

// Outcomes of a tool call.
const (
	OutcomeOK        = "ok"         // the tool returned a result
	OutcomeToolError = "tool_error" // the tool returned a result flagged isError
	OutcomeError     = "error"      // the tool failed; the client got a JSON-RPC error
)

// Tools returns mcp-go tool middleware (server.WithToolHandlerMiddleware)
// that writes the audit line of each call through logger (slog.Default()
// when nil) at Info, with tool, outcome, duration, subject, client_id and
// request_id.
func Tools(logger *slog.Logger) server.ToolHandlerMiddleware {
	if logger == nil {
		logger = slog.Default()
	}
	return func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			name := req.Params.Name
			metrics.SetTool(ctx, name)
			requestlog.Annotate(ctx, slog.String("tool", name))
			start := time.Now()
			res, err := next(ctx, req)
			outcome := OutcomeOK
			switch {
			case err != nil:
				outcome = OutcomeError
			case res != nil && res.IsError:
				outcome = OutcomeToolError
			}
			logger.LogAttrs(ctx, slog.LevelInfo, Message, lineAttrs(ctx, name, outcome, time.Since(start))...)
			return res, err
		}
	}
}

func lineAttrs(ctx context.Context, tool, outcome string, d time.Duration) []slog.Attr {
	attrs := []slog.Attr{
		slog.String("tool", tool),
		slog.String("outcome", outcome),
		slog.Duration("duration", d),
	}
	if p, ok := auth.FromContext(ctx); ok {
		attrs = append(attrs, slog.String("subject", p.Subject), slog.String("client_id", p.ClientID))
	}
	if id := requestlog.RequestID(ctx); id != "" {
		attrs = append(attrs, slog.String(requestlog.KeyRequestID, id))
	}
	return attrs
}
