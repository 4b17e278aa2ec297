package doctor

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpgen/mcpgen/devserver"
	_ "github.com/mcpgen/mcpgen/internal/golden"
	"github.com/mcpgen/mcpgen/runtime/auth"
)

// fixture is an MCP server wired as a generated one is (runtime/auth middleware and
// metadata, an mcp-go server with greet_user), trusting a dev authorization server;
// both on real loopback listeners. break* knobs make one link of the chain wrong.
type fixture struct {
	MCPURL string
	AS     *devserver.Server
	ASURL  string
	key    devserver.Key
	// withToken counts the requests that reached the MCP endpoint with a token.
	withToken atomic.Int32
}

type breakage struct {
	resource    string            // PRM resource instead of the MCP URL
	noChallenge bool              // 401 without WWW-Authenticate
	asOverride  map[string]any    // members replaced in the AS metadata
	prmHeaders  map[string]string // replaces the PRM handler's CORS
	prmOverride map[string]any    // members replaced in the PRM, past the runtime's checks
	jwksBody    string            // served as the JWKS instead of the real one
	serverJWKS  string            // where the MCP server fetches its keys, instead of the AS
	policy      *auth.ScopePolicy // the server's scope policy, instead of greet_user needing usr:read
	// scopesSupported replaces the metadata's scopes_supported (default: the policy's
	// Advertised, as protect.New serves them).
	scopesSupported []string
	challengeScope  *string // the scope of the 401 challenge to requests without a token
	forbid          *string // every request with a token gets 403 with this WWW-Authenticate ("": none)
	anonymous       bool    // requests without a token reach the MCP server (lazy authentication)
}

func startFixture(t *testing.T, b breakage) *fixture {
	t.Helper()
	ln, err := devserver.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mcpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{ASURL: "http://" + ln.Addr().String(), MCPURL: "http://" + mcpLn.Addr().String() + "/mcp"}
	if f.key, err = devserver.NewKey(); err != nil {
		t.Fatal(err)
	}
	f.AS, err = devserver.New(devserver.Config{
		Issuer: f.ASURL, Resource: f.MCPURL, Scopes: []string{"usr:read"}, Key: f.key,
		Client: devserver.Client{ID: "dev", Secret: "secret"},
	})
	if err != nil {
		t.Fatal(err)
	}
	asHandler := f.AS.Handler()
	if b.asOverride != nil || b.jwksBody != "" {
		inner := asHandler
		asHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == devserver.JWKSPath && b.jwksBody != "" {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(b.jwksBody))
				return
			}
			if r.URL.Path != devserver.MetadataPath && r.URL.Path != devserver.OIDCMetadataPath {
				inner.ServeHTTP(w, r)
				return
			}
			m := f.AS.Metadata()
			maps.Copy(m, b.asOverride)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Access-Control-Allow-Origin", "*")
			_ = json.NewEncoder(w).Encode(m)
		})
	}
	serve(t, ln, asHandler)

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	jwksURL := f.ASURL + devserver.JWKSPath
	if b.serverJWKS != "" {
		jwksURL = b.serverJWKS
	}
	keys, err := auth.NewRemoteJWKS(ctx, jwksURL, auth.JWKSOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{f.ASURL}, Audiences: []string{f.MCPURL}}, keys)
	if err != nil {
		t.Fatal(err)
	}
	metaURL, _ := auth.MetadataURL(f.MCPURL)
	policy := auth.ScopePolicy{Tools: map[string][]string{"greet_user": {"usr:read"}}}
	if b.policy != nil {
		policy = *b.policy
	}
	protect, err := auth.Middleware(auth.MiddlewareConfig{
		Validator: v, ResourceMetadataURL: metaURL, Logger: slog.New(slog.DiscardHandler),
		Scopes: policy,
	})
	if err != nil {
		t.Fatal(err)
	}
	s := server.NewMCPServer("doctor-fixture", "1.0.0", server.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("greet_user", mcp.WithString("name", mcp.Required())),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("Hi " + req.GetString("name", "") + "!"), nil
		})
	var mcpHandler http.Handler = protect(server.NewStreamableHTTPServer(s))
	if b.anonymous {
		inner, open := mcpHandler, server.NewStreamableHTTPServer(s)
		mcpHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "" {
				open.ServeHTTP(w, r)
				return
			}
			inner.ServeHTTP(w, r)
		})
	}
	if b.noChallenge {
		mcpHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
		})
	}
	if b.challengeScope != nil || b.forbid != nil {
		inner := mcpHandler
		mcpHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.Header.Get("Authorization") == "" && b.challengeScope != nil:
				w.Header().Set("WWW-Authenticate", auth.Challenge(metaURL, strings.Fields(*b.challengeScope), "", ""))
				w.WriteHeader(http.StatusUnauthorized)
			case r.Header.Get("Authorization") != "" && b.forbid != nil:
				if *b.forbid != "" {
					w.Header().Set("WWW-Authenticate", *b.forbid)
				}
				w.WriteHeader(http.StatusForbidden)
			default:
				inner.ServeHTTP(w, r)
			}
		})
	}
	resource := f.MCPURL
	if b.resource != "" {
		resource = b.resource
	}
	supported := policy.Advertised()
	if b.scopesSupported != nil {
		supported = b.scopesSupported
	}
	prm, err := auth.MetadataHandler(auth.ProtectedResourceMetadata{
		Resource: resource, AuthorizationServers: []string{f.ASURL},
		ScopesSupported: supported, BearerMethodsSupported: []string{"header"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if b.prmHeaders != nil || b.prmOverride != nil {
		inner := prm
		prm = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			inner.ServeHTTP(rec, r)
			if b.prmOverride != nil {
				var doc map[string]any
				_ = json.Unmarshal(rec.Body.Bytes(), &doc)
				maps.Copy(doc, b.prmOverride)
				rec.Body.Reset()
				_ = json.NewEncoder(rec.Body).Encode(doc)
				rec.Header().Del("Content-Length")
			}
			maps.Copy(w.Header(), rec.Header())
			for k, v := range b.prmHeaders {
				if v == "" {
					w.Header().Del(k)
				} else {
					w.Header().Set(k, v)
				}
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
		})
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			f.withToken.Add(1)
		}
		mcpHandler.ServeHTTP(w, r)
	}))
	for _, p := range auth.MetadataPaths(f.MCPURL) {
		mux.Handle(p, prm)
	}
	serve(t, mcpLn, mux)
	return f
}

