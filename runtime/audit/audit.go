// Package audit writes one log line per MCP tool call, resource read and prompt get:
// who used which tool, resource or prompt, with what outcome, tied to the request's
// log line by its request id.
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
	"errors"
	"log/slog"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/metrics"
	"github.com/mcpgen/mcpgen/runtime/requestlog"
)

// The messages of audit lines.
const (
	Message         = "tool call"     // a tools/call; the line names the tool
	MessageResource = "resource read" // a resources/read; the line names the URI read
	MessagePrompt   = "prompt get"    // a prompts/get; the line names the prompt
)

// The metric labels (metrics.SetTool) of resource reads and prompt gets: the URIs a
// template matches are unbounded, and a label must come from a closed set.
const (
	LabelResource = "resources/read"
	LabelPrompt   = "prompts/get"
)

// Outcomes of a tool call, resource read or prompt get.
const (
	OutcomeOK        = "ok"         // the tool, resource or prompt returned a result
	OutcomeToolError = "tool_error" // a result flagged isError: the tool's own, or arguments that failed the input schema
	OutcomeError     = "error"      // the handler failed; the client got a JSON-RPC error
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
// log line and metrics. Reads of s's resources (outcome ok or error, with the URI
// read) and gets of its prompts are audited the same way, as MessageResource and
// MessagePrompt lines; a URI or prompt s does not have is not. s is asked at call
// time whether a tool or prompt exists, so they may be registered after Hook.
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
		logger.LogAttrs(ctx, slog.LevelInfo, Message, lineAttrs(ctx, "tool", req.Params.Name, outcome)...)
	})
	// A read that succeeded was served by one of s's resources or templates.
	read := func(ctx context.Context, uri, outcome string) {
		metrics.SetTool(ctx, LabelResource)
		requestlog.Annotate(ctx, slog.String("resource", uri))
		logger.LogAttrs(ctx, slog.LevelInfo, MessageResource, lineAttrs(ctx, "resource", uri, outcome)...)
	}
	hooks.AddAfterReadResource(func(ctx context.Context, _ any, req *mcp.ReadResourceRequest, _ *mcp.ReadResourceResult) {
		read(ctx, req.Params.URI, OutcomeOK)
	})
	knownPrompt := func(req *mcp.GetPromptRequest) bool { return req != nil && s.ListPrompts()[req.Params.Name] != nil }
	hooks.AddBeforeGetPrompt(func(ctx context.Context, _ any, req *mcp.GetPromptRequest) {
		if knownPrompt(req) {
			metrics.SetTool(ctx, LabelPrompt)
			requestlog.Annotate(ctx, slog.String("prompt", req.Params.Name))
		}
	})
	hooks.AddAfterGetPrompt(func(ctx context.Context, _ any, req *mcp.GetPromptRequest, _ *mcp.GetPromptResult) {
		if knownPrompt(req) {
			logger.LogAttrs(ctx, slog.LevelInfo, MessagePrompt, lineAttrs(ctx, "prompt", req.Params.Name, OutcomeOK)...)
		}
	})
	hooks.AddOnError(func(ctx context.Context, _ any, method mcp.MCPMethod, message any, err error) {
		switch req := message.(type) {
		case *mcp.CallToolRequest:
			if method == mcp.MethodToolsCall && known(req) {
				logger.LogAttrs(ctx, slog.LevelInfo, Message, lineAttrs(ctx, "tool", req.Params.Name, OutcomeError)...)
			}
		case *mcp.ReadResourceRequest:
			// Not found: no resource of s was read.
			if method == mcp.MethodResourcesRead && req != nil && !errors.Is(err, server.ErrResourceNotFound) {
				read(ctx, req.Params.URI, OutcomeError)
			}
		case *mcp.GetPromptRequest:
			if method == mcp.MethodPromptsGet && knownPrompt(req) {
				logger.LogAttrs(ctx, slog.LevelInfo, MessagePrompt, lineAttrs(ctx, "prompt", req.Params.Name, OutcomeError)...)
			}
		}
	})
}

// lineAttrs are the attributes of an audit line. A call that failed after the tool
// asked for more scopes (auth.RequireScopes, whose error the handler returned as a
// JSON-RPC error or a tool error) is a step-up.
func lineAttrs(ctx context.Context, kind, name, outcome string) []slog.Attr {
	var stepUp []string
	if outcome != OutcomeOK {
		stepUp = auth.StepUpScopes(ctx)
	}
	if stepUp != nil {
		outcome = OutcomeStepUp
	}
	attrs := []slog.Attr{
		slog.String(kind, name),
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
