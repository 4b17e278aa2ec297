package origin

import (
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update
)

const resource = "https://MCP.Example.com:443/mcp"

var configured = []string{"http://localhost:6274", " HTTPS://App.Example.com:443 ", "", "chrome-extension://abcdefgh", "http://[::1]:8080"}

// newServer serves the policy in front of a handler that counts calls and
// answers 401 with a challenge, like the auth middleware behind it would.
func newServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	p, err := NewPolicy(resource, configured)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"`)
		w.WriteHeader(http.StatusUnauthorized)
	})
	srv := httptest.NewServer(p.Middleware(next))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestMiddleware(t *testing.T) {
	srv, calls := newServer(t)
	tests := []struct {
		name      string
		method    string
		origins   []string // each becomes one Origin header line
		preflight bool     // send Access-Control-Request-Method
		want      int
		reachNext bool
		wantACAO  string // "" means the header must be absent
	}{
		{"no origin", "POST", nil, false, 401, true, ""},
		{"own origin", "POST", []string{"https://mcp.example.com"}, false, 401, true, "https://mcp.example.com"},
		{"own origin, default port", "POST", []string{"https://mcp.example.com:443"}, false, 401, true, "https://mcp.example.com:443"},
		{"own origin, upper case", "GET", []string{"HTTPS://MCP.EXAMPLE.COM"}, false, 401, true, "HTTPS://MCP.EXAMPLE.COM"},
		{"configured, normalised", "POST", []string{"https://app.example.com"}, false, 401, true, "https://app.example.com"},
		{"configured localhost", "DELETE", []string{"http://localhost:6274"}, false, 401, true, "http://localhost:6274"},
		{"configured ipv6", "POST", []string{"http://[::1]:8080"}, false, 401, true, "http://[::1]:8080"},
		{"configured extension", "POST", []string{"chrome-extension://abcdefgh"}, false, 401, true, "chrome-extension://abcdefgh"},
		{"evil", "POST", []string{"https://evil.example"}, false, 403, false, ""},
		{"evil suffix", "POST", []string{"https://mcp.example.com.evil.example"}, false, 403, false, ""},
		{"evil userinfo", "POST", []string{"https://mcp.example.com@evil.example"}, false, 403, false, ""},
		{"evil query", "POST", []string{"https://evil.example?https://mcp.example.com"}, false, 403, false, ""},
		{"origin with path", "POST", []string{"https://mcp.example.com/mcp"}, false, 403, false, ""},
		{"origin with slash", "POST", []string{"https://mcp.example.com/"}, false, 403, false, ""},
		{"other scheme", "POST", []string{"http://mcp.example.com"}, false, 403, false, ""},
		{"other port", "POST", []string{"https://mcp.example.com:8443"}, false, 403, false, ""},
		{"localhost other port", "POST", []string{"http://localhost:6275"}, false, 403, false, ""},
		{"loopback ip is not localhost", "POST", []string{"http://127.0.0.1:6274"}, false, 403, false, ""},
		{"null", "POST", []string{"null"}, false, 403, false, ""},
		{"empty", "POST", []string{""}, false, 403, false, ""},
		{"garbage", "POST", []string{"<script>alert(1)</script>"}, false, 403, false, ""},
		{"two origins", "POST", []string{"https://mcp.example.com", "https://evil.example"}, false, 403, false, ""},
		{"two allowed origins", "POST", []string{"https://mcp.example.com", "https://mcp.example.com"}, false, 403, false, ""},
		{"preflight allowed", "OPTIONS", []string{"https://app.example.com"}, true, 204, false, "https://app.example.com"},
		{"preflight evil", "OPTIONS", []string{"https://evil.example"}, true, 403, false, ""},
		{"preflight null", "OPTIONS", []string{"null"}, true, 403, false, ""},
		{"options, not a preflight", "OPTIONS", []string{"https://app.example.com"}, false, 401, true, "https://app.example.com"},
		{"preflight header without origin", "OPTIONS", nil, true, 401, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := calls.Load()
			req, err := http.NewRequest(tt.method, srv.URL+"/mcp", strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range tt.origins {
				req.Header.Add("Origin", o)
			}
			if tt.preflight {
				req.Header.Set("Access-Control-Request-Method", "POST")
				req.Header.Set("Access-Control-Request-Headers", "authorization, content-type, mcp-protocol-version")
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d (body %s)", resp.StatusCode, tt.want, body)
			}
			if reached := calls.Load() != before; reached != tt.reachNext {
				t.Errorf("next reached = %v, want %v", reached, tt.reachNext)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tt.wantACAO {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tt.wantACAO)
			}
			vary := strings.Join(resp.Header.Values("Vary"), ", ")
			if len(tt.origins) > 0 && !strings.Contains(vary, "Origin") {
				t.Errorf("Vary %q lacks Origin", vary)
			}
			expose := resp.Header.Get("Access-Control-Expose-Headers")
			switch {
			case tt.want == 403:
				checkForbidden(t, resp, body, tt.origins)
			case tt.want == 204:
				checkPreflight(t, resp, body)
			case tt.wantACAO != "":
				if expose != ExposeHeaders {
					t.Errorf("Access-Control-Expose-Headers %q, want %q", expose, ExposeHeaders)
				}
				if resp.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("challenge from next lost")
				}
			default:
				if expose != "" {
					t.Errorf("CORS headers on a request without Origin: %q", expose)
				}
			}
		})
	}
}

