package auth

import (
	"context"
	"crypto"
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultCacheEntries is a sensible ValidatorConfig.CacheEntries for a server:
// enough for every client of a busy instance to keep its token warm, small
// enough that a full cache stays in the tens of MiB (each entry holds the
// decoded claims of one token, and tokens are at most MaxTokenBytes long).
const DefaultCacheEntries = 10000

// DefaultCacheBytes bounds the heap the verified-token cache holds, whatever its
// number of entries (ValidatorConfig.CacheBytes, IntrospectionConfig's cache): an
// entry for a typical RFC 9068 access token holds under 1 KiB (TestCacheEntryHeap),
// so 10,000 of them fit; tokens with many claims take more each, and then fewer are
// kept.
const DefaultCacheBytes = 16 << 20

// cacheShardCount spreads the cache over several locks so concurrent requests
// rarely wait on one another; small caches use one shard so the bound stays
// exact.
const cacheShardCount = 16

// cacheEvictSample is how many entries an insert into a full shard looks at
// to pick a victim (the one expiring first): O(1) work, yet entries that
// already expired are the ones that go.
const cacheEvictSample = 8

// tokenCache remembers the principals of tokens whose signature and claims a
// Validator has already checked, so a client sending the same token again
// costs a SHA-256 and a map lookup instead of a signature verification.
//
// What it holds and why it is safe:
//   - The key is the SHA-256 of the token, never the token: a heap dump or a
//     log of the cache reveals nothing that could be replayed, and a forged
//     token cannot collide with a cached one.
//   - Only tokens that passed every check are stored, so requests with
//     garbage or forged tokens cannot grow it; its size is fixed.
//   - An entry is used only while the clock is before the token's exp. After
//     that the token takes the full path again, which applies the leeway
//     exactly as it would without a cache (and does not store it again).
//   - An entry remembers the key that verified the token and is dropped as
//     soon as the key set no longer holds that key (rotation, revocation).
type tokenCache struct {
	keys   keySnapshotter
	shards []cacheShard
	limit  int // entries per shard
	bytes  int // estimated heap bytes per shard (entryBytes)
}

type cacheShard struct {
	mu      sync.RWMutex
	entries map[[sha256.Size]byte]*cacheEntry
	bytes   int // the sum of the entries' cost
}

// cacheEntry is what a later request with the same token needs: its Principal
// (claims included: handlers and claim rules read them), when the entry ends, and
// the key to check is still published. The Principal is held by value, in the same
// allocation.
type cacheEntry struct {
	principal Principal // read-only; every hit gets a copy
	expires   time.Time // the token's exp: never used at or after it
	cost      int       // entryBytes, charged against the shard's byte budget
	kid       string
	key       crypto.PublicKey
	// checked is the last key snapshot known to hold key, so the presence
	// check costs one pointer comparison until the JWKS is refreshed.
	checked atomic.Pointer[keySnapshot]
}

// keySnapshotter is a KeySet whose current keys the cache can inspect to see
// whether the key that verified a cached token is still published. *JWKS is
// one; for other KeySets the Validator does not cache, since it could not
// tell when they drop a key.
type keySnapshotter interface {
	currentKeys() *keySnapshot
}

func (j *JWKS) currentKeys() *keySnapshot { return j.keys.Load() }

// newTokenCache returns a cache of at most maxEntries entries and about
// maxBytes of heap, or nil when caching is off (maxEntries 0) or keys cannot be
// inspected.
func newTokenCache(maxEntries, maxBytes int, keys KeySet) *tokenCache {
	ks, ok := keys.(keySnapshotter)
	if maxEntries <= 0 || !ok {
		return nil
	}
	return newBoundedCache(maxEntries, maxBytes, ks)
}

// newBoundedCache returns a cache of at most maxEntries (> 0) entries and
// maxBytes (DefaultCacheBytes when 0) of entry costs. With keys nil, entries
// are bounded by their expiry only: the Introspector's answers come from the
// authorization server, not from a key.
func newBoundedCache(maxEntries, maxBytes int, keys keySnapshotter) *tokenCache {
	shards := cacheShardCount
	if maxEntries < shards*cacheEvictSample {
		shards = 1
	}
	if maxBytes <= 0 {
		maxBytes = DefaultCacheBytes
	}
	c := &tokenCache{keys: keys, shards: make([]cacheShard, shards), limit: max(1, maxEntries/shards), bytes: max(1, maxBytes/shards)}
	for i := range c.shards {
		c.shards[i].entries = make(map[[sha256.Size]byte]*cacheEntry)
	}
	return c
}

func (c *tokenCache) shard(sum *[sha256.Size]byte) *cacheShard {
	return &c.shards[int(sum[0])%len(c.shards)]
}

// get returns a copy of the cached principal for the token hashing to sum,
// or nil when there is none, it has expired, or its key is gone.
func (c *tokenCache) get(sum *[sha256.Size]byte, now time.Time) *Principal {
	s := c.shard(sum)
	s.mu.RLock()
	e := s.entries[*sum]
	s.mu.RUnlock()
	if e == nil {
		return nil
	}
	if !now.Before(e.expires) {
		s.remove(sum, e)
		return nil
	}
	// Without keys (introspection) entries are bounded by their expiry alone.
	if c.keys != nil {
		if snap := c.keys.currentKeys(); e.checked.Load() != snap {
			if !snap.holds(e.kid, e.key) {
				s.remove(sum, e)
				return nil
			}
			e.checked.Store(snap)
		}
	}
	p := e.principal
	return &p
}

// put stores a verified token's principal. Callers have checked that the
// token is currently valid; put still refuses entries that would already be
// expired.
func (c *tokenCache) put(sum *[sha256.Size]byte, p *Principal, kid string, key crypto.PublicKey, now time.Time) {
	if !now.Before(p.ExpiresAt) {
		return
	}
	c.insert(sum, &cacheEntry{principal: *p, expires: p.ExpiresAt, kid: kid, key: key})
}

// insert stores e, evicting entries first while the shard is full, in entries
// or in bytes. An entry costing more than a shard's whole budget is not kept.
func (c *tokenCache) insert(sum *[sha256.Size]byte, e *cacheEntry) {
	e.cost = entryBytes(e)
	if e.cost > c.bytes {
		return
	}
	s := c.shard(sum)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, present := s.entries[*sum]; present {
		delete(s.entries, *sum)
		s.bytes -= old.cost
	}
	for len(s.entries) > 0 && (len(s.entries) >= c.limit || s.bytes+e.cost > c.bytes) {
		s.evictLocked()
	}
	s.entries[*sum] = e
	s.bytes += e.cost
}

// evictLocked removes the entry expiring first among a few; Go's map
// iteration starts at a random position, so the sample differs each time.
func (s *cacheShard) evictLocked() {
	var victim [sha256.Size]byte
	var first time.Time
	n := 0
	for k, e := range s.entries {
		if n == 0 || e.expires.Before(first) {
			victim, first = k, e.expires
		}
		if n++; n == cacheEvictSample {
			break
		}
	}
	if n > 0 {
		s.bytes -= s.entries[victim].cost
		delete(s.entries, victim)
	}
}

// remove deletes the entry for sum if it is still e (another goroutine may
// have replaced it with a fresh one meanwhile).
func (s *cacheShard) remove(sum *[sha256.Size]byte, e *cacheEntry) {
	s.mu.Lock()
	if s.entries[*sum] == e {
		delete(s.entries, *sum)
		s.bytes -= e.cost
	}
	s.mu.Unlock()
}

func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.entries)
		s.mu.RUnlock()
	}
	return n
}

