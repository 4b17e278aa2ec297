package auth_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"

	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update
)

// BenchmarkMiddleware measures the per-request cost of a valid token going
// through the middleware: header extraction, pre-parse, signature
// verification, claims, body inspection for per-tool scopes, and the
// context hand-off. The next handler does nothing.
func BenchmarkMiddleware(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		b.Run(alg, func(b *testing.B) {
			iss := authtest.NewIssuer(b, authtest.WithAlgorithm(alg), authtest.WithAudience(testResource))
			v, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{iss.URL}, Audiences: []string{testResource}}, iss.KeySet())
			if err != nil {
				b.Fatal(err)
			}
			mw, err := auth.Middleware(auth.MiddlewareConfig{
				Validator: v, ResourceMetadataURL: testMetadataURL, Scopes: testPolicy,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			})
			if err != nil {
				b.Fatal(err)
			}
			h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
			header := "Bearer " + iss.Mint(authtest.Claims{"scope": "mcp usr:read"})
			body := toolCall("greet_user")
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				r := httptest.NewRequest("POST", "/mcp", strings.NewReader(body))
				r.Header.Set("Authorization", header)
				r.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusNoContent {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}

// BenchmarkRejectUnknownKID measures what a flood of forged kids costs once
// the on-demand window is used up: no signature work, no fetch.
func BenchmarkRejectUnknownKID(b *testing.B) {
	iss := authtest.NewIssuer(b, authtest.WithAudience(testResource))
	v, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{iss.URL}, Audiences: []string{testResource}}, iss.KeySet())
	if err != nil {
		b.Fatal(err)
	}
	tok := iss.MintWithHeader(map[string]any{"kid": "forged"}, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Validate(b.Context(), tok); err == nil {
			b.Fatal("accepted")
		}
	}
}
