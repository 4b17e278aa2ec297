package auth_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
)

func TestMetadataURL(t *testing.T) {
	for _, tt := range []struct{ resource, want string }{
		{"https://h.example/mcp", "https://h.example/.well-known/oauth-protected-resource/mcp"},
		{"https://h.example/", "https://h.example/.well-known/oauth-protected-resource"},
		{"https://h.example", "https://h.example/.well-known/oauth-protected-resource"},
		{"https://h.example:8443/a/b/", "https://h.example:8443/.well-known/oauth-protected-resource/a/b/"},
		{"http://localhost:3002/mcp", "http://localhost:3002/.well-known/oauth-protected-resource/mcp"},
		{"https://h.example/mcp?tenant=a", "https://h.example/.well-known/oauth-protected-resource/mcp?tenant=a"},
		{"https://h.example/a%2Fb", "https://h.example/.well-known/oauth-protected-resource/a%2Fb"},
	} {
		got, err := auth.MetadataURL(tt.resource)
		if err != nil || got != tt.want {
			t.Errorf("MetadataURL(%q) = %q, %v; want %q", tt.resource, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "/mcp", "mcp.example.com/mcp", "https://h.example/mcp#frag", "://x"} {
		if got, err := auth.MetadataURL(bad); err == nil {
			t.Errorf("MetadataURL(%q) = %q, want an error", bad, got)
		}
	}
}

func TestMetadataPaths(t *testing.T) {
	for _, tt := range []struct {
		resource string
		want     []string
	}{
		{"https://h/mcp", []string{"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"}},
		{"https://h/", []string{"/.well-known/oauth-protected-resource"}},
		{"https://h", []string{"/.well-known/oauth-protected-resource"}},
		{"not a url", nil},
	} {
		if got := auth.MetadataPaths(tt.resource); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("MetadataPaths(%q) = %q, want %q", tt.resource, got, tt.want)
		}
	}
}

func validPRM() auth.ProtectedResourceMetadata {
	return auth.ProtectedResourceMetadata{
		Resource:             "https://mcp.example.com/mcp",
		AuthorizationServers: []string{"https://auth.example.com"},
		ScopesSupported:      []string{"usr:read"},
	}
}

func TestMetadataValidate(t *testing.T) {
	if err := validPRM().Validate(); err != nil {
		t.Fatalf("valid metadata: %v", err)
	}
	ok := map[string]func(*auth.ProtectedResourceMetadata){
		"http localhost": func(m *auth.ProtectedResourceMetadata) { m.Resource = "http://localhost:3002/mcp" },
		"http 127.0.0.1": func(m *auth.ProtectedResourceMetadata) { m.Resource = "http://127.0.0.1:3002/mcp" },
		"http ::1":       func(m *auth.ProtectedResourceMetadata) { m.Resource = "http://[::1]:3002/mcp" },
		// Every loopback host (runtime/loopback), not only 127.0.0.1: the whole of
		// 127.0.0.0/8 is this machine, and host names compare without case.
		"http 127.0.0.2":  func(m *auth.ProtectedResourceMetadata) { m.Resource = "http://127.0.0.2:3002/mcp" },
		"http LOCALHOST":  func(m *auth.ProtectedResourceMetadata) { m.Resource = "http://LOCALHOST:3002/mcp" },
		"http localhost.": func(m *auth.ProtectedResourceMetadata) { m.Resource = "http://localhost.:3002/mcp" },
		"header method":   func(m *auth.ProtectedResourceMetadata) { m.BearerMethodsSupported = []string{"header"} },
		"http auth server": func(m *auth.ProtectedResourceMetadata) {
			m.AuthorizationServers = []string{"http://keycloak:8080/realms/x"}
		},
		"no scopes supplied": func(m *auth.ProtectedResourceMetadata) { m.ScopesSupported = nil },
	}
	for name, f := range ok {
		m := validPRM()
		f(&m)
		if err := m.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad := map[string]func(*auth.ProtectedResourceMetadata){
		"http public host":     func(m *auth.ProtectedResourceMetadata) { m.Resource = "http://mcp.example.com/mcp" },
		"http 128.0.0.1":       func(m *auth.ProtectedResourceMetadata) { m.Resource = "http://128.0.0.1/mcp" },
		"http evil.localhost":  func(m *auth.ProtectedResourceMetadata) { m.Resource = "http://evil.localhost/mcp" },
		"relative resource":    func(m *auth.ProtectedResourceMetadata) { m.Resource = "/mcp" },
		"fragment":             func(m *auth.ProtectedResourceMetadata) { m.Resource = "https://mcp.example.com/mcp#x" },
		"other scheme":         func(m *auth.ProtectedResourceMetadata) { m.Resource = "ftp://mcp.example.com/mcp" },
		"no auth servers":      func(m *auth.ProtectedResourceMetadata) { m.AuthorizationServers = nil },
		"relative auth server": func(m *auth.ProtectedResourceMetadata) { m.AuthorizationServers = []string{"auth.example.com"} },
		"query bearer method":  func(m *auth.ProtectedResourceMetadata) { m.BearerMethodsSupported = []string{"header", "query"} },
		"body bearer method":   func(m *auth.ProtectedResourceMetadata) { m.BearerMethodsSupported = []string{"body"} },
		"bad scope":            func(m *auth.ProtectedResourceMetadata) { m.ScopesSupported = []string{"a b"} },
	}
	for name, f := range bad {
		m := validPRM()
		f(&m)
		if err := m.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, m)
		}
	}
}

