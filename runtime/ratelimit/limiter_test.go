package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
	"github.com/mcpgen/mcpgen/runtime/ratelimit"
)

const resource = "https://mcp.example.com/mcp"

// stack is the limiter wired the way the generated chain wires it around the
// real auth middleware (BeforeVerify for tokens not in the validator's cache,
// AuthFailed for each refusal, the per-caller limit as its OnAuthenticated
// hook), served over loopback HTTP. Its validator caches verified tokens, as
// in production, and counts key lookups. Tool "greet" needs scope usr:read.
type stack struct {
	URL  string
	iss  *authtest.Issuer
	keys *countingKeys
	lim  *ratelimit.Limiter

	mu      sync.Mutex
	limited []string
}

// countingKeys is an issuer's key set, counting key lookups: each is the start
// of a signature verification.
type countingKeys struct {
	*auth.JWKS
	lookups atomic.Int64
}

func (k *countingKeys) Keyfunc(t *jwt.Token) (any, error) {
	k.lookups.Add(1)
	return k.JWKS.Keyfunc(t)
}

func (k *countingKeys) KeyfuncCtx(ctx context.Context) jwt.Keyfunc {
	k.lookups.Add(1)
	return k.JWKS.KeyfuncCtx(ctx)
}

func newStack(t *testing.T, cfg ratelimit.Config, iss *authtest.Issuer) *stack {
	t.Helper()
	s := &stack{iss: iss}
	if s.iss == nil {
		s.iss = authtest.NewIssuer(t, authtest.WithAudience(resource))
	}
	s.keys = &countingKeys{JWKS: s.iss.KeySet().(*auth.JWKS)}
	vc := s.iss.ValidatorConfig()
	vc.CacheEntries = 100
	v, err := auth.NewValidator(vc, s.keys)
	if err != nil {
		t.Fatal(err)
	}
	s.serve(t, cfg, v)
	return s
}

func (s *stack) serve(t *testing.T, cfg ratelimit.Config, v auth.TokenValidator) {
	t.Helper()
	cfg.OnLimited = func(p string) {
		s.mu.Lock()
		s.limited = append(s.limited, p)
		s.mu.Unlock()
	}
	lim, err := ratelimit.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.lim = lim
	authenticate, err := auth.Middleware(auth.MiddlewareConfig{
		Validator:           v,
		ResourceMetadataURL: "https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
		Scopes:              auth.ScopePolicy{Tools: map[string][]string{"greet": {"usr:read"}}},
		OnReject:            lim.AuthFailed,
		OnAuthenticated:     lim.Admit,
		BeforeVerify:        lim.BeforeVerify,
	})
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	srv := httptest.NewServer(authenticate(ok))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
}

func (s *stack) limitedPolicies() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.limited)
}

func (s *stack) get(t *testing.T, token string, header ...string) *http.Response {
	t.Helper()
	return s.send(t, http.MethodGet, "", token, header...)
}

