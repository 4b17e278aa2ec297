package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
)

// GreetUserArgs are the arguments of greet_user. The struct tags become the
// tool's input schema: a field without omitempty is required.
type GreetUserArgs struct {
	Name string `json:"name" jsonschema:"Name of the person to greet"`
}

// GreetUserTool describes greet_user to clients.
func GreetUserTool() mcp.Tool {
	return mcp.NewTool("greet_user",
		mcp.WithDescription("Greets a user by name."),
		mcp.WithInputSchema[GreetUserArgs](),
		mcp.WithReadOnlyHintAnnotation(true),
		mcp.WithDestructiveHintAnnotation(false),
	)
}

// GreetUser answers "Hi <name>, welcome to <server>!". Only callers whose token
// carries the scopes in the registry get here: the auth middleware checks them first.
func GreetUser(ctx context.Context, _ mcp.CallToolRequest, args GreetUserArgs) (*mcp.CallToolResult, error) {
	name := strings.TrimSpace(args.Name)
	if name == "" {
		// A tool error goes back to the model, which can retry with a name.
		return mcp.NewToolResultError("name must not be empty"), nil
	}
	return mcp.NewToolResultText(fmt.Sprintf("Hi %s, welcome to %s!", name, ServerName)), nil
}
