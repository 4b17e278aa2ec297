package ratelimit_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
	"github.com/mcpgen/mcpgen/runtime/ratelimit"
)

// TestLockoutSparesCachedTokens: once an address has spent its
// failed-authentication budget, a token the server verified before is still
// served from it (with no key lookup), while a new one, however valid, is
// refused with 429 before any key is looked up.
func TestLockoutSparesCachedTokens(t *testing.T) {
	s := newStack(t, ratelimit.Config{FailedAuthPerIP: ratelimit.PerMinute(3)}, nil)
	verified := s.iss.Mint(nil)
	if res := s.get(t, verified); res.StatusCode != http.StatusOK {
		t.Fatalf("valid token: status %d, want 200", res.StatusCode)
	}
	for i := range 3 {
		if res := s.get(t, verified+"x"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("forged token %d: status %d, want 401", i, res.StatusCode)
		}
	}
	want429(t, s.get(t, "forged"), ratelimit.PolicyFailedAuth, 3, 60)

	lookups := s.keys.lookups.Load()
	if res := s.get(t, verified); res.StatusCode != http.StatusOK {
		t.Errorf("verified token from the locked-out address: status %d, want 200", res.StatusCode)
	}
	want429(t, s.get(t, s.iss.Mint(authtest.Claims{"sub": "new"})), ratelimit.PolicyFailedAuth, 3, 60)
	if got := s.keys.lookups.Load() - lookups; got != 0 {
		t.Errorf("key lookups for the locked-out address: %d, want 0", got)
	}
	if got := s.limitedPolicies(); !slices.Equal(got, []string{ratelimit.PolicyFailedAuth, ratelimit.PolicyFailedAuth}) {
		t.Errorf("OnLimited calls %v, want 2 x failed_auth", got)
	}
}

// request is a request to the endpoint from addr carrying a token.
func request(addr string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	r.RemoteAddr = addr + ":40000"
	r.Header.Set("Authorization", "Bearer made-up-token-value")
	return r
}

// waitVerifying waits until n requests hold or wait for a verification turn.
func waitVerifying(t *testing.T, l *ratelimit.Limiter, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for ratelimit.VerifyingRequests(l) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests hold or wait for a turn, want %d", ratelimit.VerifyingRequests(l), n)
		}
		runtime.Gosched()
	}
}

