package devserver

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Only the developer's own client, at a loopback URL, is fetched from loopback; a
// document host is otherwise fetched only from a public unicast address, whatever
// form the address takes (IPv4-mapped, NAT64, 6to4 all reach private IPv4 hosts).
func TestCheckDocumentAddress(t *testing.T) {
	for _, tc := range []struct {
		host, ip string
		ok       bool
	}{
		{"127.0.0.1", "127.0.0.1", true},
		{"localhost", "127.0.0.1", true},
		{"localhost", "::1", true},
		{"::1", "::1", true},
		{"client.example", "93.184.216.34", true},
		{"client.example", "2606:4700::1111", true},

		{"client.example", "127.0.0.1", false}, // a public name rebound to this machine
		{"client.example", "::1", false},
		{"client.example", "::ffff:127.0.0.1", false},
		{"localhost", "93.184.216.34", false}, // a hosts file pointing localhost away
		{"localhost", "10.0.0.1", false},
		{"client.example", "10.0.0.1", false},
		{"client.example", "172.16.0.1", false},
		{"client.example", "192.168.1.1", false},
		{"client.example", "fc00::1", false},
		{"client.example", "fd12:3456::1", false},
		{"client.example", "169.254.169.254", false},
		{"client.example", "fe80::1", false},
		{"client.example", "0.0.0.0", false},
		{"client.example", "::", false},
		{"client.example", "224.0.0.1", false},
		{"client.example", "ff02::1", false},
		{"client.example", "255.255.255.255", false},
		{"client.example", "100.64.0.1", false}, // CGNAT
		{"client.example", "100.127.255.254", false},
		{"client.example", "::ffff:100.64.0.1", false},
		{"client.example", "::ffff:10.0.0.1", false},
		{"client.example", "64:ff9b::a00:1", false}, // NAT64 of 10.0.0.1
		{"client.example", "64:ff9b::5db8:d822", false},
		{"client.example", "64:ff9b:1::1", false},
		{"client.example", "2002:a00:1::1", false}, // 6to4 of 10.0.0.1
		{"client.example", "::7f00:1", false},      // IPv4-compatible 127.0.0.1
		{"client.example", "198.18.0.1", false},
		{"client.example", "240.0.0.1", false},
		{"client.example", "0.1.2.3", false},
	} {
		err := checkDocumentAddress(tc.host, netip.MustParseAddr(tc.ip))
		if (err == nil) != tc.ok {
			t.Errorf("checkDocumentAddress(%q, %s) = %v, want ok=%v", tc.host, tc.ip, err, tc.ok)
		}
	}
}

// docServer serves client ID metadata documents on 127.0.0.1 and counts the
// connections made to it and the documents fetched.
type docServer struct {
	*httptest.Server
	conns   atomic.Int32
	fetches atomic.Int32
	mu      sync.Mutex
	header  http.Header // sent with every document
	method  string      // token_endpoint_auth_method of every document
}

