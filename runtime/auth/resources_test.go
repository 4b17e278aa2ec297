package auth_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpgen/mcpgen/runtime/audit"
	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// docsPolicy protects resources and prompts: a static resource, a static resource that
// two templates also match, two overlapping templates and a prompt.
var docsPolicy = auth.ScopePolicy{
	Required: []string{"mcp"},
	Resources: map[string][]string{
		"docs://about":       {"docs:read"},
		"docs://files/index": {"index:read"},
	},
	ResourceTemplates: map[string][]string{
		"docs://files/{name}":   {"files:read"},
		"docs://{kind}/{name}":  {"any:read"},
		"docs://secret{/path*}": {"secret:read"},
	},
	Prompts: map[string][]string{"summarize": {"prompt:use"}},
}

func readBody(uri string) string {
	return `{"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"uri":"` + uri + `"}}`
}

// TestResourceAndPromptScopes: resources/read is authorized by the URI the body asks
// for, matched as mcp-go dispatches it (the exact resource first, else every template
// that matches it), prompts/get by name, with 403 challenges naming what the request
// needs; escapes, duplicate and differently-cased keys, batches and a disagreeing
// Mcp-Name header cannot make the check see another target than the server.
func TestResourceAndPromptScopes(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	e := newEnv(t, nil, iss, func(c *auth.MiddlewareConfig) { c.Scopes = docsPolicy })
	token := func(scopes ...string) string {
		return iss.Mint(authtest.Claims{"scope": strings.Join(append([]string{"mcp"}, scopes...), " ")})
	}
	all := "any:read docs:read files:read index:read mcp prompt:use secret:read"
	tests := []struct {
		name   string
		body   string
		scopes []string
		header http.Header
		status int
		want   string // scope= of the 403 challenge
	}{
		{name: "static resource with its scope", body: readBody("docs://about"), scopes: []string{"docs:read"}, status: 200},
		{name: "static resource without its scope", body: readBody("docs://about"), scopes: []string{"files:read", "any:read"}, status: 403, want: "docs:read mcp"},
		{name: "a static resource wins over the templates matching its URI", body: readBody("docs://files/index"), scopes: []string{"index:read"}, status: 200},
		{name: "URI two templates match needs both", body: readBody("docs://files/a"), scopes: []string{"files:read", "any:read"}, status: 200},
		{name: "URI two templates match, one scope held", body: readBody("docs://files/a"), scopes: []string{"files:read"}, status: 403, want: "any:read files:read mcp"},
		{name: "URI one template matches", body: readBody("docs://notes/a"), scopes: []string{"any:read"}, status: 200},
		{name: "template with a path expression", body: readBody("docs://secret/a/b"), scopes: []string{"any:read"}, status: 403, want: "mcp secret:read"},
		{name: "unknown URI needs every resource scope", body: readBody("docs://nothing"), scopes: []string{"docs:read", "files:read", "any:read", "index:read"}, status: 403, want: "any:read docs:read files:read index:read mcp secret:read"},
		{name: "unknown URI with every scope", body: readBody("other://x"), scopes: strings.Fields(all), status: 200},
		{name: "URI with a trailing space is unknown", body: readBody("docs://about "), scopes: []string{"docs:read"}, status: 403, want: "any:read docs:read files:read index:read mcp secret:read"},
		{name: "escaped URI is the URI", body: readBody(`docs:\/\/ab\u006Fut`), scopes: []string{"files:read"}, status: 403, want: "docs:read mcp"},
		{name: "duplicate key: the last one counts, as for mcp-go", body: `{"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"uri":"docs://about","uri":"docs://files/a"}}`, scopes: []string{"docs:read"}, status: 403, want: "any:read files:read mcp"},
		{name: "key in another case counts, as for mcp-go", body: `{"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"URI":"docs://about"}}`, scopes: []string{"files:read"}, status: 403, want: "docs:read mcp"},
		{name: "read without params needs every resource scope", body: `{"jsonrpc":"2.0","id":3,"method":"resources/read"}`, scopes: []string{"docs:read"}, status: 403, want: "any:read docs:read files:read index:read mcp secret:read"},
		{name: "prompt with its scope", body: `{"jsonrpc":"2.0","id":4,"method":"prompts/get","params":{"name":"summarize"}}`, scopes: []string{"prompt:use"}, status: 200},
		{name: "prompt without its scope", body: `{"jsonrpc":"2.0","id":4,"method":"prompts/get","params":{"name":"summarize"}}`, scopes: []string{"docs:read"}, status: 403, want: "mcp prompt:use"},
		{name: "prompt name escaped", body: `{"jsonrpc":"2.0","id":4,"method":"prompts/get","params":{"name":"summ\u0061rize"}}`, status: 403, want: "mcp prompt:use"},
		{name: "unknown prompt needs only Required", body: `{"jsonrpc":"2.0","id":4,"method":"prompts/get","params":{"name":"other"}}`, status: 200},
		{name: "batch needs the scopes of every message", body: "[" + readBody("docs://about") + `,{"jsonrpc":"2.0","id":4,"method":"prompts/get","params":{"name":"summarize"}}]`, scopes: []string{"docs:read"}, status: 403, want: "docs:read mcp prompt:use"},
		{name: "lists need only Required", body: `{"jsonrpc":"2.0","id":5,"method":"resources/templates/list"}`, status: 200},
		{name: "Mcp-Name header naming another URI", body: readBody("docs://files/a"), scopes: []string{"files:read", "any:read"}, header: http.Header{"Mcp-Name": {"docs://about"}}, status: 400},
		{name: "Mcp-Method header naming another method", body: readBody("docs://about"), scopes: []string{"docs:read"}, header: http.Header{"Mcp-Method": {"tools/list"}}, status: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := bearer(token(tc.scopes...))
			maps.Copy(h, tc.header)
			w := e.do(http.MethodPost, "/mcp", tc.body, h)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, tc.status, w.Body)
			}
			if tc.status != http.StatusForbidden {
				return
			}
			c := parseChallenge(t, w.Header().Get("WWW-Authenticate"))
			if c["error"] != auth.CodeInsufficientScope || c["scope"] != tc.want {
				t.Errorf("challenge error=%q scope=%q, want insufficient_scope and %q", c["error"], c["scope"], tc.want)
			}
		})
	}
}

