package devserver

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/mcpgen/mcpgen/internal/golden"
	"github.com/mcpgen/mcpgen/runtime/auth"
)

const testResource = "http://localhost:3002/mcp"

// devAS is a dev server on a real loopback listener.
type devAS struct {
	*Server
	URL string
	dir string
}

func startAS(t *testing.T) *devAS {
	t.Helper()
	return startASWith(t, nil)
}

// startASWith starts a dev server whose config mutate changes first.
func startASWith(t *testing.T, mutate func(*Config)) *devAS {
	t.Helper()
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	key, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	cfg := Config{
		Issuer: issuer, Resource: testResource, Scopes: []string{"usr:read", "usr:write"},
		Key: key, Client: Client{ID: "mcpgen-dev", Secret: "s3cret"}, StateDir: dir,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(s.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return &devAS{Server: s, URL: issuer, dir: dir}
}

// validator accepts exactly what a generated server configured for this AS accepts.
func (a *devAS) validator(t *testing.T) *auth.Validator {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	keys, err := auth.NewRemoteJWKS(ctx, a.URL+JWKSPath, auth.JWKSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{a.URL}, Audiences: []string{testResource}, RequireATJWT: true}, keys)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func postForm(t *testing.T, u string, form url.Values, user, pass string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("POST %s: %d, body not JSON: %v", u, resp.StatusCode, err)
	}
	return resp.StatusCode, body
}

func getJSON(t *testing.T, u string) (*http.Response, map[string]any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp, body
}

func TestMetadataDocuments(t *testing.T) {
	a := startAS(t)
	for _, p := range []string{MetadataPath, OIDCMetadataPath} {
		resp, m := getJSON(t, a.URL+p)
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: status %d, CORS %q", p, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
		if m["issuer"] != a.URL || m["jwks_uri"] != a.URL+JWKSPath || m["registration_endpoint"] != a.URL+RegisterPath {
			t.Errorf("%s: issuer/jwks/registration = %v %v %v", p, m["issuer"], m["jwks_uri"], m["registration_endpoint"])
		}
		if got := m["code_challenge_methods_supported"]; !equalList(got, "S256") {
			t.Errorf("%s: code_challenge_methods_supported = %v, want only S256", p, got)
		}
		if m["client_id_metadata_document_supported"] != true {
			t.Errorf("%s: CIMD not advertised", p)
		}
	}
	resp, jwks := getJSON(t, a.URL+JWKSPath)
	keys, _ := jwks["keys"].([]any)
	if resp.StatusCode != 200 || len(keys) != 1 {
		t.Fatalf("jwks: %d %v", resp.StatusCode, jwks)
	}
	if k := keys[0].(map[string]any); k["kid"] != a.cfg.Key.ID || k["alg"] != "ES256" || k["d"] != nil {
		t.Errorf("jwk = %v (want public ES256 key with kid %s)", k, a.cfg.Key.ID)
	}
}

func equalList(v any, want ...string) bool {
	l, _ := v.([]any)
	if len(l) != len(want) {
		return false
	}
	for i := range l {
		if l[i] != want[i] {
			return false
		}
	}
	return true
}

func TestClientCredentials(t *testing.T) {
	a := startAS(t)
	v := a.validator(t)
	tests := []struct {
		name       string
		form       url.Values
		user, pass string
		status     int
		errCode    string
		scopes     []string
	}{
		{"basic auth, all scopes", url.Values{"grant_type": {"client_credentials"}, "resource": {testResource}}, "mcpgen-dev", "s3cret", 200, "", []string{"usr:read", "usr:write"}},
		{"post auth, one scope", url.Values{"grant_type": {"client_credentials"}, "client_id": {"mcpgen-dev"}, "client_secret": {"s3cret"}, "scope": {"usr:read"}}, "", "", 200, "", []string{"usr:read"}},
		{"wrong secret", url.Values{"grant_type": {"client_credentials"}}, "mcpgen-dev", "nope", 401, "invalid_client", nil},
		{"no client", url.Values{"grant_type": {"client_credentials"}}, "", "", 401, "invalid_client", nil},
		{"unknown scope", url.Values{"grant_type": {"client_credentials"}, "scope": {"admin"}}, "mcpgen-dev", "s3cret", 400, "invalid_scope", nil},
		{"other resource", url.Values{"grant_type": {"client_credentials"}, "resource": {"https://evil.example/mcp"}}, "mcpgen-dev", "s3cret", 400, "invalid_target", nil},
		{"authorization_code not allowed for the dev client", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, "mcpgen-dev", "s3cret", 400, "unauthorized_client", nil},
		{"password grant", url.Values{"grant_type": {"password"}}, "mcpgen-dev", "s3cret", 400, "unauthorized_client", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := postForm(t, a.URL+TokenPath, tc.form, tc.user, tc.pass)
			if status != tc.status || (tc.errCode != "" && body["error"] != tc.errCode) {
				t.Fatalf("status %d body %v, want %d %s", status, body, tc.status, tc.errCode)
			}
			if tc.status != 200 {
				return
			}
			p, err := v.Validate(context.Background(), body["access_token"].(string))
			if err != nil {
				t.Fatalf("token not accepted by the runtime validator: %v", err)
			}
			if !slices.Equal(p.Scopes, tc.scopes) || p.ClientID != "mcpgen-dev" || time.Until(p.ExpiresAt) > DefaultTokenTTL {
				t.Errorf("principal %+v, want scopes %v, client mcpgen-dev, short lifetime", p, tc.scopes)
			}
			if body["refresh_token"] != nil {
				t.Error("client_credentials must not return a refresh token")
			}
		})
	}
}

