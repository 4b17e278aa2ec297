package auth_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"

	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update
)

// BenchmarkMiddleware measures the per-request cost of a valid token going
// through the middleware without the verified-token cache: header
// extraction, pre-parse, signature verification, claims, body inspection for
// per-tool scopes, and the context hand-off. The next handler does nothing.
func BenchmarkMiddleware(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		b.Run(alg, func(b *testing.B) { benchMiddleware(b, alg, 0) })
	}
}

// BenchmarkMiddlewareCached is BenchmarkMiddleware with the cache on and the
// same token every time: what a client reusing its token costs.
func BenchmarkMiddlewareCached(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256"} {
		b.Run(alg, func(b *testing.B) { benchMiddleware(b, alg, auth.DefaultCacheEntries) })
	}
}

func benchMiddleware(b *testing.B, alg string, cacheEntries int) {
	iss := authtest.NewIssuer(b, authtest.WithAlgorithm(alg), authtest.WithAudience(testResource))
	v, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{iss.URL}, Audiences: []string{testResource}, CacheEntries: cacheEntries}, iss.KeySet())
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
}

// BenchmarkValidate isolates the Validator: a cache hit, and cache misses
// for RS256 and ES256 (a pool of tokens cycled through a one-entry cache, so
// nearly every call verifies, stores and evicts).
func BenchmarkValidate(b *testing.B) {
	b.Run("hit", func(b *testing.B) {
		iss := authtest.NewIssuer(b, authtest.WithAudience(testResource))
		v := benchValidator(b, iss, auth.DefaultCacheEntries)
		tok := iss.Mint(authtest.Claims{"scope": "mcp usr:read"})
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Validate(b.Context(), tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, alg := range []string{"RS256", "ES256"} {
		b.Run("miss-"+alg, func(b *testing.B) {
			iss := authtest.NewIssuer(b, authtest.WithAlgorithm(alg), authtest.WithAudience(testResource))
			v := benchValidator(b, iss, 1)
			toks := make([]string, 512)
			for i := range toks {
				toks[i] = iss.Mint(authtest.Claims{"scope": "mcp usr:read", "jti": strconv.Itoa(i)})
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := v.Validate(b.Context(), toks[i%len(toks)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

func benchValidator(b *testing.B, iss *authtest.Issuer, cacheEntries int) *auth.Validator {
	b.Helper()
	v, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{iss.URL}, Audiences: []string{testResource}, CacheEntries: cacheEntries}, iss.KeySet())
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// BenchmarkScopeCheck measures the per-request scope decision for a token
// with a handful of scopes.
func BenchmarkScopeCheck(b *testing.B) {
	p := &auth.Principal{Scopes: []string{"mcp", "openid", "profile", "usr:read", "usr:write"}}
	b.ReportAllocs()
	for b.Loop() {
		if missing := p.MissingScopes("mcp", "usr:read"); missing != nil {
			b.Fatal(missing)
		}
	}
}

// BenchmarkChallenge measures a refusal: a request without a token answered
// with 401, its WWW-Authenticate challenge and JSON body.
func BenchmarkChallenge(b *testing.B) {
	iss := authtest.NewIssuer(b, authtest.WithAudience(testResource))
	mw, err := auth.Middleware(auth.MiddlewareConfig{
		Validator: benchValidator(b, iss, 0), ResourceMetadataURL: testMetadataURL, Scopes: testPolicy,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { b.Fatal("no token reached the handler") }))
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/mcp", strings.NewReader(toolsList))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized {
			b.Fatalf("status %d", w.Code)
		}
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
