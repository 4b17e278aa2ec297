package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// countingKeys is a *JWKS that counts key lookups: every signature
// verification asks for a key, so a cache hit is a validation that did not.
type countingKeys struct {
	*auth.JWKS
	lookups atomic.Int64
}

func (c *countingKeys) Keyfunc(t *jwt.Token) (any, error) {
	c.lookups.Add(1)
	return c.JWKS.Keyfunc(t)
}

func (c *countingKeys) KeyfuncCtx(ctx context.Context) jwt.Keyfunc {
	inner := c.JWKS.KeyfuncCtx(ctx)
	return func(t *jwt.Token) (any, error) {
		c.lookups.Add(1)
		return inner(t)
	}
}

func staticKeys(t testing.TB, iss *authtest.Issuer) *countingKeys {
	t.Helper()
	j, err := auth.NewStaticJWKS(iss.JWKS())
	if err != nil {
		t.Fatal(err)
	}
	return &countingKeys{JWKS: j}
}

func cachedValidator(t testing.TB, iss *authtest.Issuer, keys auth.KeySet, entries int) *auth.Validator {
	t.Helper()
	cfg := iss.ValidatorConfig()
	cfg.CacheEntries = entries
	v, err := auth.NewValidator(cfg, keys)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// outcome is "" for success, else the rejection's reason.
func outcome(err error) string {
	if err == nil {
		return ""
	}
	return reason(err)
}

func TestCacheHitSkipsVerification(t *testing.T) {
	iss := authtest.NewIssuer(t)
	keys := staticKeys(t, iss)
	v := cachedValidator(t, iss, keys, auth.DefaultCacheEntries)
	tok := iss.Mint(authtest.Claims{"scope": "usr:read"})

	first, err := v.Validate(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	first.Subject = "changed by a handler"
	for range 3 {
		p, err := v.Validate(t.Context(), tok)
		if err != nil {
			t.Fatal(err)
		}
		if p.Subject != "user-123" || !p.HasScope("usr:read") || p.ExpiresAt.IsZero() {
			t.Fatalf("cached principal = %+v, want the token's subject, scope and exp", p)
		}
		if p == first {
			t.Fatal("a hit returned the same *Principal as an earlier request")
		}
	}
	if n := keys.lookups.Load(); n != 1 {
		t.Errorf("4 validations of one token looked up %d keys, want 1 (hits skip verification)", n)
	}

	// A token differing only in its signature is not the cached one.
	i := len(tok) - 10 // inside the signature, clear of its padding bits
	swap := byte('A')
	if tok[i] == 'A' {
		swap = 'B'
	}
	forged := tok[:i] + string(swap) + tok[i+1:]
	if _, err := v.Validate(t.Context(), forged); err == nil {
		t.Fatal("a token with a different signature was accepted")
	}
	if n := keys.lookups.Load(); n != 2 {
		t.Errorf("the altered token looked up keys %d times in all, want 2 (it must be verified)", n)
	}
}

func TestCacheOff(t *testing.T) {
	iss := authtest.NewIssuer(t)
	keys := staticKeys(t, iss)
	v := cachedValidator(t, iss, keys, 0)
	tok := iss.Mint(nil)
	for range 3 {
		if _, err := v.Validate(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := keys.lookups.Load(); n != 3 {
		t.Errorf("with CacheEntries 0, 3 validations looked up %d keys, want 3", n)
	}
	if n := auth.CacheLen(v); n != -1 {
		t.Errorf("CacheEntries 0 built a cache of %d entries", n)
	}
	if _, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{iss.URL}, Audiences: []string{"a"}, CacheEntries: -1}, keys); err == nil {
		t.Error("negative CacheEntries accepted")
	}
}

// opaqueKeys hides the *JWKS behind the KeySet interface: the cache cannot
// see when such a set drops a key, so it must not cache at all.
type opaqueKeys struct{ ks auth.KeySet }

func (o opaqueKeys) Keyfunc(t *jwt.Token) (any, error) { return o.ks.Keyfunc(t) }
func (o opaqueKeys) Ready() bool                       { return o.ks.Ready() }

func TestCacheNeedsInspectableKeys(t *testing.T) {
	iss := authtest.NewIssuer(t)
	v := cachedValidator(t, iss, opaqueKeys{iss.KeySet()}, auth.DefaultCacheEntries)
	if _, err := v.Validate(t.Context(), iss.Mint(nil)); err != nil {
		t.Fatal(err)
	}
	if n := auth.CacheLen(v); n != -1 {
		t.Errorf("a validator over a foreign KeySet cached (%d entries); it cannot notice key removal", n)
	}
}

func TestCacheNeverStoresRejectedTokens(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience("https://other.example.com/mcp"))
	other := authtest.NewIssuer(t)
	keys := staticKeys(t, iss)
	cfg := iss.ValidatorConfig()
	cfg.Audiences = []string{"https://mcp.example.com/mcp"}
	cfg.CacheEntries = 100
	v, err := auth.NewValidator(cfg, keys)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{
		"wrong_audience": iss.Mint(nil),
		"expired":        iss.Mint(authtest.Claims{"aud": cfg.Audiences[0], "exp": time.Now().Add(-time.Hour)}),
		"unknown_kid":    other.Mint(authtest.Claims{"aud": cfg.Audiences[0]}),
		"wrong_issuer":   iss.Mint(authtest.Claims{"aud": cfg.Audiences[0], "iss": "https://evil.example.com"}),
	}
	for want, tok := range bad {
		for range 3 {
			if _, err := v.Validate(t.Context(), tok); outcome(err) != want {
				t.Fatalf("%s token: reason %q", want, outcome(err))
			}
		}
	}
	if n := auth.CacheLen(v); n != 0 {
		t.Errorf("rejected tokens left %d cache entries", n)
	}
	if n := keys.lookups.Load(); n != 12 {
		t.Errorf("4 rejected tokens × 3 looked up keys %d times, want 12 (each verified every time)", n)
	}
}

// TestCacheExpiryMatchesUncached steps a shared clock through a token's life
// and checks the cached validator answers exactly like an uncached one: a
// hit before exp, full verification (leeway included) after it, rejection
// once exp + leeway has passed.
func TestCacheExpiryMatchesUncached(t *testing.T) {
	iss := authtest.NewIssuer(t)
	keys := staticKeys(t, iss)
	cached := cachedValidator(t, iss, keys, 10)
	plain := cachedValidator(t, iss, iss.KeySet(), 0)
	start := time.Now().Truncate(time.Second)
	var now atomic.Pointer[time.Time]
	clock := func() time.Time { return *now.Load() }
	auth.SetClock(cached, clock)
	auth.SetClock(plain, clock)
	exp := start.Add(60 * time.Second)
	tok := iss.Mint(authtest.Claims{"iat": start, "exp": exp})

	steps := []struct {
		at         time.Duration
		wantReason string
		wantLookup int64 // key lookups of the cached validator so far
	}{
		{0, "", 1},
		{59 * time.Second, "", 1},                         // hit
		{60 * time.Second, "", 2},                         // at exp: verified again, leeway accepts
		{61 * time.Second, "", 3},                         // not stored again past exp
		{89 * time.Second, "", 4},                         // still inside the 30s leeway
		{90*time.Second + time.Millisecond, "expired", 5}, // exp + leeway passed
	}
	for _, s := range steps {
		at := start.Add(s.at)
		now.Store(&at)
		_, errCached := cached.Validate(t.Context(), tok)
		_, errPlain := plain.Validate(t.Context(), tok)
		if outcome(errCached) != s.wantReason || outcome(errPlain) != s.wantReason {
			t.Errorf("at exp%+v: cached %q, uncached %q, want %q", s.at-60*time.Second, outcome(errCached), outcome(errPlain), s.wantReason)
		}
		if n := keys.lookups.Load(); n != s.wantLookup {
			t.Errorf("at exp%+v: %d key lookups, want %d", s.at-60*time.Second, n, s.wantLookup)
		}
	}
	if n := auth.CacheLen(cached); n != 0 {
		t.Errorf("an expired token left %d entries", n)
	}
}

// TestCacheSkipsTokensNotYetValid: a token whose nbf is ahead (inside the
// leeway) is accepted but verified every time, never cached.
func TestCacheSkipsTokensNotYetValid(t *testing.T) {
	iss := authtest.NewIssuer(t)
	keys := staticKeys(t, iss)
	v := cachedValidator(t, iss, keys, 10)
	for _, claim := range []string{"nbf", "iat"} {
		tok := iss.Mint(authtest.Claims{claim: time.Now().Add(10 * time.Second)})
		before := keys.lookups.Load()
		for range 2 {
			if _, err := v.Validate(t.Context(), tok); err != nil {
				t.Fatalf("%s 10s ahead (inside leeway): %v", claim, err)
			}
		}
		if n := keys.lookups.Load() - before; n != 2 {
			t.Errorf("%s ahead: 2 validations looked up %d keys, want 2 (not cached)", claim, n)
		}
	}
	if n := auth.CacheLen(v); n != 0 {
		t.Errorf("not-yet-valid tokens left %d entries", n)
	}
}

// mutableJWKS serves a JWKS document the test can swap.
type mutableJWKS struct {
	mu  sync.Mutex
	doc []byte
}

func (m *mutableJWKS) set(doc []byte) { m.mu.Lock(); m.doc = doc; m.mu.Unlock() }

func (m *mutableJWKS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	doc := m.doc
	m.mu.Unlock()
	w.Header().Set("Content-Type", "application/jwk-set+json")
	_, _ = w.Write(doc)
}

func remoteKeys(t *testing.T, doc []byte) (*mutableJWKS, *countingKeys) {
	t.Helper()
	m := &mutableJWKS{doc: doc}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	j, err := auth.NewRemoteJWKS(t.Context(), srv.URL, auth.JWKSOptions{HTTPTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !j.Ready() {
		t.Fatal("remote JWKS did not load")
	}
	return m, &countingKeys{JWKS: j}
}

func TestCacheInvalidatedWhenKeyDropped(t *testing.T) {
	iss := authtest.NewIssuer(t)
	successor := authtest.NewIssuer(t)
	doc, keys := remoteKeys(t, iss.JWKS())
	v := cachedValidator(t, iss, keys, 10)
	tok := iss.Mint(nil)
	if _, err := v.Validate(t.Context(), tok); err != nil {
		t.Fatal(err)
	}

	// A refresh publishing the same key keeps the entry.
	if err := keys.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Validate(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	if n := keys.lookups.Load(); n != 1 {
		t.Fatalf("after a refresh with the same keys: %d key lookups, want 1 (still a hit)", n)
	}

	// The issuer drops the key: the cached token must be refused.
	doc.set(successor.JWKS())
	if err := keys.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Validate(t.Context(), tok); outcome(err) != "unknown_kid" {
		t.Fatalf("token of a dropped key: reason %q, want unknown_kid", outcome(err))
	}
	if n := auth.CacheLen(v); n != 0 {
		t.Errorf("a dropped key left %d entries", n)
	}
}

func TestCacheInvalidatedWhenKidRepublishedWithOtherKey(t *testing.T) {
	iss := authtest.NewIssuer(t)
	doc, keys := remoteKeys(t, iss.JWKS())
	v := cachedValidator(t, iss, keys, 10)
	tok := iss.Mint(nil)
	if _, err := v.Validate(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	// Same kid, different key material: the cached verification no longer holds.
	impostor := authtest.NewIssuer(t)
	doc.set(rekey(t, impostor.JWKS(), iss.KeyID()))
	if err := keys.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Validate(t.Context(), tok); outcome(err) != "bad_signature" {
		t.Fatalf("token whose kid now names another key: reason %q, want bad_signature", outcome(err))
	}
}

// rekey returns a JWKS document with every kid replaced by kid.
func rekey(t *testing.T, doc []byte, kid string) []byte {
	t.Helper()
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatal(err)
	}
	for _, k := range set.Keys {
		k["kid"] = kid
	}
	out, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCacheBound(t *testing.T) {
	for _, limit := range []int{20, 200} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			iss := authtest.NewIssuer(t, authtest.WithAlgorithm("EdDSA"))
			keys := staticKeys(t, iss)
			v := cachedValidator(t, iss, keys, limit)
			var toks []string
			for i := range 3 * limit {
				tok := iss.Mint(authtest.Claims{"sub": fmt.Sprint("user-", i), "exp": time.Now().Add(time.Duration(i+60) * time.Second)})
				toks = append(toks, tok)
				if _, err := v.Validate(t.Context(), tok); err != nil {
					t.Fatal(err)
				}
				if n := auth.CacheLen(v); n > limit {
					t.Fatalf("after %d tokens the cache holds %d entries, limit %d", i+1, n, limit)
				}
			}
			if n := auth.CacheLen(v); n < limit*9/10 {
				t.Errorf("cache holds %d of %d entries after %d tokens: it should fill up", n, limit, 3*limit)
			}
			// Evicted or not, every token still validates, to its own subject.
			for i, tok := range toks {
				p, err := v.Validate(t.Context(), tok)
				if err != nil || p.Subject != fmt.Sprint("user-", i) {
					t.Fatalf("token %d after eviction: %v, %+v", i, err, p)
				}
			}
		})
	}
}

// TestCacheConcurrent runs hits, misses, rejections and key refreshes at
// once; run with -race.
func TestCacheConcurrent(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAlgorithm("ES256"))
	doc, keys := remoteKeys(t, iss.JWKS())
	v := cachedValidator(t, iss, keys, 16)
	type tc struct {
		tok, sub string
		ok       bool
	}
	var toks []tc
	for i := range 24 {
		toks = append(toks, tc{iss.Mint(authtest.Claims{"sub": fmt.Sprint("u", i)}), fmt.Sprint("u", i), true})
	}
	for i := range 4 {
		toks = append(toks, tc{iss.Mint(authtest.Claims{"aud": "https://elsewhere.example.com", "sub": fmt.Sprint("x", i)}), "", false})
	}
	stop := make(chan struct{})
	var refresher sync.WaitGroup
	refresher.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			doc.set(iss.JWKS())
			_ = keys.Refresh(context.Background())
		}
	})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				c := toks[(g*7+i)%len(toks)]
				p, err := v.Validate(context.Background(), c.tok)
				if c.ok && (err != nil || p.Subject != c.sub) {
					t.Errorf("valid token %s: %v, %+v", c.sub, err, p)
					return
				}
				if !c.ok && err == nil {
					t.Errorf("invalid token accepted")
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	refresher.Wait()
	if n := auth.CacheLen(v); n > 16 {
		t.Errorf("cache holds %d entries, limit 16", n)
	}
}