// TestResourcesWithoutToken: with lazy authentication a resource or prompt is never
// public: read or got without a token it gets a 401 naming what it needs.
func TestResourcesWithoutToken(t *testing.T) {
	policy := docsPolicy
	policy.Tools = map[string][]string{"weather": nil}
	policy.Public = []string{"weather"}
	e := newEnv(t, nil, nil, func(c *auth.MiddlewareConfig) { c.Scopes = policy })
	for _, tc := range []struct{ body, want string }{
		{readBody("docs://about"), "docs:read mcp"},
		{`{"jsonrpc":"2.0","id":4,"method":"prompts/get","params":{"name":"summarize"}}`, "mcp prompt:use"},
	} {
		w := e.doAnonymous(t, http.MethodPost, tc.body, nil)
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("%s without a token: status %d, want 401", tc.body, w.Code)
		}
		if c := parseChallenge(t, w.Header().Get("WWW-Authenticate")); c["scope"] != tc.want {
			t.Errorf("%s without a token: challenge scope %q, want %q", tc.body, c["scope"], tc.want)
		}
	}
	if w := e.doAnonymous(t, http.MethodPost, `{"jsonrpc":"2.0","id":5,"method":"resources/list"}`, nil); w.Code != http.StatusOK {
		t.Errorf("resources/list without a token: status %d, want 200 (discovery)", w.Code)
	}
}

