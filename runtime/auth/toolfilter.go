package auth

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// ToolFilter returns an mcp-go tool filter (server.WithToolFilter) that, when
// p.FilterLists is set, keeps in tools/list only the tools the request's caller may
// call (ScopePolicy.Callable, with the Principal the middleware put in the context).
// Without FilterLists it keeps every tool.
func ToolFilter(p ScopePolicy) server.ToolFilterFunc {
	return func(ctx context.Context, tools []mcp.Tool) []mcp.Tool {
		if !p.FilterLists {
			return tools
		}
		caller, _ := FromContext(ctx)
		kept := make([]mcp.Tool, 0, len(tools))
		for _, t := range tools {
			if p.Callable(t.Name, caller) {
				kept = append(kept, t)
			}
		}
		return kept
	}
}
