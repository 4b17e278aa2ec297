package authtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/yosida95/uritemplate/v3"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/provider"
)

// Server is how Conformance builds the server under test.
type Server struct {
	// New builds the server's whole HTTP handler (every route of its public port) from
	// env, as the server reads its environment, verifying JWT access tokens with keys
	// and logging to logger. Generated projects call their own newServer here, so the
	// suite checks the wiring the project really runs.
	New func(t testing.TB, env map[string]string, keys auth.KeySet, logger *slog.Logger) http.Handler
	// Tools maps each tool to the scopes a caller needs (a generated registry's
	// tools.Scopes). Used when Policy is the zero policy.
	Tools map[string][]string
	// Policy is the server's whole authorization policy (a generated registry's
	// tools.Policy): with it the suite also checks the baseline challenge, step-up
	// to each tool's narrowest scopes, the scope hierarchy, claim rules, public tools
	// (lazy authentication) and filtered tool lists, as the policy calls for.
	Policy auth.ScopePolicy
	// Provider shapes minted tokens as the server's identity provider does (which
	// claim carries scopes, claims the provider always sets). The zero value mints
	// RFC 9068 tokens with scopes in "scope".
	Provider provider.Preset
}

// policy is the policy the server enforces.
func (s Server) policy() auth.ScopePolicy {
	p := s.Policy
	if len(p.Required)+len(p.Tools)+len(p.Implies)+len(p.Baseline)+len(p.Rules)+len(p.Public) == 0 && !p.FilterLists {
		return auth.ScopePolicy{Tools: s.Tools}
	}
	return p
}

// Conformance checks the security behaviour of a whole protected MCP server over real
// HTTP on loopback, against this package's in-process issuer: the 401, 400 and 403
// challenges, the protected resource metadata, the Origin policy and CORS preflight,
// the body limit, scopes per tool, rate limits and their headers, health probes,
// sessions bound to their caller and shared across replicas, the authorization policy
// (baseline challenge, step-up, scope hierarchy, claim rules, public tools, filtered
// tool lists), and that no token ever reaches the logs. The checks belong
// to the runtime: a runtime upgrade brings new ones to every project calling this,
// with no change to its files.
func Conformance(t *testing.T, s Server) {
	c := &suite{srv: s, policy: s.policy(), iss: NewIssuer(t), logs: &syncBuffer{}}
	t.Run("metadata", c.metadata)
	t.Run("health", c.health)
	t.Run("no token gets 401 with a challenge", c.noToken)
	t.Run("malformed Authorization gets 400", c.malformed)
	t.Run("invalid tokens get 401 invalid_token", c.invalidTokens)
	t.Run("token in the query string is not read", c.queryToken)
	t.Run("scopes per tool", c.toolScopes)
	if len(c.policy.Resources)+len(c.policy.ResourceTemplates)+len(c.policy.Prompts) > 0 {
		t.Run("scopes per resource and prompt", c.resourceScopes)
	}
	if len(c.policy.Baseline) > 0 {
		t.Run("baseline token steps up to each tool's scopes", c.stepUp)
	}
	if len(c.policy.Implies) > 0 {
		t.Run("a broader scope calls a tool", c.hierarchy)
	}
	if len(c.policy.Rules) > 0 {
		t.Run("claim rules refuse without a challenge", c.claimRules)
	}
	if len(c.policy.Public) > 0 {
		t.Run("public tools without a token", c.publicTools)
	}
	if c.policy.FilterLists {
		t.Run("tools/list shows what the caller may call", c.filteredLists)
	}
	t.Run("origin and preflight", c.origins)
	t.Run("body limit", c.bodyLimit)
	t.Run("rate limit per caller", c.rateLimit)
	t.Run("failed authentication limit", c.failedAuthLimit)
	t.Run("session of another caller gets 404", c.sessionOwner)
	t.Run("session on another replica", c.replicas)
	t.Run("no token in the logs", c.noTokenInLogs)
}

// suite is one run of the conformance checks: one issuer, and every log line of every
// server started, so the last check can read them all.
type suite struct {
	srv    Server
	policy auth.ScopePolicy
	iss    *Issuer
	logs   *syncBuffer

	mu     sync.Mutex
	minted []string
}

