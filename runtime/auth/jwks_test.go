package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

func validatorFor(t *testing.T, iss *authtest.Issuer, keys auth.KeySet) *auth.Validator {
	t.Helper()
	v, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{iss.URL}, Audiences: []string{testResource}}, keys)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func remoteJWKS(t *testing.T, url string, opts auth.JWKSOptions) *auth.JWKS {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if opts.Logger == nil {
		opts.Logger = (&logBuffer{}).logger()
	}
	ks, err := auth.NewRemoteJWKS(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// reason returns the Reason of an *auth.Error, or a description of what err is.
func reason(err error) string {
	if e, ok := errors.AsType[*auth.Error](err); ok {
		return e.Reason
	}
	return fmt.Sprintf("non-auth error %v", err)
}

func TestRemoteJWKSKeyRotation(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	ks := remoteJWKS(t, iss.JWKSURL, auth.JWKSOptions{UnknownKIDInterval: time.Hour})
	if !ks.Ready() {
		t.Fatal("not ready after the first fetch")
	}
	v := validatorFor(t, iss, ks)
	old := iss.Mint(nil)
	if _, err := v.Validate(context.Background(), old); err != nil {
		t.Fatalf("old key: %v", err)
	}
	iss.RotateKey()
	fresh := iss.Mint(nil)
	if _, err := v.Validate(context.Background(), fresh); err != nil {
		t.Fatalf("a token signed with the rotated-in key must be accepted at once: %v", err)
	}
	if _, err := v.Validate(context.Background(), old); err != nil {
		t.Fatalf("the old key is still published: %v", err)
	}
	if n := iss.JWKSFetches(); n != 2 {
		t.Errorf("JWKS fetched %d times, want 2 (start + one for the new kid)", n)
	}
}

// TestRemoteJWKSUnknownKIDWindow: inside the window an unknown kid fails
// fast without a fetch; after it, the next unknown kid fetches again.
func TestRemoteJWKSUnknownKIDWindow(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	const window = 300 * time.Millisecond
	ks := remoteJWKS(t, iss.JWKSURL, auth.JWKSOptions{UnknownKIDInterval: window})
	v := validatorFor(t, iss, ks)
	start := time.Now()
	if _, err := v.Validate(context.Background(), iss.MintWithHeader(map[string]any{"kid": "forged-1"}, nil)); reason(err) != "unknown_kid" {
		t.Fatalf("forged kid: %v", err)
	}
	if n := iss.JWKSFetches(); n != 2 {
		t.Fatalf("fetches = %d, want 2", n)
	}
	iss.RotateKey()
	fresh := iss.Mint(nil)
	_, err := v.Validate(context.Background(), fresh)
	if time.Since(start) < window {
		// Still inside the window: refused without asking the JWKS host.
		if reason(err) != "unknown_kid" {
			t.Fatalf("inside the window: %v, want unknown_kid", err)
		}
		if n := iss.JWKSFetches(); n != 2 {
			t.Fatalf("fetches = %d inside the window, want 2", n)
		}
	}
	time.Sleep(time.Until(start.Add(window + 50*time.Millisecond)))
	if _, err := v.Validate(context.Background(), fresh); err != nil {
		t.Fatalf("after the window the rotated key must be fetched: %v", err)
	}
	if n := iss.JWKSFetches(); n != 3 {
		t.Errorf("fetches = %d, want 3", n)
	}
}

// TestRemoteJWKSUnknownKIDFlood: 200 concurrent requests with random kids
// cost the JWKS host at most one fetch in the window, and all fail as
// invalid_token.
func TestRemoteJWKSUnknownKIDFlood(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	ks := remoteJWKS(t, iss.JWKSURL, auth.JWKSOptions{UnknownKIDInterval: time.Minute})
	e := newEnv(t, ks, iss, nil)
	base := iss.JWKSFetches()
	const n = 200
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = iss.MintWithHeader(map[string]any{"kid": fmt.Sprintf("random-%d-%d", i, time.Now().UnixNano())}, authtest.Claims{"scope": "mcp"})
	}
	var wg sync.WaitGroup
	var wrong atomic.Int64
	for _, tok := range tokens {
		wg.Go(func() {
			r := httptest.NewRequest("POST", "/mcp", strings.NewReader(toolsList))
			r.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, r)
			if w.Code != http.StatusUnauthorized || !strings.Contains(w.Header().Get("WWW-Authenticate"), `error="invalid_token"`) {
				wrong.Add(1)
			}
		})
	}
	wg.Wait()
	if wrong.Load() != 0 {
		t.Errorf("%d requests were not 401 invalid_token", wrong.Load())
	}
	if got := iss.JWKSFetches() - base; got > 1 {
		t.Errorf("flood of %d unknown kids caused %d JWKS fetches, want at most 1", n, got)
	}
	// Valid tokens still pass during and after the flood.
	if w := e.do("POST", "/mcp", toolsList, bearer(iss.Mint(authtest.Claims{"scope": "mcp"}))); w.Code != 200 {
		t.Errorf("valid token after the flood: %d", w.Code)
	}
}