func serve(t *testing.T, ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
}

func (f *fixture) token(t *testing.T, issuer, aud string, ttl time.Duration, scopes ...string) string {
	t.Helper()
	now := time.Now()
	if ttl < 0 { // an expired token: issued long enough ago
		now, ttl = now.Add(2*ttl), -ttl
	}
	tok, err := devserver.Mint(f.key, issuer, aud, devserver.TokenRequest{Subject: "dev", ClientID: "dev", Scopes: scopes, TTL: ttl}, now)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func diagnose(t *testing.T, url string, opts Options) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := Run(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func dump(r *Report) string {
	var b bytes.Buffer
	_ = r.WriteText(&b)
	return b.String()
}

func TestHealthyServer(t *testing.T) {
	f := startFixture(t, breakage{})
	r := diagnose(t, f.MCPURL, Options{Token: f.token(t, f.ASURL, f.MCPURL, time.Minute, "usr:read")})
	if !r.OK {
		t.Fatalf("healthy server reported failures:\n%s", dump(r))
	}
	for _, c := range r.Checks {
		if c.Status != StatusPass {
			t.Errorf("check %s: %s (%s)", c.ID, c.Status, c.Detail)
		}
	}
	for _, id := range []string{"challenge", "prm", "prm-path", "prm-root", "prm-resource", "prm-cors", "prm-servers",
		"scopes-baseline", "scopes-reserved", "as-metadata", "as-cors", "as-issuer", "as-iss-parameter", "jwks", "pkce", "registration",
		"token-format", "token-signature", "token-iss", "token-aud", "token-exp", "token-scope", "tools", "scopes-step-up"} {
		if _, ok := r.Check(id); !ok {
			t.Errorf("check %s missing from the report", id)
		}
	}
	if len(r.Tools) != 1 || r.Tools[0] != "greet_user" {
		t.Errorf("tools = %v", r.Tools)
	}
	if out := dump(r); !strings.Contains(out, "✓ unauthenticated request gets 401") || !strings.Contains(out, "0 failed") {
		t.Errorf("text report:\n%s", out)
	}
}

// TestBrokenServers breaks one link of the chain at a time and expects the doctor to
// name it, with the fix, and nothing else to fail that does not follow from it.
func TestBrokenServers(t *testing.T) {
	unreachable := func() string {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr + "/jwks"
	}()
	tests := []struct {
		name    string
		b       breakage
		failID  string
		detail  string // in the failing check's detail
		fix     string // in its fix
		warnID  string // checks that must warn instead
		skipped []string
	}{
		{
			name: "wrong resource", b: breakage{resource: "https://other.example.com/mcp"},
			failID: "prm-resource", detail: `resource is "https://other.example.com/mcp"`, fix: "MCP_RESOURCE_URL=",
		},
		{
			name: "missing challenge", b: breakage{noChallenge: true},
			failID: "challenge", detail: "without a WWW-Authenticate header", fix: `WWW-Authenticate: Bearer resource_metadata=`,
		},
		{
			name: "unreachable JWKS", b: breakage{asOverride: map[string]any{"jwks_uri": unreachable}},
			failID: "jwks", detail: unreachable, fix: "make " + unreachable + " reachable",
		},
		{
			name: "issuer mismatch", b: breakage{asOverride: map[string]any{"issuer": "https://auth.example.com"}},
			failID: "as-issuer", detail: `issuer "https://auth.example.com"`, fix: "AUTH_ISSUER=https://auth.example.com",
		},
		{
			name: "no PKCE S256", b: breakage{asOverride: map[string]any{"code_challenge_methods_supported": []string{"plain"}}},
			failID: "pkce", fix: `"code_challenge_methods_supported": ["S256"]`,
		},
		{
			name: "metadata without CORS", b: breakage{prmHeaders: map[string]string{"Access-Control-Allow-Origin": ""}},
			failID: "prm-cors", detail: "no Access-Control-Allow-Origin", fix: "Access-Control-Allow-Origin: *",
		},
		{
			name: "private key in JWKS", b: breakage{jwksBody: `{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"AA","y":"AA","d":"AA"}]}`},
			failID: "jwks", detail: `key "k1" contains private key material`, fix: "rotate the exposed key",
		},
		{
			name: "no signing key in JWKS", b: breakage{jwksBody: `{"keys":[{"kty":"oct","kid":"h","k":"AA"}]}`},
			failID: "jwks", detail: `no usable signing key: key "h" has kty "oct"`, fix: "public RSA, EC or OKP key",
		},
		{
			name: "JWKS over plain http", b: breakage{asOverride: map[string]any{"jwks_uri": "http://keys.example.com/jwks"}},
			failID: "jwks", detail: "not an https URL", fix: "over https",
		},
		{
			name: "no registration", b: breakage{asOverride: map[string]any{"registration_endpoint": nil, "client_id_metadata_document_supported": false}},
			warnID: "registration",
		},
		{
			name: "no RFC 9207 iss parameter", b: breakage{asOverride: map[string]any{"authorization_response_iss_parameter_supported": nil}},
			warnID: "as-iss-parameter", detail: "has no authorization_response_iss_parameter_supported", fix: "mix-up attack",
		},
		{
			name: "RFC 9207 iss parameter off", b: breakage{asOverride: map[string]any{"authorization_response_iss_parameter_supported": false}},
			warnID: "as-iss-parameter", detail: "authorization_response_iss_parameter_supported is false", fix: "advertise authorization_response_iss_parameter_supported: true",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := startFixture(t, tc.b)
			r := diagnose(t, f.MCPURL, Options{})
			if tc.warnID != "" {
				c, _ := r.Check(tc.warnID)
				if c.Status != StatusWarn || c.Fix == "" || !r.OK {
					t.Fatalf("want warning %s with a fix and no failure:\n%s", tc.warnID, dump(r))
				}
				if !strings.Contains(c.Detail, tc.detail) || !strings.Contains(c.Fix, tc.fix) {
					t.Errorf("check %s: detail %q fix %q; want %q and %q", tc.warnID, c.Detail, c.Fix, tc.detail, tc.fix)
				}
				return
			}
			if r.OK {
				t.Fatalf("broken server reported OK:\n%s", dump(r))
			}
			failed := r.Failed()
			if len(failed) != 1 || failed[0].ID != tc.failID {
				t.Fatalf("failed checks %v, want exactly %s:\n%s", ids(failed), tc.failID, dump(r))
			}
			if !strings.Contains(failed[0].Detail, tc.detail) || !strings.Contains(failed[0].Fix, tc.fix) {
				t.Errorf("check %s: detail %q fix %q; want %q and %q", tc.failID, failed[0].Detail, failed[0].Fix, tc.detail, tc.fix)
			}
		})
	}
}

func ids(cs []Check) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func TestTokenMismatches(t *testing.T) {
	f := startFixture(t, breakage{})
	tests := []struct {
		name    string
		token   string
		failIDs []string
		fix     string
		anyway  bool // --send-token-anyway: an opaque token's audience cannot be checked
	}{
		{"other audience", f.token(t, f.ASURL, "https://other.example.com/mcp", time.Minute, "usr:read"), []string{"token-aud", "tools"}, "resource=" + f.MCPURL, false},
		{"other issuer", f.token(t, "https://auth.example.com", f.MCPURL, time.Minute, "usr:read"), []string{"token-iss", "tools"}, "get the token from " + f.ASURL, false},
		{"expired", f.token(t, f.ASURL, f.MCPURL, -time.Hour, "usr:read"), []string{"token-exp", "tools"}, "get a new token", false},
		{"not a JWT", "opaque-token-value", []string{"tools"}, "refused this opaque token", true},
		// Three dot-separated parts that are not JSON: jwt wraps two errors here, which
		// errors.Unwrap does not see through.
		{"three parts, not JSON", "opaque.token.value", []string{"tools"}, "refused this opaque token", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := diagnose(t, f.MCPURL, Options{Token: tc.token, SendTokenAnyway: tc.anyway})
			if got := ids(r.Failed()); strings.Join(got, ",") != strings.Join(tc.failIDs, ",") {
				t.Fatalf("failed %v, want %v:\n%s", got, tc.failIDs, dump(r))
			}
			if c, _ := r.Check("token-format"); strings.HasPrefix(tc.token, "opaque") && (c.Status != StatusWarn || !strings.Contains(c.Fix, "AUTH_TOKEN_FORMAT=opaque")) {
				t.Errorf("token-format for an opaque token = %+v", c)
			}
			first, _ := r.Check(tc.failIDs[0])
			if !strings.Contains(first.Fix, tc.fix) {
				t.Errorf("fix %q, want it to contain %q", first.Fix, tc.fix)
			}
			var out bytes.Buffer
			_ = r.WriteJSON(&out)
			_ = r.WriteText(&out)
			if strings.Contains(out.String(), tc.token) {
				t.Error("the report contains the token")
			}
		})
	}
	t.Run("server cannot load its keys", func(t *testing.T) {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		dead := "http://" + l.Addr().String() + "/jwks"
		l.Close()
		f := startFixture(t, breakage{serverJWKS: dead})
		r := diagnose(t, f.MCPURL, Options{Token: f.token(t, f.ASURL, f.MCPURL, time.Minute, "usr:read")})
		c, _ := r.Check("tools")
		if got := ids(r.Failed()); len(got) != 1 || got[0] != "tools" || !strings.Contains(c.Detail, "503") || !strings.Contains(c.Fix, "AUTH_JWKS_URL") {
			t.Errorf("failed %v, tools check %+v:\n%s", got, c, dump(r))
		}
	})
	t.Run("missing scope", func(t *testing.T) {
		r := diagnose(t, f.MCPURL, Options{Token: f.token(t, f.ASURL, f.MCPURL, time.Minute)})
		if c, _ := r.Check("token-scope"); c.Status != StatusWarn || !strings.Contains(c.Fix, `scope="usr:read"`) {
			t.Errorf("token-scope = %+v", c)
		}
		if !r.OK {
			t.Errorf("listing tools needs no scope; report:\n%s", dump(r))
		}
	})
}