// target is one started server under test.
type target struct {
	c      *suite
	t      *testing.T
	base   string // http://127.0.0.1:port
	mcpURL string // the protected endpoint: the resource and the tokens' audience
}

// start runs a server configured for the suite's issuer, with env added.
func (c *suite) start(t *testing.T, env map[string]string) *target {
	t.Helper()
	hs := httptest.NewUnstartedServer(nil)
	tg := &target{c: c, t: t, base: "http://" + hs.Listener.Addr().String()}
	tg.mcpURL = tg.base + "/mcp"
	vars := map[string]string{
		"MCP_RESOURCE_URL": tg.mcpURL,
		"AUTH_ISSUER":      c.iss.URL,
		"AUTH_JWKS_URL":    c.iss.JWKSURL,
		"AUTH_AUDIENCE":    tg.mcpURL,
	}
	maps.Copy(vars, env)
	logger := slog.New(slog.NewJSONHandler(c.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	hs.Config.Handler = c.srv.New(t, vars, c.iss.KeySet(), logger)
	hs.Start()
	t.Cleanup(hs.Close)
	return tg
}

// token mints a token for tg carrying scopes, shaped as the provider's; more claims
// override the defaults.
func (tg *target) token(scopes []string, more Claims) string {
	claims := ResourceClaims(tg.c.srv.Provider, tg.mcpURL, scopes...)
	maps.Copy(claims, more)
	return tg.c.mint(func(i *Issuer) string { return i.Mint(claims) })
}

// outward returns the names clients know the server's scopes by (see OutwardScopes).
func (tg *target) outward(scopes []string) []string {
	return OutwardScopes(tg.c.srv.Provider, tg.mcpURL, scopes)
}

// OutwardScopes returns the names clients and tokens know a server's scopes by: for a
// provider whose tokens name the server only through the prefix of its scopes (Cognito),
// the resource URL and a slash before each, as the server's default AUTH_SCOPE_PREFIX;
// else the names as given.
func OutwardScopes(p provider.Preset, resource string, scopes []string) []string {
	if !p.ResourceScopePrefix {
		return scopes
	}
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = strings.TrimSuffix(resource, "/") + "/" + s
	}
	return out
}

// ResourceClaims returns the claims of a valid token of p's shape for the server at
// resource (aud) granting scopes, named as that server's tokens name them
// (OutwardScopes); the issuer mints iss, exp and the rest.
func ResourceClaims(p provider.Preset, resource string, scopes ...string) Claims {
	claims := ProviderClaims(p, OutwardScopes(p, resource, scopes)...)
	claims["aud"] = resource
	return claims
}

func (c *suite) mint(f func(*Issuer) string) string {
	token := f(c.iss)
	c.mu.Lock()
	c.minted = append(c.minted, token)
	c.mu.Unlock()
	return token
}

// ProviderClaims returns claims carrying scopes the way p's tokens do: in the first
// of its scope claims (scope by default), as an array where the provider uses one,
// plus the claims p requires of every access token.
func ProviderClaims(p provider.Preset, scopes ...string) Claims {
	claims := Claims{}
	maps.Copy(claims, anyMap(p.RequiredClaims))
	name := "scope"
	if len(p.ScopeClaims) > 0 {
		name = p.ScopeClaims[0]
	}
	switch name {
	case "scopes", "permissions", "roles":
		claims[name] = slices.Clone(scopes)
	default:
		claims[name] = strings.Join(scopes, " ")
	}
	return claims
}

func anyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// allScopes is every scope of the policy, sorted: what calls every tool.
func (c *suite) allScopes() []string {
	return c.policy.All()
}

// needs returns what a call of tool needs: Required and the tool's scopes, sorted.
func (c *suite) needs(tool string) []string {
	return sortedSet(slices.Concat(c.policy.Required, c.policy.Tools[tool]))
}

// lazy reports whether requests without a token may discover the server.
func (c *suite) lazy() bool { return len(c.policy.Public) > 0 }

// protectedTools are the tools of the policy that are not public, sorted.
func (c *suite) protectedTools() []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(c.policy.Tools)) {
		if !slices.Contains(c.policy.Public, name) {
			out = append(out, name)
		}
	}
	return out
}

