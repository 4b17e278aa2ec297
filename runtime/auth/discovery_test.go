package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/auth"
)

func TestMetadataURLs(t *testing.T) {
	for _, tc := range []struct {
		issuer string
		want   []string
	}{
		{"https://as.example.com", []string{
			"https://as.example.com/.well-known/oauth-authorization-server",
			"https://as.example.com/.well-known/openid-configuration",
		}},
		// Auth0 issuers end with a slash: it is removed before the suffix is added.
		{"https://acme.us.auth0.com/", []string{
			"https://acme.us.auth0.com/.well-known/oauth-authorization-server",
			"https://acme.us.auth0.com/.well-known/openid-configuration",
		}},
		{"https://as.example.com/tenant1", []string{
			"https://as.example.com/.well-known/oauth-authorization-server/tenant1",
			"https://as.example.com/.well-known/openid-configuration/tenant1",
			"https://as.example.com/tenant1/.well-known/openid-configuration",
		}},
		{"https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0/", []string{
			"https://login.microsoftonline.com/.well-known/oauth-authorization-server/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
			"https://login.microsoftonline.com/.well-known/openid-configuration/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
			"https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0/.well-known/openid-configuration",
		}},
	} {
		got, err := auth.MetadataURLs(tc.issuer)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("MetadataURLs(%q) = %q, %v\nwant %q", tc.issuer, got, err, tc.want)
		}
	}
	if _, err := auth.MetadataURLs("https://as.example.com/?tenant=1"); err == nil {
		t.Error("an issuer with a query string was accepted")
	}
}

// metadataServer serves metadata documents at the given paths (path ->
// issuer suffix) and counts requests per path; any other path is a 404.
type metadataServer struct {
	*httptest.Server
	docs map[string]map[string]any
	hits map[string]int
}

func newMetadataServer(t *testing.T) *metadataServer {
	t.Helper()
	m := &metadataServer{docs: map[string]map[string]any{}, hits: map[string]int{}}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.hits[r.URL.Path]++
		doc, ok := m.docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(m.Close)
	return m
}

// serve publishes a document at path claiming issuer and a JWKS under it.
func (m *metadataServer) serve(path, issuer string) {
	m.docs[path] = map[string]any{
		"issuer":                 issuer,
		"jwks_uri":               issuer + "/keys",
		"introspection_endpoint": issuer + "/introspect",
		"token_endpoint":         issuer + "/token",
	}
}

func discover(t *testing.T, issuer string) (*auth.AuthorizationServerMetadata, error) {
	t.Helper()
	return auth.Discover(context.Background(), issuer, auth.DiscoveryOptions{Timeout: 5 * time.Second})
}

func TestDiscoverWellKnownForms(t *testing.T) {
	for _, tc := range []struct {
		name       string
		issuerPath string // appended to the server URL
		docPath    string // where the server publishes
	}{
		{"rfc8414 root", "", "/.well-known/oauth-authorization-server"},
		{"oidc root", "", "/.well-known/openid-configuration"},
		{"rfc8414 path inserted", "/tenant1", "/.well-known/oauth-authorization-server/tenant1"},
		{"oidc path inserted", "/tenant1", "/.well-known/openid-configuration/tenant1"},
		{"oidc appended (Keycloak, Okta)", "/realms/acme", "/realms/acme/.well-known/openid-configuration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newMetadataServer(t)
			issuer := srv.URL + tc.issuerPath
			srv.serve(tc.docPath, issuer)
			m, err := discover(t, issuer)
			if err != nil {
				t.Fatalf("Discover: %v", err)
			}
			if m.Issuer != issuer || m.JWKSURI != issuer+"/keys" || m.IntrospectionEndpoint != issuer+"/introspect" {
				t.Errorf("metadata = %+v", m)
			}
			if m.Source != srv.URL+tc.docPath {
				t.Errorf("Source = %q, want %q", m.Source, srv.URL+tc.docPath)
			}
			if !strings.Contains(string(m.Raw), `"token_endpoint"`) {
				t.Errorf("Raw = %s, want the whole document", m.Raw)
			}
			jwks, err := auth.DiscoverJWKSURL(context.Background(), issuer, auth.DiscoveryOptions{})
			if err != nil || jwks != issuer+"/keys" {
				t.Errorf("DiscoverJWKSURL = %q, %v", jwks, err)
			}
		})
	}
}

// TestDiscoverPrefersRFC8414: when both documents exist, the OAuth one is
// used and OIDC discovery is not even asked.
func TestDiscoverPrefersRFC8414(t *testing.T) {
	srv := newMetadataServer(t)
	issuer := srv.URL + "/tenant1"
	srv.serve("/.well-known/oauth-authorization-server/tenant1", issuer)
	srv.serve("/tenant1/.well-known/openid-configuration", issuer)
	m, err := discover(t, issuer)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Source, "oauth-authorization-server") || srv.hits["/tenant1/.well-known/openid-configuration"] != 0 {
		t.Errorf("Source = %s, hits = %v", m.Source, srv.hits)
	}
}