// authorize drives the browser part of the flow: the authorization request, the consent
// page and its approve link, and returns the redirect the client receives.
func authorize(t *testing.T, asURL string, params url.Values) *url.URL {
	t.Helper()
	resp, err := noRedirect.Get(asURL + AuthorizePath + "?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusFound {
		loc, _ := url.Parse(resp.Header.Get("Location"))
		return loc
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("authorize: %d %s", resp.StatusCode, body)
	}
	m := regexp.MustCompile(`id="approve" href="([^"]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("consent page without approve link:\n%s", body)
	}
	resp, err = noRedirect.Get(asURL + html.UnescapeString(string(m[1])))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func pkce(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func register(t *testing.T, asURL string, meta map[string]any) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(meta)
	resp, err := http.Post(asURL+RegisterPath, "application/json", strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestRegisterThenAuthorizationCodeWithPKCE(t *testing.T) {
	a := startAS(t)
	v := a.validator(t)
	status, reg := register(t, a.URL, map[string]any{
		"client_name": "Test Client", "redirect_uris": []string{"http://127.0.0.1:9999/callback"},
		"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code", "refresh_token"},
	})
	if status != http.StatusCreated || reg["client_id"] == nil || reg["client_secret"] != nil {
		t.Fatalf("register: %d %v", status, reg)
	}
	clientID := reg["client_id"].(string)
	verifier := strings.Repeat("v", 50)
	params := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "state": {"st-1"},
		// another loopback port than registered: native apps pick a free one
		"redirect_uri":   {"http://127.0.0.1:41234/callback"},
		"code_challenge": {pkce(verifier)}, "code_challenge_method": {"S256"},
		"scope": {"usr:read"}, "resource": {testResource},
	}
	loc := authorize(t, a.URL, params)
	q := loc.Query()
	if loc.Host != "127.0.0.1:41234" || q.Get("state") != "st-1" || q.Get("iss") != a.URL || q.Get("code") == "" {
		t.Fatalf("redirect %s", loc)
	}
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "client_id": {clientID},
		"redirect_uri": {"http://127.0.0.1:41234/callback"}, "resource": {testResource}}

	bad := url.Values{}
	maps.Copy(bad, exchange)
	bad.Set("code_verifier", strings.Repeat("w", 50))
	if status, body := postForm(t, a.URL+TokenPath, bad, "", ""); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("wrong verifier: %d %v", status, body)
	}
	// The failed attempt used the code up: a stolen code is worth one guess.
	exchange.Set("code_verifier", verifier)
	if status, body := postForm(t, a.URL+TokenPath, exchange, "", ""); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("reused code: %d %v", status, body)
	}

	loc = authorize(t, a.URL, params)
	exchange.Set("code", loc.Query().Get("code"))
	status, tok := postForm(t, a.URL+TokenPath, exchange, "", "")
	if status != 200 {
		t.Fatalf("exchange: %d %v", status, tok)
	}
	p, err := v.Validate(context.Background(), tok["access_token"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != DevSubject || p.ClientID != clientID || !slices.Equal(p.Scopes, []string{"usr:read"}) {
		t.Errorf("principal %+v", p)
	}
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}, "client_id": {clientID}}
	if status, body := postForm(t, a.URL+TokenPath, refresh, "", ""); status != 200 || body["access_token"] == nil {
		t.Fatalf("refresh: %d %v", status, body)
	}
	if status, body := postForm(t, a.URL+TokenPath, refresh, "", ""); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("refresh token reuse: %d %v", status, body)
	}

	// Registered clients survive a restart.
	s2, err := New(Config{Issuer: a.URL, Resource: testResource, Scopes: a.cfg.Scopes, Key: a.cfg.Key, Client: a.cfg.Client, StateDir: a.dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s2.clients[clientID]; !ok {
		t.Error("registered client lost on restart")
	}
}

func TestAuthorizeRefusals(t *testing.T) {
	a := startAS(t)
	_, reg := register(t, a.URL, map[string]any{"redirect_uris": []string{"http://127.0.0.1:9999/cb"}, "token_endpoint_auth_method": "none"})
	clientID := reg["client_id"].(string)
	good := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {"http://127.0.0.1:9999/cb"},
		"code_challenge": {pkce(strings.Repeat("a", 43))}, "code_challenge_method": {"S256"}, "state": {"s"},
	}
	with := func(k, v string) url.Values {
		out := url.Values{}
		maps.Copy(out, good)
		if v == "" {
			out.Del(k)
		} else {
			out.Set(k, v)
		}
		return out
	}
	redirected := []struct {
		name, key, value, errCode string
	}{
		{"plain PKCE refused", "code_challenge_method", "plain", "invalid_request"},
		{"no PKCE", "code_challenge", "", "invalid_request"},
		{"token response type", "response_type", "token", "unsupported_response_type"},
		{"unknown scope", "scope", "usr:read admin", "invalid_scope"},
		{"other resource", "resource", "https://other.example/mcp", "invalid_target"},
	}
	for _, tc := range redirected {
		t.Run(tc.name, func(t *testing.T) {
			loc := authorize(t, a.URL, with(tc.key, tc.value))
			if loc.Host != "127.0.0.1:9999" || loc.Query().Get("error") != tc.errCode || loc.Query().Get("state") != "s" {
				t.Errorf("redirect %s, want error=%s", loc, tc.errCode)
			}
		})
	}
	// Errors about the client or redirect URI are shown, never redirected.
	shown := []struct{ name, key, value string }{
		{"unknown client", "client_id", "nobody"},
		{"unregistered redirect", "redirect_uri", "https://attacker.example/cb"},
		{"other loopback path", "redirect_uri", "http://127.0.0.1:9999/other"},
	}
	for _, tc := range shown {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := noRedirect.Get(a.URL + AuthorizePath + "?" + with(tc.key, tc.value).Encode())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
				t.Errorf("status %d location %q, want 400 without redirect", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
	t.Run("deny", func(t *testing.T) {
		resp, _ := noRedirect.Get(a.URL + AuthorizePath + "?" + good.Encode())
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := regexp.MustCompile(`id="deny" href="([^"]+)"`).FindSubmatch(body)
		resp, _ = noRedirect.Get(a.URL + html.UnescapeString(string(m[1])))
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if loc.Query().Get("error") != "access_denied" {
			t.Errorf("deny redirect %s", loc)
		}
	})
}

