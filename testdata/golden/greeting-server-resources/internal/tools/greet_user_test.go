package tools

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

func TestGreetUser(t *testing.T) {
	tests := []struct {
		name    string
		arg     string
		want    string
		isError bool
	}{
		{name: "greets by name", arg: "Ada", want: "Hi Ada, welcome to greeting-server!"},
		{name: "trims spaces", arg: "  Ada ", want: "Hi Ada, welcome to greeting-server!"},
		{name: "refuses an empty name", arg: " ", want: "name must not be empty", isError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := GreetUser(context.Background(), mcp.CallToolRequest{}, GreetUserArgs{Name: tt.arg})
			if err != nil {
				t.Fatalf("GreetUser: %v", err)
			}
			if res.IsError != tt.isError {
				t.Errorf("IsError = %v, want %v", res.IsError, tt.isError)
			}
			if got := resultText(t, res); got != tt.want {
				t.Errorf("text = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestGreetUserSchemaRequiresName(t *testing.T) {
	var schema struct {
		Required []string `json:"required"`
	}
	if err := json.Unmarshal(GreetUserTool().RawInputSchema, &schema); err != nil {
		t.Fatalf("input schema: %v", err)
	}
	if !slices.Contains(schema.Required, "name") {
		t.Errorf("required = %v, want it to contain name", schema.Required)
	}
}
