package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mcpgen/mcpgen/runtime/auth"
)

// ListFilesArgs are the arguments of list_files. The struct tags become the
// tool's input schema: a field without omitempty is required.
type ListFilesArgs struct {
	Folder string `json:"folder,omitempty" jsonschema:"Folder to list"`
}

// ListFilesTool describes list_files to clients.
func ListFilesTool() mcp.Tool {
	return mcp.NewTool("list_files",
		mcp.WithDescription("Lists the files in a folder."),
		mcp.WithInputSchema[ListFilesArgs](),
		mcp.WithReadOnlyHintAnnotation(true),
		mcp.WithDestructiveHintAnnotation(false),
	)
}

// ListFiles handles list_files. Only callers tools.Policy lets through (the
// tool's scopes, and claims if it has rules) get here; auth.RequireScopes(ctx, ...)
// demands more for a part of the work only. Replace the placeholder below with the
// tool's work.
func ListFiles(ctx context.Context, _ mcp.CallToolRequest, args ListFilesArgs) (*mcp.CallToolResult, error) {
	caller := "an unknown caller"
	if p, ok := auth.FromContext(ctx); ok {
		caller = p.Subject
	}
	return mcp.NewToolResultText(fmt.Sprintf("list_files is not implemented yet (called by %s with %+v)", caller, args)), nil
}