// probe is a request that needs a token: initialize, or, when discovery is public, a
// call of a protected tool.
func (c *suite) probe() string {
	if !c.lazy() {
		return initialize
	}
	name := "conformance-protected-probe"
	if tools := c.protectedTools(); len(tools) > 0 {
		name = tools[0]
	}
	return callBody(name)
}

// ruleClaims returns claims meeting tool's claim rules, as p's tokens carry them.
func (c *suite) ruleClaims(tool string) Claims {
	claims := Claims{}
	for _, r := range c.policy.Rules[tool] {
		name := r.Claim
		if name == "organization" {
			name = "org_id"
			if orgs := c.srv.Provider.OrganizationClaims; len(orgs) > 0 {
				name = orgs[0]
			}
			claims[name] = r.Values[0]
			continue
		}
		if slices.Contains(c.srv.Provider.ScopeClaims, name) || (len(c.srv.Provider.ScopeClaims) == 0 && name == "scope") {
			continue // a claim that also carries scopes: minted with them below
		}
		claims[name] = []string{r.Values[0]}
	}
	return claims
}

// callerToken mints a token for tool holding scopes and meeting its claim rules.
func (tg *target) callerToken(tool string, scopes []string) string {
	return tg.token(scopes, tg.c.ruleClaims(tool))
}

func sortedSet(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// post sends a JSON-RPC body to the endpoint with optional token and headers.
func (tg *target) post(token, body string, header ...string) *http.Response {
	tg.t.Helper()
	req, err := http.NewRequest(http.MethodPost, tg.mcpURL, strings.NewReader(body))
	if err != nil {
		tg.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return tg.do(req)
}

// do sends req and reads the whole answer, failing on any 5xx: no request may yield one.
func (tg *target) do(req *http.Request) *http.Response {
	tg.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tg.t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		tg.t.Fatalf("%s %s: read the answer: %v", req.Method, req.URL.Path, err)
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	if res.StatusCode >= 500 {
		tg.t.Errorf("%s %s: status %d %s: no request may get a server error", req.Method, req.URL.Path, res.StatusCode, body)
	}
	return res
}

func (tg *target) get(path string) *http.Response {
	tg.t.Helper()
	req, err := http.NewRequest(http.MethodGet, tg.base+path, nil)
	if err != nil {
		tg.t.Fatal(err)
	}
	return tg.do(req)
}

const initialize = `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"conformance","version":"1"}}}`

// session initializes a 2025-11-25 session with token and returns its id, "" when the
// server keeps no sessions (a stateless server issues none).
func (tg *target) session(token string) string {
	tg.t.Helper()
	res := tg.post(token, initialize)
	if res.StatusCode != http.StatusOK && token == "" {
		tg.t.Fatalf("initialize without a token, with public tools: status %d, want 200", res.StatusCode)
	}
	if res.StatusCode != http.StatusOK {
		tg.t.Fatalf("initialize with a valid token: status %d, want 200", res.StatusCode)
	}
	return res.Header.Get("Mcp-Session-Id")
}

func callBody(name string) string {
	return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":` + strconv.Quote(name) + `,"arguments":{}}}`
}

// call posts a tools/call of name in session.
func (tg *target) call(token, session, name string) *http.Response {
	tg.t.Helper()
	body := callBody(name)
	if session == "" {
		return tg.post(token, body, "Mcp-Protocol-Version", "2025-11-25")
	}
	return tg.post(token, body, "Mcp-Session-Id", session, "Mcp-Protocol-Version", "2025-11-25")
}

// challenge returns the WWW-Authenticate parameters of a Bearer challenge.
func challenge(t *testing.T, res *http.Response) map[string]string {
	t.Helper()
	h := res.Header.Get("WWW-Authenticate")
	rest, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		t.Fatalf("WWW-Authenticate = %q, want a Bearer challenge", h)
	}
	params := map[string]string{}
	for rest != "" {
		name, after, ok := strings.Cut(strings.TrimLeft(rest, ", "), `="`)
		if !ok {
			break
		}
		value, tail, _ := strings.Cut(after, `"`)
		params[name] = value
		rest = tail
	}
	return params
}

func (tg *target) metadataURL() string {
	return tg.base + auth.WellKnownPath + "/mcp"
}

func (c *suite) metadata(t *testing.T) {
	tg := c.start(t, nil)
	// Clients try the path-inserted location first, then the root one: both are served.
	for _, path := range []string{auth.WellKnownPath + "/mcp", auth.WellKnownPath} {
		res := tg.get(path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d, want 200 without a token", path, res.StatusCode)
		}
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("GET %s: Access-Control-Allow-Origin = %q, want * (browser clients read it)", path, got)
		}
		var doc auth.ProtectedResourceMetadata
		if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		if doc.Resource != tg.mcpURL {
			t.Errorf("%s: resource = %q, want %q", path, doc.Resource, tg.mcpURL)
		}
		if !slices.Contains(doc.AuthorizationServers, c.iss.URL) {
			t.Errorf("%s: authorization_servers = %v, want it to name %s", path, doc.AuthorizationServers, c.iss.URL)
		}
		if !slices.Equal(doc.BearerMethodsSupported, []string{"header"}) {
			t.Errorf("%s: bearer_methods_supported = %v, want [header]", path, doc.BearerMethodsSupported)
		}
		for _, scope := range tg.outward(c.policy.Advertised()) {
			if !slices.Contains(doc.ScopesSupported, scope) {
				t.Errorf("%s: scopes_supported = %v, want it to list %s", path, doc.ScopesSupported, scope)
			}
		}
	}
}

