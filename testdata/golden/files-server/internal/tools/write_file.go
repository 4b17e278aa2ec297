package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mcpgen/mcpgen/runtime/auth"
)

// WriteFileArgs are the arguments of write_file. The struct tags become the
// tool's input schema: a field without omitempty is required.
type WriteFileArgs struct {
	Path    string `json:"path"`
	Content string `json:"content"`
}

// WriteFileTool describes write_file to clients.
func WriteFileTool() mcp.Tool {
	return mcp.NewTool("write_file",
		mcp.WithDescription("Writes a file."),
		mcp.WithInputSchema[WriteFileArgs](),
		mcp.WithReadOnlyHintAnnotation(false),
		mcp.WithDestructiveHintAnnotation(false),
	)
}

// WriteFile handles write_file. Only callers tools.Policy lets through (the
// tool's scopes, and claims if it has rules) get here; auth.RequireScopes(ctx, ...)
// demands more for a part of the work only. Replace the placeholder below with the
// tool's work.
func WriteFile(ctx context.Context, _ mcp.CallToolRequest, args WriteFileArgs) (*mcp.CallToolResult, error) {
	caller := "an unknown caller"
	if p, ok := auth.FromContext(ctx); ok {
		caller = p.Subject
	}
	return mcp.NewToolResultText(fmt.Sprintf("write_file is not implemented yet (called by %s with %+v)", caller, args)), nil
}