func checkForbidden(t *testing.T, resp *http.Response, body []byte, origins []string) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("403 Content-Type %q", ct)
	}
	if !strings.Contains(string(body), `"error":"forbidden_origin"`) || !strings.Contains(string(body), `"error_description":`) {
		t.Errorf("403 body %s", body)
	}
	for _, o := range origins {
		if o != "" && strings.Contains(string(body), o) {
			t.Errorf("403 body echoes the origin %q", o)
		}
	}
	if resp.Header.Get("Access-Control-Expose-Headers") != "" || resp.Header.Get("Access-Control-Allow-Methods") != "" {
		t.Errorf("403 carries CORS grants")
	}
}

func checkPreflight(t *testing.T, resp *http.Response, body []byte) {
	t.Helper()
	if len(body) != 0 {
		t.Errorf("preflight body %q", body)
	}
	for h, want := range map[string]string{
		"Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
		"Access-Control-Allow-Headers": "Authorization, Content-Type, Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID",
		"Access-Control-Max-Age":       "7200",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s %q, want %q", h, got, want)
		}
	}
	if resp.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("preflight allows credentials; bearer tokens do not need cookies")
	}
}

func TestPrivateNetworkPreflight(t *testing.T) {
	srv, calls := newServer(t)
	for _, tt := range []struct {
		origin string
		want   int
		pna    string
	}{
		{"https://app.example.com", 204, "true"},
		{"https://evil.example", 403, ""},
	} {
		req, _ := http.NewRequest("OPTIONS", srv.URL+"/mcp", nil)
		req.Header.Set("Origin", tt.origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Private-Network", "true")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want || resp.Header.Get("Access-Control-Allow-Private-Network") != tt.pna {
			t.Errorf("%s: %d, Allow-Private-Network %q", tt.origin, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Private-Network"))
		}
	}
	if calls.Load() != 0 {
		t.Errorf("a preflight reached the next handler")
	}
}

func TestNewPolicy(t *testing.T) {
	p, err := NewPolicy("http://LOCALHOST:3002/mcp", []string{"https://b.example", "https://a.example:443", "https://b.example", " "})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"http://localhost:3002", "https://b.example", "https://a.example"}
	if got := p.Origins(); !reflect.DeepEqual(got, want) {
		t.Errorf("Origins() = %q, want %q", got, want)
	}
	if p, err := NewPolicy("http://127.0.0.1:80/mcp", nil); err != nil || !reflect.DeepEqual(p.Origins(), []string{"http://127.0.0.1"}) {
		t.Errorf("default port not dropped: %v %v", p, err)
	}
}

func TestNewPolicyErrors(t *testing.T) {
	tests := []struct {
		resource string
		allowed  []string
		want     []string // substrings of the error
	}{
		{"", nil, []string{"resource URL", "absolute http or https URL"}},
		{"/mcp", nil, []string{"resource URL"}},
		{"ftp://mcp.example.com", nil, []string{"resource URL"}},
		{"https://", nil, []string{"resource URL"}},
		{"https://bad_%zz/x", nil, []string{"resource URL"}},
		{resource, []string{"*"}, []string{`"*" is refused`, "list each origin"}},
		{resource, []string{"null"}, []string{`"null" is refused`}},
		{resource, []string{"https://app.example.com/"}, []string{`"https://app.example.com/" has a path`, `"https://app.example.com"`}},
		{resource, []string{"https://app.example.com/app"}, []string{"has a path", `"https://app.example.com"`}},
		{resource, []string{"https://app.example.com?x=1"}, []string{"has a path, query"}},
		{resource, []string{"app.example.com"}, []string{`"app.example.com" is not an origin`, "scheme://host[:port]"}},
		{resource, []string{"https://user@app.example.com"}, []string{"is not an origin"}},
		{resource, []string{"https://app.example.com:99999"}, []string{"is not an origin"}},
		{resource, []string{"https://app.example.com:"}, []string{"is not an origin"}},
		{resource, []string{"*", "https://ok.example", "evil.example/x"}, []string{`"*"`, `"evil.example/x"`}},
	}
	for _, tt := range tests {
		_, err := NewPolicy(tt.resource, tt.allowed)
		if err == nil {
			t.Errorf("NewPolicy(%q, %q) succeeded", tt.resource, tt.allowed)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("NewPolicy(%q, %q) error %q lacks %q", tt.resource, tt.allowed, err, w)
			}
		}
	}
}

