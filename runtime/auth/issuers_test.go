package auth_test

import (
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// twoIssuers returns issuers A and B and a validator trusting both, each with its own
// key set from keys.
func twoIssuers(t *testing.T, keys func(*authtest.Issuer) auth.KeySet, entries int) (a, b *authtest.Issuer, set *auth.IssuerKeySet, v *auth.Validator) {
	t.Helper()
	a = authtest.NewIssuer(t, authtest.WithAudience(testResource))
	b = authtest.NewIssuer(t, authtest.WithAudience(testResource), authtest.WithAlgorithm("ES256"))
	set, err := auth.NewIssuerKeySet([]auth.IssuerKeys{
		{Issuers: []string{a.URL, a.URL + "/v1"}, Keys: keys(a)},
		{Issuers: []string{b.URL}, Keys: keys(b)},
	})
	if err != nil {
		t.Fatal(err)
	}
	v, err = auth.NewValidator(auth.ValidatorConfig{
		Issuers: []string{a.URL, a.URL + "/v1", b.URL}, Audiences: []string{testResource}, CacheEntries: entries,
	}, set)
	if err != nil {
		t.Fatal(err)
	}
	return a, b, set, v
}

func remoteKeySet(i *authtest.Issuer) auth.KeySet { return i.RemoteKeySet() }
func staticKeySet(i *authtest.Issuer) auth.KeySet { return i.KeySet() }

// TestIssuerKeySetAcceptsEachIssuer: each issuer's tokens pass with its own keys,
// under each iss value it may use.
func TestIssuerKeySetAcceptsEachIssuer(t *testing.T) {
	a, b, _, v := twoIssuers(t, staticKeySet, 0)
	for name, tok := range map[string]string{
		"A":             a.Mint(nil),
		"A as A/v1":     a.Mint(authtest.Claims{"iss": a.URL + "/v1"}),
		"B":             b.Mint(nil),
		"B without kid": b.MintWithHeader(map[string]any{"kid": authtest.Omit}, nil),
	} {
		p, err := v.Validate(t.Context(), tok)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if want := strings.TrimSuffix(p.Issuer, "/v1"); want != a.URL && want != b.URL {
			t.Errorf("%s: Principal.Issuer = %q", name, p.Issuer)
		}
	}
}

// TestIssuerKeySetRefusesCrossSigned: one issuer's keys never verify a token claiming
// another issuer, with or without a kid, even when both use the same algorithm; a
// third issuer is refused.
func TestIssuerKeySetRefusesCrossSigned(t *testing.T) {
	a, b, _, v := twoIssuers(t, staticKeySet, 0)
	c := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	noKID := map[string]any{"kid": authtest.Omit}
	tests := []struct {
		name, token, reason string
	}{
		{"A's key, iss B", a.Mint(authtest.Claims{"iss": b.URL}), "unknown_kid"},
		{"A's key, iss B, no kid", a.MintWithHeader(noKID, authtest.Claims{"iss": b.URL}), "key_mismatch"},
		{"B's key, iss A", b.Mint(authtest.Claims{"iss": a.URL}), "unknown_kid"},
		{"B's key, iss A/v1, no kid", b.MintWithHeader(noKID, authtest.Claims{"iss": a.URL + "/v1"}), "key_mismatch"},
		{"C's RS256 key, iss A, no kid", c.MintWithHeader(noKID, authtest.Claims{"iss": a.URL}), "bad_signature"},
		{"C", c.Mint(nil), "wrong_issuer"},
		{"C's key, iss C/v1", c.Mint(authtest.Claims{"iss": c.URL + "/v1"}), "wrong_issuer"},
		{"no iss", a.Mint(authtest.Claims{"iss": authtest.Omit}), "wrong_issuer"},
		{"iss not a string", a.Mint(authtest.Claims{"iss": 42}), "wrong_issuer"},
	}
	for _, tt := range tests {
		_, err := v.Validate(t.Context(), tt.token)
		if got := outcome(err); got != tt.reason {
			t.Errorf("%s: outcome %q, want %q (%v)", tt.name, got, tt.reason, err)
		}
	}
}

// TestIssuerKeySetUnknownIssuerFetchesNothing: a token of an untrusted issuer is
// refused before any key lookup, so it cannot make the server fetch a JWKS.
func TestIssuerKeySetUnknownIssuerFetchesNothing(t *testing.T) {
	a, b, _, v := twoIssuers(t, remoteKeySet, 0)
	c := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	fa, fb := a.JWKSFetches(), b.JWKSFetches()
	for range 3 {
		if _, err := v.Validate(t.Context(), c.Mint(nil)); outcome(err) != "wrong_issuer" {
			t.Fatalf("C's token: %v, want wrong_issuer", err)
		}
	}
	if a.JWKSFetches() != fa || b.JWKSFetches() != fb || c.JWKSFetches() != 0 {
		t.Errorf("JWKS fetches after C's tokens: A %d→%d, B %d→%d, C %d; want none", fa, a.JWKSFetches(), fb, b.JWKSFetches(), c.JWKSFetches())
	}
	// The control: an unknown kid of a trusted issuer does fetch its keys again.
	a.RotateKey()
	if _, err := v.Validate(t.Context(), a.Mint(nil)); err != nil || a.JWKSFetches() == fa {
		t.Errorf("A's rotated key: %v, fetches %d→%d; want valid after one fetch", err, fa, a.JWKSFetches())
	}
}

// TestIssuerKeySetReady: tokens of an issuer whose keys loaded pass while another's
// are unavailable (503); AllReady waits for every issuer.
func TestIssuerKeySetReady(t *testing.T) {
	a := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	b := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	b.SetJWKSAvailable(false)
	set, err := auth.NewIssuerKeySet([]auth.IssuerKeys{
		{Issuers: []string{a.URL}, Keys: a.RemoteKeySet()},
		{Issuers: []string{b.URL}, Keys: b.RemoteKeySet()},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !set.Ready() || set.AllReady() {
		t.Errorf("Ready %v, AllReady %v with B's keys down; want true, false", set.Ready(), set.AllReady())
	}
	v, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{a.URL, b.URL}, Audiences: []string{testResource}}, set)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Validate(t.Context(), a.Mint(nil)); err != nil {
		t.Errorf("A's token with B's keys down: %v", err)
	}
	if _, err := v.Validate(t.Context(), b.Mint(nil)); outcome(err) != "keys_unavailable" {
		t.Errorf("B's token with B's keys down: %v, want keys_unavailable", err)
	}
}

// TestIssuerKeySetCache: the verified-token cache works across issuers, and drops a
// token once its issuer stops publishing the key that verified it.
func TestIssuerKeySetCache(t *testing.T) {
	a := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	b := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	other := authtest.NewIssuer(t)
	doc, aKeys := remoteKeys(t, a.JWKS())
	set, err := auth.NewIssuerKeySet([]auth.IssuerKeys{{Issuers: []string{a.URL}, Keys: aKeys}, {Issuers: []string{b.URL}, Keys: b.KeySet()}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{a.URL, b.URL}, Audiences: []string{testResource}, CacheEntries: 100}, set)
	if err != nil {
		t.Fatal(err)
	}
	ta, tb := a.Mint(nil), b.Mint(nil)
	for _, tok := range []string{ta, tb} {
		if _, err := v.Validate(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
		if v.Cached(tok) == nil {
			t.Error("a verified token is not served from the cache")
		}
	}
	// A now publishes another key only: its token leaves the cache, B's stays.
	doc.set(other.JWKS())
	if err := aKeys.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if v.Cached(ta) != nil {
		t.Error("A's token is still cached after A dropped its key")
	}
	if v.Cached(tb) == nil {
		t.Error("B's token left the cache when A's keys changed")
	}
}

// TestIssuerKeySetCacheNeedsInspectableKeys: with a key set the cache cannot inspect,
// no token is served from the cache.
func TestIssuerKeySetCacheNeedsInspectableKeys(t *testing.T) {
	a := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	b := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	set, err := auth.NewIssuerKeySet([]auth.IssuerKeys{{Issuers: []string{a.URL}, Keys: a.KeySet()}, {Issuers: []string{b.URL}, Keys: opaqueKeys{b.KeySet()}}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{a.URL, b.URL}, Audiences: []string{testResource}, CacheEntries: 100}, set)
	if err != nil {
		t.Fatal(err)
	}
	tok := a.Mint(nil)
	if _, err := v.Validate(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	if v.Cached(tok) != nil {
		t.Error("a token was served from the cache though one issuer's keys cannot be inspected")
	}
}

func TestNewIssuerKeySetRefusesBadSets(t *testing.T) {
	a := authtest.NewIssuer(t)
	keys := a.KeySet()
	tests := map[string][]auth.IssuerKeys{
		"none":                  nil,
		"no key set":            {{Issuers: []string{a.URL}}},
		"no iss":                {{Keys: keys}},
		"empty iss":             {{Issuers: []string{" "}, Keys: keys}},
		"one iss, two key sets": {{Issuers: []string{a.URL}, Keys: keys}, {Issuers: []string{"https://b.example", a.URL}, Keys: keys}},
	}
	for name, issuers := range tests {
		if _, err := auth.NewIssuerKeySet(issuers); err == nil {
			t.Errorf("%s: NewIssuerKeySet succeeded", name)
		}
	}
}