func TestParseProtectedResourceMetadata(t *testing.T) {
	raw := `{"resource":"https://mcp.example.com/mcp","authorization_servers":["https://env.scalekit.dev/resources/res_1"],
		"scopes_supported":["usr:read"],"resource_name":"Greeter","x_vendor":{"a":1},"dpop_bound_access_tokens_required":false}`
	m, err := auth.ParseProtectedResourceMetadata([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if m.Resource != "https://mcp.example.com/mcp" || m.ResourceName != "Greeter" || len(m.AuthorizationServers) != 1 {
		t.Errorf("typed fields = %+v", m)
	}
	if !reflect.DeepEqual(m.BearerMethodsSupported, []string{"header"}) {
		t.Errorf("bearer methods = %v, want the header default", m.BearerMethodsSupported)
	}
	if string(m.Extra["x_vendor"]) != `{"a":1}` || string(m.Extra["dpop_bound_access_tokens_required"]) != "false" || len(m.Extra) != 2 {
		t.Errorf("extra = %v", m.Extra)
	}
	for _, bad := range []string{`[]`, `null`, `{"resource":5}`, `{"authorization_servers":"x"}`, `{`} {
		if _, err := auth.ParseProtectedResourceMetadata([]byte(bad)); err == nil {
			t.Errorf("parsed %s", bad)
		}
	}
}

func TestMetadataHandler(t *testing.T) {
	m := validPRM()
	m.Extra = map[string]json.RawMessage{"resource_signing_alg_values_supported": json.RawMessage(`["RS256"]`), "resource": json.RawMessage(`"https://evil.example"`)}
	h, err := auth.MetadataHandler(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"GET", "HEAD"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, "/.well-known/oauth-protected-resource/mcp", nil))
		if w.Code != 200 {
			t.Fatalf("%s status %d", method, w.Code)
		}
		for k, v := range map[string]string{"Content-Type": "application/json", "Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=3600"} {
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s %s = %q, want %q", method, k, got, v)
			}
		}
		if method == "HEAD" {
			if w.Body.Len() != 0 {
				t.Error("HEAD has a body")
			}
			continue
		}
		var doc map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc["resource"] != m.Resource {
			t.Errorf("resource = %v: Extra must not override typed members", doc["resource"])
		}
		if !reflect.DeepEqual(doc["bearer_methods_supported"], []any{"header"}) {
			t.Errorf("bearer_methods_supported = %v", doc["bearer_methods_supported"])
		}
		if !reflect.DeepEqual(doc["resource_signing_alg_values_supported"], []any{"RS256"}) {
			t.Errorf("extra member missing: %v", doc)
		}
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("OPTIONS", "/.well-known/oauth-protected-resource", nil)
	r.Header.Set("Origin", "https://app.example")
	r.Header.Set("Access-Control-Request-Method", "GET")
	r.Header.Set("Access-Control-Request-Headers", "mcp-protocol-version")
	h.ServeHTTP(w, r)
	if w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(w.Header().Get("Access-Control-Allow-Methods"), "GET") {
		t.Errorf("OPTIONS: %d %v", w.Code, w.Header())
	}
	if w.Header().Get("Access-Control-Allow-Headers") != "mcp-protocol-version" {
		t.Errorf("allow headers = %q", w.Header().Get("Access-Control-Allow-Headers"))
	}
	for _, method := range []string{"POST", "PUT", "DELETE"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, "/.well-known/oauth-protected-resource", strings.NewReader("{}")))
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD, OPTIONS" {
			t.Errorf("%s: %d Allow=%q", method, w.Code, w.Header().Get("Allow"))
		}
	}
	bad := validPRM()
	bad.AuthorizationServers = nil
	if _, err := auth.MetadataHandler(bad); err == nil {
		t.Error("MetadataHandler accepted invalid metadata")
	}
}
