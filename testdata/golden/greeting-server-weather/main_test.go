package main

// These tests run the whole server in-process, over real HTTP, against an in-process
// authorization server (runtime/authtest) that mints signed tokens. They show what a
// client sees: challenges without a token, refusals with the wrong one, and tools with
// the right one.

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
	"github.com/mcpgen/mcpgen/runtime/envconfig"
	"github.com/mcpgen/mcpgen/runtime/metrics"

	"example.com/greeting-server/internal/config"
	"example.com/greeting-server/internal/middleware"
	"example.com/greeting-server/internal/tools"
)

// testServer is the server under test and the issuer its tokens come from.
type testServer struct {
	URL    string // base URL, http://127.0.0.1:port
	MCPURL string // the MCP endpoint, also the resource URL and token audience
	Issuer *authtest.Issuer
}

// newTestServer starts the server on a loopback port, configured through the same
// environment variables as in production.
func newTestServer(t *testing.T) *testServer {
	return startTestServer(t, testOptions{})
}

// testOptions vary the server under test; the zero value is the default server.
type testOptions struct {
	env     map[string]string                  // more settings, as in the environment
	keys    func(*authtest.Issuer) auth.KeySet // default: the issuer's keys, loaded
	metrics *metrics.Metrics                   // default: metrics off
	logs    io.Writer                          // default: discarded
}

func startTestServer(t *testing.T, opts testOptions) *testServer {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	ts := &testServer{URL: base, MCPURL: base + "/mcp"}
	ts.Issuer = authtest.NewIssuer(t, authtest.WithAudience(ts.MCPURL))

	env := map[string]string{
		"MCP_RESOURCE_URL": ts.MCPURL,
		"AUTH_ISSUER":      ts.Issuer.URL,
		"AUTH_JWKS_URL":    ts.Issuer.JWKSURL,
		"AUTH_AUDIENCE":    ts.MCPURL,
	}
	maps.Copy(env, opts.env)
	cfg := loadConfig(t, env)
	keys := ts.Issuer.KeySet()
	if opts.keys != nil {
		keys = opts.keys(ts.Issuer)
	}
	validator, err := jwtValidator(cfg, keys)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	if opts.logs != nil {
		logger = slog.New(slog.NewJSONHandler(opts.logs, nil))
	}
	a, err := newApp(cfg, validator, keys.Ready, opts.metrics, logger)
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	srv.Config.Handler = a.handler
	srv.Start()
	t.Cleanup(srv.Close)
	return ts
}