// The doctor reads a token's scopes as the runtime does (auth.ScopesFromClaims): a
// claim the runtime ignores for its shape grants nothing here either, and is named.
func TestTokenScopeShapesTheRuntimeIgnores(t *testing.T) {
	f := startFixture(t, breakage{})
	sign := func(extra jwt.MapClaims) string {
		t.Helper()
		now := time.Now()
		claims := jwt.MapClaims{"iss": f.ASURL, "aud": f.MCPURL, "sub": "dev", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
		maps.Copy(claims, extra)
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
		tok.Header["kid"], tok.Header["typ"] = f.key.ID, "at+jwt"
		s, err := tok.SignedString(f.key.Signer)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, tc := range []struct {
		name   string
		claims jwt.MapClaims
		detail []string // in the token-scope check's detail
	}{
		// RFC 9068: scope is a space-separated string; as an array it grants nothing.
		{"scope as an array", jwt.MapClaims{"scope": []string{"usr:read"}},
			[]string{`token scopes ""`, "claim scope is an array, not a space-separated string", `lacks "usr:read"`}},
		{"scope as a number", jwt.MapClaims{"scope": 7},
			[]string{`token scopes ""`, "claim scope is the number 7"}},
		{"scopes entry not a string", jwt.MapClaims{"scope": "usr:read", "scopes": []any{"usr:read", 1}},
			[]string{`token scopes "usr:read"`, "claim scopes: entry 1 (the number 1) is not a scope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := diagnose(t, f.MCPURL, Options{Token: sign(tc.claims)})
			c, _ := r.Check("token-scope")
			if c.Status != StatusWarn || !strings.Contains(c.Fix, "space-separated string") {
				t.Errorf("token-scope = %+v", c)
			}
			for _, want := range tc.detail {
				if !strings.Contains(c.Detail, want) {
					t.Errorf("detail %q lacks %q", c.Detail, want)
				}
			}
		})
	}
}

func TestUnreachableAndBadURL(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	r := diagnose(t, "http://"+addr+"/mcp", Options{})
	if c, _ := r.Check("challenge"); r.OK || c.Status != StatusFail || !strings.Contains(c.Detail, "cannot reach") {
		t.Errorf("unreachable:\n%s", dump(r))
	}
	for _, bad := range []string{"", "localhost:3002/mcp", "ftp://host/mcp", "/mcp"} {
		if _, err := Run(context.Background(), bad, Options{}); err == nil {
			t.Errorf("Run(%q) accepted", bad)
		}
	}
}

func TestParseChallenges(t *testing.T) {
	tests := []struct {
		in     string
		scheme string
		params map[string]string
		ok     bool
	}{
		{`Bearer resource_metadata="https://h/.well-known/oauth-protected-resource/mcp", scope="a b"`, "Bearer",
			map[string]string{"resource_metadata": "https://h/.well-known/oauth-protected-resource/mcp", "scope": "a b"}, true},
		{`Basic realm="x", Bearer error="invalid_token", error_description="say \"hi\""`, "Bearer",
			map[string]string{"error": "invalid_token", "error_description": `say "hi"`}, true},
		{`bearer Realm=OAuth`, "bearer", map[string]string{"realm": "OAuth"}, true},
		{`Bearer resource_metadata="https://h/x`, "Bearer", map[string]string{"resource_metadata": "https://h/x"}, false},
	}
	for _, tc := range tests {
		cs, ok := parseChallenges(tc.in)
		b, found := bearer(cs)
		if ok != tc.ok || !found || b.Scheme != tc.scheme || fmt.Sprint(b.Params) != fmt.Sprint(tc.params) {
			t.Errorf("parseChallenges(%q) = %+v ok=%v", tc.in, cs, ok)
		}
	}
}

// A token sent over plain http off loopback can be read by anyone on the path: doctor
// says so instead of sending it. The "remote" host is dialed on loopback here.
func TestTokenNotSentInClearText(t *testing.T) {
	var withToken int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			withToken++
		}
		w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="http://mcp.example.test/.well-known/oauth-protected-resource/mcp"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	dialer := &net.Dialer{}
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, srv.Listener.Addr().String())
		},
	}}
	r := diagnose(t, "http://mcp.example.test/mcp", Options{Token: "eyJhbGciOiJFUzI1NiJ9.e30.c2ln", HTTPClient: hc, SendTokenAnyway: true})
	if withToken != 0 {
		t.Errorf("the token was sent over plain http %d time(s)", withToken)
	}
	if c, _ := r.Check("tools"); c.Status != StatusFail || !strings.Contains(c.Fix, "https") {
		t.Errorf("tools check = %+v:\n%s", c, dump(r))
	}
}