func (c *suite) health(t *testing.T) {
	tg := c.start(t, nil)
	if res := tg.get("/health"); res.StatusCode != http.StatusOK || readAll(res) != `{"status":"healthy"}` {
		t.Errorf("GET /health: status %d, want 200 {\"status\":\"healthy\"}", res.StatusCode)
	}
	if res := tg.get("/ready"); res.StatusCode != http.StatusOK {
		t.Errorf("GET /ready: status %d, want 200 once the keys are loaded", res.StatusCode)
	}
}

// noToken: without a token the server answers 401 with a challenge asking for the
// baseline (Advertised: every scope when the policy has no baseline), not for every
// scope a tool may need later. With public tools, discovery needs no token; the
// challenge is then checked on the calls of protected tools (publicTools).
func (c *suite) noToken(t *testing.T) {
	tg := c.start(t, nil)
	res := tg.post("", initialize)
	if c.lazy() {
		if res.StatusCode != http.StatusOK {
			t.Errorf("initialize without a token, with public tools: status %d, want 200 (lazy authentication)", res.StatusCode)
		}
		return
	}
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", res.StatusCode)
	}
	p := challenge(t, res)
	if p["resource_metadata"] != tg.metadataURL() {
		t.Errorf("resource_metadata = %q, want %q", p["resource_metadata"], tg.metadataURL())
	}
	want := sortedSet(tg.outward(c.policy.Advertised()))
	if got := sortedSet(strings.Fields(p["scope"])); !slices.Equal(got, want) {
		t.Errorf("scope = %q, want exactly the baseline %q: step-up scopes are asked for when a tool needs them", p["scope"], strings.Join(want, " "))
	}
	if _, ok := p["error"]; ok {
		t.Errorf("challenge %v: a request without a token gets no error code (RFC 6750 §3.1)", p)
	}
}

func (c *suite) malformed(t *testing.T) {
	tg := c.start(t, nil)
	good := tg.token(c.allScopes(), nil)
	for _, h := range []string{"Bearer", "Bearer " + good + " extra", "Bearer a,b"} {
		req, err := http.NewRequest(http.MethodPost, tg.mcpURL, strings.NewReader(initialize))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", h)
		res := tg.do(req)
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("Authorization %.20q...: status %d, want 400", h, res.StatusCode)
			continue
		}
		if p := challenge(t, res); p["error"] != auth.CodeInvalidRequest {
			t.Errorf("Authorization %.20q...: challenge %v, want error=invalid_request", h, p)
		}
	}
}