// send makes a request to the stack's /mcp and drains the answer.
func (s *stack) send(t *testing.T, method, body, token string, header ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+"/mcp", strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

func want429(t *testing.T, res *http.Response, policy string, quota, window int) {
	t.Helper()
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429", res.StatusCode)
	}
	ra, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || ra < 1 || ra > window {
		t.Errorf("Retry-After = %q, want whole seconds in [1, %d]", res.Header.Get("Retry-After"), window)
	}
	wantPolicy := `"` + policy + `";q=` + strconv.Itoa(quota) + ";w=" + strconv.Itoa(window)
	if got := res.Header.Get("RateLimit-Policy"); got != wantPolicy {
		t.Errorf("RateLimit-Policy = %q, want %q", got, wantPolicy)
	}
	if got := res.Header.Get("RateLimit"); !strings.HasPrefix(got, `"`+policy+`";r=0;t=`) {
		t.Errorf("RateLimit = %q, want %q;r=0;t=<seconds>", got, policy)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
}

func TestPerPrincipalLimit(t *testing.T) {
	s := newStack(t, ratelimit.Config{PerPrincipal: ratelimit.PerMinute(3)}, nil)
	alice := s.iss.Mint(authtest.Claims{"sub": "alice", "client_id": "app"})
	for i := range 3 {
		res := s.get(t, alice)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("request %d: status %d, want 200", i, res.StatusCode)
		}
		if got, want := res.Header.Get("RateLimit"), `"principal";r=`+strconv.Itoa(2-i)+";t="; !strings.HasPrefix(got, want) {
			t.Errorf("request %d: RateLimit = %q, want prefix %q", i, got, want)
		}
	}
	want429(t, s.get(t, alice), ratelimit.PolicyPrincipal, 3, 60)
	// A fresh token for the same caller is the same caller.
	want429(t, s.get(t, s.iss.Mint(authtest.Claims{"sub": "alice", "client_id": "app"})), ratelimit.PolicyPrincipal, 3, 60)
	// Same subject through another client, or another subject: own budgets.
	for _, claims := range []authtest.Claims{{"sub": "alice", "client_id": "other-app"}, {"sub": "bob", "client_id": "app"}} {
		if res := s.get(t, s.iss.Mint(claims)); res.StatusCode != http.StatusOK {
			t.Errorf("%v: status %d, want 200 (separate budget)", claims, res.StatusCode)
		}
	}
	if len(s.limitedPolicies()) != 2 || s.limitedPolicies()[0] != ratelimit.PolicyPrincipal {
		t.Errorf("OnLimited calls %v, want 2 x principal", s.limitedPolicies())
	}
}

// TestPerPrincipalCountsRefusedRequests: a valid token refused for its scopes
// still spends its caller's budget, so a token lacking a scope cannot make the
// server read and parse bodies without limit.
func TestPerPrincipalCountsRefusedRequests(t *testing.T) {
	s := newStack(t, ratelimit.Config{PerPrincipal: ratelimit.PerMinute(2)}, nil)
	token := s.iss.Mint(authtest.Claims{"sub": "mallory", "client_id": "app", "scope": "other"})
	call := func() *http.Response {
		return s.send(t, http.MethodPost, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet","arguments":{}}}`,
			token, "Content-Type", "application/json")
	}
	for i := range 2 {
		if res := call(); res.StatusCode != http.StatusForbidden {
			t.Fatalf("request %d: status %d, want 403 insufficient_scope", i, res.StatusCode)
		}
	}
	want429(t, call(), ratelimit.PolicyPrincipal, 2, 60)
}

// TestPerPrincipalMiddleware covers the middleware form, for chains that put
// the limit after the auth middleware instead of in its hook.
func TestPerPrincipalMiddleware(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(resource))
	lim, err := ratelimit.New(ratelimit.Config{PerPrincipal: ratelimit.PerMinute(1)})
	if err != nil {
		t.Fatal(err)
	}
	authenticate, err := auth.Middleware(auth.MiddlewareConfig{
		Validator:           iss.Validator(),
		ResourceMetadataURL: "https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
	})
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	srv := httptest.NewServer(authenticate(lim.PerPrincipal(ok)))
	t.Cleanup(srv.Close)
	s := &stack{URL: srv.URL, iss: iss}
	token := iss.Mint(authtest.Claims{"sub": "alice", "client_id": "app"})
	if res := s.get(t, token); res.StatusCode != http.StatusOK {
		t.Fatalf("first request: status %d, want 200", res.StatusCode)
	}
	want429(t, s.get(t, token), ratelimit.PolicyPrincipal, 1, 60)
}

