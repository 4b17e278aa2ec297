package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// TestAddedTool grows a generated server with `mcpgen add tool`, builds and starts it,
// and checks that the new tools and their new scopes take effect end to end: refused
// with 403 insufficient_scope naming the scopes without them (raw HTTP), listed and
// callable with them (mcp-go's client, both protocol eras), and the scopes advertised in
// the metadata and the 401 challenge.
func TestAddedTool(t *testing.T) {
	srv := startGeneratedServer(t,
		[]string{"weather", "--description", "Current weather for a city.", "--scope", "weather:read",
			"--arg", `city:string:required:"City name"`, "--read-only"},
		[]string{"forecast", "--description", "Forecast for a city.", "--scope", "weather:read", "--scope", "forecast:read",
			"--arg", "city:string:required", "--arg", "days:integer"},
	)
	weather := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"weather","arguments":{"city":"Paris"}}}`

	t.Run("without its scope", func(t *testing.T) {
		// usr:read calls greet_user, not weather: scopes are per tool.
		res := srv.post(t, srv.token("usr:read"), "", weather)
		wantChallenge(t, res, http.StatusForbidden, `error="insufficient_scope"`, `weather:read`)
		forecast := strings.Replace(weather, `"weather"`, `"forecast"`, 1)
		res = srv.post(t, srv.token("weather:read"), "", forecast)
		wantChallenge(t, res, http.StatusForbidden, `error="insufficient_scope"`, `forecast:read`, `weather:read`)
	})
	t.Run("its scope does not open other tools", func(t *testing.T) {
		res := srv.post(t, srv.token("weather:read"), "", toolsCall("greet_user"))
		wantChallenge(t, res, http.StatusForbidden, `error="insufficient_scope"`, `usr:read`)
	})
	t.Run("no token", func(t *testing.T) {
		res := srv.post(t, "", "", weather)
		wantChallenge(t, res, http.StatusUnauthorized, `scope="forecast:read usr:read weather:read"`)
	})
	t.Run("metadata", func(t *testing.T) {
		for _, path := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"} {
			var doc struct {
				ScopesSupported []string `json:"scopes_supported"`
			}
			res := get(t, srv.URL+path)
			if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			if want := []string{"forecast:read", "usr:read", "weather:read"}; !slices.Equal(doc.ScopesSupported, want) {
				t.Errorf("GET %s: scopes_supported = %v, want %v", path, doc.ScopesSupported, want)
			}
		}
	})
	t.Run("mcp client", func(t *testing.T) {
		for _, version := range []string{"2025-11-25", mcp.LATEST_PROTOCOL_VERSION} {
			t.Run(version, func(t *testing.T) { testAddedToolClient(t, srv, version) })
		}
	})
}

func testAddedToolClient(t *testing.T, srv *server, version string) {
	ctx, c, _ := connect(t, srv, "weather:read forecast:read", version)
	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	var found bool
	for _, tool := range list.Tools {
		if tool.Name != "weather" {
			continue
		}
		found = true
		var schema struct {
			Required []string `json:"required"`
		}
		raw, _ := json.Marshal(tool.InputSchema)
		if tool.RawInputSchema != nil {
			raw = tool.RawInputSchema
		}
		if err := json.Unmarshal(raw, &schema); err != nil || !slices.Equal(schema.Required, []string{"city"}) {
			t.Errorf("weather input schema %s: required = %v (%v), want [city]", raw, schema.Required, err)
		}
		if tool.Description != "Current weather for a city." || tool.Annotations.ReadOnlyHint == nil || !*tool.Annotations.ReadOnlyHint {
			t.Errorf("weather = %q, readOnlyHint %v; want the description and read-only", tool.Description, tool.Annotations.ReadOnlyHint)
		}
	}
	if !found {
		t.Fatalf("tools/list = %+v, want weather", list.Tools)
	}

	res, err := c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{
		Name: "weather", Arguments: map[string]any{"city": "Paris"},
	}})
	if err != nil {
		t.Fatalf("tools/call weather: %v", err)
	}
	// The stub answers, naming the caller's principal (sub of the token) and arguments.
	if len(res.Content) != 1 || mcp.GetTextFromContent(res.Content[0]) != "weather is not implemented yet (called by user-123 with {City:Paris})" {
		t.Errorf("tools/call weather = %+v", res.Content)
	}
	res, err = c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{
		Name: "forecast", Arguments: map[string]any{"city": "Oslo", "days": 3},
	}})
	if err != nil {
		t.Fatalf("tools/call forecast: %v", err)
	}
	if len(res.Content) != 1 || !strings.Contains(mcp.GetTextFromContent(res.Content[0]), "called by user-123 with {City:Oslo Days:3}") {
		t.Errorf("tools/call forecast = %+v", res.Content)
	}
	// The required argument is enforced from the schema before the stub runs.
	res, err = c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "weather", Arguments: map[string]any{}}})
	if err == nil && !res.IsError {
		t.Errorf("tools/call weather without city = %+v, want an error", res.Content)
	}
}