// TestDiscoverRefusesMismatchedIssuer is the mix-up defence of RFC 8414 §3.3.
func TestDiscoverRefusesMismatchedIssuer(t *testing.T) {
	for name, claimed := range map[string]func(issuer string) string{
		"other host":             func(string) string { return "https://evil.example.com" },
		"other tenant":           func(issuer string) string { return strings.TrimSuffix(issuer, "/tenant1") + "/tenant2" },
		"trailing slash differs": func(issuer string) string { return issuer + "/" },
		"case differs":           func(issuer string) string { return strings.ToUpper(issuer[:4]) + issuer[4:] },
	} {
		t.Run(name, func(t *testing.T) {
			srv := newMetadataServer(t)
			issuer := srv.URL + "/tenant1"
			for _, p := range []string{"/.well-known/oauth-authorization-server/tenant1", "/.well-known/openid-configuration/tenant1", "/tenant1/.well-known/openid-configuration"} {
				srv.serve(p, claimed(issuer))
			}
			m, err := discover(t, issuer)
			if !errors.Is(err, auth.ErrIssuerMismatch) {
				t.Fatalf("Discover = %+v, %v; want ErrIssuerMismatch", m, err)
			}
			if !strings.Contains(err.Error(), issuer) {
				t.Errorf("error %q does not name the configured issuer", err)
			}
		})
	}
}

// TestDiscoverSkipsMismatchedDocument: a document for another issuer is not
// used, but a later candidate that names this issuer is.
func TestDiscoverSkipsMismatchedDocument(t *testing.T) {
	srv := newMetadataServer(t)
	issuer := srv.URL + "/tenant1"
	srv.serve("/.well-known/oauth-authorization-server/tenant1", srv.URL)
	srv.serve("/tenant1/.well-known/openid-configuration", issuer)
	m, err := discover(t, issuer)
	if err != nil || m.Issuer != issuer || m.JWKSURI != issuer+"/keys" {
		t.Fatalf("Discover = %+v, %v", m, err)
	}
}

func TestDiscoverUnreachableIssuer(t *testing.T) {
	srv := newMetadataServer(t)
	issuer := srv.URL + "/tenant1"
	srv.Close()
	_, err := discover(t, issuer)
	if err == nil {
		t.Fatal("Discover succeeded against a closed server")
	}
	if !strings.Contains(err.Error(), issuer) || !strings.Contains(err.Error(), "oauth-authorization-server") {
		t.Errorf("error %q should name the issuer and the URL tried", err)
	}
	// One refused connection is enough: every candidate is on the same host.
	if strings.Contains(err.Error(), "openid-configuration") {
		t.Errorf("error %q: discovery went on after a network failure", err)
	}
}

func TestDiscoverTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	_, err := auth.Discover(context.Background(), srv.URL, auth.DiscoveryOptions{Timeout: 100 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), srv.URL) {
		t.Fatalf("Discover against a hanging server = %v, want an error naming the issuer", err)
	}
}

func TestDiscoverRefusesUnsafeDocuments(t *testing.T) {
	t.Run("http issuer", func(t *testing.T) {
		if _, err := discover(t, "http://as.example.com"); err == nil || !strings.Contains(err.Error(), "https") {
			t.Errorf("err = %v, want an https error", err)
		}
	})
	t.Run("http jwks_uri", func(t *testing.T) {
		srv := newMetadataServer(t)
		srv.docs["/.well-known/oauth-authorization-server"] = map[string]any{"issuer": srv.URL, "jwks_uri": "http://keys.example.com/jwks"}
		if _, err := discover(t, srv.URL); err == nil || !strings.Contains(err.Error(), "jwks_uri") {
			t.Errorf("err = %v, want a jwks_uri error", err)
		}
	})
	t.Run("oversized", func(t *testing.T) {
		srv := newMetadataServer(t)
		srv.docs["/.well-known/oauth-authorization-server"] = map[string]any{"issuer": srv.URL, "jwks_uri": srv.URL + "/keys", "padding": strings.Repeat("x", auth.MaxMetadataBytes)}
		if _, err := discover(t, srv.URL); err == nil || !strings.Contains(err.Error(), "larger") {
			t.Errorf("err = %v, want a size error", err)
		}
	})
	t.Run("no jwks_uri", func(t *testing.T) {
		srv := newMetadataServer(t)
		srv.docs["/.well-known/oauth-authorization-server"] = map[string]any{"issuer": srv.URL}
		if _, err := auth.DiscoverJWKSURL(context.Background(), srv.URL, auth.DiscoveryOptions{}); err == nil || !strings.Contains(err.Error(), "jwks_uri") {
			t.Errorf("err = %v, want a missing jwks_uri error", err)
		}
	})
	t.Run("redirect to http", func(t *testing.T) {
		srv := httptest.NewServer(http.RedirectHandler("http://as.example.com/.well-known/oauth-authorization-server", http.StatusFound))
		t.Cleanup(srv.Close)
		if _, err := discover(t, srv.URL); err == nil || !strings.Contains(err.Error(), "https") {
			t.Errorf("err = %v, want the downgrade refused", err)
		}
	})
}