// loadConfig reads the configuration from env, as the server reads its environment.
func loadConfig(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	cfg, err := config.FromEnv(envconfig.New(func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

// token mints an access token for this server carrying scopes.
func (ts *testServer) token(scopes ...string) string {
	return ts.Issuer.Mint(providerClaims(scopes))
}

// callTool posts a raw tools/call request, as an MCP client would, with an optional token.
func (ts *testServer) callTool(t *testing.T, token, name string) *http.Response {
	t.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + name + `","arguments":{}}}`
	return do(t, ts.mcpRequest(t, token, body))
}

// mcpRequest builds a raw JSON-RPC POST to the MCP endpoint, with an optional token.
func (ts *testServer) mcpRequest(t *testing.T, token, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.MCPURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// toolScopes returns every scope some tool requires, sorted: what a token needs to call
// every tool, and what the 401 challenge asks for.
func toolScopes() []string {
	var all []string
	for _, scopes := range tools.Scopes {
		all = append(all, scopes...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

func do(t *testing.T, req *http.Request) *http.Response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func TestNoTokenGets401WithChallenge(t *testing.T) {
	ts := newTestServer(t)
	res := ts.callTool(t, "", "greet_user")

	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401", res.StatusCode)
	}
	challenge := res.Header.Get("WWW-Authenticate")
	// The challenge tells the client where to learn how to get a token, and for what.
	for _, want := range []string{
		`Bearer `,
		`resource_metadata="` + ts.URL + `/.well-known/oauth-protected-resource/mcp"`,
		`scope="` + strings.Join(toolScopes(), " ") + `"`,
	} {
		if !strings.Contains(challenge, want) {
			t.Errorf("WWW-Authenticate = %q, want it to contain %q", challenge, want)
		}
	}
	if strings.Contains(challenge, "error=") {
		t.Errorf("WWW-Authenticate = %q: a request without a token gets no error code (RFC 6750 §3.1)", challenge)
	}
}

func TestWrongAudienceGets401(t *testing.T) {
	ts := newTestServer(t)
	claims := providerClaims(toolScopes())
	claims["aud"] = "https://other.example.com/mcp"
	token := ts.Issuer.Mint(claims)
	res := ts.callTool(t, token, "greet_user")

	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401", res.StatusCode)
	}
	if got := res.Header.Get("WWW-Authenticate"); !strings.Contains(got, `error="invalid_token"`) {
		t.Errorf("WWW-Authenticate = %q, want error=\"invalid_token\"", got)
	}
}

// TestMissingScopeGets403 checks every tool of the registry: a valid token without the
// tool's scopes is refused with insufficient_scope naming them.
func TestMissingScopeGets403(t *testing.T) {
	ts := newTestServer(t)
	token := ts.token("unrelated:scope")
	for name, scopes := range tools.Scopes {
		if len(scopes) == 0 {
			continue
		}
		t.Run(name, func(t *testing.T) {
			res := ts.callTool(t, token, name)
			if res.StatusCode != http.StatusForbidden {
				t.Fatalf("status = %d, want 403", res.StatusCode)
			}
			challenge := res.Header.Get("WWW-Authenticate")
			if !strings.Contains(challenge, `error="insufficient_scope"`) {
				t.Errorf("WWW-Authenticate = %q, want error=\"insufficient_scope\"", challenge)
			}
			for _, scope := range scopes {
				if !strings.Contains(challenge, scope) {
					t.Errorf("WWW-Authenticate = %q, want it to name %s", challenge, scope)
				}
			}
		})
	}
}

func TestForeignOriginGets403(t *testing.T) {
	ts := newTestServer(t)
	req, err := http.NewRequest(http.MethodPost, ts.MCPURL, strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Authorization", "Bearer "+ts.token(toolScopes()...))
	if res := do(t, req); res.StatusCode != http.StatusForbidden {
		t.Errorf("status = %d, want 403 for a page on a foreign origin (DNS rebinding guard)", res.StatusCode)
	}
}

// TestMCPClient drives the server with mcp-go's client in both protocol eras.
func TestMCPClient(t *testing.T) {
	ts := newTestServer(t)
	for _, version := range []string{"2025-11-25", mcp.LATEST_PROTOCOL_VERSION} {
		t.Run(version, func(t *testing.T) {
			c := newClient(t, ts.MCPURL, ts.token(toolScopes()...), version)
			list, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
			if err != nil {
				t.Fatalf("tools/list: %v", err)
			}
			var names []string
			for _, tool := range list.Tools {
				names = append(names, tool.Name)
			}
			for name := range tools.Scopes {
				if !slices.Contains(names, name) {
					t.Errorf("tools/list = %v, want it to contain %s", names, name)
				}
			}

			res, err := c.CallTool(context.Background(), mcp.CallToolRequest{Params: mcp.CallToolParams{
				Name:      "greet_user",
				Arguments: map[string]any{"name": "Ada"},
			}})
			if err != nil {
				t.Fatalf("tools/call: %v", err)
			}
			if got, want := mcp.GetTextFromContent(res.Content[0]), "Hi Ada, welcome to greeting-server!"; got != want {
				t.Errorf("greeting = %q, want %q", got, want)
			}
		})
	}
}

// TestSessionWorksOnAnotherReplica: a 2025-11-25 session started on one replica is
// accepted by another, so replicas behind a load balancer need no sticky sessions.
func TestSessionWorksOnAnotherReplica(t *testing.T) {
	first, second := newTestServer(t), newTestServer(t)
	c := newClient(t, first.MCPURL, first.token(toolScopes()...), "2025-11-25")
	session := c.GetSessionId()
	if session == "" {
		t.Fatal("no session id issued in the 2025-11-25 era")
	}

	req := second.mcpRequest(t, second.token(toolScopes()...), `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	req.Header.Set("Mcp-Session-Id", session)
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	if res := do(t, req); res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(res.Body)
		t.Errorf("tools/list on the second replica = %d %s, want 200", res.StatusCode, body)
	}
}

// newClient connects an MCP client that sends token and negotiates version: 2025-11-25
// uses initialize and a session, 2026-07-28 is stateless (server/discover).
func newClient(t *testing.T, url, token, version string) *client.Client {
	t.Helper()
	trans, err := transport.NewStreamableHTTP(url, transport.WithHTTPHeaders(map[string]string{
		"Authorization": "Bearer " + token,
	}))
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(trans, client.WithProtocolVersion(version))
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("start client: %v", err)
	}
	init, err := c.Initialize(ctx, mcp.InitializeRequest{})
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	if init.ProtocolVersion != version {
		t.Fatalf("negotiated protocol %s, want %s", init.ProtocolVersion, version)
	}
	return c
}

func TestMetadata(t *testing.T) {
	ts := newTestServer(t)
	// Clients try the path-inserted location first, then the root one: serve both.
	for _, path := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"} {
		t.Run(path, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			res := do(t, req)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", res.StatusCode)
			}
			var doc struct {
				Resource               string   `json:"resource"`
				AuthorizationServers   []string `json:"authorization_servers"`
				ScopesSupported        []string `json:"scopes_supported"`
				BearerMethodsSupported []string `json:"bearer_methods_supported"`
			}
			if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
				t.Fatalf("decode metadata: %v", err)
			}
			if doc.Resource != ts.MCPURL {
				t.Errorf("resource = %q, want %q", doc.Resource, ts.MCPURL)
			}
			if !slices.Equal(doc.AuthorizationServers, []string{ts.Issuer.URL}) {
				t.Errorf("authorization_servers = %v, want [%s]", doc.AuthorizationServers, ts.Issuer.URL)
			}
			if !slices.Equal(doc.ScopesSupported, tools.ScopesSupported) {
				t.Errorf("scopes_supported = %v, want %v", doc.ScopesSupported, tools.ScopesSupported)
			}
			if !slices.Equal(doc.BearerMethodsSupported, []string{"header"}) {
				t.Errorf("bearer_methods_supported = %v, want [header]", doc.BearerMethodsSupported)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	ts := newTestServer(t)
	req, err := http.NewRequest(http.MethodGet, ts.URL+"/health", nil)
	if err != nil {
		t.Fatal(err)
	}
	res := do(t, req)
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || string(body) != `{"status":"healthy"}` {
		t.Errorf("GET /health = %d %s, want 200 {\"status\":\"healthy\"}", res.StatusCode, body)
	}
}

// providerCase is a token shaped like the identity provider's, and what the server must
// make of it: the status, and for an accepted token the principal tools see.
type providerCase struct {
	name   string
	header map[string]any  // JOSE header parameters to add or change (authtest.Omit removes)
	claims authtest.Claims // the token's claims; authtest's defaults fill the rest
	status int             // http.StatusOK when the token is accepted
	want   auth.Principal  // Subject, ClientID, Organization and Scopes of an accepted token
}

// checkProviderTokens feeds each case's token through the server's auth chain, configured
// from env as in production (config, token validation and the /mcp middleware), and
// checks the answer and the principal.
func checkProviderTokens(t *testing.T, env map[string]string, cases []providerCase) {
	t.Helper()
	iss := authtest.NewIssuer(t)
	cfg := loadConfig(t, env)
	validator, err := jwtValidator(cfg, iss.KeySet())
	if err != nil {
		t.Fatal(err)
	}
	var seen *auth.Principal
	protect, err := middleware.Protect(middleware.Config{
		Logger:      slog.New(slog.DiscardHandler),
		ResourceURL: cfg.ResourceURL,
		Validator:   validator,
	})
	if err != nil {
		t.Fatal(err)
	}
	h := protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = auth.FromContext(r.Context())
	}))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			seen = nil
			req := httptest.NewRequest(http.MethodGet, cfg.ResourceURL, nil)
			req.Header.Set("Authorization", "Bearer "+iss.MintWithHeader(tc.header, tc.claims))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d (%s)", rec.Code, tc.status, rec.Header().Get("WWW-Authenticate"))
			}
			if tc.status != http.StatusOK {
				return
			}
			if seen == nil {
				t.Fatal("accepted, but the handler saw no principal")
			}
			got := auth.Principal{Subject: seen.Subject, ClientID: seen.ClientID, Organization: seen.Organization, Scopes: seen.Scopes}
			if got.Subject != tc.want.Subject || got.ClientID != tc.want.ClientID || got.Organization != tc.want.Organization || !slices.Equal(got.Scopes, tc.want.Scopes) {
				t.Errorf("principal = %+v, want %+v", got, tc.want)
			}
		})
	}
}
