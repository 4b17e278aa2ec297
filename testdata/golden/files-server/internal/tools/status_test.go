package tools

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mcpgen/mcpgen/runtime/auth"
)

func TestStatus(t *testing.T) {
	ctx := auth.ContextWithPrincipal(context.Background(), &auth.Principal{Subject: "user-123"})
	res, err := Status(ctx, mcp.CallToolRequest{}, StatusArgs{})
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if res.IsError {
		t.Fatalf("Status returned a tool error: %q", resultText(t, res))
	}
	if got := resultText(t, res); !strings.Contains(got, "user-123") {
		t.Errorf("text = %q, want it to name the caller user-123", got)
	}
}

// TestStatusSchema checks the input schema clients see, derived from the struct
// tags of StatusArgs: every argument is listed and the required ones are required.
func TestStatusSchema(t *testing.T) {
	var schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	if err := json.Unmarshal(StatusTool().RawInputSchema, &schema); err != nil {
		t.Fatalf("input schema: %v", err)
	}
	for _, name := range []string{} {
		if _, ok := schema.Properties[name]; !ok {
			t.Errorf("properties lack %q", name)
		}
	}
	slices.Sort(schema.Required)
	if want := []string{}; !slices.Equal(schema.Required, want) {
		t.Errorf("required = %v, want %v", schema.Required, want)
	}
}