func TestRemoteJWKSOutageKeepsLastKeys(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	ks := remoteJWKS(t, iss.JWKSURL, auth.JWKSOptions{UnknownKIDInterval: time.Millisecond, HTTPTimeout: 2 * time.Second})
	v := validatorFor(t, iss, ks)
	iss.SetJWKSAvailable(false)
	if err := ks.Refresh(context.Background()); err == nil {
		t.Fatal("refresh against a 503 JWKS succeeded")
	}
	if !ks.Ready() {
		t.Fatal("a failed refresh dropped the keys")
	}
	if _, err := v.Validate(context.Background(), iss.Mint(nil)); err != nil {
		t.Fatalf("known key during a 503 outage: %v", err)
	}
	iss.Close() // hard outage: connection refused
	if err := ks.Refresh(context.Background()); err == nil {
		t.Fatal("refresh against a stopped JWKS server succeeded")
	}
	if _, err := v.Validate(context.Background(), iss.Mint(nil)); err != nil {
		t.Fatalf("known key with the JWKS server stopped: %v", err)
	}
	_, err := v.Validate(context.Background(), iss.MintWithHeader(map[string]any{"kid": "new"}, nil))
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized || ae.Reason != "unknown_kid" {
		t.Errorf("unknown kid while keys are loaded and the host is down: %v, want 401 unknown_kid", err)
	}
}

