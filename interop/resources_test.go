package interop

import (
	"context"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpgen/mcpgen/runtime/auth"
)

// resourcePolicy is the policy `mcpgen add resource` and `mcpgen add prompt` give a
// greeting server (see the greeting-server-resources golden): a static resource, a
// resource template and a prompt, each with its own step-up scope.
var resourcePolicy = auth.ScopePolicy{
	Baseline:          []string{"usr:read"},
	Tools:             map[string][]string{"greet_user": {"usr:read"}},
	Resources:         map[string][]string{"docs://guide": {"docs:read"}},
	ResourceTemplates: map[string][]string{"weather://cities/{city}": {"weather:read"}},
	Prompts:           map[string][]string{"summarize": {"prompts:read"}},
}

// resourceServer adds greet_user, the resources and the prompt of resourcePolicy.
func resourceServer(m *server.MCPServer) {
	stepUpTools(m)
	m.AddResource(mcp.NewResource("docs://guide", "guide", mcp.WithMIMEType("text/markdown")),
		func(_ context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "text/markdown", Text: "# The guide"}}, nil
		})
	tmpl := mcp.NewResourceTemplate("weather://cities/{city}", "city_weather", mcp.WithTemplateMIMEType("text/plain"))
	m.AddResourceTemplate(tmpl, func(_ context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		city := tmpl.URITemplate.Match(req.Params.URI).Get("city").String()
		return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "text/plain", Text: "sunny in " + city}}, nil
	})
	m.AddPrompt(mcp.NewPrompt("summarize", mcp.WithArgument("text", mcp.RequiredArgument())),
		func(_ context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			return mcp.NewGetPromptResult("", []mcp.PromptMessage{
				mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent("Summarize: "+req.Params.Arguments["text"])),
			}), nil
		})
}

// resourceLine is one line of sdk-resources.mjs.
type resourceLine struct {
	sdkLine
	Target         string `json:"target"`
	MIMEType       string `json:"mime_type"`
	URI            string `json:"uri"`
	RequestedScope string `json:"requested_scope"`
}

func describeResource(l resourceLine) string {
	switch l.Step {
	case "resource read", "prompt got":
		return l.Step + ": " + l.Target + ": " + l.Text
	case "token":
		return describe(l.sdkLine) + " (requested scope=" + l.RequestedScope + ")"
	}
	if l.Target != "" {
		return describe(l.sdkLine) + " (" + l.Target + ")"
	}
	return describe(l.sdkLine)
}

// TestResourcesAndPrompts runs the TypeScript SDK client against an mcp-go server
// protected by runtime/protect with resourcePolicy: connected with the baseline scope,
// each resources/read and prompts/get must first be refused with 403
// insufficient_scope naming its own scope, then answered with a token that has it.
// Against the dev authorization server and oidc-provider. The refusals need the
// runtime to enforce the policy's Resources, ResourceTemplates and Prompts.
func TestResourcesAndPrompts(t *testing.T) {
	p := installPeers(t)
	secret := randomSecret(t)
	start := func() *stepUpServer {
		srv := startStepUpServer(t)
		srv.policy, srv.register = resourcePolicy, resourceServer
		return srv
	}
	t.Run("dev authorization server", func(t *testing.T) {
		srv := start()
		issuer := startDevAS(t, srv.MCPURL, resourcePolicy.All(), secret)
		srv.serveFor(t, issuer)
		testResources(t, p, srv, issuer, secret)
	})
	t.Run("oidc-provider", func(t *testing.T) {
		srv := start()
		as := startAuthServer(t, p, srv.MCPURL, map[string]asClient{
			stepUpClient: {Secret: secret, Scope: strings.Join(resourcePolicy.All(), " ")},
		})
		srv.serveFor(t, as.Issuer)
		testResources(t, p, srv, as.Issuer, secret)
	})
}

func testResources(t *testing.T, p *peers, srv *stepUpServer, issuer, secret string) {
	lines := runNodeFlow(t, p, "sdk-resources.mjs", "ts-sdk resources", srv.log.String, describeResource, []string{
		"MCP_URL=" + srv.MCPURL, "AS_ISSUER=" + issuer, "CLIENT_ID=" + stepUpClient, "CLIENT_SECRET=" + secret,
	})
	token := func(scope string) check[resourceLine] {
		return check[resourceLine]{"a token with " + scope + " only, for this server", func(l resourceLine) bool {
			c := l.AccessToken
			return l.Step == "token" && l.Status == 200 && l.RequestedScope == scope && c != nil &&
				c.Iss == issuer && audIs(c.Aud, srv.MCPURL) && c.Scope == scope
		}}
	}
	exchange := func(method, target string, status int, scope string) check[resourceLine] {
		what := method + " " + target + " answered 200"
		if status == 403 {
			what = method + " " + target + ` refused: 403 insufficient_scope naming exactly ` + scope
		}
		return check[resourceLine]{what, func(l resourceLine) bool {
			if l.Step != "mcp POST "+method || l.Target != target || l.Status != status {
				return false
			}
			return status != 403 || strings.Contains(l.Challenge, `error="insufficient_scope"`) && strings.Contains(l.Challenge, `scope="`+scope+`"`)
		}}
	}
	answer := func(step, target, text string) check[resourceLine] {
		return check[resourceLine]{step + " " + target + ": " + text, func(l resourceLine) bool {
			return l.Step == step && l.Target == target && l.Text == text
		}}
	}
	wantFlow(t, lines,
		check[resourceLine]{`401 naming only the baseline: scope="usr:read"`, func(l resourceLine) bool {
			return l.Step == "mcp POST initialize" && l.Status == 401 && strings.Contains(l.Challenge, `scope="usr:read"`)
		}},
		token("usr:read"),
		exchange("resources/read", "docs://guide", 403, "docs:read"),
		token("docs:read"),
		exchange("resources/read", "docs://guide", 200, ""),
		answer("resource read", "docs://guide", "# The guide"),
		exchange("resources/read", "weather://cities/oslo", 403, "weather:read"),
		token("weather:read"),
		exchange("resources/read", "weather://cities/oslo", 200, ""),
		answer("resource read", "weather://cities/oslo", "sunny in oslo"),
		exchange("prompts/get", "summarize", 403, "prompts:read"),
		token("prompts:read"),
		exchange("prompts/get", "summarize", 200, ""),
		answer("prompt got", "summarize", "Summarize: hello"),
		check[resourceLine]{"everything answered", func(l resourceLine) bool { return l.Result == "everything answered" }},
	)
}
