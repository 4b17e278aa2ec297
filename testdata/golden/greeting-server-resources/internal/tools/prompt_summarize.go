package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
)

// Resources and prompts live in package tools, next to the tools, in files named
// resource_<name>.go and prompt_<name>.go: the generated registry binds every handler
// of this one package, and the prefix keeps them apart from the tools on disk.

// SummarizePrompt describes the prompt summarize and its arguments to clients.
func SummarizePrompt() mcp.Prompt {
	return mcp.NewPrompt("summarize",
		mcp.WithPromptDescription("Summarizes a text."),
		mcp.WithArgument("text", mcp.ArgumentDescription("Text to summarize"), mcp.RequiredArgument()),
		mcp.WithArgument("tone"),
	)
}

// GetSummarizePrompt returns the messages of summarize. Only callers whose token
// carries the prompt's scopes in tools.Policy get here: the auth middleware checks them
// first. Replace the placeholder below with the prompt's text.
func GetSummarizePrompt(_ context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
	for _, name := range []string{"text"} {
		if strings.TrimSpace(req.Params.Arguments[name]) == "" {
			return nil, fmt.Errorf("argument %s is required", name)
		}
	}
	args := []string{}
	for _, name := range []string{"text", "tone"} {
		args = append(args, name+"="+req.Params.Arguments[name])
	}
	text := "summarize is not written yet (arguments: " + strings.Join(args, ", ") + ")"
	return mcp.NewGetPromptResult("Summarizes a text.", []mcp.PromptMessage{
		mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(text)),
	}), nil
}
