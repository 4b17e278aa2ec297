package protect_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
	"github.com/mcpgen/mcpgen/runtime/envconfig"
	"github.com/mcpgen/mcpgen/runtime/metrics"
	"github.com/mcpgen/mcpgen/runtime/protect"
	"github.com/mcpgen/mcpgen/runtime/provider"
	"github.com/mcpgen/mcpgen/runtime/settings"
)

// BenchmarkProtect is the per-request cost of the whole protection a generated server
// puts in front of /mcp, for a valid token, with the default production settings
// (request log as JSON to io.Discard, metrics on, rate limits on with a budget that
// never refuses, verified-token cache on): body limit, metrics, Origin check,
// failed-auth guard, authentication with per-tool scopes, log annotation and the
// per-caller limit. The endpoint behind it does nothing, so the figure is the
// protection's overhead alone; "handler only" is the baseline.
func BenchmarkProtect(b *testing.B) {
	const resource = "https://mcp.example.com/mcp"
	iss := authtest.NewIssuer(b, authtest.WithAudience(resource))
	env := envconfig.FromMap(map[string]string{
		"MCP_RESOURCE_URL":      resource,
		"AUTH_ISSUER":           iss.URL,
		"METRICS_ADDR":          "127.0.0.1:0",
		"RATE_LIMIT_PER_MINUTE": "1000000",
	})
	s := settings.Read(env, provider.Generic, settings.Defaults{})
	if err := env.Err(); err != nil {
		b.Fatal(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		metrics.SetTool(r.Context(), "greet_user")
		w.WriteHeader(http.StatusNoContent)
	})
	srv, err := protect.New(b.Context(), s, handler, protect.Options{
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Scopes: auth.ScopePolicy{Tools: map[string][]string{"greet_user": {"usr:read"}}},
		Keys:   iss.KeySet(),
	})
	if err != nil {
		b.Fatal(err)
	}

	header := "Bearer " + iss.Mint(authtest.Claims{"scope": "usr:read", "client_id": "bench"})
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet_user","arguments":{"name":"Ada"}}}`
	run := func(b *testing.B, h http.Handler) {
		b.ReportAllocs()
		for b.Loop() {
			r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
			r.RemoteAddr = "192.0.2.1:40000"
			r.Header.Set("Authorization", header)
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusNoContent {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	}
	b.Run("handler only", func(b *testing.B) { run(b, handler) })
	b.Run("protected", func(b *testing.B) { run(b, srv.Handler) })
}
