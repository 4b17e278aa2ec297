package auth_test

import (
	"maps"
	"runtime"
	"strconv"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// TestCacheEntryHeap measures the heap verified-token cache entries hold, filling a
// cache with many: for an RFC 9068 access token like the bench's (iss, aud, sub,
// client_id, scope, iat, exp, jti) at most 1 KiB each, and for every shape of token
// no more than the cost the cache charges against its byte budget (CacheBytes), so
// that budget bounds the heap.
func TestCacheEntryHeap(t *testing.T) {
	const entries = 3000
	iss := authtest.NewIssuer(t, authtest.WithAlgorithm("EdDSA"))
	many := authtest.Claims{"scope": "usr:read usr:write openid profile", "email": "ada@example.com", "name": "Ada Lovelace",
		"roles": []string{"admin", "reader"}, "groups": []string{"g1", "g2", "g3"}, "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
		"oid": "00000000-0000-0000-0000-000000000001", "ver": "2.0", "azp": "client-123", "acr": "1", "amr": []string{"pwd", "mfa"},
		"custom_claim": map[string]any{"a": 1, "b": "two"}, "nbf": 1}
	for _, tc := range []struct {
		name     string
		claims   authtest.Claims
		maxBytes int64 // 0: only the charged cost bounds it
	}{
		{"rfc9068", authtest.Claims{"scope": "usr:read"}, 1024},
		{"many claims", many, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tokens := make([]string, entries)
			for i := range tokens {
				c := authtest.Claims{"jti": "bench-" + strconv.Itoa(i)}
				maps.Copy(c, tc.claims)
				tokens[i] = iss.Mint(c)
			}
			v := cachedValidator(t, iss, staticKeys(t, iss), 2*entries)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for _, tok := range tokens {
				if _, err := v.Validate(t.Context(), tok); err != nil {
					t.Fatal(err)
				}
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			if n := auth.CacheLen(v); n != entries {
				t.Fatalf("%d entries cached, want %d", n, entries)
			}
			runtime.KeepAlive(v)
			runtime.KeepAlive(tokens)
			per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / entries
			charged := int64(auth.CacheBytes(v)) / entries
			t.Logf("%d bytes of heap per entry, %d charged (token %d bytes)", per, charged, len(tokens[0]))
			if tc.maxBytes > 0 && per > tc.maxBytes {
				t.Errorf("a cache entry holds %d bytes of heap, want at most %d", per, tc.maxBytes)
			}
			if per > charged {
				t.Errorf("a cache entry holds %d bytes of heap but is charged %d: CacheBytes would not bound the heap", per, charged)
			}
		})
	}
}

// TestCacheByteBudget: a cache whose byte budget is spent evicts, whatever its
// entry limit.
func TestCacheByteBudget(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAlgorithm("EdDSA"))
	cfg := iss.ValidatorConfig()
	cfg.CacheEntries, cfg.CacheBytes = 1000, 100_000 // 16 shards of 6,250 bytes: a few entries each
	v, err := auth.NewValidator(cfg, staticKeys(t, iss))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if _, err := v.Validate(t.Context(), iss.Mint(authtest.Claims{"jti": strconv.Itoa(i)})); err != nil {
			t.Fatal(err)
		}
	}
	if n, b := auth.CacheLen(v), auth.CacheBytes(v); n == 0 || n >= 200 || b > cfg.CacheBytes {
		t.Errorf("%d entries, %d bytes charged; want some, fewer than 200, within %d bytes", n, b, cfg.CacheBytes)
	}
}