func TestRegisterRefusals(t *testing.T) {
	a := startAS(t)
	for name, meta := range map[string]map[string]any{
		"no redirect uris":    {"token_endpoint_auth_method": "none"},
		"http non-loopback":   {"redirect_uris": []string{"http://example.com/cb"}},
		"https non-loopback":  {"redirect_uris": []string{"https://attacker.example/cb"}},
		"fragment":            {"redirect_uris": []string{"https://localhost/cb#x"}},
		"public cc client":    {"grant_types": []string{"client_credentials"}, "token_endpoint_auth_method": "none"},
		"unknown auth method": {"redirect_uris": []string{"http://127.0.0.1/cb"}, "token_endpoint_auth_method": "private_key_jwt"},
		"implicit grant":      {"redirect_uris": []string{"http://127.0.0.1/cb"}, "grant_types": []string{"implicit"}},
		"javascript redirect": {"redirect_uris": []string{"javascript:alert(1)"}},
	} {
		t.Run(name, func(t *testing.T) {
			status, body := register(t, a.URL, meta)
			if status != 400 || !strings.HasPrefix(body["error"].(string), "invalid_") {
				t.Errorf("%d %v", status, body)
			}
		})
	}
	// Loopback redirect URIs on any loopback host; a name under .localhost is not one.
	if status, body := register(t, a.URL, map[string]any{"redirect_uris": []string{"http://LOCALHOST:8080/cb", "http://127.0.0.2/cb"}, "token_endpoint_auth_method": "none"}); status != 201 {
		t.Errorf("loopback redirects: %d %v", status, body)
	}
	if status, body := register(t, a.URL, map[string]any{"redirect_uris": []string{"http://evil.localhost/cb"}, "token_endpoint_auth_method": "none"}); status != 400 {
		t.Errorf("http redirect to evil.localhost: %d %v", status, body)
	}
	// Native apps register a private-use scheme.
	if status, body := register(t, a.URL, map[string]any{"redirect_uris": []string{"com.example.app:/oauth/cb"}, "token_endpoint_auth_method": "none"}); status != 201 {
		t.Errorf("app scheme redirect: %d %v", status, body)
	}
	// A confidential client may use client_credentials with its issued secret.
	status, reg := register(t, a.URL, map[string]any{"grant_types": []string{"client_credentials"}})
	if status != 201 || reg["client_secret"] == nil {
		t.Fatalf("%d %v", status, reg)
	}
	status, body := postForm(t, a.URL+TokenPath, url.Values{"grant_type": {"client_credentials"}}, reg["client_id"].(string), reg["client_secret"].(string))
	if status != 200 {
		t.Errorf("registered confidential client: %d %v", status, body)
	}
}

