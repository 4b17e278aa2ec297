package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mcpgen/mcpgen/runtime/auth"
)

// PurgeFilesArgs are the arguments of purge_files. The struct tags become the
// tool's input schema: a field without omitempty is required.
type PurgeFilesArgs struct {
	Folder string `json:"folder"`
}

// PurgeFilesTool describes purge_files to clients.
func PurgeFilesTool() mcp.Tool {
	return mcp.NewTool("purge_files",
		mcp.WithDescription("Deletes every file of a folder."),
		mcp.WithInputSchema[PurgeFilesArgs](),
		mcp.WithReadOnlyHintAnnotation(false),
		mcp.WithDestructiveHintAnnotation(true),
	)
}

// PurgeFiles handles purge_files. Only callers tools.Policy lets through (the
// tool's scopes, and claims if it has rules) get here; auth.RequireScopes(ctx, ...)
// demands more for a part of the work only. Replace the placeholder below with the
// tool's work.
func PurgeFiles(ctx context.Context, _ mcp.CallToolRequest, args PurgeFilesArgs) (*mcp.CallToolResult, error) {
	caller := "an unknown caller"
	if p, ok := auth.FromContext(ctx); ok {
		caller = p.Subject
	}
	return mcp.NewToolResultText(fmt.Sprintf("purge_files is not implemented yet (called by %s with %+v)", caller, args)), nil
}
