package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// TestMiddlewareBeforeVerify: the hook runs only for a token that needs
// verification (not in the validator's cache), before any key is looked up,
// and its done runs once verification ends. Requests without a token or with
// a malformed header never reach it; a hook that refuses ends the request
// with its answer and no verification.
func TestMiddlewareBeforeVerify(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	keys := staticKeys(t, iss)
	var events []string
	refuse := false
	e := newEnv(t, keys, iss, func(c *auth.MiddlewareConfig) {
		c.Validator = cachedValidator(t, iss, keys, 100)
		c.OnReject = func(*http.Request, *auth.Error) { events = append(events, "reject") }
		c.BeforeVerify = func(w http.ResponseWriter, r *http.Request) (func(), bool) {
			events = append(events, "before")
			if refuse {
				w.WriteHeader(http.StatusTooManyRequests)
				return nil, false
			}
			return func() { events = append(events, "done") }, true
		}
	})
	check := func(name string, header http.Header, status int, want ...string) {
		t.Helper()
		events = nil
		if w := e.do(http.MethodPost, "/mcp", toolCall("greet_user"), header); w.Code != status {
			t.Errorf("%s: status %d, want %d", name, w.Code, status)
		}
		if !slices.Equal(events, want) {
			t.Errorf("%s: events %v, want %v", name, events, want)
		}
	}
	good := iss.Mint(authtest.Claims{"scope": "mcp usr:read"})
	check("no token", nil, http.StatusUnauthorized, "reject")
	check("malformed header", http.Header{"Authorization": {"Bearer a b"}}, http.StatusBadRequest, "reject")
	check("new valid token", bearer(good), http.StatusOK, "before", "done")
	check("the same token, now cached", bearer(good), http.StatusOK)
	check("forged token", bearer(good+"x"), http.StatusUnauthorized, "before", "done", "reject")

	refuse = true
	lookups := keys.lookups.Load()
	check("cached token, hook refusing", bearer(good), http.StatusOK)
	check("new token, hook refusing", bearer(iss.Mint(authtest.Claims{"scope": "mcp usr:read", "sub": "new"})), http.StatusTooManyRequests, "before")
	if e.seen != nil {
		t.Error("the handler ran for a request the hook refused")
	}
	if got := keys.lookups.Load(); got != lookups {
		t.Errorf("%d key lookups while the hook refused, want 0", got-lookups)
	}
}

// TestMiddlewareBeforeVerifyWithoutCache: a validator that is not a
// CachingValidator needs verification for every token, so the hook sees every
// request with a token.
func TestMiddlewareBeforeVerifyWithoutCache(t *testing.T) {
	calls := 0
	e := newEnv(t, nil, nil, func(c *auth.MiddlewareConfig) {
		c.Validator = validatorFunc(c.Validator.Validate) // hides Cached
		c.BeforeVerify = func(http.ResponseWriter, *http.Request) (func(), bool) {
			calls++
			return nil, true
		}
	})
	good := e.iss.Mint(authtest.Claims{"scope": "mcp usr:read"})
	for range 2 {
		if w := e.do(http.MethodPost, "/mcp", toolsList, bearer(good)); w.Code != http.StatusOK {
			t.Fatalf("status %d, want 200", w.Code)
		}
	}
	if calls != 2 {
		t.Errorf("BeforeVerify ran %d times for two requests, want 2", calls)
	}
}

type validatorFunc func(context.Context, string) (*auth.Principal, error)

func (f validatorFunc) Validate(ctx context.Context, token string) (*auth.Principal, error) {
	return f(ctx, token)
}