func TestClientIDMetadataDocument(t *testing.T) {
	a := startAS(t)
	docs := map[string]func(self string) (int, string, string){
		"/good.json": func(self string) (int, string, string) {
			return 200, "application/json", `{"client_id":"` + self + `","client_name":"CIMD Client","redirect_uris":["http://127.0.0.1:7777/cb"],"token_endpoint_auth_method":"none"}`
		},
		"/other-id.json": func(string) (int, string, string) {
			return 200, "application/json", `{"client_id":"https://elsewhere.example/c.json","redirect_uris":["http://127.0.0.1:7777/cb"]}`
		},
		"/secret.json": func(self string) (int, string, string) {
			return 200, "application/json", `{"client_id":"` + self + `","client_secret":"x","redirect_uris":["http://127.0.0.1:7777/cb"]}`
		},
		"/html.json": func(self string) (int, string, string) { return 200, "text/html", "<html>" },
		"/moved.json": func(self string) (int, string, string) {
			return 302, "text/plain", ""
		},
	}
	var base string
	doc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		status, ct, body := f(base + r.URL.Path)
		if status == 302 {
			http.Redirect(w, r, "/good.json", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	defer doc.Close()
	base = doc.URL
	params := func(clientID string) url.Values {
		return url.Values{
			"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {"http://127.0.0.1:7777/cb"},
			"code_challenge": {pkce(strings.Repeat("c", 43))}, "code_challenge_method": {"S256"},
		}
	}
	loc := authorize(t, a.URL, params(base+"/good.json"))
	if loc.Query().Get("code") == "" {
		t.Fatalf("CIMD client: redirect %s", loc)
	}
	status, tok := postForm(t, a.URL+TokenPath, url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"client_id": {base + "/good.json"}, "code_verifier": {strings.Repeat("c", 43)}}, "", "")
	if status != 200 {
		t.Fatalf("CIMD exchange: %d %v", status, tok)
	}
	for _, p := range []string{"/other-id.json", "/secret.json", "/html.json", "/moved.json", "/missing.json"} {
		resp, err := noRedirect.Get(a.URL + AuthorizePath + "?" + params(base+p).Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
			t.Errorf("%s: status %d location %q, want the error page", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

func TestListenRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "[::]:0", "example.com:0"} {
		if ln, err := Listen(addr); err == nil {
			ln.Close()
			t.Errorf("Listen(%q) succeeded", addr)
		} else if !strings.Contains(err.Error(), "loopback") {
			t.Errorf("Listen(%q): %v (want it to say loopback)", addr, err)
		}
	}
	// The name localhost, in any case, is bound as 127.0.0.1; no other name is resolved.
	for _, name := range []string{"localhost", "LOCALHOST", "localhost."} {
		ln, err := Listen(name + ":0")
		if err != nil {
			t.Fatalf("Listen(%s:0): %v", name, err)
		}
		ln.Close()
		if !strings.HasPrefix(ln.Addr().String(), "127.0.0.1:") {
			t.Errorf("%s bound %s", name, ln.Addr())
		}
	}
	if ln, err := Listen("evil.localhost:0"); err == nil {
		ln.Close()
		t.Error("Listen(evil.localhost:0) succeeded")
	}
}

func TestKeyPersistence(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".mcpgen", "dev")
	k1, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if k1.ID != k2.ID {
		t.Errorf("kid changed on reload: %s != %s", k1.ID, k2.ID)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v %v", fi, err)
	}
	ignore, err := os.ReadFile(filepath.Join(dir, ".gitignore"))
	if err != nil || !strings.Contains(string(ignore), "*") {
		t.Errorf(".gitignore %q %v", ignore, err)
	}
	// A token minted from the file verifies against the JWKS of the loaded key.
	tok, err := Mint(k2, "http://127.0.0.1:3003", testResource, TokenRequest{Subject: "dev", Scopes: []string{"usr:read"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := k1.JWKS()
	ks, err := auth.NewStaticJWKS(jwks)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{"http://127.0.0.1:3003"}, Audiences: []string{testResource}, RequireATJWT: true}, ks)
	if _, err := v.Validate(context.Background(), tok); err != nil {
		t.Errorf("minted token: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, KeyFile), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(dir); err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Errorf("corrupt key: %v", err)
	}
	var pe *os.PathError
	if _, err := LoadKey(t.TempDir()); !errors.As(err, &pe) {
		t.Errorf("missing key: %v", err)
	}
}

func TestCORSPreflight(t *testing.T) {
	a := startAS(t)
	req, _ := http.NewRequest(http.MethodOptions, a.URL+TokenPath, nil)
	req.Header.Set("Origin", "http://localhost:6274")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("preflight %d %v", resp.StatusCode, resp.Header)
	}
}

func TestPendingRequestsAreBounded(t *testing.T) {
	a := startAS(t)
	_, reg := register(t, a.URL, map[string]any{"redirect_uris": []string{"http://127.0.0.1:9999/cb"}, "token_endpoint_auth_method": "none"})
	a.mu.Lock()
	for i := range maxPending {
		a.pending[fmt.Sprint(i)] = &authRequest{expires: time.Now().Add(time.Hour)}
	}
	a.mu.Unlock()
	loc := authorize(t, a.URL, url.Values{
		"response_type": {"code"}, "client_id": {reg["client_id"].(string)}, "redirect_uri": {"http://127.0.0.1:9999/cb"},
		"code_challenge": {pkce(strings.Repeat("a", 43))}, "code_challenge_method": {"S256"},
	})
	if loc.Query().Get("error") != "temporarily_unavailable" {
		t.Errorf("redirect %s, want temporarily_unavailable", loc)
	}
}

// A web page the developer happens to visit can reach the dev server (it is on their
// machine) but must not get a token from it: consent is automatic, and a confidential
// client registered by the page needs no consent at all for client_credentials.
func TestBrowserPagesOffLoopbackGetNoToken(t *testing.T) {
	a := startAS(t)
	send := func(method, path, origin, host string, body string, user, pass string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, a.URL+path, strings.NewReader(body))
		if strings.HasPrefix(body, "{") {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if host != "" {
			req.Host = host
		}
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	cc := url.Values{"grant_type": {"client_credentials"}}.Encode()
	for _, origin := range []string{"https://attacker.example", "null", "http://localhost.attacker.example:6274"} {
		if resp := send("POST", RegisterPath, origin, "", `{"grant_types":["client_credentials"]}`, "", ""); resp.StatusCode != 403 {
			t.Errorf("register from %s: %d, want 403", origin, resp.StatusCode)
		}
		if resp := send("POST", TokenPath, origin, "", cc, "mcpgen-dev", "s3cret"); resp.StatusCode != 403 {
			t.Errorf("token from %s: %d, want 403", origin, resp.StatusCode)
		}
	}
	// DNS rebinding: a page whose host name now resolves to 127.0.0.1 is same-origin
	// with the server, so it could read the consent page; its Host header gives it away.
	for _, path := range []string{TokenPath, AuthorizePath + "?client_id=mcpgen-dev", ApprovePath + "?request=x", RegisterPath} {
		if resp := send("POST", path, "", "attacker.example:"+strings.Split(a.URL, ":")[2], cc, "mcpgen-dev", "s3cret"); resp.StatusCode != 403 {
			t.Errorf("%s with a foreign Host: %d, want 403", path, resp.StatusCode)
		}
	}
	// Loopback pages (the MCP Inspector) and clients without a browser keep working.
	for _, origin := range []string{"http://localhost:6274", "http://LOCALHOST:6274", "http://127.0.0.1:6274", "http://[::1]:6274", ""} {
		if resp := send("POST", TokenPath, origin, "", cc, "mcpgen-dev", "s3cret"); resp.StatusCode != 200 {
			t.Errorf("token from %q: %d, want 200", origin, resp.StatusCode)
		}
	}
	for _, host := range []string{"localhost", "LOCALHOST", "127.0.0.2"} {
		if resp := send("POST", TokenPath, "", host+":"+strings.Split(a.URL, ":")[2], cc, "mcpgen-dev", "s3cret"); resp.StatusCode != 200 {
			t.Errorf("token with Host %s: %d, want 200", host, resp.StatusCode)
		}
	}
}

// A page can send the developer's browser to /authorize with any client_id URL, making
// the dev server fetch it from the developer's machine: hosts on private networks and
// cloud metadata addresses are never fetched (loopback stays allowed for local clients).
func TestClientIDMetadataDocumentOffPrivateNetworks(t *testing.T) {
	a := startAS(t)
	for _, id := range []string{"https://10.0.0.1/c.json", "https://169.254.169.254/latest/c.json", "https://[fe80::1]/c.json", "https://192.168.1.1/c.json", "https://0.0.0.0/c.json"} {
		q := url.Values{"response_type": {"code"}, "client_id": {id}, "code_challenge": {pkce(strings.Repeat("c", 43))}, "code_challenge_method": {"S256"}}
		resp, err := noRedirect.Get(a.URL + AuthorizePath + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(body), "not fetched from private") {
			t.Errorf("%s: %d %s", id, resp.StatusCode, body)
		}
	}
}

// A code or refresh token presented twice means one copy leaked: the refresh tokens
// that grant issued stop working, so the thief's copy is not usable either (OAuth 2.1
// §4.1.3, RFC 9700 §4.14.2).
func TestReplayRevokesTheGrant(t *testing.T) {
	a := startAS(t)
	_, reg := register(t, a.URL, map[string]any{"redirect_uris": []string{"http://127.0.0.1:9999/cb"}, "token_endpoint_auth_method": "none"})
	clientID := reg["client_id"].(string)
	verifier := strings.Repeat("r", 43)
	start := func() map[string]any {
		t.Helper()
		loc := authorize(t, a.URL, url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {"http://127.0.0.1:9999/cb"},
			"code_challenge": {pkce(verifier)}, "code_challenge_method": {"S256"}})
		exchange := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "client_id": {clientID}, "code_verifier": {verifier}}
		status, tok := postForm(t, a.URL+TokenPath, exchange, "", "")
		if status != 200 {
			t.Fatalf("exchange: %d %v", status, tok)
		}
		if status, body := postForm(t, a.URL+TokenPath, exchange, "", ""); status != 400 || body["error"] != "invalid_grant" {
			t.Fatalf("code replay: %d %v", status, body)
		}
		return tok
	}
	refresh := func(rt string) (int, map[string]any) {
		return postForm(t, a.URL+TokenPath, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {clientID}}, "", "")
	}
	// The code was replayed: the refresh token it gave is revoked.
	tok := start()
	if status, body := refresh(tok["refresh_token"].(string)); status != 400 {
		t.Errorf("refresh token of a replayed code: %d %v", status, body)
	}
	// The refresh token was replayed after rotation: its successor is revoked.
	loc := authorize(t, a.URL, url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {"http://127.0.0.1:9999/cb"},
		"code_challenge": {pkce(verifier)}, "code_challenge_method": {"S256"}})
	status, tok := postForm(t, a.URL+TokenPath, url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "client_id": {clientID}, "code_verifier": {verifier}}, "", "")
	if status != 200 {
		t.Fatalf("exchange: %d %v", status, tok)
	}
	first := tok["refresh_token"].(string)
	status, next := refresh(first)
	if status != 200 {
		t.Fatalf("refresh: %d %v", status, next)
	}
	if status, body := refresh(first); status != 400 {
		t.Fatalf("refresh replay: %d %v", status, body)
	}
	if status, body := refresh(next["refresh_token"].(string)); status != 400 {
		t.Errorf("successor of a replayed refresh token: %d %v", status, body)
	}
}
