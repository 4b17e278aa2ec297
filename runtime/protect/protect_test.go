package protect_test

import (
	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update

	"context"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
	"github.com/mcpgen/mcpgen/runtime/envconfig"
	"github.com/mcpgen/mcpgen/runtime/protect"
	"github.com/mcpgen/mcpgen/runtime/provider"
	"github.com/mcpgen/mcpgen/runtime/settings"
)

// scopes are the tools of the server under test and what each needs.
var scopes = map[string][]string{
	"echo":  {"echo:read"},
	"erase": {"files:write", "files:admin"},
}

// newMCPServer is an mcp-go server as an application would have it, unprotected.
func newMCPServer() *server.StreamableHTTPServer {
	s := server.NewMCPServer("protect-test", "1.0.0")
	for name := range scopes {
		s.AddTool(mcp.NewTool(name), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(name), nil
		})
	}
	return server.NewStreamableHTTPServer(s, server.WithSessionIdManager(&server.StatelessGeneratingSessionIdManager{}))
}

func newHandler(t testing.TB, p provider.Preset, env map[string]string, keys auth.KeySet, logger *slog.Logger) http.Handler {
	t.Helper()
	e := envconfig.FromMap(env)
	s := settings.Read(e, p, settings.Defaults{Port: 3002})
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	srv, err := protect.New(context.Background(), s, newMCPServer(), protect.Options{
		Logger: logger,
		Name:   "protect-test",
		Scopes: auth.ScopePolicy{Tools: scopes},
		Keys:   keys,
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv.Handler
}

// TestConformance runs the runtime's conformance suite against an mcp-go server
// protected by protect.New, with each preset's token conventions.
func TestConformance(t *testing.T) {
	for _, p := range []provider.Preset{provider.Generic, provider.Scalekit, provider.Entra, provider.Cognito} {
		t.Run(p.Name, func(t *testing.T) {
			authtest.Conformance(t, authtest.Server{
				New: func(t testing.TB, env map[string]string, keys auth.KeySet, logger *slog.Logger) http.Handler {
					return newHandler(t, p, env, keys, logger)
				},
				Tools:    scopes,
				Provider: p,
			})
		})
	}
}

// serve builds a generic server from env with no keys given, as in production.
func serve(t *testing.T, env map[string]string) (*protect.Server, error) {
	t.Helper()
	return serveAs(t, provider.Generic, env)
}

// serveAs builds a server for p from env with no keys given, as in production.
func serveAs(t *testing.T, p provider.Preset, env map[string]string) (*protect.Server, error) {
	t.Helper()
	e := envconfig.FromMap(env)
	s := settings.Read(e, p, settings.Defaults{Port: 3002, ResourceURL: "http://localhost:3002/mcp"})
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	return protect.New(t.Context(), s, newMCPServer(), protect.Options{
		Logger: slog.New(slog.DiscardHandler),
		Scopes: auth.ScopePolicy{Tools: scopes},
	})
}

// TestKeysDiscoveredAtStart: without AUTH_JWKS_URL the server finds the keys through the
// issuer's metadata before it serves, and is ready once they are loaded.
func TestKeysDiscoveredAtStart(t *testing.T) {
	iss := authtest.NewIssuer(t)
	srv, err := serve(t, map[string]string{"AUTH_ISSUER": iss.URL})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if !srv.Ready() || iss.JWKSFetches() == 0 {
		t.Errorf("keys not loaded from the discovered JWKS (ready %v, fetches %d)", srv.Ready(), iss.JWKSFetches())
	}
}

// TestUnreachableIssuerStopsStart: an issuer whose metadata cannot be read stops the
// server with a message naming the settings to fix.
func TestUnreachableIssuerStopsStart(t *testing.T) {
	iss := authtest.NewIssuer(t)
	iss.Close()
	_, err := serve(t, map[string]string{"AUTH_ISSUER": iss.URL})
	if err == nil || !strings.Contains(err.Error(), "AUTH_ISSUER") || !strings.Contains(err.Error(), "AUTH_JWKS_URL") {
		t.Errorf("New = %v, want an error naming AUTH_ISSUER and AUTH_JWKS_URL", err)
	}
}

// TestReadyFollowsTheKeys: /ready answers 503 while the key set cannot be loaded (the
// authorization server is down at start) and 200 once it is.
func TestReadyFollowsTheKeys(t *testing.T) {
	iss := authtest.NewIssuer(t)
	iss.SetJWKSAvailable(false)
	srv, err := serve(t, map[string]string{"AUTH_ISSUER": iss.URL, "AUTH_JWKS_URL": iss.JWKSURL})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	status := func() int {
		rec := httptest.NewRecorder()
		srv.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ready", nil))
		return rec.Code
	}
	if got := status(); got != http.StatusServiceUnavailable {
		t.Fatalf("/ready with the keys unavailable = %d, want 503", got)
	}
	iss.SetJWKSAvailable(true)
	deadline := time.Now().Add(10 * time.Second)
	for status() != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("/ready stayed 503 after the keys came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestOpaqueTokensByIntrospection: with AUTH_TOKEN_FORMAT=opaque the server finds the
// introspection endpoint in the issuer's metadata and accepts a token only while the
// authorization server says it is active.
func TestOpaqueTokensByIntrospection(t *testing.T) {
	const resource = "http://localhost:3002/mcp"
	iss := authtest.NewIssuer(t, authtest.WithAudience(resource))
	srv, err := serve(t, map[string]string{
		"AUTH_ISSUER":                      iss.URL,
		"AUTH_TOKEN_FORMAT":                "opaque",
		"AUTH_INTROSPECTION_CLIENT_ID":     authtest.IntrospectionClientID,
		"AUTH_INTROSPECTION_CLIENT_SECRET": authtest.IntrospectionClientSecret,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	call := func(token string) int {
		req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		rec := httptest.NewRecorder()
		srv.Handler.ServeHTTP(rec, req)
		return rec.Code
	}
	token := iss.MintOpaque(authtest.Claims{"scope": "echo:read"})
	if got := call(token); got != http.StatusOK {
		t.Errorf("active opaque token: status %d, want 200", got)
	}
	if got := call("opaque-unknown-to-the-server"); got != http.StatusUnauthorized {
		t.Errorf("unknown opaque token: status %d, want 401", got)
	}
}

// TestIntrospectedScopes: an introspection response names the granted scopes in scope
// (RFC 7662 §2.2), also for a provider whose JWTs use scp (Okta): an Okta opaque token
// with the tool's scope may call it.
func TestIntrospectedScopes(t *testing.T) {
	const resource = "http://localhost:3002/mcp"
	iss := authtest.NewIssuer(t, authtest.WithAudience(resource))
	for _, p := range []provider.Preset{provider.Okta, provider.Keycloak, provider.Generic} {
		srv, err := serveAs(t, p, map[string]string{
			"AUTH_ISSUER":                      iss.URL,
			"AUTH_TOKEN_FORMAT":                "opaque",
			"AUTH_INTROSPECTION_CLIENT_ID":     authtest.IntrospectionClientID,
			"AUTH_INTROSPECTION_CLIENT_SECRET": authtest.IntrospectionClientSecret,
		})
		if err != nil {
			t.Fatalf("%s: New: %v", p.Name, err)
		}
		call := func(token string) int {
			req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{}}}`))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			rec := httptest.NewRecorder()
			srv.Handler.ServeHTTP(rec, req)
			return rec.Code
		}
		// Past authorization, mcp-go answers a call outside a session itself (404).
		if got := call(iss.MintOpaque(authtest.Claims{"scope": "echo:read openid"})); got == http.StatusUnauthorized || got == http.StatusForbidden {
			t.Errorf("%s: opaque token with scope echo:read: status %d, want it authorized", p.Name, got)
		}
		if got := call(iss.MintOpaque(authtest.Claims{"scope": "openid"})); got != http.StatusForbidden {
			t.Errorf("%s: opaque token without echo:read: status %d, want 403", p.Name, got)
		}
	}
}

// TestEndpointAtTheResourcePath: the protected endpoint is served at the path of
// MCP_RESOURCE_URL, whatever it is, and nowhere else.
func TestEndpointAtTheResourcePath(t *testing.T) {
	iss := authtest.NewIssuer(t)
	for _, tc := range []struct{ resource, path string }{
		{"https://mcp.example.com", "/"},
		{"https://mcp.example.com/", "/"},
		{"https://mcp.example.com/tenants/{id}/mcp", "/tenants/{id}/mcp"},
	} {
		e := envconfig.FromMap(map[string]string{"MCP_RESOURCE_URL": tc.resource, "AUTH_ISSUER": iss.URL, "AUTH_JWKS_URL": iss.JWKSURL})
		s := settings.Read(e, provider.Generic, settings.Defaults{})
		if err := e.Err(); err != nil {
			t.Fatal(err)
		}
		srv, err := protect.New(t.Context(), s, newMCPServer(), protect.Options{Keys: iss.KeySet(), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatalf("%s: New: %v", tc.resource, err)
		}
		for path, want := range map[string]int{tc.path: http.StatusUnauthorized, "/elsewhere": http.StatusNotFound} {
			rec := httptest.NewRecorder()
			srv.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader("{}")))
			if rec.Code != want {
				t.Errorf("%s: POST %s = %d, want %d", tc.resource, path, rec.Code, want)
			}
		}
	}
}

// replica is one protect.Server over an mcp-go server with the stateless generating
// session manager (as generated servers have it), behind a load balancer's URL.
func replica(t *testing.T, iss *authtest.Issuer, env map[string]string, logger *slog.Logger) http.Handler {
	t.Helper()
	vars := map[string]string{"AUTH_ISSUER": iss.URL, "AUTH_JWKS_URL": iss.JWKSURL}
	maps.Copy(vars, env)
	e := envconfig.FromMap(vars)
	s := settings.Read(e, provider.Generic, settings.Defaults{Port: 3002, ResourceURL: "https://mcp.example.com/mcp"})
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	srv, err := protect.New(t.Context(), s, newMCPServer(), protect.Options{
		Logger: logger,
		Scopes: auth.ScopePolicy{Tools: scopes},
		Keys:   iss.KeySet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv.Handler
}

// inSession posts body to h with token, in session when it is not "", and returns
// the answer.
func inSession(h http.Handler, token, session, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

const (
	initialize = `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	callEcho   = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{}}}`
)

// TestSessionsBoundAcrossReplicas: a session of an mcp-go server (stateless generating
// session manager) started on one protect.Server replica goes on on another replica
// with the same MCP_SESSION_KEY, for its owner only; replicas with other keys, or with
// none (a random key per process), answer 404 as for an unknown session.
func TestSessionsBoundAcrossReplicas(t *testing.T) {
	const resource = "https://mcp.example.com/mcp"
	iss := authtest.NewIssuer(t, authtest.WithAudience(resource))
	discard := slog.New(slog.DiscardHandler)
	sharedKey := map[string]string{"MCP_SESSION_KEY": "0123456789abcdef0123456789abcdef-shared"}
	owner := iss.Mint(authtest.Claims{"sub": "owner", "client_id": "app", "scope": "echo:read"})
	for _, tc := range []struct {
		name        string
		first, next map[string]string // each replica's settings
		token       string            // who calls the second replica
		want        int
	}{
		{"owner, shared key", sharedKey, sharedKey, owner, http.StatusOK},
		{"another subject, shared key", sharedKey, sharedKey,
			iss.Mint(authtest.Claims{"sub": "intruder", "client_id": "app", "scope": "echo:read"}), http.StatusNotFound},
		{"another client, shared key", sharedKey, sharedKey,
			iss.Mint(authtest.Claims{"sub": "owner", "client_id": "other-app", "scope": "echo:read"}), http.StatusNotFound},
		{"owner, other key", sharedKey, map[string]string{"MCP_SESSION_KEY": "another-key-of-at-least-32-bytes-long"}, owner, http.StatusNotFound},
		{"owner, no key on either replica", nil, nil, owner, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := replica(t, iss, tc.first, discard), replica(t, iss, tc.next, discard)
			started := inSession(a, owner, "", initialize)
			session := started.Header().Get("Mcp-Session-Id")
			if started.Code != http.StatusOK || session == "" {
				t.Fatalf("initialize: status %d, session %q", started.Code, session)
			}
			if inner, _, tagged := strings.Cut(session, "."); !tagged || !strings.HasPrefix(inner, "mcp-session-") {
				t.Errorf("session id %q: want mcp-go's id with the caller's tag after a dot", session)
			}
			res := inSession(b, tc.token, session, callEcho)
			if res.Code != tc.want {
				t.Fatalf("echo on the second replica: status %d %s, want %d", res.Code, res.Body, tc.want)
			}
			if tc.want == http.StatusNotFound {
				if !strings.Contains(res.Body.String(), `"jsonrpc":"2.0"`) || res.Header().Get("Mcp-Session-Id") != "" {
					t.Errorf("refusal: body %s, Mcp-Session-Id %q; want a JSON-RPC error and no session id",
						res.Body, res.Header().Get("Mcp-Session-Id"))
				}
				if res := inSession(a, owner, session, callEcho); res.Code != http.StatusOK {
					t.Errorf("the owner on the first replica: status %d, want 200", res.Code)
				}
				return
			}
			if !strings.Contains(res.Body.String(), `"text":"echo"`) {
				t.Errorf("echo on the second replica answered %s", res.Body)
			}
		})
	}
}

// TestSessionKeyWarning: with REDIS_URL set (several replicas) and no MCP_SESSION_KEY,
// the server starts and warns that sessions will not move between replicas, without
// the key; with the key set it says nothing of it.
func TestSessionKeyWarning(t *testing.T) {
	iss := authtest.NewIssuer(t)
	for _, tc := range []struct {
		env  map[string]string
		warn bool
	}{
		{map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0"}, true},
		{map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0", "MCP_SESSION_KEY": "a-session-key-of-at-least-32-bytes!"}, false},
		{nil, false},
	} {
		var logs strings.Builder
		replica(t, iss, tc.env, slog.New(slog.NewTextHandler(&logs, nil)))
		warned := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "MCP_SESSION_KEY")
		if warned != tc.warn {
			t.Errorf("env %v: warned %v, want %v; logs:\n%s", tc.env, warned, tc.warn, logs.String())
		}
		if strings.Contains(logs.String(), "a-session-key-of-at-least-32-bytes!") {
			t.Errorf("the session key appears in the logs:\n%s", logs.String())
		}
	}
}
