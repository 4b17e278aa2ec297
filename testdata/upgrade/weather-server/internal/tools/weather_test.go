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

func TestWeather(t *testing.T) {
	ctx := auth.ContextWithPrincipal(context.Background(), &auth.Principal{Subject: "user-123"})
	res, err := Weather(ctx, mcp.CallToolRequest{}, WeatherArgs{})
	if err != nil {
		t.Fatalf("Weather: %v", err)
	}
	if res.IsError {
		t.Fatalf("Weather returned a tool error: %q", resultText(t, res))
	}
	if got := resultText(t, res); !strings.Contains(got, "user-123") {
		t.Errorf("text = %q, want it to name the caller user-123", got)
	}
}

// TestWeatherSchema checks the input schema clients see, derived from the struct
// tags of WeatherArgs: every argument is listed and the required ones are required.
func TestWeatherSchema(t *testing.T) {
	var schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	if err := json.Unmarshal(WeatherTool().RawInputSchema, &schema); err != nil {
		t.Fatalf("input schema: %v", err)
	}
	for _, name := range []string{"city"} {
		if _, ok := schema.Properties[name]; !ok {
			t.Errorf("properties lack %q", name)
		}
	}
	slices.Sort(schema.Required)
	if want := []string{"city"}; !slices.Equal(schema.Required, want) {
		t.Errorf("required = %v, want %v", schema.Required, want)
	}
}
