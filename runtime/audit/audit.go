// Package audit writes one log line per MCP tool call: who called which tool,
// with what outcome, tied to the request's log line by its request id.
//
// It plugs into the MCP server itself (mcp-go's hooks), because that is where
// a request becomes a tool call: the HTTP chain sees bytes, and a batch or a
// 2026-07-28 request names the tool only inside. On the way it labels the
// request for the HTTP log line (requestlog.Annotate) and for metrics
// (metrics.SetTool). Only the server's own tools are labelled and audited, so
// a client cannot fill logs or metric labels with names of its choosing.
// Arguments and results are never logged: they are the user's data and may
// hold secrets.
package audit

import (
	"context"
	"log/slog"
	"strings"

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
	OutcomeToolError = "tool_error" // a result flagged isError: the tool's own, or arguments that failed the input schema
	OutcomeError     = "error"      // the tool failed; the client got a JSON-RPC error
	// OutcomeStepUp is a tool that asked for more scopes than the caller holds
	// (auth.RequireScopes): the client got a 403 (401 without a token) naming them,
	// and the line names the scopes asked for.
	OutcomeStepUp = "step_up"
)

// Hook adds the audit to hooks, which must be the hooks s was built with
// (server.WithHooks): each call of one of s's tools writes an audit line
// through logger (slog.Default() when nil) at Info, with tool, outcome,
// subject, client_id (or anonymous=true for a caller without a token) and request_id;
// a step-up (auth.RequireScopes) is outcome step_up with the scopes asked for. It also names the tool on the request's
// log line and metrics. s is asked at call time whether a tool exists, so
// tools may be registered after Hook.
func Hook(hooks *server.Hooks, s *server.MCPServer, logger *slog.Logger) {
	if logger == nil {
		logger = slog.Default()
	}
	known := func(req *mcp.CallToolRequest) bool { return req != nil && s.GetTool(req.Params.Name) != nil }
	hooks.AddBeforeCallTool(func(ctx context.Context, _ any, req *mcp.CallToolRequest) {
		if known(req) {
			metrics.SetTool(ctx, req.Params.Name)
			requestlog.Annotate(ctx, slog.String("tool", req.Params.Name))
		}
	})
	hooks.AddAfterCallTool(func(ctx context.Context, _ any, req *mcp.CallToolRequest, result any) {
		if !known(req) {
			return
		}
		outcome := OutcomeOK
		if r, ok := result.(*mcp.CallToolResult); ok && r != nil && r.IsError {
			outcome = OutcomeToolError
		}
		logger.LogAttrs(ctx, slog.LevelInfo, Message, lineAttrs(ctx, req.Params.Name, outcome)...)
	})
	hooks.AddOnError(func(ctx context.Context, _ any, method mcp.MCPMethod, message any, _ error) {
		req, ok := message.(*mcp.CallToolRequest)
		if method != mcp.MethodToolsCall || !ok || !known(req) {
			return
		}
		logger.LogAttrs(ctx, slog.LevelInfo, Message, lineAttrs(ctx, req.Params.Name, OutcomeError)...)
	})
}

// lineAttrs are the attributes of an audit line. A call that failed after the tool
// asked for more scopes (auth.RequireScopes, whose error the handler returned as a
// JSON-RPC error or a tool error) is a step-up.
func lineAttrs(ctx context.Context, tool, outcome string) []slog.Attr {
	var stepUp []string
	if outcome != OutcomeOK {
		stepUp = auth.StepUpScopes(ctx)
	}
	if stepUp != nil {
		outcome = OutcomeStepUp
	}
	attrs := []slog.Attr{
		slog.String("tool", tool),
		slog.String("outcome", outcome),
	}
	if stepUp != nil {
		attrs = append(attrs, slog.String("scopes", strings.Join(stepUp, " ")))
	}
	if p, ok := auth.FromContext(ctx); ok {
		attrs = append(attrs, slog.String("subject", p.Subject), slog.String("client_id", p.ClientID))
	} else {
		attrs = append(attrs, slog.Bool("anonymous", true))
	}
	if id := requestlog.RequestID(ctx); id != "" {
		attrs = append(attrs, slog.String(requestlog.KeyRequestID, id))
	}
	return attrs
}
