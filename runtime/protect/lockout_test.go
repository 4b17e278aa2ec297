package protect_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
	"github.com/mcpgen/mcpgen/runtime/envconfig"
	"github.com/mcpgen/mcpgen/runtime/protect"
	"github.com/mcpgen/mcpgen/runtime/provider"
	"github.com/mcpgen/mcpgen/runtime/settings"
)

const lockoutResource = "http://localhost:3002/mcp"

const initializeBody = `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

// countingKeys is the issuer's key set, counting key lookups: each is the start of
// a signature verification.
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

// newLockoutServer is protect.New with the production defaults (verified-token cache
// on, metrics on) and env added.
func newLockoutServer(t *testing.T, env map[string]string, keys auth.KeySet) *protect.Server {
	t.Helper()
	vars := map[string]string{"METRICS_ADDR": "127.0.0.1:0"}
	maps.Copy(vars, env)
	e := envconfig.FromMap(vars)
	s := settings.Read(e, provider.Generic, settings.Defaults{Port: 3002, ResourceURL: lockoutResource})
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	srv, err := protect.New(t.Context(), s, newMCPServer(), protect.Options{
		Logger: slog.New(slog.DiscardHandler),
		Scopes: auth.ScopePolicy{Tools: scopes},
		Keys:   keys,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return srv
}

// post sends an MCP initialize from one client address, with the Authorization
// header when authorization is not empty.
func post(h http.Handler, authorization string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(initializeBody))
	req.RemoteAddr = "203.0.113.7:40000"
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// rateLimited reads mcp_rate_limited_total{policy} from the server's metrics.
func rateLimited(t *testing.T, srv *protect.Server, policy string) float64 {
	t.Helper()
	families, err := srv.Metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "mcp_rate_limited_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "policy" && l.GetValue() == policy {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// TestLockoutSparesVerifiedTokens: forged tokens lock a client address out of new
// verifications only. A token the server verified before keeps working from that
// address (everyone behind one NAT or proxy is not locked out by one attacker); a
// new token, however valid, is refused with 429 before any key is looked up; a
// request without a token still gets its 401 challenge, and a malformed header its
// 400, since neither costs verification work.
func TestLockoutSparesVerifiedTokens(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(lockoutResource))
	keys := &countingKeys{JWKS: iss.KeySet().(*auth.JWKS)}
	srv := newLockoutServer(t, map[string]string{"AUTH_ISSUER": iss.URL, "AUTH_FAILURES_PER_MINUTE": "3"}, keys)
	h := srv.Handler

	verified := "Bearer " + iss.Mint(authtest.Claims{"scope": "echo:read"})
	if rec := post(h, verified); rec.Code != http.StatusOK {
		t.Fatalf("valid token before any failure: status %d, want 200", rec.Code)
	}
	for i := range 3 {
		if rec := post(h, "Bearer forged-"+fmt.Sprint(i)); rec.Code != http.StatusUnauthorized {
			t.Fatalf("forged token %d: status %d, want 401", i, rec.Code)
		}
	}
	rec := post(h, "Bearer forged-again")
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("forged token once the budget is spent: status %d, want 429", rec.Code)
	}
	if got := rec.Header().Get("RateLimit-Policy"); got != `"failed_auth";q=3;w=60` {
		t.Errorf("RateLimit-Policy = %q, want the failed_auth policy", got)
	}
	if rec := post(h, verified); rec.Code != http.StatusOK {
		t.Errorf("token verified before the lockout, from the locked-out address: status %d, want 200", rec.Code)
	}
	before := keys.lookups.Load()
	fresh := "Bearer " + iss.Mint(authtest.Claims{"scope": "echo:read", "sub": "someone-else"})
	if rec := post(h, fresh); rec.Code != http.StatusTooManyRequests {
		t.Errorf("new valid token from the locked-out address: status %d, want 429", rec.Code)
	}
	if got := keys.lookups.Load(); got != before {
		t.Errorf("the locked-out address made the server look up %d keys, want none", got-before)
	}
	if rec := post(h, ""); rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Header().Get("WWW-Authenticate"), "resource_metadata=") {
		t.Errorf("no token from the locked-out address: status %d %q, want the 401 challenge", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
	if rec := post(h, "Bearer a b"); rec.Code != http.StatusBadRequest {
		t.Errorf("malformed Authorization from the locked-out address: status %d, want 400", rec.Code)
	}
	if got := rateLimited(t, srv, "failed_auth"); got != 2 {
		t.Errorf("mcp_rate_limited_total{policy=failed_auth} = %v, want 2", got)
	}
}

// fakeAS is a loopback RFC 7662 introspection endpoint that counts its calls; tokens
// it was told about are active, any other is inactive. With hold set, every call
// announces itself on arrived and waits for release.
type fakeAS struct {
	*httptest.Server
	mu      sync.Mutex
	active  map[string]bool
	calls   int
	hold    bool
	arrived chan struct{}
	release chan struct{}
}

func newFakeAS(t *testing.T) *fakeAS {
	t.Helper()
	as := &fakeAS{active: map[string]bool{}, arrived: make(chan struct{}, 64), release: make(chan struct{})}
	as.Server = httptest.NewServer(http.HandlerFunc(as.serve))
	t.Cleanup(as.Close)
	t.Cleanup(as.unblock) // before Close: the handlers must return
	return as
}

func (as *fakeAS) unblock() {
	as.mu.Lock()
	defer as.mu.Unlock()
	if as.hold {
		as.hold = false
		close(as.release)
	}
}

func (as *fakeAS) serve(w http.ResponseWriter, r *http.Request) {
	id, secret, _ := r.BasicAuth()
	if id != authtest.IntrospectionClientID || secret != authtest.IntrospectionClientSecret || r.ParseForm() != nil {
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		return
	}
	as.mu.Lock()
	as.calls++
	hold, active := as.hold, as.active[r.PostForm.Get("token")]
	as.mu.Unlock()
	if hold {
		as.arrived <- struct{}{}
		<-as.release
	}
	answer := map[string]any{"active": false}
	if active {
		answer = map[string]any{
			"active": true, "iss": as.URL, "aud": lockoutResource, "sub": "user-1", "client_id": "client-1",
			"scope": "echo:read", "exp": time.Now().Add(time.Hour).Unix(),
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(answer)
}

func (as *fakeAS) callCount() int {
	as.mu.Lock()
	defer as.mu.Unlock()
	return as.calls
}

func (as *fakeAS) env(more map[string]string) map[string]string {
	env := map[string]string{
		"AUTH_ISSUER":                      as.URL,
		"AUTH_TOKEN_FORMAT":                "opaque",
		"AUTH_INTROSPECTION_URL":           as.URL + "/introspect",
		"AUTH_INTROSPECTION_CLIENT_ID":     authtest.IntrospectionClientID,
		"AUTH_INTROSPECTION_CLIENT_SECRET": authtest.IntrospectionClientSecret,
	}
	maps.Copy(env, more)
	return env
}

// TestInactiveOpaqueTokensCount: every opaque token the authorization server calls
// inactive counts as a failed authentication of its address; once the budget is
// spent, made-up tokens from it are refused without asking the authorization server,
// while a token it already vouched for keeps working.
func TestInactiveOpaqueTokensCount(t *testing.T) {
	as := newFakeAS(t)
	as.active["opaque-good"] = true
	srv := newLockoutServer(t, as.env(map[string]string{"AUTH_FAILURES_PER_MINUTE": "2"}), nil)
	h := srv.Handler
	if rec := post(h, "Bearer opaque-good"); rec.Code != http.StatusOK {
		t.Fatalf("active opaque token: status %d, want 200", rec.Code)
	}
	for i := range 2 {
		if rec := post(h, fmt.Sprintf("Bearer made-up-%d", i)); rec.Code != http.StatusUnauthorized {
			t.Fatalf("made-up opaque token %d: status %d, want 401", i, rec.Code)
		}
	}
	calls := as.callCount()
	if rec := post(h, "Bearer made-up-2"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("made-up opaque token after two inactive ones: status %d, want 429", rec.Code)
	}
	if got := as.callCount(); got != calls {
		t.Errorf("the locked-out address made %d introspection calls, want none", got-calls)
	}
	if rec := post(h, "Bearer opaque-good"); rec.Code != http.StatusOK {
		t.Errorf("opaque token introspected before the lockout: status %d, want 200", rec.Code)
	}
}

// TestConcurrentIntrospectionsBoundedPerAddress: one address cannot have more than a
// few tokens introspected at once, so a burst of made-up opaque tokens cannot hammer
// the authorization server: with four introspections of its tokens under way, a fifth
// token from the same address waits briefly for a turn and is then refused with 429,
// never sent to the authorization server.
func TestConcurrentIntrospectionsBoundedPerAddress(t *testing.T) {
	as := newFakeAS(t)
	as.hold = true
	h := newLockoutServer(t, as.env(nil), nil).Handler

	const bound = 4
	var wg sync.WaitGroup
	for i := range bound {
		wg.Go(func() { post(h, fmt.Sprintf("Bearer burst-%d", i)) })
	}
	for range bound {
		<-as.arrived
	}
	fifth := make(chan int, 1)
	go func() { fifth <- post(h, "Bearer burst-extra").Code }()
	select {
	case code := <-fifth:
		if code != http.StatusTooManyRequests {
			t.Errorf("fifth concurrent new token from one address: status %d, want 429", code)
		}
	case <-as.arrived:
		t.Errorf("a fifth introspection started while %d of the same address were under way", bound)
		as.unblock()
		<-fifth
	}
	as.unblock()
	wg.Wait()
	if got := as.callCount(); got != bound {
		t.Errorf("introspection calls = %d, want %d", got, bound)
	}
}