// TestVerifyingBoundedPerIP: an address has a few verification turns; a request
// finding them all taken waits for one, and is refused with 429 (no RateLimit
// fields: it is not a quota) when none comes back in time. Other addresses have
// turns of their own, and the gate forgets an address once it is done.
func TestVerifyingBoundedPerIP(t *testing.T) {
	var limited []string
	l, err := ratelimit.New(ratelimit.Config{
		VerifyingPerIP: 2, VerifyWait: 10 * time.Millisecond,
		OnLimited: func(p string) { limited = append(limited, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	var held []func()
	for range 2 {
		done, ok := l.BeforeVerify(httptest.NewRecorder(), request("192.0.2.1"))
		if !ok || done == nil {
			t.Fatalf("turn %d: ok %v, want a turn", len(held)+1, ok)
		}
		held = append(held, done)
	}
	rec := httptest.NewRecorder()
	if _, ok := l.BeforeVerify(rec, request("192.0.2.1")); ok || rec.Code != http.StatusTooManyRequests {
		t.Fatalf("third request while two are verified: ok %v, status %d; want 429", ok, rec.Code)
	}
	if rec.Header().Get("Retry-After") != "1" || rec.Header().Get("RateLimit") != "" {
		t.Errorf("Retry-After %q, RateLimit %q; want 1 and none", rec.Header().Get("Retry-After"), rec.Header().Get("RateLimit"))
	}
	if !slices.Equal(limited, []string{ratelimit.PolicyVerifying}) {
		t.Errorf("OnLimited calls %v, want [verifying]", limited)
	}
	if done, ok := l.BeforeVerify(httptest.NewRecorder(), request("192.0.2.2")); !ok {
		t.Error("another address was refused a turn")
	} else {
		done()
	}
	for _, done := range held {
		done()
	}
	if n := ratelimit.VerifyingAddresses(l); n != 0 {
		t.Errorf("the gate remembers %d addresses after every request left, want 0", n)
	}
}

// TestVerifyingWaiterGetsTheTurnBack: a request that finds every turn taken is
// served as soon as one is given back.
func TestVerifyingWaiterGetsTheTurnBack(t *testing.T) {
	l, err := ratelimit.New(ratelimit.Config{VerifyingPerIP: 1, VerifyWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := l.BeforeVerify(httptest.NewRecorder(), request("192.0.2.1"))
	got := make(chan bool)
	go func() {
		done, ok := l.BeforeVerify(httptest.NewRecorder(), request("192.0.2.1"))
		if ok {
			done()
		}
		got <- ok
	}()
	waitVerifying(t, l, 2)
	first()
	if !<-got {
		t.Error("the waiting request was refused after the turn came back")
	}
}

// TestLockedOutWhileWaiting: a request waiting for a turn is refused when the
// requests ahead of it spend its address's failed-authentication budget, so a
// queue of made-up tokens is not verified after the lockout.
func TestLockedOutWhileWaiting(t *testing.T) {
	var mu sync.Mutex
	var limited []string
	l, err := ratelimit.New(ratelimit.Config{
		FailedAuthPerIP: ratelimit.Limit{Rate: 1, Period: time.Hour},
		VerifyingPerIP:  1, VerifyWait: time.Minute,
		OnLimited: func(p string) { mu.Lock(); limited = append(limited, p); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := l.BeforeVerify(httptest.NewRecorder(), request("192.0.2.1"))
	type outcome struct {
		ok   bool
		code int
	}
	got := make(chan outcome)
	go func() {
		rec := httptest.NewRecorder()
		done, ok := l.BeforeVerify(rec, request("192.0.2.1"))
		if ok {
			done()
		}
		got <- outcome{ok, rec.Code}
	}()
	waitVerifying(t, l, 2)
	l.AuthFailed(request("192.0.2.1"), &auth.Error{Status: http.StatusUnauthorized, Code: auth.CodeInvalidToken, Reason: "bad_signature"})
	first()
	if o := <-got; o.ok || o.code != http.StatusTooManyRequests {
		t.Errorf("waiting request after its address was locked out: ok %v, status %d; want 429", o.ok, o.code)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(limited, []string{ratelimit.PolicyFailedAuth}) {
		t.Errorf("OnLimited calls %v, want [failed_auth]", limited)
	}
}

// TestForwardedForWarning: a request with X-Forwarded-For while TRUSTED_PROXIES is
// empty is logged as a warning naming the setting, at the first such request and
// then at most once an hour, whichever hook sees it (a cached token only reaches
// Admit, a request without a token only AuthFailed); never with the token. With a
// trusted proxy, or without the header, nothing is logged.
func TestForwardedForWarning(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	newLimiter := func(proxies ...string) *ratelimit.Limiter {
		p, err := ratelimit.ParseProxies(proxies)
		if err != nil {
			t.Fatal(err)
		}
		l, err := ratelimit.New(ratelimit.Config{FailedAuthPerIP: ratelimit.PerMinute(30), Proxies: p, Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	l := newLimiter()
	ratelimit.SetClock(l, func() time.Time { return now })
	forwarded := func() *http.Request {
		r := request("10.0.0.5")
		r.Header.Set("X-Forwarded-For", "198.51.100.7")
		return r
	}
	use := func(r *http.Request) {
		if done, ok := l.BeforeVerify(httptest.NewRecorder(), r); ok && done != nil {
			done()
		}
		l.AuthFailed(r, &auth.Error{Status: http.StatusUnauthorized, Code: auth.CodeInvalidToken, Reason: "bad_signature"})
	}
	warnings := func() int { return strings.Count(logs.String(), "TRUSTED_PROXIES is empty") }

	use(request("10.0.0.5"))
	if warnings() != 0 {
		t.Fatalf("warning without X-Forwarded-For:\n%s", logs.String())
	}
	for range 3 {
		use(forwarded())
	}
	if warnings() != 1 {
		t.Fatalf("%d warnings after the first forwarded requests, want 1:\n%s", warnings(), logs.String())
	}
	out := logs.String()
	for _, want := range []string{"level=WARN", "set TRUSTED_PROXIES", "peer=10.0.0.5"} {
		if !strings.Contains(out, want) {
			t.Errorf("warning lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "made-up-token-value") {
		t.Errorf("the warning shows the token:\n%s", out)
	}
	now = now.Add(59 * time.Minute)
	use(forwarded())
	if warnings() != 1 {
		t.Errorf("%d warnings within the hour, want 1", warnings())
	}
	now = now.Add(2 * time.Minute)
	use(forwarded())
	if warnings() != 2 {
		t.Errorf("%d warnings an hour after the first, want 2", warnings())
	}

	for name, seen := range map[string]func(*ratelimit.Limiter, *http.Request){
		"Admit (a cached token)": func(l *ratelimit.Limiter, r *http.Request) {
			l.Admit(httptest.NewRecorder(), r, &auth.Principal{Subject: "s"})
		},
		"AuthFailed (no token)": func(l *ratelimit.Limiter, r *http.Request) {
			l.AuthFailed(r, &auth.Error{Status: http.StatusUnauthorized, Reason: "no_token"})
		},
	} {
		logs.Reset()
		seen(newLimiter(), forwarded())
		if warnings() != 1 {
			t.Errorf("%s: %d warnings, want 1", name, warnings())
		}
	}

	logs.Reset()
	trusting := newLimiter("10.0.0.0/8")
	if done, ok := trusting.BeforeVerify(httptest.NewRecorder(), forwarded()); ok && done != nil {
		done()
	}
	if warnings() != 0 {
		t.Errorf("warning although TRUSTED_PROXIES is set:\n%s", logs.String())
	}
}

// TestNewRejectsNegativeVerifyWait: a negative wait is a configuration error.
func TestNewRejectsNegativeVerifyWait(t *testing.T) {
	if _, err := ratelimit.New(ratelimit.Config{VerifyWait: -time.Second}); err == nil {
		t.Error("New with a negative VerifyWait: no error")
	}
}

// Compile-time check: BeforeVerify fits the auth middleware's hook.
var _ = auth.MiddlewareConfig{BeforeVerify: (*ratelimit.Limiter)(nil).BeforeVerify}