func (c *suite) invalidTokens(t *testing.T) {
	tg := c.start(t, nil)
	scopes := c.allScopes()
	stranger := NewIssuer(t)
	cases := map[string]string{
		"another audience": tg.token(scopes, Claims{"aud": "https://other.example.com/mcp"}),
		"another issuer":   tg.token(scopes, Claims{"iss": "https://other.example.com"}),
		"expired":          tg.token(scopes, Claims{"exp": time.Now().Add(-time.Hour), "iat": time.Now().Add(-2 * time.Hour)}),
		"not yet valid":    tg.token(scopes, Claims{"nbf": time.Now().Add(time.Hour)}),
		"no expiry":        tg.token(scopes, Claims{"exp": Omit}),
		"tampered":         tg.token(scopes, nil) + "x",
		"not a JWT":        "not-a-token",
		"unsigned (none)":  unsigned(tg.token(scopes, nil)),
		"another key":      c.mint(func(*Issuer) string { return stranger.Mint(tg.withIssuer(scopes)) }),
		"symmetric HS256":  c.mint(func(*Issuer) string { return hs256(tg.withIssuer(scopes)) }),
		"logout token typ": c.mint(func(i *Issuer) string {
			return i.MintWithHeader(map[string]any{"typ": "logout+jwt"}, tg.withIssuer(scopes))
		}),
	}
	for name, token := range cases {
		res := tg.post(token, initialize)
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, res.StatusCode)
			continue
		}
		p := challenge(t, res)
		if p["error"] != auth.CodeInvalidToken || p["resource_metadata"] != tg.metadataURL() {
			t.Errorf("%s: challenge %v, want error=invalid_token and resource_metadata", name, p)
		}
		if body := readAll(res); strings.Contains(body, token) {
			t.Errorf("%s: the answer echoes the token", name)
		}
	}
}

// withIssuer is the claims of a valid token of the suite's issuer for tg.
func (tg *target) withIssuer(scopes []string) Claims {
	claims := ResourceClaims(tg.c.srv.Provider, tg.mcpURL, scopes...)
	claims["iss"] = tg.c.iss.URL
	return claims
}

func (c *suite) queryToken(t *testing.T) {
	tg := c.start(t, nil)
	token := tg.token(c.allScopes(), nil)
	req, err := http.NewRequest(http.MethodPost, tg.mcpURL+"?access_token="+token, strings.NewReader(c.probe()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res := tg.do(req)
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401: only the Authorization header carries tokens", res.StatusCode)
	}
	if p := challenge(t, res); p["error"] != "" {
		t.Errorf("challenge %v: a token in the query string is no token at all", p)
	}
}

func (c *suite) toolScopes(t *testing.T) {
	tg := c.start(t, nil)
	for _, name := range c.protectedTools() {
		needs := c.needs(name)
		if len(needs) == 0 {
			continue
		}
		res := tg.call(tg.token([]string{"conformance:unrelated"}, nil), "", name)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s without its scopes: status %d, want 403", name, res.StatusCode)
		} else {
			p := challenge(t, res)
			if p["error"] != "insufficient_scope" {
				t.Errorf("%s: challenge %v, want error=insufficient_scope", name, p)
			}
			for _, scope := range tg.outward(needs) {
				if !slices.Contains(strings.Fields(p["scope"]), scope) {
					t.Errorf("%s: challenge scope %q, want it to name %s", name, p["scope"], scope)
				}
			}
		}
		token := tg.callerToken(name, needs)
		if res := tg.call(token, tg.session(token), name); res.StatusCode != http.StatusOK {
			t.Errorf("%s with exactly its scopes: status %d, want 200", name, res.StatusCode)
		}
	}
}

