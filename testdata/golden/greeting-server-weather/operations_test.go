package main

// These tests cover how the server behaves in production (see "Running in production" in
// README.md): rate limits, body limits, logs, metrics and readiness, over real HTTP.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
	"github.com/mcpgen/mcpgen/runtime/envconfig"
	"github.com/mcpgen/mcpgen/runtime/metrics"

	"example.com/greeting-server/internal/config"
)

// session initializes a 2025-11-25 session with a raw request and returns its id.
func (ts *testServer) session(t *testing.T, token string) string {
	t.Helper()
	res := do(t, ts.mcpRequest(t, token, `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}`))
	id := res.Header.Get("Mcp-Session-Id")
	if res.StatusCode != http.StatusOK || id == "" {
		t.Fatalf("initialize: status %d, session %q", res.StatusCode, id)
	}
	return id
}

// callInSession posts a tools/call of name in a session, as a 2025-11-25 client does.
func (ts *testServer) callInSession(t *testing.T, token, session, name, args string) *http.Response {
	t.Helper()
	req := ts.mcpRequest(t, token, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"`+name+`","arguments":`+args+`}}`)
	req.Header.Set("Mcp-Session-Id", session)
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	return do(t, req)
}

func TestRateLimitPerCaller(t *testing.T) {
	ts := startTestServer(t, testOptions{env: map[string]string{"RATE_LIMIT_PER_MINUTE": "3"}})
	token := ts.token(toolScopes()...)
	session := ts.session(t, token) // the first of 3 requests
	for i := range 2 {
		if res := ts.callInSession(t, token, session, "greet_user", "{}"); res.StatusCode != http.StatusOK {
			t.Fatalf("call %d: status %d, want 200", i+1, res.StatusCode)
		}
	}
	res := ts.callInSession(t, token, session, "greet_user", "{}")
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("fourth request: status %d, want 429", res.StatusCode)
	}
	if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After = %q, want whole seconds", res.Header.Get("Retry-After"))
	}
	if got := res.Header.Get("RateLimit-Policy"); got != `"principal";q=3;w=60` {
		t.Errorf("RateLimit-Policy = %q", got)
	}
	if got := res.Header.Get("RateLimit"); !strings.HasPrefix(got, `"principal";r=0;t=`) {
		t.Errorf("RateLimit = %q", got)
	}
	// Another caller has a budget of its own.
	claims := providerClaims(toolScopes())
	claims["sub"] = "someone-else"
	other := ts.Issuer.Mint(claims)
	if res := ts.callInSession(t, other, session, "greet_user", "{}"); res.StatusCode != http.StatusOK {
		t.Errorf("another caller: status %d, want 200", res.StatusCode)
	}
}

// TestRateLimitCountsRefusedRequests: requests of a valid token that the auth chain then
// refuses (here for an unreadable body; 403 for missing scopes works the same way) spend
// the caller's budget too, so a token cannot make the server read and parse bodies
// without limit.
func TestRateLimitCountsRefusedRequests(t *testing.T) {
	ts := startTestServer(t, testOptions{env: map[string]string{"RATE_LIMIT_PER_MINUTE": "2"}})
	token := ts.token(toolScopes()...)
	for i := range 2 {
		if res := do(t, ts.mcpRequest(t, token, `{"jsonrpc":`)); res.StatusCode != http.StatusBadRequest {
			t.Fatalf("request %d with a broken body: status %d, want 400", i+1, res.StatusCode)
		}
	}
	if res := do(t, ts.mcpRequest(t, token, `{"jsonrpc":`)); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("third request: status %d, want 429", res.StatusCode)
	}
}

func TestFailedAuthenticationLimit(t *testing.T) {
	ts := startTestServer(t, testOptions{env: map[string]string{"AUTH_FAILURES_PER_MINUTE": "2"}})
	for range 2 {
		if res := ts.callTool(t, "not-a-token", "greet_user"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("bad token: status %d, want 401", res.StatusCode)
		}
	}
	// The address is now refused before any token is checked, even a good one.
	if res := ts.callTool(t, ts.token(toolScopes()...), "greet_user"); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("after 2 failures: status %d, want 429", res.StatusCode)
	}
}

func TestOversizedBodyGets413(t *testing.T) {
	ts := startTestServer(t, testOptions{env: map[string]string{"MAX_BODY_BYTES": "2048"}})
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":"` + strings.Repeat("x", 4096) + `"}}`
	res := do(t, ts.mcpRequest(t, ts.token(toolScopes()...), body))
	if res.StatusCode != http.StatusRequestEntityTooLarge || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("status %d, Content-Type %q; want 413 with a JSON body", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

// TestLogs reads what the server logs: who called, which tool, and never the token.
func TestLogs(t *testing.T) {
	var logs lockedBuffer
	ts := startTestServer(t, testOptions{logs: &logs})
	claims := providerClaims(toolScopes())
	claims["sub"] = "user-1"
	token := ts.Issuer.Mint(claims)
	session := ts.session(t, token)
	if res := ts.callInSession(t, token, session, "greet_user", `{"name":"Ada"}`); res.StatusCode != http.StatusOK {
		t.Fatalf("greet_user: status %d", res.StatusCode)
	}
	ts.callTool(t, token+"x", "greet_user") // a tampered token: refused, and not logged either

	var request, audit map[string]any
	waitFor(t, "the log lines", func() bool {
		request, audit = nil, nil
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil {
				continue
			}
			switch {
			case rec["msg"] == "http request" && rec["subject"] == "user-1":
				request = rec
			case rec["msg"] == "tool call":
				audit = rec
			}
		}
		return request != nil && audit != nil
	})
	for _, key := range []string{"method", "path", "status", "duration", "request_id", "client_id"} {
		if _, ok := request[key]; !ok {
			t.Errorf("request line lacks %s: %v", key, request)
		}
	}
	if request["tool"] != "greet_user" {
		t.Errorf("request line tool = %v, want greet_user", request["tool"])
	}
	if audit["tool"] != "greet_user" || audit["outcome"] != "ok" || audit["subject"] != "user-1" || audit["request_id"] != request["request_id"] {
		t.Errorf("audit line = %v, want greet_user ok by user-1 with the request's id", audit)
	}
	signature := token[strings.LastIndex(token, ".")+1:]
	if strings.Contains(logs.String(), signature) {
		t.Errorf("the log contains a token:\n%s", logs.String())
	}
}

func TestMetricsEndpoint(t *testing.T) {
	m := metrics.New()
	ts := startTestServer(t, testOptions{metrics: m})
	ts.callTool(t, "", "greet_user")
	token := ts.token(toolScopes()...)
	ts.callInSession(t, token, ts.session(t, token), "greet_user", "{}")
	scrape := httptest.NewServer(metricsMux(m))
	defer scrape.Close()

	want := []string{
		`mcp_requests_total{status="401",tool="none"} 1`,
		`mcp_requests_total{status="200",tool=` + strconv.Quote("greet_user") + `} 1`,
		`mcp_auth_failures_total{reason="no_token"} 1`,
	}
	var out string
	waitFor(t, "the metrics", func() bool {
		res, err := http.Get(scrape.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		out = string(b)
		return strings.Contains(out, want[1])
	})
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("metrics lack %s", w)
		}
	}
}

// TestReadyFollowsTheKeys: /ready says 503 while the authorization server's keys cannot
// be loaded, and 200 once they are.
func TestReadyFollowsTheKeys(t *testing.T) {
	var keys *auth.JWKS
	ts := startTestServer(t, testOptions{keys: func(iss *authtest.Issuer) auth.KeySet {
		iss.SetJWKSAvailable(false)
		keys = iss.RemoteKeySet()
		return keys
	}})
	ready := func() int {
		res, err := http.Get(ts.URL + "/ready")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := ready(); got != http.StatusServiceUnavailable {
		t.Fatalf("/ready with the keys unavailable = %d, want 503", got)
	}
	ts.Issuer.SetJWKSAvailable(true)
	if err := keys.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := ready(); got != http.StatusOK {
		t.Errorf("/ready with the keys loaded = %d, want 200", got)
	}
}

// TestBadOperationsSettings: every malformed production setting is named in the one
// error the server stops with.
func TestBadOperationsSettings(t *testing.T) {
	env := map[string]string{
		"LOG_FORMAT":               "xml",
		"TLS_CERT_FILE":            "cert.pem",
		"MAX_BODY_BYTES":           "lots",
		"SHUTDOWN_TIMEOUT":         "soon",
		"RATE_LIMIT_PER_MINUTE":    "-1",
		"AUTH_FAILURES_PER_MINUTE": "many",
		"REDIS_URL":                "http://user:hunter2@redis:6379",
		"TRUSTED_PROXIES":          "10.0.0.0/8,load-balancer",
	}
	_, err := config.FromEnv(envconfig.New(func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}))
	if err == nil {
		t.Fatal("bad settings accepted")
	}
	for _, name := range []string{"LOG_FORMAT", "TLS_CERT_FILE", "MAX_BODY_BYTES", "SHUTDOWN_TIMEOUT",
		"RATE_LIMIT_PER_MINUTE", "AUTH_FAILURES_PER_MINUTE", "REDIS_URL", "TRUSTED_PROXIES"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not name %s:\n%v", name, err)
		}
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error repeats the Redis password:\n%v", err)
	}
}

// lockedBuffer collects log lines written by the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls cond: the server records a request just after the client has its
// response. The limit only guards against a hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