func TestNormalise(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://a.example", "https://a.example"},
		{"HTTPS://A.Example", "https://a.example"},
		{"https://a.example:443", "https://a.example"},
		{"http://a.example:80", "http://a.example"},
		{"http://a.example:443", "http://a.example:443"},
		{"https://a.example:80", "https://a.example:80"},
		{"http://[::1]", "http://[::1]"},
		{"http://[::1]:80", "http://[::1]"},
		{"http://[::1]:8080", "http://[::1]:8080"},
		{"http://127.0.0.1:3002", "http://127.0.0.1:3002"},
		{"vscode-webview://x1y2", "vscode-webview://x1y2"},
		{"null", ""},
		{"", ""},
		{"https://", ""},
		{"https://a.example/", ""},
		{"https://a.example:", ""},
		{"https://a.example:0", ""},
		{"https://a.example:080", ""},
		{"https://a.example:+80", ""},
		{"https://a.example:65536", ""},
		{"https://a b", ""},
		{"https://a.example#x", ""},
		{"https://u@a.example", ""},
		{"https://[::1", ""},
		{"https://[]", ""},
		{"https://[::1]x", ""},
		{"https://[zz]", ""},
		{"1http://a.example", ""},
		{"https://.a.example", ""},
		{"https://a%2eexample", ""},
		{"//a.example", ""},
	}
	for _, tt := range tests {
		got, ok := normalise(tt.in)
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("normalise(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func BenchmarkMiddleware(b *testing.B) {
	p, err := NewPolicy(resource, configured)
	if err != nil {
		b.Fatal(err)
	}
	h := p.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	cases := []struct {
		name      string
		origin    string
		preflight bool
	}{
		{"no-origin", "", false},
		{"allowed", "https://mcp.example.com", false},
		{"allowed-unnormalised", "HTTPS://App.Example.com:443", false},
		{"rejected", "https://evil.example", false},
		{"preflight", "https://app.example.com", true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			method := http.MethodPost
			if c.preflight {
				method = http.MethodOptions
			}
			req := httptest.NewRequest(method, "http://mcp.example.com/mcp", nil)
			if c.origin != "" {
				req.Header.Set("Origin", c.origin)
			}
			if c.preflight {
				req.Header.Set("Access-Control-Request-Method", "POST")
			}
			w := discardWriter{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.header)
				h.ServeHTTP(w, req)
			}
		})
	}
}

// discardWriter is a minimal ResponseWriter so the benchmark measures the
// middleware, not a recorder.
type discardWriter struct{ header http.Header }

func (d discardWriter) Header() http.Header         { return d.header }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}

// FuzzNormalise: never panics; a result is a fixed point, and is a bare
// origin (nothing after the authority that could smuggle a path, query,
// credentials or a second origin).
func FuzzNormalise(f *testing.F) {
	for _, s := range []string{"https://a.example", "HTTP://A:80", "http://[::1]:8080", "null", "https://a.example/x", "x://y:0", "https://u@h", "https://h:+1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, ok := normalise(s)
		if !ok {
			if out != "" {
				t.Fatalf("normalise(%q) = %q with ok=false", s, out)
			}
			return
		}
		again, ok2 := normalise(out)
		if !ok2 || again != out {
			t.Fatalf("normalise(%q) = %q, which normalises to %q, %v", s, out, again, ok2)
		}
		_, authority, _ := strings.Cut(out, "://")
		if strings.ContainsAny(authority, "/?#@ \\%") || out != strings.ToLower(out) && !strings.HasPrefix(authority, "[") {
			t.Fatalf("normalise(%q) = %q is not a bare lower-case origin", s, out)
		}
	})
}
