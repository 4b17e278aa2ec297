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
	"github.com/mcpgen/mcpgen/runtime/metrics"
	"github.com/mcpgen/mcpgen/runtime/origin"
	"github.com/mcpgen/mcpgen/runtime/ratelimit"
	"github.com/mcpgen/mcpgen/runtime/requestlog"
	"github.com/mcpgen/mcpgen/runtime/session"
)

// BenchmarkLayer is the per-request cost of each layer of the chain BenchmarkProtect
// measures whole, alone in front of an endpoint that does nothing, with the settings
// protect.New gives it in production. "none" is the baseline (the benchmark's own
// request and recorder); subtract it from each layer's figures.
func BenchmarkLayer(b *testing.B) {
	const resource = "https://mcp.example.com/mcp"
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	caller := &auth.Principal{Issuer: "https://issuer.example.com", Subject: "user-1", ClientID: "bench", Scopes: []string{"usr:read"}}
	noop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })

	origins, err := origin.NewPolicy(resource, nil)
	if err != nil {
		b.Fatal(err)
	}
	limiter, err := ratelimit.New(ratelimit.Config{PerPrincipal: ratelimit.PerMinute(1_000_000), FailedAuthPerIP: ratelimit.PerMinute(60), Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	iss := authtest.NewIssuer(b, authtest.WithAudience(resource))
	validator, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{iss.URL}, Audiences: []string{resource}, CacheEntries: auth.DefaultCacheEntries}, iss.KeySet())
	if err != nil {
		b.Fatal(err)
	}
	authenticate, err := auth.Middleware(auth.MiddlewareConfig{
		Validator: validator, ResourceMetadataURL: "https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
		Scopes:       auth.ScopePolicy{Tools: map[string][]string{"greet_user": {"usr:read"}}},
		Logger:       logger,
		BeforeVerify: limiter.BeforeVerify,
	})
	if err != nil {
		b.Fatal(err)
	}
	binder := session.New(session.Config{})
	sessionID := binder.Bind(session.Caller{Issuer: caller.Issuer, Subject: caller.Subject, ClientID: caller.ClientID}, "mcp-session-0f8fad5b-d9cb-469f-a165-70867728950e")
	token := "Bearer " + iss.Mint(authtest.Claims{"scope": "usr:read", "client_id": "bench"})

	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet_user","arguments":{"name":"Ada"}}}`
	layers := []struct {
		name   string
		h      http.Handler
		caller bool // the request carries an authenticated caller, as behind auth
		setup  func(r *http.Request)
	}{
		{name: "none", h: noop},
		{name: "requestlog", h: requestlog.Middleware(logger)(noop)},
		{name: "metrics", h: metrics.New().Middleware(noop)},
		{name: "origin", h: origins.Middleware(noop), setup: func(r *http.Request) { r.Header.Set("Origin", "https://mcp.example.com") }},
		{name: "ratelimit", h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, _ := auth.FromContext(r.Context())
			if limiter.Admit(w, r, p) {
				noop.ServeHTTP(w, r)
			}
		}), caller: true},
		{name: "auth", h: authenticate(noop), setup: func(r *http.Request) { r.Header.Set("Authorization", token) }},
		{name: "session", h: binder.Middleware(noop), caller: true, setup: func(r *http.Request) { r.Header.Set(session.Header, sessionID) }},
	}
	for _, l := range layers {
		b.Run(l.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
				r.RemoteAddr = "192.0.2.1:40000"
				r.Header.Set("Content-Type", "application/json")
				if l.setup != nil {
					l.setup(r)
				}
				if l.caller {
					r = r.WithContext(auth.ContextWithPrincipal(r.Context(), caller))
				}
				w := httptest.NewRecorder()
				l.h.ServeHTTP(w, r)
				if w.Code != http.StatusNoContent {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
