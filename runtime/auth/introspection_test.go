package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/auth"
)

const (
	introClientID     = "mcp-resource-server"
	introClientSecret = "s3cr:t/+&=" // characters RFC 6749 §2.3.1 form-encodes
)

// introspectionServer is a local RFC 7662 endpoint: it authenticates the
// resource server with client_secret_basic and answers from a table of
// tokens; unknown tokens are inactive.
type introspectionServer struct {
	*httptest.Server
	mu      sync.Mutex
	answers map[string]map[string]any
	status  int // when not 0, every request gets this status
	calls   int
}

func newIntrospectionServer(t *testing.T) *introspectionServer {
	t.Helper()
	s := &introspectionServer{answers: map[string]map[string]any{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *introspectionServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.status != 0 {
		http.Error(w, "unavailable", s.status)
		return
	}
	id, secret, ok := r.BasicAuth()
	id, _ = url.QueryUnescape(id)
	secret, _ = url.QueryUnescape(secret)
	if !ok || id != introClientID || secret != introClientSecret {
		w.Header().Set("WWW-Authenticate", `Basic realm="introspection"`)
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token_type_hint") != "access_token" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	answer, ok := s.answers[r.PostForm.Get("token")]
	if !ok {
		answer = map[string]any{"active": false}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(answer)
}

func (s *introspectionServer) set(token string, answer map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers[token] = answer
}

func (s *introspectionServer) setStatus(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = status
}

func (s *introspectionServer) callCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// activeAnswer is an RFC 7662 §2.2 response for a token of this resource.
func activeAnswer(s *introspectionServer, exp time.Time) map[string]any {
	return map[string]any{
		"active":    true,
		"iss":       s.URL,
		"aud":       []string{testResource},
		"sub":       "user-42",
		"client_id": "mcp-client",
		"scope":     "usr:read mcp",
		"org_id":    "org_7",
		"exp":       exp.Unix(),
		"iat":       time.Now().Unix(),
	}
}

func newIntrospector(t *testing.T, s *introspectionServer, mutate func(*auth.IntrospectionConfig)) *auth.Introspector {
	t.Helper()
	cfg := auth.IntrospectionConfig{
		Endpoint:     s.URL + "/introspect",
		ClientID:     introClientID,
		ClientSecret: introClientSecret,
		Issuers:      []string{s.URL},
		Audiences:    []string{testResource},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	i, err := auth.NewIntrospector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func wantAuthError(t *testing.T, err error, status int, reason string) {
	t.Helper()
	var e *auth.Error
	if !errors.As(err, &e) || e.Status != status || e.Reason != reason {
		t.Fatalf("err = %v, want %d %s", err, status, reason)
	}
}

func TestIntrospectionActive(t *testing.T) {
	s := newIntrospectionServer(t)
	s.set("opaque-1", activeAnswer(s, time.Now().Add(time.Hour)))
	i := newIntrospector(t, s, nil)
	p, err := i.Validate(context.Background(), "opaque-1")
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if p.Subject != "user-42" || p.ClientID != "mcp-client" || p.Organization != "org_7" || p.Issuer != s.URL ||
		!p.HasScope("usr:read") || !p.HasScope("mcp") || p.ExpiresAt.IsZero() {
		t.Errorf("principal = %+v", p)
	}
}

func TestIntrospectionRejections(t *testing.T) {
	s := newIntrospectionServer(t)
	exp := time.Now().Add(time.Hour)
	with := func(over map[string]any) map[string]any {
		a := activeAnswer(s, exp)
		for k, v := range over {
			if v == nil {
				delete(a, k)
				continue
			}
			a[k] = v
		}
		return a
	}
	for name, tt := range map[string]struct {
		answer map[string]any // nil: the server does not know the token
		reason string
	}{
		"unknown token":      {nil, "inactive"},
		"inactive":           {map[string]any{"active": false, "sub": "user-42"}, "inactive"},
		"active not boolean": {with(map[string]any{"active": "true"}), "introspection_unavailable"},
		"wrong aud":          {with(map[string]any{"aud": "https://other.example.com/mcp"}), "wrong_audience"},
		"no aud":             {with(map[string]any{"aud": nil}), "missing_aud"},
		"wrong iss":          {with(map[string]any{"iss": "https://evil.example.com"}), "wrong_issuer"},
		"expired but active": {with(map[string]any{"exp": time.Now().Add(-time.Hour).Unix()}), "expired"},
		"nbf ahead":          {with(map[string]any{"nbf": time.Now().Add(time.Hour).Unix()}), "not_yet_valid"},
		"exp not a number":   {with(map[string]any{"exp": "tomorrow"}), "claim_type"},
		"refresh token":      {with(map[string]any{"token_type": "refresh_token"}), "wrong_token_type"},
	} {
		t.Run(name, func(t *testing.T) {
			token := "tok-" + strings.ReplaceAll(name, " ", "-")
			if tt.answer != nil {
				s.set(token, tt.answer)
			}
			i := newIntrospector(t, s, nil)
			_, err := i.Validate(context.Background(), token)
			status := http.StatusUnauthorized
			if tt.reason == "introspection_unavailable" {
				status = http.StatusServiceUnavailable
			}
			wantAuthError(t, err, status, tt.reason)
		})
	}
	t.Run("no iss is fine", func(t *testing.T) {
		s.set("no-iss", with(map[string]any{"iss": nil}))
		if _, err := newIntrospector(t, s, nil).Validate(context.Background(), "no-iss"); err != nil {
			t.Errorf("Validate: %v", err)
		}
	})
}

// TestIntrospectionServerTrouble: whatever goes wrong on the server side, the
// client gets 503 (retry later), never 401 for a token that may be fine and
// never 500, and the operator's log says why without the token.
func TestIntrospectionServerTrouble(t *testing.T) {
	for name, tt := range map[string]struct {
		setup func(s *introspectionServer, cfg *auth.IntrospectionConfig)
		log   string
	}{
		"503 from the server":   {func(s *introspectionServer, _ *auth.IntrospectionConfig) { s.setStatus(503) }, "status 503"},
		"500 from the server":   {func(s *introspectionServer, _ *auth.IntrospectionConfig) { s.setStatus(500) }, "status 500"},
		"wrong client secret":   {func(_ *introspectionServer, c *auth.IntrospectionConfig) { c.ClientSecret = "wrong" }, "client credentials"},
		"server down":           {func(s *introspectionServer, _ *auth.IntrospectionConfig) { s.Close() }, "connect"},
		"not json":              {func(s *introspectionServer, c *auth.IntrospectionConfig) { c.Endpoint = s.URL + "/html" }, ""},
		"timeout (slow server)": {func(s *introspectionServer, c *auth.IntrospectionConfig) { c.HTTPTimeout = time.Nanosecond }, "introspect"},
	} {
		t.Run(name, func(t *testing.T) {
			s := newIntrospectionServer(t)
			s.set("opaque-1", activeAnswer(s, time.Now().Add(time.Hour)))
			logs := &logBuffer{}
			i := newIntrospector(t, s, func(c *auth.IntrospectionConfig) {
				c.Logger = logs.logger()
				tt.setup(s, c)
			})
			if name == "not json" {
				s.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "text/html")
					fmt.Fprint(w, "<html>login</html>")
				})
			}
			_, err := i.Validate(context.Background(), "opaque-1")
			wantAuthError(t, err, http.StatusServiceUnavailable, "introspection_unavailable")
			if !strings.Contains(logs.String(), tt.log) {
				t.Errorf("log %q does not say %q", logs.String(), tt.log)
			}
			if strings.Contains(logs.String(), "opaque-1") || strings.Contains(err.Error(), "opaque-1") {
				t.Error("the token leaked into the log or the error")
			}
		})
	}
}

func TestIntrospectionThroughMiddleware(t *testing.T) {
	s := newIntrospectionServer(t)
	s.set("good", activeAnswer(s, time.Now().Add(time.Hour)))
	i := newIntrospector(t, s, nil)
	mw, err := auth.Middleware(auth.MiddlewareConfig{Validator: i, ResourceMetadataURL: testMetadataURL, Scopes: auth.ScopePolicy{Required: []string{"usr:read"}}})
	if err != nil {
		t.Fatal(err)
	}
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		fmt.Fprint(w, p.Subject)
	}))
	get := func(token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, testResource, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := get("good"); rec.Code != 200 || rec.Body.String() != "user-42" {
		t.Errorf("active token: %d %s", rec.Code, rec.Body)
	}
	if rec := get("bad"); rec.Code != 401 || !strings.Contains(rec.Header().Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("inactive token: %d %v", rec.Code, rec.Header())
	}
	s.setStatus(http.StatusServiceUnavailable)
	if rec := get("other"); rec.Code != 503 || rec.Header().Get("Retry-After") == "" {
		t.Errorf("server down: %d %v, want 503 with Retry-After", rec.Code, rec.Header())
	}
}

func TestIntrospectionCache(t *testing.T) {
	s := newIntrospectionServer(t)
	now := time.Now()
	clock := func() time.Time { return now }
	i := newIntrospector(t, s, func(c *auth.IntrospectionConfig) { c.CacheTTL = time.Minute })
	auth.SetIntrospectorClock(i, func() time.Time { return clock() })
	validate := func(token string) error {
		_, err := i.Validate(context.Background(), token)
		return err
	}

	s.set("long", activeAnswer(s, now.Add(time.Hour)))
	for range 3 {
		if err := validate("long"); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.callCount(); got != 1 {
		t.Errorf("3 validations of one token made %d introspection calls, want 1", got)
	}
	// After CacheTTL the server is asked again: a revocation takes effect.
	now = now.Add(61 * time.Second)
	s.set("long", map[string]any{"active": false})
	if err := validate("long"); err == nil {
		t.Error("a token revoked more than CacheTTL ago is still accepted")
	}

	// Never past the token's own exp, even within CacheTTL.
	s.set("short", activeAnswer(s, now.Add(10*time.Second)))
	if err := validate("short"); err != nil {
		t.Fatal(err)
	}
	calls := s.callCount()
	now = now.Add(45 * time.Second)
	if err := validate("short"); err == nil {
		t.Error("an expired token was served from the cache")
	}
	if s.callCount() != calls+1 {
		t.Error("the cache answered past the token's exp")
	}

	// Inactive answers are not cached: made-up tokens cannot grow the cache.
	for n := range 20 {
		_ = validate(fmt.Sprintf("forged-%d", n))
	}
	if got := auth.IntrospectorCacheLen(i); got > 1 {
		t.Errorf("cache holds %d entries after inactive answers, want at most the 1 active one", got)
	}
}

func TestIntrospectionCacheBounded(t *testing.T) {
	s := newIntrospectionServer(t)
	i := newIntrospector(t, s, func(c *auth.IntrospectionConfig) { c.CacheEntries = 3 })
	for n := range 10 {
		token := fmt.Sprintf("active-%d", n)
		s.set(token, activeAnswer(s, time.Now().Add(time.Hour)))
		if _, err := i.Validate(context.Background(), token); err != nil {
			t.Fatal(err)
		}
	}
	if got := auth.IntrospectorCacheLen(i); got != 3 {
		t.Errorf("cache holds %d entries, want the bound 3", got)
	}
	off := newIntrospector(t, s, func(c *auth.IntrospectionConfig) { c.CacheEntries = -1 })
	if got := auth.IntrospectorCacheLen(off); got != -1 {
		t.Errorf("negative CacheEntries: cache len %d, want none", got)
	}
}

func TestNewIntrospectorRefusesUnsafeConfig(t *testing.T) {
	base := auth.IntrospectionConfig{Endpoint: "https://as.example.com/introspect", ClientID: "id", ClientSecret: "secret", Audiences: []string{testResource}}
	if _, err := auth.NewIntrospector(base); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	for name, mutate := range map[string]func(*auth.IntrospectionConfig){
		"http endpoint":  func(c *auth.IntrospectionConfig) { c.Endpoint = "http://as.example.com/introspect" },
		"no endpoint":    func(c *auth.IntrospectionConfig) { c.Endpoint = "" },
		"no secret":      func(c *auth.IntrospectionConfig) { c.ClientSecret = "" },
		"no client id":   func(c *auth.IntrospectionConfig) { c.ClientID = "" },
		"no audience":    func(c *auth.IntrospectionConfig) { c.Audiences = nil },
		"negative ttl":   func(c *auth.IntrospectionConfig) { c.CacheTTL = -time.Second },
		"empty org name": func(c *auth.IntrospectionConfig) { c.OrganizationClaims = []string{""} },
	} {
		cfg := base
		mutate(&cfg)
		if _, err := auth.NewIntrospector(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestIntrospectionRefusesOversizedToken(t *testing.T) {
	s := newIntrospectionServer(t)
	i := newIntrospector(t, s, nil)
	_, err := i.Validate(context.Background(), strings.Repeat("a", auth.DefaultMaxTokenBytes+1))
	wantAuthError(t, err, http.StatusUnauthorized, "malformed")
	if s.callCount() != 0 {
		t.Error("an oversized token was sent to the authorization server")
	}
}

// TestIntrospectionConcurrent: many requests with the same and different tokens at once
// share the cache safely (run with -race) and all get the right answer.
func TestIntrospectionConcurrent(t *testing.T) {
	s := newIntrospectionServer(t)
	for n := range 4 {
		s.set(fmt.Sprintf("tok-%d", n), activeAnswer(s, time.Now().Add(time.Hour)))
	}
	i := newIntrospector(t, s, func(c *auth.IntrospectionConfig) { c.CacheEntries = 2 })
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 16 {
		wg.Go(func() {
			for n := range 8 {
				token := fmt.Sprintf("tok-%d", (g+n)%5) // tok-4 is unknown: inactive
				_, err := i.Validate(context.Background(), token)
				if (token == "tok-4") != (err != nil) {
					errs <- fmt.Errorf("%s: %v", token, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := auth.IntrospectorCacheLen(i); got > 2 {
		t.Errorf("cache holds %d entries, bound 2", got)
	}
}

// TestIntrospectionSharedRequest: requests presenting the same new token at once cause
// one request to the authorization server, and a caller that gives up does not fail
// the others.
func TestIntrospectionSharedRequest(t *testing.T) {
	s := newIntrospectionServer(t)
	s.set("burst", activeAnswer(s, time.Now().Add(time.Hour)))
	release := make(chan struct{})
	inner := s.Config.Handler
	s.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		inner.ServeHTTP(w, r)
	})
	i := newIntrospector(t, s, func(c *auth.IntrospectionConfig) { c.CacheEntries = -1 })

	impatient, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	results := make(chan error, 9)
	for n := range 9 {
		wg.Go(func() {
			ctx := context.Background()
			if n == 0 {
				ctx = impatient
			}
			_, err := i.Validate(ctx, "burst")
			if n != 0 {
				results <- err
			}
		})
	}
	waitFor(t, func() bool { return auth.IntrospectionCallers(i) == 9 }) // every goroutine joined the request under way
	cancel()
	close(release)
	wg.Wait()
	close(results)
	for err := range results {
		if err != nil {
			t.Errorf("Validate: %v", err)
		}
	}
	if got := s.callCount(); got != 1 {
		t.Errorf("9 concurrent validations of one token made %d introspection calls, want 1", got)
	}
}

// BenchmarkIntrospector is the per-request cost of an opaque token: cached (a SHA-256
// and a map lookup) and uncached (a request to a loopback introspection endpoint).
func BenchmarkIntrospector(b *testing.B) {
	s := &introspectionServer{answers: map[string]map[string]any{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	defer s.Close()
	const token = "opaque-bench-token-0123456789abcdef"
	s.set(token, activeAnswer(s, time.Now().Add(time.Hour)))
	for _, bc := range []struct {
		name    string
		entries int
	}{{"cached", 0}, {"uncached", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			i, err := auth.NewIntrospector(auth.IntrospectionConfig{
				Endpoint: s.URL, ClientID: introClientID, ClientSecret: introClientSecret,
				Issuers: []string{s.URL}, Audiences: []string{testResource}, CacheEntries: bc.entries,
			})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			for b.Loop() {
				if _, err := i.Validate(ctx, token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestIntrospectionAbandonedRequestIsJudged: a client that hangs up before the
// authorization server answers still gets its token judged, so a made-up token is a
// 401 the failed-authentication limit counts. Were it a 503 (not counted), hanging up
// at once would let a client make the server introspect made-up tokens without limit.
func TestIntrospectionAbandonedRequestIsJudged(t *testing.T) {
	s := newIntrospectionServer(t)
	s.set("good", activeAnswer(s, time.Now().Add(time.Hour)))
	inner := s.Config.Handler
	s.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(100 * time.Millisecond)
		inner.ServeHTTP(w, r)
	})
	i := newIntrospector(t, s, func(c *auth.IntrospectionConfig) { c.CacheEntries = -1 })
	for token, want := range map[string]int{"made-up": http.StatusUnauthorized, "good": 0} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		_, err := i.Validate(ctx, token)
		cancel()
		if want == 0 {
			if err != nil {
				t.Errorf("good token, client gone: %v, want its principal", err)
			}
			continue
		}
		wantAuthError(t, err, want, "inactive")
	}
}
