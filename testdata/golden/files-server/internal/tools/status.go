package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mcpgen/mcpgen/runtime/auth"
)

// StatusArgs are the arguments of status. The struct tags become the
// tool's input schema: a field without omitempty is required.
type StatusArgs struct {
}

// StatusTool describes status to clients.
func StatusTool() mcp.Tool {
	return mcp.NewTool("status",
		mcp.WithDescription("Says whether the file service is up."),
		mcp.WithInputSchema[StatusArgs](),
		mcp.WithReadOnlyHintAnnotation(true),
		mcp.WithDestructiveHintAnnotation(false),
	)
}

// Status handles status. It is public: callers may have no
// token, so auth.FromContext may find no one. Replace the placeholder below with the
// tool's work.
func Status(ctx context.Context, _ mcp.CallToolRequest, args StatusArgs) (*mcp.CallToolResult, error) {
	caller := "an unknown caller"
	if p, ok := auth.FromContext(ctx); ok {
		caller = p.Subject
	}
	return mcp.NewToolResultText(fmt.Sprintf("status is not implemented yet (called by %s with %+v)", caller, args)), nil
}
