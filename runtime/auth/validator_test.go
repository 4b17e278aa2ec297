package auth_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

func TestNewValidatorRefusesUnsafeConfig(t *testing.T) {
	iss := authtest.NewIssuer(t)
	keys := iss.KeySet()
	base := func() auth.ValidatorConfig {
		return auth.ValidatorConfig{Issuers: []string{iss.URL}, Audiences: []string{testResource}}
	}
	for name, mutate := range map[string]func(*auth.ValidatorConfig){
		"HS256":            func(c *auth.ValidatorConfig) { c.Algorithms = []string{"RS256", "HS256"} },
		"HS512":            func(c *auth.ValidatorConfig) { c.Algorithms = []string{"HS512"} },
		"none":             func(c *auth.ValidatorConfig) { c.Algorithms = []string{"none"} },
		"lower-case rs256": func(c *auth.ValidatorConfig) { c.Algorithms = []string{"rs256"} },
		"no issuers":       func(c *auth.ValidatorConfig) { c.Issuers = nil },
		"blank issuer":     func(c *auth.ValidatorConfig) { c.Issuers = []string{" "} },
		"no audiences":     func(c *auth.ValidatorConfig) { c.Audiences = nil },
		"blank audience":   func(c *auth.ValidatorConfig) { c.Audiences = []string{""} },
		"negative leeway":  func(c *auth.ValidatorConfig) { c.Leeway = -time.Second },
		"negative max":     func(c *auth.ValidatorConfig) { c.MaxTokenBytes = -1 },
	} {
		cfg := base()
		mutate(&cfg)
		if _, err := auth.NewValidator(cfg, keys); err == nil {
			t.Errorf("%s: NewValidator accepted %+v", name, cfg)
		}
	}
	if _, err := auth.NewValidator(base(), nil); err == nil {
		t.Error("NewValidator accepted a nil key set")
	}
	_, err := auth.NewValidator(auth.ValidatorConfig{Algorithms: []string{"HS256"}}, keys)
	if err == nil || !strings.Contains(err.Error(), "HS256") || !strings.Contains(err.Error(), "issuer") || !strings.Contains(err.Error(), "audience") {
		t.Errorf("want one error naming every problem, got %v", err)
	}
}

// TestValidatorAlgorithms: every supported algorithm validates end to end,
// through a static set and through a remote JWKS.
func TestValidatorAlgorithms(t *testing.T) {
	for _, alg := range auth.DefaultAlgorithms {
		t.Run(alg, func(t *testing.T) {
			iss := authtest.NewIssuer(t, authtest.WithAlgorithm(alg), authtest.WithAudience(testResource))
			for name, keys := range map[string]auth.KeySet{"static": iss.KeySet(), "remote": iss.RemoteKeySet()} {
				p, err := validatorFor(t, iss, keys).Validate(context.Background(), iss.Mint(authtest.Claims{"scope": "a"}))
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if p.Subject != "user-123" || !p.HasScope("a") {
					t.Errorf("%s: principal %+v", name, p)
				}
			}
		})
	}
}

func TestValidatorAlgorithmAllowList(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	v, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{iss.URL}, Audiences: []string{testResource}, Algorithms: []string{"ES256"}}, iss.KeySet())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Validate(context.Background(), iss.Mint(nil)); reason(err) != "alg_not_allowed" {
		t.Errorf("RS256 token with only ES256 allowed: %v", err)
	}
}

func TestValidatorSeveralIssuersAndAudiences(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	v, err := auth.NewValidator(auth.ValidatorConfig{
		Issuers:   []string{"https://env.example/resources/res_1", iss.URL},
		Audiences: []string{"res_1", "HTTPS://MCP.EXAMPLE.COM/mcp/"},
	}, iss.KeySet())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []authtest.Claims{
		{},
		{"iss": "https://env.example/resources/res_1"},
		{"aud": "res_1"},
		{"aud": []string{"x", "https://mcp.example.com/mcp"}},
	} {
		if _, err := v.Validate(context.Background(), iss.Mint(c)); err != nil {
			t.Errorf("claims %v: %v", c, err)
		}
	}
	for _, c := range []authtest.Claims{{"aud": "res_1/x"}, {"aud": "RES_1"}, {"iss": "https://env.example/resources/res_2"}} {
		if _, err := v.Validate(context.Background(), iss.Mint(c)); err == nil {
			t.Errorf("claims %v accepted", c)
		}
	}
}

