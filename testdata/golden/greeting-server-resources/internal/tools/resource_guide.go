package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"
)

// Resources and prompts live in package tools, next to the tools, in files named
// resource_<name>.go and prompt_<name>.go: the generated registry binds every handler
// of this one package, and the prefix keeps them apart from the tools on disk.

// GuideResource describes the resource guide (docs://guide) to clients.
func GuideResource() mcp.Resource {
	return mcp.NewResource("docs://guide", "guide",
		mcp.WithResourceDescription("The user guide."),
		mcp.WithMIMEType("text/markdown"),
	)
}

// ReadGuide reads guide. Only callers whose token carries the resource's scopes
// in tools.Policy get here: the auth middleware checks them first. Replace the
// placeholder below with the resource's content.
func ReadGuide(_ context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	return []mcp.ResourceContents{mcp.TextResourceContents{
		URI:      req.Params.URI,
		MIMEType: "text/markdown",
		Text:     "guide is not written yet",
	}}, nil
}
