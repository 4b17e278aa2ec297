package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
	"github.com/mcpgen/mcpgen/runtime/envconfig"
	"github.com/mcpgen/mcpgen/runtime/protect"
	"github.com/mcpgen/mcpgen/runtime/provider"
	"github.com/mcpgen/mcpgen/runtime/settings"
)

// TestConformance runs the runtime's security checks against the protected go-sdk server.
func TestConformance(t *testing.T) {
	authtest.Conformance(t, authtest.Server{
		New: func(t testing.TB, env map[string]string, keys auth.KeySet, logger *slog.Logger) http.Handler {
			e := envconfig.FromMap(env)
			s := settings.Read(e, provider.Generic, settings.Defaults{Port: 8080})
			if err := e.Err(); err != nil {
				t.Fatal(err)
			}
			srv, err := protectedServer(t.Context(), s, logger, keys)
			if err != nil {
				t.Fatal(err)
			}
			return srv.Handler
		},
		Tools:    scopes,
		Provider: provider.Generic,
	})
}

// TestStatefulSessionsBound: the runtime binds the sessions of a stateful go-sdk handler
// too (the binding wraps any http.Handler): the caller who started a session goes on in
// it, another caller presenting its id gets 404.
func TestStatefulSessionsBound(t *testing.T) {
	const resource = "http://localhost:8080/mcp"
	iss := authtest.NewIssuer(t, authtest.WithAudience(resource))
	e := envconfig.FromMap(map[string]string{"AUTH_ISSUER": iss.URL, "AUTH_JWKS_URL": iss.JWKSURL})
	s := settings.Read(e, provider.Generic, settings.Defaults{Port: 8080, ResourceURL: resource})
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	server := mcp.NewServer(&mcp.Implementation{Name: "docs", Version: "1.0.0"}, nil)
	stateful := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)
	srv, err := protect.New(t.Context(), s, stateful, protect.Options{Logger: slog.New(slog.DiscardHandler), Keys: iss.KeySet()})
	if err != nil {
		t.Fatal(err)
	}
	post := func(token, session, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
		}
		rec := httptest.NewRecorder()
		srv.Handler.ServeHTTP(rec, req)
		return rec
	}
	owner := iss.Mint(authtest.Claims{"sub": "owner", "client_id": "app"})
	res := post(owner, "", `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	session := res.Header().Get("Mcp-Session-Id")
	if res.Code != http.StatusOK || !strings.Contains(session, ".") {
		t.Fatalf("initialize: status %d, session %q; want 200 and a tagged session id", res.Code, session)
	}
	if res := post(owner, session, `{"jsonrpc":"2.0","method":"notifications/initialized"}`); res.Code != http.StatusAccepted {
		t.Fatalf("initialized: status %d %s, want 202", res.Code, res.Body)
	}
	intruder := iss.Mint(authtest.Claims{"sub": "intruder", "client_id": "app"})
	if res := post(intruder, session, `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`); res.Code != http.StatusNotFound {
		t.Errorf("another caller in the session: status %d %s, want 404", res.Code, res.Body)
	}
	if res := post(owner, session, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`); res.Code != http.StatusOK {
		t.Errorf("the owner in its session: status %d %s, want 200", res.Code, res.Body)
	}
}