func TestValidatorLeeway(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	v, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{iss.URL}, Audiences: []string{testResource}, Leeway: 2 * time.Minute}, iss.KeySet())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := v.Validate(context.Background(), iss.Mint(authtest.Claims{"exp": now.Add(-time.Minute), "nbf": now.Add(time.Minute), "iat": now.Add(time.Minute)})); err != nil {
		t.Errorf("inside a 2m leeway: %v", err)
	}
	if _, err := v.Validate(context.Background(), iss.Mint(authtest.Claims{"exp": now.Add(-3 * time.Minute)})); reason(err) != "expired" {
		t.Errorf("outside the leeway: %v", err)
	}
}

func TestValidatorMaxTokenBytes(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	v, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{iss.URL}, Audiences: []string{testResource}, MaxTokenBytes: 20000}, iss.KeySet())
	if err != nil {
		t.Fatal(err)
	}
	big := iss.Mint(authtest.Claims{"pad": strings.Repeat("x", 10000)})
	if _, err := v.Validate(context.Background(), big); err != nil {
		t.Errorf("a 14 KB token under a 20000-byte limit: %v", err)
	}
	if _, err := iss.Validator().Validate(context.Background(), big); reason(err) != "token_too_large" {
		t.Errorf("default limit: %v", err)
	}
}

func TestValidatorErrorsAreSafe(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	v := validatorFor(t, iss, iss.KeySet())
	tok := iss.Mint(authtest.Claims{"exp": time.Now().Add(-time.Hour)})
	_, err := v.Validate(context.Background(), tok)
	var e *auth.Error
	if !errors.As(err, &e) {
		t.Fatalf("%T", err)
	}
	if e.Status != http.StatusUnauthorized || e.Code != auth.CodeInvalidToken || e.Reason != "expired" {
		t.Errorf("error = %+v", e)
	}
	if strings.Contains(err.Error(), tok) || strings.Contains(e.Description, "jwt") || strings.Contains(e.Description, "token is expired") {
		t.Errorf("error text leaks: %q / %q", err.Error(), e.Description)
	}
	if e.Unwrap() == nil {
		t.Error("internal cause dropped")
	}
}

// TestScopesFromClaims pins the shapes each scope claim may take and the error that
// names what is ignored: doctor reports a token with it, the validator grants the rest.
func TestScopesFromClaims(t *testing.T) {
	for name, tt := range map[string]struct {
		claims  map[string]any
		want    []string
		errWant []string // in the error, in order; nil: no error
	}{
		"well formed":                 {map[string]any{"scope": "b a", "scp": []any{"c"}, "scopes": []any{"a"}}, []string{"a", "b", "c"}, nil},
		"entitlements are not scopes": {map[string]any{"scope": "a", "permissions": []any{"admin"}, "roles": []any{"admin"}, "groups": []any{"admin"}}, []string{"a"}, nil},
		// RFC 6749 §3.3 separates scopes with %x20 only: a no-break space (U+00A0) or
		// next line (U+0085) inside a value is not a separator, and the value with it
		// is not a scope-token, so it grants nothing.
		"split on space only": {map[string]any{"scope": "a\u00a0admin b\u0085admin  c\tadmin d"}, []string{"d"},
			[]string{`claim scope: the string "a\u00a0admin" is not a scope`, `"b\u0085admin"`, `"c\tadmin"`}},
		"non-ASCII entry": {map[string]any{"scp": []any{"read", "ad\u00a0min"}}, []string{"read"},
			[]string{"claim scp: entry 1"}},
		"absent": {map[string]any{"sub": "x"}, nil, nil},
		"scope array": {map[string]any{"scope": []any{"a"}}, nil,
			[]string{"claim scope is an array, not a space-separated string: it grants nothing"}},
		"scope number": {map[string]any{"scope": 7.0, "scp": "a"}, []string{"a"},
			[]string{"claim scope is the number 7, not a space-separated string"}},
		"scopes string": {map[string]any{"scopes": "a b"}, nil,
			[]string{`claim scopes is the string "a b", not an array of strings`}},
		"scopes object": {map[string]any{"scopes": map[string]any{"a": true}}, nil,
			[]string{"claim scopes is an object, not an array of strings"}},
		"scp null": {map[string]any{"scp": nil}, nil,
			[]string{"claim scp is null, not a space-separated string or an array of strings"}},
		"bad entries": {map[string]any{"scopes": []any{"a", 1.0, "b c", ""}}, []string{"a"},
			[]string{"claim scopes: entry 1 (the number 1) is not a scope", `entry 2 (the string "b c")`, "entry 3 (an empty string)"}},
		"long string": {map[string]any{"scopes": strings.Repeat("x", 100)}, nil,
			[]string{"claim scopes is a string of 100 bytes, not an array of strings"}},
		"go strings": {map[string]any{"scp": []string{"y", "x"}}, []string{"x", "y"}, nil},
	} {
		got, err := auth.ScopesFromClaims(tt.claims, auth.DefaultScopeClaims)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: scopes %q, want %q", name, got, tt.want)
		}
		if tt.errWant == nil {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error, want one naming %q", name, tt.errWant)
			continue
		}
		rest := err.Error()
		for _, w := range tt.errWant {
			i := strings.Index(rest, w)
			if i < 0 {
				t.Errorf("%s: error %q lacks %q (in order)", name, err, w)
				break
			}
			rest = rest[i+len(w):]
		}
	}
	// A claim named in names is read whatever its name: roles only as an array.
	if got, err := auth.ScopesFromClaims(map[string]any{"roles": "admin"}, []string{"roles"}); got != nil || err == nil {
		t.Errorf("roles as a string: %q, %v; want nothing granted and an error", got, err)
	}
}