// TestResourcePolicyCheck: a template that is not RFC 6570, an empty URI or prompt
// name and an invalid scope of a resource are refused when the middleware is built.
func TestResourcePolicyCheck(t *testing.T) {
	for name, p := range map[string]auth.ScopePolicy{
		"bad template":   {ResourceTemplates: map[string][]string{"docs://{unclosed": {"a"}}},
		"empty URI":      {Resources: map[string][]string{"": {"a"}}},
		"empty prompt":   {Prompts: map[string][]string{"": {"a"}}},
		"resource scope": {Resources: map[string][]string{"docs://a": {"offline_access"}}},
		"prompt scope":   {Prompts: map[string][]string{"p": {"two words"}}},
	} {
		if err := p.Check(); err == nil {
			t.Errorf("%s: Check() = nil, want an error", name)
		}
		if _, err := auth.Middleware(auth.MiddlewareConfig{Validator: refuseAll{}, ResourceMetadataURL: testMetadataURL, Scopes: p}); err == nil {
			t.Errorf("%s: Middleware accepted the policy", name)
		}
	}
	if got, want := strings.Join(docsPolicy.All(), " "), "any:read docs:read files:read index:read mcp prompt:use secret:read"; got != want {
		t.Errorf("All() = %q, want %q", got, want)
	}
}

// refuseAll is a validator that accepts no token.
type refuseAll struct{}

func (refuseAll) Validate(context.Context, string) (*auth.Principal, error) {
	return nil, errors.New("no token is valid")
}