// Loopback is loopback whatever the spelling (runtime/loopback): doctor sends the token
// to http://LOCALHOST and to any 127/8 address, as it does to http://localhost. The host
// is dialed on 127.0.0.1 here, so only the decision is tested.
func TestTokenSentToLoopbackInAnyCase(t *testing.T) {
	for _, host := range []string{"LOCALHOST", "localhost.", "127.0.0.2"} {
		var withToken int
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "" {
				withToken++
			}
			w.WriteHeader(http.StatusUnauthorized)
		}))
		dialer := &net.Dialer{}
		hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return dialer.DialContext(ctx, network, srv.Listener.Addr().String())
			},
		}}
		r := diagnose(t, "http://"+host+"/mcp", Options{Token: "eyJhbGciOiJFUzI1NiJ9.e30.c2ln", HTTPClient: hc, SendTokenAnyway: true})
		srv.Close()
		if withToken == 0 {
			c, _ := r.Check("tools")
			t.Errorf("http://%s: the token was not sent; tools check = %+v", host, c)
		}
	}
}

// Go's client keeps the Authorization header on a redirect to the same host, even from
// https to http: a server (or whoever answers for it) must not be able to move the
// token onto plain http that way.
func TestTokenNotRedirectedToClearText(t *testing.T) {
	var withToken int
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			withToken++
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer plain.Close()
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://example.com/mcp", http.StatusTemporaryRedirect)
	}))
	defer secure.Close()
	tr := secure.Client().Transport.(*http.Transport).Clone()
	dialer := &net.Dialer{}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if strings.HasSuffix(addr, ":443") {
			return dialer.DialContext(ctx, network, secure.Listener.Addr().String())
		}
		return dialer.DialContext(ctx, network, plain.Listener.Addr().String())
	}
	r := diagnose(t, "https://example.com/mcp", Options{Token: "eyJhbGciOiJFUzI1NiJ9.e30.c2ln", HTTPClient: &http.Client{Timeout: 5 * time.Second, Transport: tr}, SendTokenAnyway: true})
	if withToken != 0 {
		t.Errorf("the token followed a redirect to plain http %d time(s)", withToken)
	}
	if c, _ := r.Check("tools"); c.Status != StatusFail {
		t.Errorf("tools check = %+v:\n%s", c, dump(r))
	}
}

