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

func TestPurgeFiles(t *testing.T) {
	ctx := auth.ContextWithPrincipal(context.Background(), &auth.Principal{Subject: "user-123"})
	res, err := PurgeFiles(ctx, mcp.CallToolRequest{}, PurgeFilesArgs{})
	if err != nil {
		t.Fatalf("PurgeFiles: %v", err)
	}
	if res.IsError {
		t.Fatalf("PurgeFiles returned a tool error: %q", resultText(t, res))
	}
	if got := resultText(t, res); !strings.Contains(got, "user-123") {
		t.Errorf("text = %q, want it to name the caller user-123", got)
	}
}

// TestPurgeFilesSchema checks the input schema clients see, derived from the struct
// tags of PurgeFilesArgs: every argument is listed and the required ones are required.
func TestPurgeFilesSchema(t *testing.T) {
	var schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	if err := json.Unmarshal(PurgeFilesTool().RawInputSchema, &schema); err != nil {
		t.Fatalf("input schema: %v", err)
	}
	for _, name := range []string{"folder"} {
		if _, ok := schema.Properties[name]; !ok {
			t.Errorf("properties lack %q", name)
		}
	}
	slices.Sort(schema.Required)
	if want := []string{"folder"}; !slices.Equal(schema.Required, want) {
		t.Errorf("required = %v, want %v", schema.Required, want)
	}
}
