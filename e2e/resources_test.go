package e2e

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpgen/mcpgen/internal/harness"
)

// resourceScopes are the scopes of the resources and prompt startResourceServer adds,
// one each, so a token with one of them reads or gets only its own.
const (
	guideScope   = "docs:read"
	weatherScope = "weather:read"
	promptScope  = "prompts:read"
)

// startResourceServer generates a server with filtered lists (--filter-tools-list),
// grows it with `mcpgen add resource` (a static resource and a template) and `mcpgen
// add prompt`, each with its own scope (docs:read declared step-up first), and runs it.
func startResourceServer(t *testing.T) *server {
	t.Helper()
	return startProject(t, []string{"--filter-tools-list"}, func(cli, project string) {
		for _, args := range [][]string{
			{"add", "scope", guideScope, "--description", "Read the docs", "--yes"},
			{"add", "resource", "guide", "--uri", "docs://guide", "--description", "The user guide.",
				"--mime-type", "text/markdown", "--scope", guideScope, "--yes"},
			{"add", "resource", "city_weather", "--uri-template", "weather://cities/{city}",
				"--description", "Current weather of a city.", "--scope", weatherScope, "--yes"},
			{"add", "prompt", "summarize", "--description", "Summarizes a text.",
				"--arg", `text:required:"Text to summarize"`, "--arg", "tone", "--scope", promptScope, "--yes"},
		} {
			harness.Run(t, project, nil, cli, args...)
		}
	})
}

func resourcesRead(uri string) string {
	return `{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"` + uri + `"}}`
}

func promptsGet(name string) string {
	return `{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"` + name + `","arguments":{"text":"hello"}}}`
}

// TestAddedResourcesAndPrompt reads the added resources and gets the added prompt with
// mcp-go's client (both protocol eras) and raw HTTP, with and without their scopes.
func TestAddedResourcesAndPrompt(t *testing.T) {
	srv := startResourceServer(t)
	all := strings.Join([]string{"usr:read", guideScope, weatherScope, promptScope}, " ")

	t.Run("mcp client", func(t *testing.T) {
		for _, version := range []string{"2025-11-25", mcp.LATEST_PROTOCOL_VERSION} {
			t.Run(version, func(t *testing.T) { testResourcesClient(t, srv, all, version) })
		}
	})
	t.Run("lists filtered per caller", func(t *testing.T) {
		for _, version := range []string{"2025-11-25", mcp.LATEST_PROTOCOL_VERSION} {
			t.Run(version, func(t *testing.T) { testFilteredLists(t, srv, version) })
		}
	})
	t.Run("with the scope", func(t *testing.T) {
		for _, tc := range []struct{ scope, body, want string }{
			{guideScope, resourcesRead("docs://guide"), "guide is not written yet"},
			{weatherScope, resourcesRead("weather://cities/oslo"), "city=oslo"},
			{promptScope, promptsGet("summarize"), "text=hello"},
		} {
			res := inSession(t, srv, srv.token(tc.scope), tc.body)
			if body := readBody(t, res); res.StatusCode != http.StatusOK || !strings.Contains(body, tc.want) {
				t.Errorf("%s with %s: status %d, body %s; want 200 with %q", tc.body, tc.scope, res.StatusCode, body, tc.want)
			}
		}
	})
	// These need the runtime to enforce ScopePolicy.Resources, ResourceTemplates and
	// Prompts on resources/read and prompts/get.
	t.Run("without the scope", func(t *testing.T) {
		for _, tc := range []struct{ scope, body, want string }{
			{"usr:read " + weatherScope + " " + promptScope, resourcesRead("docs://guide"), guideScope},
			{"usr:read " + guideScope + " " + promptScope, resourcesRead("weather://cities/oslo"), weatherScope},
			{"usr:read " + guideScope + " " + weatherScope, promptsGet("summarize"), promptScope},
		} {
			t.Run(tc.want, func(t *testing.T) {
				res := inSession(t, srv, srv.token(tc.scope), tc.body)
				wantChallenge(t, res, http.StatusForbidden, `Bearer `, `error="insufficient_scope"`,
					`resource_metadata="`+srv.URL+`/.well-known/oauth-protected-resource/mcp"`)
				// The challenge names the scope the client must step up to.
				if scopes := challengeScopes(res.Header.Get("WWW-Authenticate")); !slices.Contains(scopes, tc.want) {
					t.Errorf("challenge scope = %v, want it to name %s", scopes, tc.want)
				}
				if body := readBody(t, res); strings.Contains(body, "not written yet") || strings.Contains(body, "hello") {
					t.Errorf("refused request answered with the content: %s", body)
				}
			})
		}
	})
}

// challengeScopes are the scopes the scope parameter of a WWW-Authenticate value names.
func challengeScopes(challenge string) []string {
	m := regexp.MustCompile(`(?:^|[ ,])scope="([^"]*)"`).FindStringSubmatch(challenge)
	if m == nil {
		return nil
	}
	return strings.Fields(m[1])
}