func TestScopeNormalization(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	v := validatorFor(t, iss, iss.KeySet())
	for name, tt := range map[string]struct {
		claims authtest.Claims
		want   []string
	}{
		"scope string":           {authtest.Claims{"scope": "b a  c a"}, []string{"a", "b", "c"}},
		"scp string":             {authtest.Claims{"scp": "x y"}, []string{"x", "y"}},
		"scp array":              {authtest.Claims{"scp": []string{"y", "x"}}, []string{"x", "y"}},
		"scopes array":           {authtest.Claims{"scopes": []string{"usr:read"}}, []string{"usr:read"}},
		"permissions grant none": {authtest.Claims{"permissions": []string{"read:all"}}, nil},
		"merged":                 {authtest.Claims{"scope": "a", "scp": []string{"b"}, "scopes": []string{"c", "a"}, "permissions": []string{"d"}}, []string{"a", "b", "c"}},
		"no-break space":         {authtest.Claims{"scope": "read\u00a0admin"}, nil},
		"scope array grants nil": {authtest.Claims{"scope": []string{"a"}}, nil},
		"scopes string ignored":  {authtest.Claims{"scopes": "a b"}, nil},
		"mixed array elements":   {authtest.Claims{"scopes": []any{"a", 1, true, nil, "b c", ""}}, []string{"a"}},
		"permissions object":     {authtest.Claims{"permissions": map[string]any{"a": true}}, nil},
		"none":                   {authtest.Claims{}, nil},
	} {
		p, err := v.Validate(context.Background(), iss.Mint(tt.claims))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(p.Scopes) == 0 && len(tt.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(p.Scopes, tt.want) {
			t.Errorf("%s: scopes %q, want %q", name, p.Scopes, tt.want)
		}
	}
}

func TestPrincipalClaimsMapping(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	v := validatorFor(t, iss, iss.KeySet())
	for name, tt := range map[string]struct {
		claims      authtest.Claims
		client, org string
		subject     string
	}{
		"client_id first":   {authtest.Claims{"client_id": "c1", "azp": "c2", "org_id": "o1", "oid": "o2"}, "c1", "o1", "user-123"},
		"azp":               {authtest.Claims{"client_id": authtest.Omit, "azp": "c2", "tid": "t1"}, "c2", "t1", "user-123"},
		"cid":               {authtest.Claims{"client_id": authtest.Omit, "cid": "c3", "oid": "o2"}, "c3", "o2", "user-123"},
		"appid":             {authtest.Claims{"client_id": authtest.Omit, "appid": "c4"}, "c4", "", "user-123"},
		"wrong types":       {authtest.Claims{"client_id": 5, "azp": "c2", "org_id": []string{"x"}, "oid": "o2"}, "c2", "o2", "user-123"},
		"no sub is allowed": {authtest.Claims{"sub": authtest.Omit}, "client-123", "", ""},
	} {
		p, err := v.Validate(context.Background(), iss.Mint(tt.claims))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.ClientID != tt.client || p.Organization != tt.org || p.Subject != tt.subject {
			t.Errorf("%s: client %q org %q sub %q", name, p.ClientID, p.Organization, p.Subject)
		}
	}
}

func TestPrincipalScopesAndContext(t *testing.T) {
	p := &auth.Principal{Scopes: []string{"a", "c"}}
	if !p.HasScope("a") || p.HasScope("b") || p.HasScope("") {
		t.Error("HasScope")
	}
	if got := p.MissingScopes("a", "b", "d", "b"); !reflect.DeepEqual(got, []string{"b", "d"}) {
		t.Errorf("MissingScopes = %q", got)
	}
	if got := p.MissingScopes("a", "c"); got != nil {
		t.Errorf("MissingScopes = %q, want nil", got)
	}
	var none *auth.Principal
	if none.HasScope("a") || len(none.MissingScopes("a")) != 1 {
		t.Error("nil principal must have no scopes")
	}
	if _, ok := auth.FromContext(context.Background()); ok {
		t.Error("FromContext on an empty context")
	}
	if _, ok := auth.FromContext(auth.ContextWithPrincipal(context.Background(), nil)); ok {
		t.Error("FromContext reported a nil principal")
	}
	got, ok := auth.FromContext(auth.ContextWithPrincipal(context.Background(), p))
	if !ok || got != p {
		t.Error("FromContext lost the principal")
	}
}

func TestChallengeQuoting(t *testing.T) {
	got := auth.Challenge("https://h/.well-known/oauth-protected-resource", []string{"a", "b"}, "invalid_token", "bad \"x\"\r\nSet-Cookie: y\\z\u00e9")
	want := `Bearer resource_metadata="https://h/.well-known/oauth-protected-resource", scope="a b", error="invalid_token", error_description="bad 'x'??Set-Cookie: y/z??"`
	if got != want {
		t.Errorf("Challenge =\n%s\nwant\n%s", got, want)
	}
	if got := auth.Challenge("https://h/m", nil, "", "ignored"); got != `Bearer resource_metadata="https://h/m"` {
		t.Errorf("no-token challenge = %q", got)
	}
}

func TestExtractBearerToken(t *testing.T) {
	for _, tt := range []struct {
		name   string
		values []string
		token  string
		status int
		noTok  bool
	}{
		{"bearer", []string{"Bearer abc.def-_~+/="}, "abc.def-_~+/=", 0, false},
		{"mixed case", []string{"bEaReR abc"}, "abc", 0, false},
		{"several spaces", []string{"Bearer   abc"}, "abc", 0, false},
		{"missing", nil, "", 401, true},
		{"basic", []string{"Basic dXNlcjpwYXNz"}, "", 401, true},
		{"dpop", []string{"DPoP abc"}, "", 401, true},
		{"two headers", []string{"Bearer a", "Bearer a"}, "", 400, false},
		{"empty", []string{""}, "", 400, false},
		{"scheme only", []string{"Bearer"}, "", 400, false},
		{"tab separator", []string{"Bearer\tabc"}, "", 400, false},
		{"extra part", []string{"Bearer abc def"}, "", 400, false},
		{"padding in the middle", []string{"Bearer ab=c"}, "", 400, false},
		{"only padding", []string{"Bearer =="}, "", 400, false},
		{"comma", []string{"Bearer a,b"}, "", 400, false},
		{"garbage scheme", []string{"B\"earer abc"}, "", 400, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := auth.ExtractBearerToken(http.Header{"Authorization": tt.values})
			if tt.status == 0 {
				if err != nil || tok != tt.token {
					t.Fatalf("got %q, %v; want %q", tok, err, tt.token)
				}
				return
			}
			var e *auth.Error
			if !errors.As(err, &e) || e.Status != tt.status || errors.Is(err, auth.ErrNoToken) != tt.noTok {
				t.Fatalf("err = %v, want status %d (no token: %v)", err, tt.status, tt.noTok)
			}
			if tt.status == 400 && e.Code != auth.CodeInvalidRequest || tt.status == 401 && e.Code != "" {
				t.Errorf("code = %q", e.Code)
			}
		})
	}
}

