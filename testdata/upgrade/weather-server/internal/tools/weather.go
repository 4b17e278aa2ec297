package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mcpgen/mcpgen/runtime/auth"
)

// WeatherArgs are the arguments of weather. The struct tags become the
// tool's input schema: a field without omitempty is required.
type WeatherArgs struct {
	City string `json:"city" jsonschema:"City name"`
}

// WeatherTool describes weather to clients.
func WeatherTool() mcp.Tool {
	return mcp.NewTool("weather",
		mcp.WithDescription("Current weather for a city."),
		mcp.WithInputSchema[WeatherArgs](),
		mcp.WithReadOnlyHintAnnotation(true),
		mcp.WithDestructiveHintAnnotation(false),
	)
}

// Weather handles weather. Only callers tools.Policy lets through (the
// tool's scopes, and claims if it has rules) get here; auth.RequireScopes(ctx, ...)
// demands more for a part of the work only. Replace the placeholder below with the
// tool's work.
func Weather(ctx context.Context, _ mcp.CallToolRequest, args WeatherArgs) (*mcp.CallToolResult, error) {
	caller := "an unknown caller"
	if p, ok := auth.FromContext(ctx); ok {
		caller = p.Subject
	}
	// User edit: the tool's real work.
	return mcp.NewToolResultText(fmt.Sprintf("sunny in %s, 21°C (asked by %s)", args.City, caller)), nil
}
