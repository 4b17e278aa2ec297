package tools

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

func TestGetSummarizePrompt(t *testing.T) {
	args := map[string]string{
		"text": "example text",
		"tone": "example tone",
	}
	res, err := GetSummarizePrompt(context.Background(), mcp.GetPromptRequest{Params: mcp.GetPromptParams{Name: "summarize", Arguments: args}})
	if err != nil {
		t.Fatalf("GetSummarizePrompt: %v", err)
	}
	if len(res.Messages) != 1 {
		t.Fatalf("got %d messages, want 1", len(res.Messages))
	}
	text, ok := res.Messages[0].Content.(mcp.TextContent)
	if !ok {
		t.Fatalf("content is %T, want mcp.TextContent", res.Messages[0].Content)
	}
	if !strings.Contains(text.Text, "summarize") {
		t.Errorf("text = %q, want it to name the prompt", text.Text)
	}
	for name, value := range args {
		if !strings.Contains(text.Text, name+"="+value) {
			t.Errorf("text = %q, want it to contain %s=%s", text.Text, name, value)
		}
	}
}

// TestGetSummarizePromptArguments checks the arguments clients see: every one listed,
// the required ones required, and a get without them refused.
func TestGetSummarizePromptArguments(t *testing.T) {
	var names, required []string
	for _, a := range SummarizePrompt().Arguments {
		names = append(names, a.Name)
		if a.Required {
			required = append(required, a.Name)
		}
	}
	if want := []string{"text", "tone"}; !slices.Equal(names, want) {
		t.Errorf("arguments = %v, want %v", names, want)
	}
	if want := []string{"text"}; !slices.Equal(required, want) {
		t.Errorf("required = %v, want %v", required, want)
	}
	if _, err := GetSummarizePrompt(context.Background(), mcp.GetPromptRequest{Params: mcp.GetPromptParams{Name: "summarize"}}); err == nil {
		t.Error("GetSummarizePrompt without its required arguments succeeded, want an error")
	}
}