func startDocServer(t *testing.T) *docServer {
	t.Helper()
	d := &docServer{header: http.Header{}, method: "none"}
	d.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.fetches.Add(1)
		d.mu.Lock()
		maps.Copy(w.Header(), d.header)
		method := d.method
		d.mu.Unlock()
		self := "http://" + r.Host + r.URL.Path
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"client_id":%q,"redirect_uris":["http://127.0.0.1:7777/cb"],"token_endpoint_auth_method":%q}`, self, method)
	}))
	d.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			d.conns.Add(1)
		}
	}
	d.Start()
	t.Cleanup(d.Close)
	return d
}

func authorizeStatus(t *testing.T, asURL, clientID string) (int, string) {
	t.Helper()
	q := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {"http://127.0.0.1:7777/cb"},
		"code_challenge": {pkce(strings.Repeat("c", 43))}, "code_challenge_method": {"S256"},
	}
	resp, err := noRedirect.Get(asURL + AuthorizePath + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// A public name that resolves to loopback (a rebinding attacker's name, which any page
// can hand the developer's browser as client_id) is not fetched: the check is on the
// addresses the name resolves to, at dial time, and no connection is made.
func TestClientIDMetadataDocumentNameResolvingToLoopback(t *testing.T) {
	d := startDocServer(t)
	_, port, _ := net.SplitHostPort(d.Listener.Addr().String())
	answers := map[string][]netip.Addr{
		"rebind.example": {netip.MustParseAddr("127.0.0.1")},
		"mapped.example": {netip.MustParseAddr("::ffff:127.0.0.1")},
		"mixed.example":  {netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("127.0.0.1")},
		"localhost":      {netip.MustParseAddr("127.0.0.1")},
	}
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		if a, ok := answers[host]; ok {
			return a, nil
		}
		return nil, fmt.Errorf("no such host %s", host)
	}
	a := startASWith(t, func(c *Config) { c.HTTPClient = newCIMDClient(lookup) })
	for _, host := range []string{"rebind.example", "mapped.example", "mixed.example"} {
		status, body := authorizeStatus(t, a.URL, "https://"+host+":"+port+"/c.json")
		if status != http.StatusBadRequest || !strings.Contains(body, "not fetched") {
			t.Errorf("%s: %d %s", host, status, body)
		}
	}
	if n := d.conns.Load(); n != 0 {
		t.Errorf("%d connection(s) reached the loopback document server through a public name", n)
	}
	// The developer's own client on loopback keeps working.
	if status, body := authorizeStatus(t, a.URL, "http://localhost:"+port+"/c.json"); status != http.StatusOK {
		t.Errorf("loopback client: %d %s", status, body)
	}
}

// A document declaring a way to authenticate the dev server cannot check
// (private_key_jwt, tls_client_auth, a client secret) is refused with invalid_client,
// never taken for a public client.
func TestClientIDMetadataDocumentAuthMethods(t *testing.T) {
	a := startAS(t)
	d := startDocServer(t)
	for _, method := range []string{"private_key_jwt", "tls_client_auth", "client_secret_basic", "self_signed_tls_client_auth"} {
		d.mu.Lock()
		d.method = method
		d.mu.Unlock()
		id := d.URL + "/" + method + ".json"
		status, body := authorizeStatus(t, a.URL, id)
		if status != http.StatusBadRequest || !strings.Contains(body, "token_endpoint_auth_method") || !strings.Contains(body, method) {
			t.Errorf("authorize with %s: %d %s", method, status, body)
		}
		status, tok := postForm(t, a.URL+TokenPath, url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "client_id": {id}, "code_verifier": {strings.Repeat("c", 43)}}, "", "")
		if desc, _ := tok["error_description"].(string); status != http.StatusUnauthorized || tok["error"] != "invalid_client" || !strings.Contains(desc, method) {
			t.Errorf("token with %s: %d %v", method, status, tok)
		}
	}
	d.mu.Lock()
	d.method = "none"
	d.mu.Unlock()
	if status, body := authorizeStatus(t, a.URL, d.URL+"/public.json"); status != http.StatusOK {
		t.Errorf("public client: %d %s", status, body)
	}
}

// Documents are cached for as long as their Cache-Control allows, capped, and for
// cimdDefaultTTL without one; no-store and no-cache are fetched every time.
func TestClientIDMetadataDocumentCacheLifetime(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	step := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	a := startASWith(t, func(c *Config) { c.Now = clock })
	for i, tc := range []struct {
		cacheControl string
		lives        time.Duration // fetched again only after this
	}{
		{"", cimdDefaultTTL},
		{"max-age=10", 10 * time.Second},
		{"public, max-age=120", 2 * time.Minute},
		{"max-age=86400", cimdMaxTTL},
		{"no-store", 0},
		{"no-cache", 0},
		{"max-age=0", 0},
		{"max-age=nonsense", cimdDefaultTTL},
	} {
		d := startDocServer(t)
		if tc.cacheControl != "" {
			d.mu.Lock()
			d.header.Set("Cache-Control", tc.cacheControl)
			d.mu.Unlock()
		}
		id := fmt.Sprintf("%s/c%d.json", d.URL, i)
		fetch := func() int32 {
			if status, body := authorizeStatus(t, a.URL, id); status != http.StatusOK {
				t.Fatalf("%q: %d %s", tc.cacheControl, status, body)
			}
			return d.fetches.Load()
		}
		fetch()
		if tc.lives > 0 {
			step(tc.lives - time.Second)
			if n := fetch(); n != 1 {
				t.Errorf("Cache-Control %q: fetched %d times within %s, want once", tc.cacheControl, n, tc.lives)
			}
			step(2 * time.Second)
		}
		if n := fetch(); n != 2 {
			t.Errorf("Cache-Control %q: fetched %d times after %s, want twice", tc.cacheControl, n, tc.lives)
		}
	}
}

// The cache holds at most cimdMaxEntries documents, dropping expired ones first, so a
// page cycling through client_id URLs cannot grow it without end.
func TestClientIDMetadataDocumentCacheIsBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	a := startASWith(t, func(c *Config) { c.Now = clock })
	d := startDocServer(t)
	for i := range cimdMaxEntries + 10 {
		if status, body := authorizeStatus(t, a.URL, fmt.Sprintf("%s/c%d.json", d.URL, i)); status != http.StatusOK {
			t.Fatalf("document %d: %d %s", i, status, body)
		}
	}
	a.mu.Lock()
	n := len(a.cimd)
	a.mu.Unlock()
	if n > cimdMaxEntries {
		t.Errorf("cache holds %d documents, want at most %d", n, cimdMaxEntries)
	}
	// The most recent documents are the ones kept.
	before := d.fetches.Load()
	if status, _ := authorizeStatus(t, a.URL, fmt.Sprintf("%s/c%d.json", d.URL, cimdMaxEntries+9)); status != http.StatusOK || d.fetches.Load() != before {
		t.Errorf("the newest document was fetched again: status %d", status)
	}
	// Once every entry has expired, a new fetch leaves only itself.
	mu.Lock()
	now = now.Add(cimdMaxTTL + time.Second)
	mu.Unlock()
	if status, _ := authorizeStatus(t, a.URL, d.URL+"/last.json"); status != http.StatusOK {
		t.Fatalf("last document: %d", status)
	}
	a.mu.Lock()
	n = len(a.cimd)
	a.mu.Unlock()
	if n != 1 {
		t.Errorf("after every entry expired the cache holds %d documents, want 1", n)
	}
}
