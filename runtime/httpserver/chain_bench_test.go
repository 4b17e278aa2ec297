package httpserver_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
	"github.com/mcpgen/mcpgen/runtime/httpserver"
	"github.com/mcpgen/mcpgen/runtime/metrics"
	"github.com/mcpgen/mcpgen/runtime/origin"
	"github.com/mcpgen/mcpgen/runtime/ratelimit"
	"github.com/mcpgen/mcpgen/runtime/requestlog"
)

// BenchmarkFullChain is the per-request cost of the generated server's whole chain in
// front of /mcp for a valid token, as internal/middleware assembles it: request log
// (JSON, written to io.Discard), body limit, metrics, origin check, failed-auth guard,
// authentication with per-tool scopes (verified-token cache on, as generated), log
// annotation and the per-caller rate limit (in memory). The handler behind it does
// nothing, so the figure is the chain's overhead alone. "handler only" is the baseline.
func BenchmarkFullChain(b *testing.B) {
	const resource = "https://mcp.example.com/mcp"
	iss := authtest.NewIssuer(b, authtest.WithAudience(resource))
	v, err := auth.NewValidator(auth.ValidatorConfig{
		Issuers: []string{iss.URL}, Audiences: []string{resource}, CacheEntries: auth.DefaultCacheEntries,
	}, iss.KeySet())
	if err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	m := metrics.New()
	lim, err := ratelimit.New(ratelimit.Config{
		PerPrincipal: ratelimit.PerMinute(1 << 30), FailedAuthPerIP: ratelimit.PerMinute(30),
		OnLimited: m.RateLimited, Logger: logger,
	})
	if err != nil {
		b.Fatal(err)
	}
	authenticate, err := auth.Middleware(auth.MiddlewareConfig{
		Validator: v, ResourceMetadataURL: "https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
		Scopes: auth.ScopePolicy{Tools: map[string][]string{"greet_user": {"usr:read"}}}, Logger: logger,
		OnReject: func(r *http.Request, e *auth.Error) { lim.AuthFailed(r, e); m.AuthFailure(e.Reason) },
		OnAuthenticated: func(w http.ResponseWriter, r *http.Request, p *auth.Principal) bool {
			requestlog.Annotate(r.Context(), slog.String("subject", p.Subject), slog.String("client_id", p.ClientID))
			return lim.Admit(w, r, p)
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	origins, err := origin.NewPolicy(resource, nil)
	if err != nil {
		b.Fatal(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		metrics.SetTool(r.Context(), "greet_user")
		w.WriteHeader(http.StatusNoContent)
	})
	chain := requestlog.Middleware(logger)(httpserver.LimitBody(httpserver.DefaultMaxBodyBytes)(
		m.Middleware(origins.Middleware(lim.GuardFailedAuth(authenticate(handler))))))

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
	b.Run("full chain", func(b *testing.B) { run(b, chain) })
}