func testResourcesClient(t *testing.T, srv *server, scope, version string) {
	ctx, c, init := connect(t, srv, scope, version)
	if init.Capabilities.Resources == nil || init.Capabilities.Prompts == nil {
		t.Errorf("capabilities = %+v, want resources and prompts", init.Capabilities)
	}
	resources, err := c.ListResources(ctx, mcp.ListResourcesRequest{})
	if err != nil {
		t.Fatalf("resources/list: %v", err)
	}
	if len(resources.Resources) != 1 || resources.Resources[0].URI != "docs://guide" || resources.Resources[0].MIMEType != "text/markdown" {
		t.Errorf("resources/list = %+v, want docs://guide (text/markdown)", resources.Resources)
	}
	templates, err := c.ListResourceTemplates(ctx, mcp.ListResourceTemplatesRequest{})
	if err != nil {
		t.Fatalf("resources/templates/list: %v", err)
	}
	if len(templates.ResourceTemplates) != 1 || templates.ResourceTemplates[0].URITemplate.Raw() != "weather://cities/{city}" {
		t.Errorf("resources/templates/list = %+v, want weather://cities/{city}", templates.ResourceTemplates)
	}

	read := func(uri string) mcp.TextResourceContents {
		t.Helper()
		res, err := c.ReadResource(ctx, mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: uri}})
		if err != nil {
			t.Fatalf("resources/read %s: %v", uri, err)
		}
		if len(res.Contents) != 1 {
			t.Fatalf("resources/read %s: %d contents, want 1", uri, len(res.Contents))
		}
		text, ok := res.Contents[0].(mcp.TextResourceContents)
		if !ok {
			t.Fatalf("resources/read %s: content %T, want text", uri, res.Contents[0])
		}
		return text
	}
	if got := read("docs://guide"); got.URI != "docs://guide" || got.MIMEType != "text/markdown" || got.Text != "guide is not written yet" {
		t.Errorf("resources/read docs://guide = %+v", got)
	}
	if got := read("weather://cities/paris"); got.URI != "weather://cities/paris" || got.Text != "city_weather is not written yet (read with city=paris)" {
		t.Errorf("resources/read weather://cities/paris = %+v", got)
	}

	prompts, err := c.ListPrompts(ctx, mcp.ListPromptsRequest{})
	if err != nil {
		t.Fatalf("prompts/list: %v", err)
	}
	if len(prompts.Prompts) != 1 || prompts.Prompts[0].Name != "summarize" || len(prompts.Prompts[0].Arguments) != 2 || !prompts.Prompts[0].Arguments[0].Required {
		t.Errorf("prompts/list = %+v, want summarize with a required text and a tone", prompts.Prompts)
	}
	got, err := c.GetPrompt(ctx, mcp.GetPromptRequest{Params: mcp.GetPromptParams{Name: "summarize", Arguments: map[string]string{"text": "hello", "tone": "dry"}}})
	if err != nil {
		t.Fatalf("prompts/get summarize: %v", err)
	}
	if len(got.Messages) != 1 || mcp.GetTextFromContent(got.Messages[0].Content) != "summarize is not written yet (arguments: text=hello, tone=dry)" {
		t.Errorf("prompts/get summarize = %+v", got.Messages)
	}
	if _, err := c.GetPrompt(ctx, mcp.GetPromptRequest{Params: mcp.GetPromptParams{Name: "summarize"}}); err == nil {
		t.Error("prompts/get summarize without its required text succeeded, want an error")
	}
}

// testFilteredLists: with filter_tools_list, a caller sees only the resources, templates
// and prompts its token can read or get.
func testFilteredLists(t *testing.T, srv *server, version string) {
	ctx, c, _ := connect(t, srv, "usr:read "+weatherScope, version)
	resources, err := c.ListResources(ctx, mcp.ListResourcesRequest{})
	if err != nil {
		t.Fatalf("resources/list: %v", err)
	}
	if len(resources.Resources) != 0 {
		t.Errorf("resources/list without %s = %+v, want none", guideScope, resources.Resources)
	}
	templates, err := c.ListResourceTemplates(ctx, mcp.ListResourceTemplatesRequest{})
	if err != nil {
		t.Fatalf("resources/templates/list: %v", err)
	}
	var raws []string
	for _, tmpl := range templates.ResourceTemplates {
		raws = append(raws, tmpl.URITemplate.Raw())
	}
	if !slices.Equal(raws, []string{"weather://cities/{city}"}) {
		t.Errorf("resources/templates/list with %s = %v, want the template", weatherScope, raws)
	}
	prompts, err := c.ListPrompts(ctx, mcp.ListPromptsRequest{})
	if err != nil {
		t.Fatalf("prompts/list: %v", err)
	}
	if len(prompts.Prompts) != 0 {
		t.Errorf("prompts/list without %s = %+v, want none", promptScope, prompts.Prompts)
	}
}