// A token goes only to the server it is for: the server's metadata must name the
// checked URL as its resource, and the token's aud must name that resource, compared
// as the runtime compares them. Otherwise any server a user checks could collect their
// tokens. The report says which check stopped it and that --send-token-anyway sends it.
func TestTokenSentOnlyToItsResource(t *testing.T) {
	healthy := startFixture(t, breakage{})
	otherResource := startFixture(t, breakage{resource: "https://other.example.com/mcp"})
	unsigned := func(claims string) string { // decodable, never verified: the doctor must not send it
		return "eyJhbGciOiJFUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + ".c2ln"
	}
	upper := strings.Replace(healthy.MCPURL, "http://", "HTTP://", 1) + "/"
	for _, tc := range []struct {
		name   string
		f      *fixture
		token  string
		anyway bool
		sent   bool
		why    string // in the tools check's detail when not sent
	}{
		{"metadata names another resource", otherResource, otherResource.token(t, otherResource.ASURL, otherResource.MCPURL, time.Minute, "usr:read"), false, false,
			`names the resource "https://other.example.com/mcp", not "` + otherResource.MCPURL + `" (check prm-resource)`},
		{"token for another server", healthy, healthy.token(t, healthy.ASURL, "https://other.example.com/mcp", time.Minute, "usr:read"), false, false,
			`aud "https://other.example.com/mcp" does not name "` + healthy.MCPURL + `" (check token-aud)`},
		{"token without aud, as Cognito issues", healthy, unsigned(`{"iss":"x","client_id":"abc","exp":4102444800}`), false, false,
			"has no aud"},
		{"opaque token", healthy, "opaque-token-value", false, false, "not a JWT"},
		{"aud differing only as the runtime allows", healthy, healthy.token(t, healthy.ASURL, upper, time.Minute, "usr:read"), false, true, ""},
		{"the token's own server", healthy, healthy.token(t, healthy.ASURL, healthy.MCPURL, time.Minute, "usr:read"), false, true, ""},
		{"--send-token-anyway", otherResource, otherResource.token(t, otherResource.ASURL, otherResource.MCPURL, time.Minute, "usr:read"), true, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.f.withToken.Load()
			r := diagnose(t, tc.f.MCPURL, Options{Token: tc.token, SendTokenAnyway: tc.anyway})
			got := tc.f.withToken.Load() - before
			if (got > 0) != tc.sent || r.TokenSent != tc.sent {
				t.Fatalf("token reached the server %d time(s), report token_sent %v; want sent=%v:\n%s", got, r.TokenSent, tc.sent, dump(r))
			}
			c, _ := r.Check("tools")
			if tc.sent {
				if c.Status == StatusFail && strings.Contains(c.Detail, "not sent") {
					t.Errorf("tools check = %+v", c)
				}
				return
			}
			if c.Status != StatusFail || !strings.Contains(c.Detail, "the token was not sent: ") || !strings.Contains(c.Detail, tc.why) || !strings.Contains(c.Fix, "--send-token-anyway") {
				t.Errorf("tools check = %+v, want a failure saying %q and naming --send-token-anyway", c, tc.why)
			}
			var js bytes.Buffer
			_ = r.WriteJSON(&js)
			if !strings.Contains(js.String(), `"token_sent": false`) {
				t.Errorf("JSON report lacks token_sent false:\n%s", js.String())
			}
		})
	}
}