func TestValidatorTokenType(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	lax := validatorFor(t, iss, iss.KeySet())
	cfg := iss.ValidatorConfig()
	cfg.Audiences = []string{testResource}
	cfg.RequireATJWT = true
	strict, err := auth.NewValidator(cfg, iss.KeySet())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		typ         any
		lax, strict bool
	}{
		{"at+jwt", true, true},
		{"application/at+jwt", true, true},
		{"AT+JWT", true, true},
		{"JWT", true, false},
		{authtest.Omit, true, false},
		{"logout+jwt", false, false},
		{"secevent+jwt", false, false},
		{"dpop+jwt", false, false},
		{"application/token-introspection+jwt", false, false},
		// Exactly at+jwt or application/at+jwt: a typ that merely ends in at+jwt names
		// another kind of token.
		{"Application/AT+JWT", true, true},
		{"cat+jwt", false, false},
		{"application/cat+jwt", false, false},
		{"x-at+jwt", false, false},
		{"at+jwt; charset=utf-8", true, false},
		{"text/at+jwt", false, false},
	} {
		tok := iss.MintWithHeader(map[string]any{"typ": tt.typ}, nil)
		for name, c := range map[string]struct {
			v    *auth.Validator
			want bool
		}{"lax": {lax, tt.lax}, "strict": {strict, tt.strict}} {
			_, err := c.v.Validate(context.Background(), tok)
			if (err == nil) != c.want {
				t.Errorf("typ %v, %s: err = %v, want accepted=%v", tt.typ, name, err, c.want)
			}
			if err != nil && reason(err) != "wrong_typ" {
				t.Errorf("typ %v, %s: reason %s", tt.typ, name, reason(err))
			}
		}
	}
}
