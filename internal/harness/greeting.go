package harness

import (
	"context"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// CheckGreeting asserts what every client must see of a generated greeting server named
// serverName: tools/list offers greet_user alone, and tools/call greet_user answers
// "Hi Ada, welcome to <serverName>!". It returns that answer for the test's log.
func CheckGreeting(ctx context.Context, t testing.TB, c *client.Client, serverName string) string {
	t.Helper()
	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	if len(list.Tools) != 1 || list.Tools[0].Name != "greet_user" {
		t.Errorf("tools/list = %+v, want greet_user only", list.Tools)
	}
	res, err := c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{
		Name:      "greet_user",
		Arguments: map[string]any{"name": "Ada"},
	}})
	if err != nil {
		t.Fatalf("tools/call: %v", err)
	}
	want := "Hi Ada, welcome to " + serverName + "!"
	if res.IsError || len(res.Content) != 1 || mcp.GetTextFromContent(res.Content[0]) != want {
		t.Errorf("tools/call greet_user = %+v, want %q", res.Content, want)
	}
	return want
}