// resourceScopes: reading each resource, a URI of each template, and getting each
// prompt without their scopes gets a 403 insufficient_scope naming them, and with
// exactly them passes.
func (c *suite) resourceScopes(t *testing.T) {
	tg := c.start(t, nil)
	type target struct {
		what, body string
		needs      []string
	}
	var targets []target
	read := func(uri string) string {
		return `{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":` + strconv.Quote(uri) + `}}`
	}
	for _, uri := range slices.Sorted(maps.Keys(c.policy.Resources)) {
		targets = append(targets, target{"resource " + uri, read(uri), c.policy.ResourceScopes(uri)})
	}
	for _, raw := range slices.Sorted(maps.Keys(c.policy.ResourceTemplates)) {
		tmpl, err := uritemplate.New(raw)
		if err != nil {
			t.Errorf("resource template %q: %v", raw, err)
			continue
		}
		values := uritemplate.Values{}
		for _, name := range tmpl.Varnames() {
			values.Set(name, uritemplate.String("conformance"))
		}
		uri, err := tmpl.Expand(values)
		if err != nil {
			t.Errorf("resource template %q: %v", raw, err)
			continue
		}
		targets = append(targets, target{"template " + raw + " (" + uri + ")", read(uri), c.policy.ResourceScopes(uri)})
	}
	for _, name := range slices.Sorted(maps.Keys(c.policy.Prompts)) {
		body := `{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":` + strconv.Quote(name) + `}}`
		targets = append(targets, target{"prompt " + name, body, sortedSet(slices.Concat(c.policy.Required, c.policy.Prompts[name]))})
	}
	for _, tc := range targets {
		if len(tc.needs) == 0 {
			continue
		}
		unrelated := tg.token([]string{"conformance:unrelated"}, nil)
		res := tg.inSession(http.MethodPost, unrelated, tg.session(unrelated), tc.body)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s without its scopes: status %d, want 403", tc.what, res.StatusCode)
		} else if p := challenge(t, res); p["error"] != "insufficient_scope" || !slices.Equal(strings.Fields(p["scope"]), sortedSet(tg.outward(tc.needs))) {
			t.Errorf("%s: challenge %v, want error=insufficient_scope naming %v", tc.what, p, tg.outward(tc.needs))
		}
		token := tg.token(tc.needs, nil)
		if res := tg.inSession(http.MethodPost, token, tg.session(token), tc.body); res.StatusCode != http.StatusOK {
			t.Errorf("%s with exactly its scopes: status %d, want 200", tc.what, res.StatusCode)
		}
	}
}

func (c *suite) origins(t *testing.T) {
	tg := c.start(t, map[string]string{"ALLOWED_ORIGINS": "https://app.example.com"})
	token := tg.token(c.allScopes(), nil)
	for origin, want := range map[string]int{
		"https://evil.example":    http.StatusForbidden,
		"null":                    http.StatusForbidden,
		tg.base:                   http.StatusOK,
		"https://app.example.com": http.StatusOK,
	} {
		if res := tg.post(token, initialize, "Origin", origin); res.StatusCode != want {
			t.Errorf("POST from Origin %s: status %d, want %d", origin, res.StatusCode, want)
		}
	}
	for origin, allowed := range map[string]bool{"https://app.example.com": true, "https://evil.example": false} {
		req, err := http.NewRequest(http.MethodOptions, tg.mcpURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", http.MethodPost)
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type, mcp-protocol-version")
		res := tg.do(req)
		switch {
		case allowed && (res.StatusCode >= 300 || res.Header.Get("Access-Control-Allow-Origin") != origin):
			t.Errorf("preflight from %s: status %d, Access-Control-Allow-Origin %q; want it answered without a token",
				origin, res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
		case !allowed && res.StatusCode != http.StatusForbidden:
			t.Errorf("preflight from %s: status %d, want 403", origin, res.StatusCode)
		}
		if res.Header.Get("WWW-Authenticate") != "" {
			t.Errorf("preflight from %s was challenged: preflights carry no token", origin)
		}
	}
}

func (c *suite) bodyLimit(t *testing.T) {
	tg := c.start(t, map[string]string{"MAX_BODY_BYTES": "2048"})
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":"` + strings.Repeat("x", 4096) + `"}}`
	res := tg.post(tg.token(c.allScopes(), nil), body)
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a 4 KiB body with MAX_BODY_BYTES=2048: status %d, want 413", res.StatusCode)
	}
}

func (c *suite) rateLimit(t *testing.T) {
	tg := c.start(t, map[string]string{"RATE_LIMIT_PER_MINUTE": "2"})
	token := tg.token(c.allScopes(), Claims{"sub": "conformance-busy"})
	for i := range 2 {
		// A broken body is refused after authentication, and spends the budget too.
		if res := tg.post(token, `{"jsonrpc":`); res.StatusCode != http.StatusBadRequest {
			t.Fatalf("request %d with a broken body: status %d, want 400", i+1, res.StatusCode)
		}
	}
	res := tg.post(token, initialize)
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third request of the minute with RATE_LIMIT_PER_MINUTE=2: status %d, want 429", res.StatusCode)
	}
	if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After = %q, want whole seconds", res.Header.Get("Retry-After"))
	}
	if got := res.Header.Get("RateLimit-Policy"); !strings.Contains(got, ";q=2;w=60") {
		t.Errorf("RateLimit-Policy = %q, want a quota of 2 per 60 s", got)
	}
	if got := res.Header.Get("RateLimit"); !strings.Contains(got, ";r=0;t=") {
		t.Errorf("RateLimit = %q, want r=0 and t=", got)
	}
	// Another caller has a budget of its own.
	if res := tg.post(tg.token(c.allScopes(), Claims{"sub": "conformance-other"}), initialize); res.StatusCode != http.StatusOK {
		t.Errorf("another caller: status %d, want 200", res.StatusCode)
	}
}