func TestRemoteJWKSRecoversAfterStartupOutage(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	iss.SetJWKSAvailable(false)
	ks := remoteJWKS(t, iss.JWKSURL, auth.JWKSOptions{UnknownKIDInterval: time.Second})
	v := validatorFor(t, iss, ks)
	_, err := v.Validate(context.Background(), iss.Mint(nil))
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable || ae.Code != auth.CodeTemporarilyUnavailable || !errors.Is(err, auth.ErrKeysUnavailable) {
		t.Fatalf("never loaded: %v, want 503 temporarily_unavailable", err)
	}
	iss.SetJWKSAvailable(true)
	deadline := time.Now().Add(10 * time.Second)
	for !ks.Ready() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !ks.Ready() {
		t.Fatal("keys not loaded in the background after the JWKS came back")
	}
	if _, err := v.Validate(context.Background(), iss.Mint(nil)); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

// TestRemoteJWKSSlowHostBounded: a JWKS host that never answers holds an
// unknown-kid request no longer than HTTPTimeout, and a request whose
// context ends stops waiting.
func TestRemoteJWKSSlowHostBounded(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	var hang atomic.Bool
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hang.Load() {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(iss.JWKS())
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	ks := remoteJWKS(t, srv.URL, auth.JWKSOptions{UnknownKIDInterval: time.Millisecond, HTTPTimeout: 200 * time.Millisecond})
	v := validatorFor(t, iss, ks)
	hang.Store(true)
	if _, err := v.Validate(context.Background(), iss.MintWithHeader(map[string]any{"kid": "x"}, nil)); reason(err) != "unknown_kid" {
		t.Errorf("hung JWKS: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	time.Sleep(5 * time.Millisecond)
	if _, err := v.Validate(ctx, iss.MintWithHeader(map[string]any{"kid": "y"}, nil)); reason(err) != "unknown_kid" {
		t.Errorf("cancelled request: %v", err)
	}
	if _, err := v.Validate(context.Background(), iss.Mint(nil)); err != nil {
		t.Errorf("known key while the JWKS host hangs: %v", err)
	}
}

func TestRemoteJWKSRejectsBadResponses(t *testing.T) {
	iss := authtest.NewIssuer(t)
	good := string(iss.JWKS())
	for name, h := range map[string]http.HandlerFunc{
		"status 500": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(500)
			_, _ = w.Write([]byte(good))
		},
		"redirect loop to error": func(w http.ResponseWriter, r *http.Request) { http.Error(w, "gone", http.StatusNotFound) },
		"html": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(good))
		},
		"no content type": func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = nil
			_, _ = w.Write([]byte(good))
		},
		"too large": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"keys":[],"pad":"` + strings.Repeat("x", auth.MaxJWKSBytes) + `"}`))
		},
		"not json": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`<keys>`))
		},
		"no keys list": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{}`))
		},
		"only symmetric keys": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"keys":[{"kty":"oct","kid":"h","alg":"HS256","k":"c2VjcmV0"}]}`))
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			ks := remoteJWKS(t, srv.URL, auth.JWKSOptions{})
			if ks.Ready() {
				t.Error("Ready() after a bad JWKS response")
			}
		})
	}
	if _, err := auth.NewRemoteJWKS(context.Background(), "ftp://x/jwks", auth.JWKSOptions{}); err == nil {
		t.Error("accepted a non-http JWKS URL")
	}
	if _, err := auth.NewRemoteJWKS(context.Background(), "/jwks", auth.JWKSOptions{}); err == nil {
		t.Error("accepted a relative JWKS URL")
	}
	if _, err := auth.NewRemoteJWKS(context.Background(), "http://auth.example.com/jwks", auth.JWKSOptions{}); err == nil {
		t.Error("accepted a plain-http JWKS URL on a public host")
	}
}

// TestRemoteJWKSAllowsHTTPOnLoopback: plain http is accepted for every loopback host
// (runtime/loopback's rule), and for nothing that only looks like one.
func TestRemoteJWKSAllowsHTTPOnLoopback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the first fetch is not waited for: only the URL check matters here
	for _, host := range []string{"localhost", "LOCALHOST", "localhost.", "127.0.0.1", "127.0.0.2", "[::1]"} {
		if _, err := auth.NewRemoteJWKS(ctx, "http://"+host+":1/jwks", auth.JWKSOptions{}); err != nil {
			t.Errorf("http to %s: %v", host, err)
		}
	}
	for _, host := range []string{"localhost.example.com", "evil.localhost", "128.0.0.1", "0.0.0.0"} {
		if _, err := auth.NewRemoteJWKS(ctx, "http://"+host+":1/jwks", auth.JWKSOptions{}); err == nil {
			t.Errorf("accepted plain http to %s", host)
		}
	}
}

// TestRemoteJWKSRefusesDowngradeRedirect: a redirect from the JWKS URL to a
// plain-http public host is not followed.
func TestRemoteJWKSRefusesDowngradeRedirect(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://jwks.example.com/keys", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	logs := &logBuffer{}
	ks := remoteJWKS(t, srv.URL, auth.JWKSOptions{Logger: logs.logger()})
	if ks.Ready() {
		t.Fatal("ready after a downgrade redirect")
	}
	if !strings.Contains(logs.String(), "must use https") {
		t.Errorf("logs %q do not say why", logs.String())
	}
}

// jwkJSON marshals a public key as a JWK with the given metadata.
func jwkJSON(t *testing.T, key any, kid, alg, use string) json.RawMessage {
	t.Helper()
	j, err := jwkset.NewJWKFromKey(key, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: kid, ALG: jwkset.ALG(alg), USE: jwkset.USE(use)}})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(j.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func jwksDoc(keys ...json.RawMessage) []byte {
	raw, _ := json.Marshal(map[string]any{"keys": keys})
	return raw
}

// TestStaticJWKSKeyTypeMustFitAlg: a JWK without alg is still bound to the
// family of its key type, and odd keys are skipped without taking the set
// down.
func TestStaticJWKSKeyTypeMustFitAlg(t *testing.T) {
	es := authtest.NewIssuer(t, authtest.WithAlgorithm("ES256"), authtest.WithAudience(testResource))
	rs := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	doc := jwksDoc(
		jwkJSON(t, es.PublicKey(), es.KeyID(), "", ""),      // EC P-256, no alg
		jwkJSON(t, rs.PublicKey(), rs.KeyID(), "", "enc"),   // encryption key: skipped
		jwkJSON(t, &small.PublicKey, "small", "RS256", ""),  // RSA-1024: skipped
		jwkJSON(t, &p384.PublicKey, "p384", "ES256", "sig"), // alg does not fit the curve: skipped
		json.RawMessage(`{"kty":"oct","kid":"h","k":"c2VjcmV0"}`),
		json.RawMessage(`{"kty":"RSA","kid":"broken","n":"!!","e":"AQAB"}`),
	)
	ks, err := auth.NewStaticJWKS(doc)
	if err != nil {
		t.Fatal(err)
	}
	v := validatorFor(t, es, ks)
	if _, err := v.Validate(context.Background(), es.Mint(nil)); err != nil {
		t.Fatalf("ES256 with its P-256 key: %v", err)
	}
	for name, tt := range map[string]struct {
		tok    string
		reason string
	}{
		"ES384 header on a P-256 key":   {es.MintWithHeader(map[string]any{"alg": "ES384"}, nil), "key_mismatch"},
		"RS256 token naming an EC kid":  {rs.MintWithHeader(map[string]any{"kid": es.KeyID()}, authtest.Claims{"iss": es.URL}), "key_mismatch"},
		"encryption key kid":            {rs.Mint(authtest.Claims{"iss": es.URL}), "unknown_kid"},
		"no kid: no RSA key in the set": {rs.MintWithHeader(map[string]any{"kid": authtest.Omit}, authtest.Claims{"iss": es.URL}), "key_mismatch"},
	} {
		if _, err := v.Validate(context.Background(), tt.tok); reason(err) != tt.reason {
			t.Errorf("%s: %v, want %s", name, err, tt.reason)
		}
	}
	if _, err := v.Validate(context.Background(), es.MintWithHeader(map[string]any{"kid": authtest.Omit}, nil)); err != nil {
		t.Errorf("no kid, a fitting key in the set: %v", err)
	}
}

func TestStaticJWKSErrors(t *testing.T) {
	for _, bad := range []string{``, `[]`, `{}`, `{"keys":[]}`, `{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`} {
		if _, err := auth.NewStaticJWKS([]byte(bad)); err == nil {
			t.Errorf("NewStaticJWKS(%q) succeeded", bad)
		}
	}
	iss := authtest.NewIssuer(t)
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, iss.JWKS(), 0o600); err != nil {
		t.Fatal(err)
	}
	ks, err := auth.LoadStaticJWKS(path)
	if err != nil || !ks.Ready() {
		t.Fatalf("LoadStaticJWKS: %v", err)
	}
	if _, err := auth.LoadStaticJWKS(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
	if err := ks.Refresh(context.Background()); err != nil {
		t.Errorf("Refresh of a static set: %v", err)
	}
}

// TestRemoteJWKSPeriodicRefresh: keys published later are picked up by the
// periodic refresh even when the on-demand window is used up.
func TestRemoteJWKSPeriodicRefresh(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	ks := remoteJWKS(t, iss.JWKSURL, auth.JWKSOptions{RefreshInterval: 100 * time.Millisecond, UnknownKIDInterval: time.Hour})
	v := validatorFor(t, iss, ks)
	if _, err := v.Validate(context.Background(), iss.MintWithHeader(map[string]any{"kid": "forged"}, nil)); reason(err) != "unknown_kid" {
		t.Fatalf("forged kid: %v", err)
	}
	iss.RotateKey()
	fresh := iss.Mint(nil)
	// The on-demand window (1h) is used up, so only the periodic refresh
	// can bring the new key in.
	seen := iss.JWKSFetches()
	deadline := time.Now().Add(10 * time.Second)
	for iss.JWKSFetches() < seen+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := v.Validate(context.Background(), fresh); err != nil {
		t.Fatalf("after periodic refreshes: %v", err)
	}
}

// TestRemoteJWKSDropsRevokedKeys: a refresh replaces the set, so a key the
// issuer stopped publishing stops verifying.
func TestRemoteJWKSDropsRevokedKeys(t *testing.T) {
	a := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	b := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	var serveB atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if serveB.Load() {
			_, _ = w.Write(b.JWKS())
			return
		}
		_, _ = w.Write(a.JWKS())
	}))
	t.Cleanup(srv.Close)
	ks := remoteJWKS(t, srv.URL, auth.JWKSOptions{UnknownKIDInterval: time.Hour})
	v := validatorFor(t, a, ks)
	if _, err := v.Validate(context.Background(), a.Mint(nil)); err != nil {
		t.Fatal(err)
	}
	serveB.Store(true)
	if err := ks.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Validate(context.Background(), a.Mint(nil)); reason(err) != "unknown_kid" {
		t.Errorf("revoked key still verifies: %v", err)
	}
}

// TestRemoteJWKSConcurrentUnknownKIDShareOneFetch: requests that arrive
// while an on-demand fetch is in flight wait for it instead of starting
// their own, even when the window is tiny, and all see the new key.
func TestRemoteJWKSConcurrentUnknownKIDShareOneFetch(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	var fetches atomic.Int64
	var slow atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		if slow.Load() {
			time.Sleep(300 * time.Millisecond)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(iss.JWKS())
	}))
	t.Cleanup(srv.Close)
	ks := remoteJWKS(t, srv.URL, auth.JWKSOptions{UnknownKIDInterval: time.Nanosecond})
	v := validatorFor(t, iss, ks)
	iss.RotateKey()
	tok := iss.Mint(nil)
	slow.Store(true)
	const n = 50
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range n {
		wg.Go(func() {
			if _, err := v.Validate(context.Background(), tok); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("%d of %d requests with the rotated-in kid failed", failed.Load(), n)
	}
	if got := fetches.Load() - 1; got != 1 {
		t.Errorf("%d concurrent requests caused %d fetches, want 1 shared fetch", n, got)
	}
}