// TestValidatorCached: Cached answers only for a token Validate verified, only
// until its exp, and never with the cache off; it never looks up a key.
func TestValidatorCached(t *testing.T) {
	iss := authtest.NewIssuer(t)
	keys := staticKeys(t, iss)
	v := cachedValidator(t, iss, keys, 100)
	now := time.Now()
	auth.SetClock(v, func() time.Time { return now })
	tok := iss.Mint(authtest.Claims{"exp": now.Add(time.Minute).Unix()})
	if p := v.Cached(tok); p != nil {
		t.Fatal("Cached answered for a token never verified")
	}
	if _, err := v.Validate(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	lookups := keys.lookups.Load()
	if p := v.Cached(tok); p == nil || p.Subject != "user-123" {
		t.Fatalf("Cached after Validate = %+v, want the token's principal", p)
	}
	if p := v.Cached(tok + "x"); p != nil {
		t.Error("Cached answered for another token")
	}
	now = now.Add(2 * time.Minute)
	if p := v.Cached(tok); p != nil {
		t.Error("Cached answered for an expired token")
	}
	if got := keys.lookups.Load(); got != lookups {
		t.Errorf("Cached looked up %d keys, want 0", got-lookups)
	}
	off := cachedValidator(t, iss, keys, 0)
	fresh := iss.Mint(nil)
	if _, err := off.Validate(t.Context(), fresh); err != nil {
		t.Fatal(err)
	}
	if p := off.Cached(fresh); p != nil {
		t.Error("Cached answered with the cache off")
	}
}

// TestIntrospectorCached: Cached answers only for a token the authorization
// server called active, until the cache TTL, without calling it.
func TestIntrospectorCached(t *testing.T) {
	s := newIntrospectionServer(t)
	s.set("good", activeAnswer(s, time.Now().Add(time.Hour)))
	i := newIntrospector(t, s, nil)
	now := time.Now()
	auth.SetIntrospectorClock(i, func() time.Time { return now })
	if p := i.Cached("good"); p != nil {
		t.Fatal("Cached answered before any introspection")
	}
	if _, err := i.Validate(t.Context(), "good"); err != nil {
		t.Fatal(err)
	}
	if _, err := i.Validate(t.Context(), "made-up"); err == nil {
		t.Fatal("inactive token accepted")
	}
	calls := s.callCount()
	if p := i.Cached("good"); p == nil || p.Subject != "user-42" {
		t.Fatalf("Cached after an active answer = %+v, want its principal", p)
	}
	if p := i.Cached("made-up"); p != nil {
		t.Error("Cached answered for an inactive token")
	}
	now = now.Add(auth.DefaultIntrospectionCacheTTL + time.Second)
	if p := i.Cached("good"); p != nil {
		t.Error("Cached answered past the cache TTL")
	}
	if got := s.callCount(); got != calls {
		t.Errorf("Cached made %d introspection calls, want 0", got-calls)
	}
}

// TestIntrospectionSharedThroughMiddleware: requests presenting the same new
// opaque token at once, through the middleware with a BeforeVerify hook, cause
// exactly one call to the authorization server.
func TestIntrospectionSharedThroughMiddleware(t *testing.T) {
	s := newIntrospectionServer(t)
	s.set("burst", activeAnswer(s, time.Now().Add(time.Hour)))
	release := make(chan struct{})
	inner := s.Config.Handler
	s.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		inner.ServeHTTP(w, r)
	})
	i := newIntrospector(t, s, nil)
	var mu sync.Mutex
	hooks := 0
	mw, err := auth.Middleware(auth.MiddlewareConfig{
		Validator:           i,
		ResourceMetadataURL: testMetadataURL,
		BeforeVerify: func(http.ResponseWriter, *http.Request) (func(), bool) {
			mu.Lock()
			hooks++
			mu.Unlock()
			return nil, true
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	const n = 8
	codes := make(chan int, n)
	for range n {
		go func() {
			r := httptest.NewRequest(http.MethodGet, "/mcp", nil)
			r.Header.Set("Authorization", "Bearer burst")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			codes <- w.Code
		}()
	}
	waitFor(t, func() bool { return auth.IntrospectionCallers(i) == n })
	close(release)
	for range n {
		if code := <-codes; code != http.StatusNoContent {
			t.Errorf("status %d, want the handler's 204", code)
		}
	}
	if got := s.callCount(); got != 1 {
		t.Errorf("%d concurrent requests with one new token made %d introspection calls, want 1", n, got)
	}
	mu.Lock()
	defer mu.Unlock()
	if hooks != n {
		t.Errorf("BeforeVerify ran %d times, want %d (none of the tokens was cached yet)", hooks, n)
	}
}

// waitFor waits until cond holds: for goroutines to reach a state the test
// observes through an export_test hook, with no fixed sleep.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10s")
		}
		runtime.Gosched()
	}
}