// docsServer serves a real mcp-go server with docsPolicy's resources, templates and
// prompt behind the middleware, its lists filtered (auth.FilterResourceLists,
// auth.PromptFilter) and its reads and gets audited into logs. Reading a secret path
// containing "admin" asks for secret:admin at request time (auth.RequireScopes).
func docsServer(t *testing.T, iss *authtest.Issuer, logs *logBuffer) string {
	t.Helper()
	policy := docsPolicy
	policy.FilterLists = true
	hooks := &server.Hooks{}
	s := server.NewMCPServer("docs", "1.0.0", server.WithHooks(hooks), server.WithPromptFilter(auth.PromptFilter(policy)))
	auth.FilterResourceLists(hooks, policy)
	audit.Hook(hooks, s, logs.logger())
	text := func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		if strings.Contains(req.Params.URI, "admin") {
			if err := auth.RequireScopes(ctx, "secret:admin"); err != nil {
				return nil, err
			}
		}
		return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "text/plain", Text: "contents of " + req.Params.URI}}, nil
	}
	for _, uri := range slices.Sorted(maps.Keys(policy.Resources)) {
		s.AddResource(mcp.NewResource(uri, uri), text)
	}
	for _, raw := range slices.Sorted(maps.Keys(policy.ResourceTemplates)) {
		s.AddResourceTemplate(mcp.NewResourceTemplate(raw, raw), text)
	}
	s.AddPrompt(mcp.NewPrompt("summarize"), func(context.Context, mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		return mcp.NewGetPromptResult("summary", []mcp.PromptMessage{mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent("Summarize."))}), nil
	})
	v, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{iss.URL}, Audiences: []string{testResource}}, iss.KeySet())
	if err != nil {
		t.Fatal(err)
	}
	mw, err := auth.Middleware(auth.MiddlewareConfig{Validator: v, ResourceMetadataURL: testMetadataURL, Scopes: policy, Logger: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(mw(server.NewStreamableHTTPServer(s)))
	t.Cleanup(ts.Close)
	return ts.URL
}

func readResource(c *client.Client, uri string) (*mcp.ReadResourceResult, error) {
	req := mcp.ReadResourceRequest{}
	req.Params.URI = uri
	return c.ReadResource(context.Background(), req)
}

// TestResourcesAndPromptsWithMCPClient drives docsServer with mcp-go clients in both
// protocol eras: a read or get with the scope succeeds and is audited; without it the
// client gets a 403 challenge naming the scope, not an answer; a handler's step-up
// turns the read into a challenge; the lists show each caller only what it may use.
func TestResourcesAndPromptsWithMCPClient(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	logs := &logBuffer{}
	url := docsServer(t, iss, logs)
	token := func(scopes ...string) string {
		return iss.Mint(authtest.Claims{"scope": strings.Join(append([]string{"mcp"}, scopes...), " ")})
	}
	for _, version := range eras {
		t.Run(version, func(t *testing.T) {
			rc := &recorder{}
			c, err := dial(t, url, token("docs:read", "secret:read", "prompt:use"), version, rc)
			if err != nil {
				t.Fatal(err)
			}
			res, err := readResource(c, "docs://about")
			if err != nil {
				t.Fatalf("read docs://about with docs:read: %v", err)
			}
			if text := res.Contents[0].(mcp.TextResourceContents).Text; text != "contents of docs://about" {
				t.Errorf("read docs://about: %q", text)
			}
			if !strings.Contains(logs.String(), `msg="resource read" resource=docs://about outcome=ok`) {
				t.Errorf("no audit line for the read:\n%s", logs)
			}
			if _, err := readResource(c, "docs://secret/a/b"); err != nil {
				t.Fatalf("read docs://secret/a/b with secret:read: %v", err)
			}
			if _, err := c.GetPrompt(context.Background(), mcp.GetPromptRequest{Params: mcp.GetPromptParams{Name: "summarize"}}); err != nil {
				t.Fatalf("get summarize with prompt:use: %v", err)
			}
			if !strings.Contains(logs.String(), `msg="prompt get" prompt=summarize outcome=ok`) {
				t.Errorf("no audit line for the prompt:\n%s", logs)
			}

			if _, err := readResource(c, "docs://files/a"); err == nil {
				t.Fatal("read docs://files/a without files:read and any:read succeeded")
			}
			ex := rc.last(t, "resources/read")
			if ch := parseChallenge(t, ex.challenge); ex.status != http.StatusForbidden || ch["scope"] != "any:read files:read mcp" {
				t.Errorf("read without the scope: status %d, challenge %q; want 403 naming any:read files:read mcp", ex.status, ex.challenge)
			}

			if _, err := readResource(c, "docs://secret/x/admin"); err == nil {
				t.Fatal("read of an admin path succeeded without secret:admin")
			}
			ex = rc.last(t, "resources/read")
			if ch := parseChallenge(t, ex.challenge); ex.status != http.StatusForbidden || ch["scope"] != "mcp secret:admin secret:read" {
				t.Errorf("step-up in a resource handler: status %d, challenge %q; want 403 naming mcp secret:admin secret:read", ex.status, ex.challenge)
			}
			if !strings.Contains(logs.String(), `msg="resource read" resource=docs://secret/x/admin outcome=step_up scopes=secret:admin`) {
				t.Errorf("no step-up audit line:\n%s", logs)
			}

			list, err := c.ListResources(context.Background(), mcp.ListResourcesRequest{})
			if err != nil {
				t.Fatal(err)
			}
			var uris []string
			for _, r := range list.Resources {
				uris = append(uris, r.URI)
			}
			if want := []string{"docs://about"}; !slices.Equal(uris, want) {
				t.Errorf("resources/list = %q, want %q", uris, want)
			}
			tl, err := c.ListResourceTemplates(context.Background(), mcp.ListResourceTemplatesRequest{})
			if err != nil {
				t.Fatal(err)
			}
			var raws []string
			for _, rt := range tl.ResourceTemplates {
				raws = append(raws, rt.URITemplate.Raw())
			}
			if want := []string{"docs://secret{/path*}"}; !slices.Equal(raws, want) {
				t.Errorf("resources/templates/list = %q, want %q", raws, want)
			}
			if ex := rc.last(t, "resources/templates/list"); ex.header.Get("Cache-Control") != "private" {
				t.Errorf("filtered list answer Cache-Control %q, want private", ex.header.Get("Cache-Control"))
			}

			other, err := dial(t, url, token("files:read"), version, &recorder{})
			if err != nil {
				t.Fatal(err)
			}
			pl, err := other.ListPrompts(context.Background(), mcp.ListPromptsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if len(pl.Prompts) != 0 {
				t.Errorf("prompts/list for a caller without prompt:use shows %d prompts", len(pl.Prompts))
			}
		})
	}
}