// hostile is what a malicious server puts in what the doctor prints: terminal escape
// sequences (clear the screen, set the title, a hyperlink), a C1 CSI, DEL and a bidi
// override that would show the rest of a line reversed.
const hostile = "\x1b[2J\x1b]0;owned\x07\x1b]8;;https://evil.example\x1b\\click\u009b31m\x7f\u202egnp.exe\u2066"

// terminalControl finds, independently of the code under test, a rune that drives a
// terminal or reorders a line: C0 but newline, DEL, C1, bidi controls.
func terminalControl(s string) int {
	return strings.IndexFunc(s, func(c rune) bool {
		return c != '\n' && (c < 0x20 || c >= 0x7f && c <= 0x9f || c >= 0x202a && c <= 0x202e || c >= 0x2066 && c <= 0x2069)
	})
}

// hostileInHeaders is what of it Go's client reads in a header: no ASCII controls.
const hostileInHeaders = "\u009b31m\u202egnp.exe\u2066"

// TestReportEscapesWhatTheServerSays: a server answering with escape sequences in its
// error body, its metadata (authorization server, resource name) and its tool names
// cannot write them to the terminal through the text report, and the JSON report stays
// valid JSON that carries them, escaped, unchanged.
func TestReportEscapesWhatTheServerSays(t *testing.T) {
	for _, tc := range []struct {
		name      string
		withToken func(w http.ResponseWriter) // answers every request sent with the token
	}{
		{"error body", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, hostile)
		}},
		{"tool names", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var base string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.URL.Path == "/mcp" && r.Header.Get("Authorization") == "":
					w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+base+`/.well-known/oauth-protected-resource/mcp", error_description="`+hostileInHeaders+`", scope="`+hostileInHeaders+`"`)
					w.WriteHeader(http.StatusUnauthorized)
				case r.URL.Path == "/mcp":
					var msg struct {
						ID     any    `json:"id"`
						Method string `json:"method"`
					}
					_ = json.NewDecoder(r.Body).Decode(&msg)
					if tc.withToken != nil {
						tc.withToken(w)
						return
					}
					if msg.ID == nil {
						w.WriteHeader(http.StatusAccepted)
						return
					}
					result := map[string]any{"protocolVersion": "2025-11-25", "capabilities": map[string]any{"tools": map[string]any{}}, "serverInfo": map[string]any{"name": hostile, "version": "1"}}
					if msg.Method == "tools/list" {
						result = map[string]any{"tools": []any{map[string]any{"name": hostile, "inputSchema": map[string]any{"type": "object"}}}}
					}
					w.Header().Set("Content-Type", "application/json")
					_ = json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": msg.ID, "result": result})
				case strings.HasPrefix(r.URL.Path, auth.WellKnownPath):
					w.Header().Set("Content-Type", "application/json")
					_ = json.NewEncoder(w).Encode(map[string]any{"resource": base + "/mcp", "resource_name": hostile,
						"authorization_servers": []string{base + "/as/" + hostileInHeaders}})
				default:
					w.WriteHeader(http.StatusNotFound)
					_, _ = io.WriteString(w, hostile)
				}
			}))
			defer srv.Close()
			base = srv.URL
			claims, _ := json.Marshal(map[string]any{"aud": base + "/mcp", "iss": hostile, "exp": 4102444800, "scope": hostile})
			r := diagnose(t, base+"/mcp", Options{Token: "eyJhbGciOiJFUzI1NiIsImtpZCI6IlxcdTAwMWIifQ." + base64.RawURLEncoding.EncodeToString(claims) + ".c2ln"})
			if !r.TokenSent {
				t.Fatalf("the token was not sent, so the server's answer to it is untested:\n%s", dump(r))
			}

			text := dump(r)
			if i := terminalControl(text); i >= 0 {
				t.Errorf("text report contains control character %U at byte %d:\n%q", []rune(text[i:])[0], i, text)
			}
			if !strings.Contains(text, `\x1b[2J\x1b]0;owned\x07`) || !strings.Contains(text, `\u009b31m\x7f\u202egnp.exe\u2066`) {
				t.Errorf("text report does not show the server's words escaped:\n%s", text)
			}

			var js bytes.Buffer
			if err := r.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			if i := terminalControl(js.String()); i >= 0 {
				t.Errorf("JSON report contains control character %U at byte %d", []rune(js.String()[i:])[0], i)
			}
			var back Report
			if err := json.Unmarshal(js.Bytes(), &back); err != nil {
				t.Fatalf("JSON report is not valid JSON: %v\n%s", err, js.String())
			}
			if fmt.Sprint(back) != fmt.Sprint(*r) {
				t.Errorf("JSON report decodes to\n%+v\nwant\n%+v", back, *r)
			}
			if !strings.Contains(js.String(), `\u001b[2J`) {
				t.Errorf("JSON report lacks the escaped server text:\n%s", js.String())
			}
		})
	}
}

// A server answering discovery without a token but publishing its protected resource
// metadata uses lazy authentication (public tools): a warning, not a failure; one that
// answers without a token and publishes nothing is not protected at all.
func TestLazyAuthentication(t *testing.T) {
	f := startFixture(t, breakage{anonymous: true})
	r := diagnose(t, f.MCPURL, Options{})
	c, _ := r.Check("challenge")
	if c.Status != StatusWarn || !strings.Contains(c.Detail, "lazy authentication") {
		t.Errorf("challenge = %+v, want a warning naming lazy authentication", c)
	}
	if prm, _ := r.Check("prm-path"); prm.Status != StatusPass {
		t.Errorf("prm-path = %+v, want the metadata found at the well-known URL", prm)
	}

	open := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/mcp" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":{}}`))
	}))
	t.Cleanup(open.Close)
	r = diagnose(t, open.URL+"/mcp", Options{})
	if c, _ := r.Check("challenge"); c.Status != StatusFail || !strings.Contains(c.Detail, "not protected") {
		t.Errorf("unprotected server: challenge = %+v, want a failure", c)
	}
}