// remember caches the principal of a token that has just passed every check,
// unless a later hit could not be judged like the full path would judge it:
// a token without kid is verified against several keys (the cache would not
// know which one to watch), and a token whose nbf or iat is still ahead was
// accepted only thanks to the leeway.
func (v *Validator) remember(sum *[sha256.Size]byte, h tokenHeader, verifiedBy any, p *Principal) {
	if !h.HasKID || verifiedBy == nil {
		return
	}
	if _, several := verifiedBy.(jwt.VerificationKeySet); several {
		return
	}
	now := v.now()
	claims := jwt.MapClaims(p.Claims)
	if nbf, err := claims.GetNotBefore(); err != nil || nbf != nil && nbf.After(now) {
		return
	}
	if p.IssuedAt.After(now) { // checkClaims read iat (zero when absent)
		return
	}
	// The caller hands p to its request; the cache keeps its own copy (put
	// copies the struct) so a handler changing a field of its Principal cannot
	// change later ones, with the claims in a map of their own whose common
	// names are not held once per entry.
	kept := *p
	kept.Claims = compactClaims(p.Claims)
	v.cache.put(sum, &kept, h.KID, verifiedBy, now)
}

// claimNames are the claim names most access tokens carry: a cached entry's claims
// use these strings instead of the copies decoding made.
var claimNames = func() map[string]string {
	m := map[string]string{}
	for _, n := range []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", "scp", "scopes",
		"client_id", "azp", "cid", "appid", "org_id", "tid", "oid", "typ", "sid", "auth_time", "acr", "amr",
		"roles", "groups", "permissions", "email", "name", "ver", "uid", "token_use", "username", "idp"} {
		m[n] = n
	}
	return m
}()