func TestFailedAuthLimitPerIP(t *testing.T) {
	proxies, err := ratelimit.ParseProxies([]string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	s := newStack(t, ratelimit.Config{FailedAuthPerIP: ratelimit.PerMinute(3), Proxies: proxies}, nil)
	good := s.iss.Mint(nil)
	fwd := func(ip string) []string { return []string{"X-Forwarded-For", ip} }

	// Asking without a token is how every OAuth flow starts: never counted.
	for range 5 {
		if res := s.get(t, "", fwd("198.51.100.1")...); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("no token: status %d, want 401", res.StatusCode)
		}
	}
	// Expired tokens are genuine: clients refresh on that 401, it is not guessing.
	expired := s.iss.Mint(authtest.Claims{"exp": time.Now().Add(-time.Hour).Unix()})
	for range 5 {
		if res := s.get(t, expired, fwd("198.51.100.1")...); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("expired token: status %d, want 401", res.StatusCode)
		}
	}
	for i := range 3 {
		if res := s.get(t, good+"x", fwd("198.51.100.1")...); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("bad token %d: status %d, want 401", i, res.StatusCode)
		}
	}
	// Budget spent: a token the server has not verified before is refused
	// before it is checked, even a good one.
	want429(t, s.get(t, "forged", fwd("198.51.100.1")...), ratelimit.PolicyFailedAuth, 3, 60)
	want429(t, s.get(t, good, fwd("198.51.100.1")...), ratelimit.PolicyFailedAuth, 3, 60)
	// Another client behind the same trusted proxy is not affected.
	if res := s.get(t, good, fwd("198.51.100.2")...); res.StatusCode != http.StatusOK {
		t.Errorf("other client: status %d, want 200", res.StatusCode)
	}
}

// TestFailedAuthSkipsGenuineTimeFailures: the real validator's reasons for a
// genuine token outside its validity window are the exported auth.Reason*
// constants the limiter skips, so renaming one in auth cannot silently turn
// refreshing clients into failed authentications.
func TestFailedAuthSkipsGenuineTimeFailures(t *testing.T) {
	s := newStack(t, ratelimit.Config{FailedAuthPerIP: ratelimit.Limit{Rate: 1, Period: time.Hour}}, nil)
	now := time.Now()
	for reason, claims := range map[string]authtest.Claims{
		auth.ReasonExpired:     {"exp": now.Add(-time.Hour).Unix()},
		auth.ReasonNotYetValid: {"nbf": now.Add(time.Hour).Unix()},
		auth.ReasonIATInFuture: {"iat": now.Add(time.Hour).Unix()},
	} {
		tok := s.iss.Mint(claims)
		if got := validationReason(s.iss.Validator(), tok); got != reason {
			t.Fatalf("validator reason for %v = %q, want %q", claims, got, reason)
		}
		for range 3 {
			if res := s.get(t, tok); res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("%s token: status %d, want 401 (not counted, so never 429)", reason, res.StatusCode)
			}
		}
	}
	if got := s.limitedPolicies(); len(got) != 0 {
		t.Errorf("OnLimited calls %v, want none", got)
	}
}

func validationReason(v auth.TokenValidator, token string) string {
	_, err := v.Validate(context.Background(), token)
	var e *auth.Error
	if !errors.As(err, &e) {
		return fmt.Sprintf("no *auth.Error: %v", err)
	}
	return e.Reason
}

// TestFailedAuthIgnoresSpoofedXFF: with no trusted proxy, rotating
// X-Forwarded-For does not buy fresh budgets.
func TestFailedAuthIgnoresSpoofedXFF(t *testing.T) {
	s := newStack(t, ratelimit.Config{FailedAuthPerIP: ratelimit.Limit{Rate: 2, Period: time.Hour}}, nil)
	for i := range 2 {
		s.get(t, "bad", "X-Forwarded-For", "203.0.113."+strconv.Itoa(i))
	}
	res := s.get(t, "bad", "X-Forwarded-For", "203.0.113.99")
	want429(t, res, ratelimit.PolicyFailedAuth, 2, 3600)
}

func TestNilLimiterLimitsNothing(t *testing.T) {
	var l *ratelimit.Limiter
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	rec := httptest.NewRecorder()
	l.PerPrincipal(ok).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusNoContent {
		t.Errorf("status %d through a nil limiter", rec.Code)
	}
	if done, ok := l.BeforeVerify(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil)); !ok || done != nil {
		t.Errorf("nil limiter BeforeVerify = %v, %v; want nil, true", done != nil, ok)
	}
	l.AuthFailed(httptest.NewRequest(http.MethodGet, "/", nil), &auth.Error{Code: auth.CodeInvalidToken})
}

func TestNewRejectsBadLimits(t *testing.T) {
	_, err := ratelimit.New(ratelimit.Config{PerPrincipal: ratelimit.Limit{Rate: 5}})
	if err == nil || !strings.Contains(err.Error(), "per-principal") {
		t.Errorf("New with a period-less limit: %v, want an error naming the per-principal limit", err)
	}
}