// failedAuthLimit: forged tokens lock their address out of new verifications, not out
// of the server: a token verified before the lockout is still served from it.
func (c *suite) failedAuthLimit(t *testing.T) {
	tg := c.start(t, map[string]string{"AUTH_FAILURES_PER_MINUTE": "2"})
	verified := tg.token(c.allScopes(), nil)
	if res := tg.post(verified, initialize); res.StatusCode != http.StatusOK {
		t.Fatalf("valid token: status %d, want 200", res.StatusCode)
	}
	for i := range 2 {
		if res := tg.post("not-a-token", initialize); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("bad token %d: status %d, want 401", i+1, res.StatusCode)
		}
	}
	res := tg.post("not-a-token", initialize)
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third failure of the minute with AUTH_FAILURES_PER_MINUTE=2: status %d, want 429", res.StatusCode)
	}
	if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After = %q, want whole seconds", res.Header.Get("Retry-After"))
	}
	if res := tg.post(verified, initialize); res.StatusCode != http.StatusOK {
		t.Errorf("token verified before the lockout, from the same address: status %d, want 200", res.StatusCode)
	}
}

// sessionOwner: a 2025-11-25 session belongs to the caller that started it. Another
// caller with a valid token of its own who learns the session id must not join its
// event stream, answer its pending requests or end it: each gets 404, as for a session
// that does not exist, while the owner goes on using it.
func (c *suite) sessionOwner(t *testing.T) {
	tg := c.start(t, nil)
	owner := tg.token(c.allScopes(), Claims{"sub": "conformance-owner", "client_id": "conformance-app"})
	session := tg.session(owner)
	if session == "" {
		return // a stateless server: no session to take over
	}
	others := map[string]string{
		"another subject": tg.token(c.allScopes(), Claims{"sub": "conformance-intruder", "client_id": "conformance-app"}),
		"another client":  tg.token(c.allScopes(), Claims{"sub": "conformance-owner", "client_id": "conformance-other-app"}),
	}
	for _, who := range slices.Sorted(maps.Keys(others)) {
		token := others[who]
		for _, r := range []struct{ what, method, body string }{
			{"sends a request in it", http.MethodPost, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`},
			{"answers a request of the server", http.MethodPost, `{"jsonrpc":"2.0","id":0,"result":{}}`},
			{"joins its event stream", http.MethodGet, ""},
			{"ends it", http.MethodDelete, ""},
		} {
			res := tg.inSession(r.method, token, session, r.body)
			if res.StatusCode != http.StatusNotFound {
				t.Errorf("%s %s (%s): status %d, want 404 as for an unknown session", who, r.what, r.method, res.StatusCode)
			}
			if id := res.Header.Get("Mcp-Session-Id"); id != "" {
				t.Errorf("%s %s (%s): the refusal hands out a session id", who, r.what, r.method)
			}
		}
	}
	if res := tg.inSession(http.MethodPost, owner, session, `{"jsonrpc":"2.0","id":3,"method":"tools/list"}`); res.StatusCode != http.StatusOK {
		t.Errorf("the owner's tools/list after the others' attempts: status %d, want 200", res.StatusCode)
	}
	res := tg.inSession(http.MethodGet, owner, session, "")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Errorf("the owner's event stream: status %d, Content-Type %q; want 200 text/event-stream",
			res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res := tg.inSession(http.MethodDelete, owner, session, ""); res.StatusCode == http.StatusNotFound {
		t.Errorf("the owner's DELETE of its session: status 404, want it to end the session (or 405 if the server keeps sessions open)")
	}
}

// inSession sends a request in session, with the 2025-11-25 headers. An event stream
// is not read (it stays open): its status and headers are what the checks need.
func (tg *target) inSession(method, token, session, body string) *http.Response {
	tg.t.Helper()
	ctx, cancel := context.WithTimeout(tg.t.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, tg.mcpURL, strings.NewReader(body))
	if err != nil {
		tg.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	req.Header.Set("Mcp-Session-Id", session)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tg.t.Fatalf("%s in a session: %v", method, err)
	}
	defer res.Body.Close()
	var answer []byte
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		answer, _ = io.ReadAll(io.LimitReader(res.Body, 1<<16))
	}
	res.Body = io.NopCloser(bytes.NewReader(answer))
	if res.StatusCode >= 500 {
		tg.t.Errorf("%s in a session: status %d %s: no request may get a server error", method, res.StatusCode, answer)
	}
	return res
}

// replicas: a 2025-11-25 session started on one replica is accepted by another that
// shares its MCP_SESSION_KEY, so replicas behind a load balancer need no sticky
// sessions.
func (c *suite) replicas(t *testing.T) {
	env := map[string]string{"MCP_SESSION_KEY": "conformance-session-key-shared-by-replicas"}
	first, second := c.start(t, env), c.start(t, env)
	session := first.session(first.token(c.allScopes(), nil))
	if session == "" {
		return // a stateless server: no session for replicas to share
	}
	res := second.post(second.token(c.allScopes(), nil), `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`,
		"Mcp-Session-Id", session, "Mcp-Protocol-Version", "2025-11-25")
	if res.StatusCode != http.StatusOK {
		t.Errorf("tools/list on the second replica: status %d %s, want 200", res.StatusCode, readAll(res))
	}
}

// noTokenInLogs reads every line every server of the suite logged: no token minted by
// the suite (nor its signature) may appear, valid or not.
func (c *suite) noTokenInLogs(t *testing.T) {
	logs := c.logs.String()
	if !strings.Contains(logs, `"status":401`) {
		t.Fatalf("the servers logged no refused request: is the logger passed to the server?\n%.2000s", logs)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, token := range c.minted {
		secret := token[strings.LastIndex(token, ".")+1:]
		if len(secret) < 16 {
			secret = token
		}
		if strings.Contains(logs, secret) {
			t.Errorf("a token appears in the logs:\n%.2000s", logs)
			return
		}
	}
}

// unsigned turns a token into an alg=none token with the same claims.
func unsigned(token string) string {
	parts := strings.Split(token, ".")
	return b64(`{"alg":"none","typ":"at+jwt"}`) + "." + parts[1] + "."
}

// hs256 signs claims with HS256 and a secret of its own: the algorithm-confusion
// attack (a server taking its public key as an HMAC secret) must be refused before any
// key is looked at.
func hs256(claims Claims) string {
	now := time.Now()
	mc := jwt.MapClaims{"sub": "user-123", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
	maps.Copy(mc, claims)
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, mc).SignedString([]byte("conformance-secret"))
	if err != nil {
		panic("authtest: sign HS256: " + err.Error()) // cannot happen: HMAC over JSON claims
	}
	return token
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func readAll(res *http.Response) string {
	b, _ := io.ReadAll(res.Body)
	res.Body = io.NopCloser(bytes.NewReader(b))
	return string(b)
}

// syncBuffer is a bytes.Buffer safe for the servers' concurrent log writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