// compactClaims returns a copy of claims for the cache, with the common claim names
// shared (see claimNames). Values are shared with claims: both are read-only.
func compactClaims(claims map[string]any) map[string]any {
	if claims == nil {
		return nil
	}
	out := make(map[string]any, len(claims))
	for k, v := range claims {
		if n, ok := claimNames[k]; ok {
			k = n
		}
		out[k] = v
	}
	return out
}

// entryBytes estimates, from above, the heap an entry holds: the entry with its
// Principal, its slot in the shard's map, the Principal's slices and its claims
// (TestCacheEntryHeap checks the estimate against the heap measured).
func entryBytes(e *cacheEntry) int {
	n := int(unsafe.Sizeof(*e)) + 96 // the entry, its map slot with the map's spare room
	n += 16 * (len(e.principal.Audience) + len(e.principal.Scopes))
	n += len(e.kid)
	return n + valueBytes(e.principal.Claims)
}

// valueBytes estimates, from above, the heap a decoded JSON value holds: map slots
// (with their share of spare room) hold a string key and an interface, and every
// string, number and element is an allocation of its own.
func valueBytes(v any) int {
	switch v := v.(type) {
	case map[string]any:
		n := 64
		for k, e := range v {
			n += 80 + roundUp(len(k)) + valueBytes(e)
		}
		return n
	case []any:
		n := 24 + 16*len(v)
		for _, e := range v {
			n += valueBytes(e)
		}
		return n
	case string:
		return roundUp(len(v))
	case nil, bool:
		return 0
	default: // float64, json.Number
		return 16
	}
}

// roundUp is the size of a small allocation of n bytes: a multiple of 16.
func roundUp(n int) int { return (n + 15) &^ 15 }

// holds reports whether the snapshot still publishes key under kid.
func (s *keySnapshot) holds(kid string, key crypto.PublicKey) bool {
	if s == nil {
		return false
	}
	for _, e := range s.byKID[kid] {
		if k, ok := e.key.(interface{ Equal(crypto.PublicKey) bool }); ok && k.Equal(key) {
			return true
		}
	}
	return false
}

// tokenSum is the cache key of a token. It hashes the string's bytes in
// place: converting to []byte would copy the token on every request, and
// Sum256 only reads its input.
func tokenSum(token string) [sha256.Size]byte {
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(token), len(token)))
}

// CachingValidator is a TokenValidator that remembers the tokens it has
// verified. The middleware asks it first when MiddlewareConfig.BeforeVerify
// is set, so limits on verification work (a client address locked out after
// failed authentications, a bound on concurrent introspections) never refuse
// a token the server already trusts. Validator (with CacheEntries) and
// Introspector are CachingValidators.
type CachingValidator interface {
	TokenValidator
	// Cached returns the principal of token when an earlier Validate verified
	// it and that answer still holds, doing no verification work: no
	// signature check, key lookup or introspection call. nil means Validate
	// would have to verify the token.
	Cached(token string) *Principal
}

var (
	_ CachingValidator = (*Validator)(nil)
	_ CachingValidator = (*Introspector)(nil)
)

// Cached implements CachingValidator: a token Validate verified, while its
// exp has not passed and the key that verified it is still published.
func (v *Validator) Cached(token string) *Principal {
	p, _, _ := v.cachedSum(token)
	return p
}

// cachedSum is Cached, also returning the token's cache key (ok false: the token
// cannot be cached) for validate after a miss.
func (v *Validator) cachedSum(token string) (p *Principal, sum [sha256.Size]byte, ok bool) {
	if v.cache == nil || len(token) > v.maxTokenBytes {
		return nil, sum, false
	}
	sum = tokenSum(token)
	return v.cache.get(&sum, v.now()), sum, true
}

// keyedValidator is a CachingValidator that hashes a token once per request: the
// middleware asks its cache first, then verifies a miss with the same key.
type keyedValidator interface {
	cachedSum(token string) (*Principal, [sha256.Size]byte, bool)
	validate(ctx context.Context, token string, sum [sha256.Size]byte, hashed bool) (*Principal, error)
}

var _ keyedValidator = (*Validator)(nil)
