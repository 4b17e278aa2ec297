package settings_test

import (
	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update

	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"maps"
	"math/big"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/envconfig"
	"github.com/mcpgen/mcpgen/runtime/httpserver"
	"github.com/mcpgen/mcpgen/runtime/provider"
	"github.com/mcpgen/mcpgen/runtime/ratelimit"
	"github.com/mcpgen/mcpgen/runtime/session"
	"github.com/mcpgen/mcpgen/runtime/settings"
)

// greeting are the defaults `mcpgen new` chose for the greeting-server golden, a
// Scalekit project.
var greeting = settings.Defaults{
	Port:        3002,
	ResourceURL: "http://localhost:3002/mcp",
	Issuer:      "https://example.scalekit.dev",
	JWKSURL:     "https://example.scalekit.dev/keys",
}

// read reads the settings env describes, returning them and every problem recorded.
func read(p provider.Preset, d settings.Defaults, env map[string]string) (settings.Settings, []string) {
	e := envconfig.FromMap(env)
	s := settings.Read(e, p, d)
	return s, e.Problems()
}

// mustRead reads settings that must have no problem.
func mustRead(t *testing.T, p provider.Preset, d settings.Defaults, env map[string]string) settings.Settings {
	t.Helper()
	s, problems := read(p, d, env)
	if len(problems) > 0 {
		t.Fatalf("Read(%v) problems:\n%s", env, strings.Join(problems, "\n"))
	}
	return s
}

// problemAbout returns the first problem that contains every one of words, or "".
func problemAbout(problems []string, words ...string) string {
	for _, p := range problems {
		if !slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(p, w) }) {
			return p
		}
	}
	return ""
}

func TestReadDefaults(t *testing.T) {
	s := mustRead(t, provider.Scalekit, greeting, nil)
	checks := []struct {
		name      string
		got, want any
	}{
		{"Addr (loopback unless HOST says otherwise)", s.Addr(), "127.0.0.1:3002"},
		{"ResourceURL", s.ResourceURL, greeting.ResourceURL},
		{"Issuers", s.Issuers, []string{greeting.Issuer}},
		{"Audiences (the resource URL)", s.Audiences, []string{greeting.ResourceURL}},
		{"JWKSURL", s.JWKSURL, greeting.JWKSURL},
		{"AuthorizationServers (the issuer)", s.AuthorizationServers, []string{greeting.Issuer}},
		{"AllowedOrigins", s.AllowedOrigins, []string(nil)},
		{"LogLevel", s.LogLevel, slog.LevelInfo},
		{"Introspection", s.Introspection, (*settings.Introspection)(nil)},
		{"ProvidedMetadata", s.ProvidedMetadata, (*auth.ProtectedResourceMetadata)(nil)},
		{"Provider", s.Provider.Name, provider.Scalekit.Name},
		{"Ops.TLS", s.Ops.TLS, (*tls.Config)(nil)},
		{"Ops.MaxBodyBytes", s.Ops.MaxBodyBytes, int64(httpserver.DefaultMaxBodyBytes)},
		{"Ops.ShutdownTimeout", s.Ops.ShutdownTimeout, settings.DefaultShutdownTimeout},
		{"Ops.LogFormat", s.Ops.LogFormat, "json"},
		{"Ops.MetricsAddr (metrics off)", s.Ops.MetricsAddr, ""},
		{"Ops.PrincipalLimit", s.Ops.PrincipalLimit, ratelimit.PerMinute(settings.DefaultRateLimitPerMinute)},
		{"Ops.FailedAuthLimit", s.Ops.FailedAuthLimit, ratelimit.PerMinute(settings.DefaultAuthFailuresPerMin)},
		{"Ops.Redis (limits in memory)", s.Ops.Redis == nil, true},
		{"client address with no trusted proxy", clientIP(s, "10.1.2.3:5555", "203.0.113.7"), "10.1.2.3"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

// TestReadDefaultAudiences: Defaults.Audiences apply while AUTH_AUDIENCE is unset;
// without them the audience follows MCP_RESOURCE_URL, overridden or not.
func TestReadDefaultAudiences(t *testing.T) {
	d := greeting
	d.Audiences = []string{"api://greeting", "https://mcp.example.com/mcp"}
	if s := mustRead(t, provider.Generic, d, nil); !slices.Equal(s.Audiences, d.Audiences) {
		t.Errorf("Audiences = %q, want Defaults.Audiences %q", s.Audiences, d.Audiences)
	}
	s := mustRead(t, provider.Generic, greeting, map[string]string{"MCP_RESOURCE_URL": "https://mcp.example.com/mcp"})
	if !slices.Equal(s.Audiences, []string{"https://mcp.example.com/mcp"}) {
		t.Errorf("Audiences = %q, want MCP_RESOURCE_URL", s.Audiences)
	}
}

// TestReadOverrides: the environment overrides each default.
func TestReadOverrides(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		got  func(settings.Settings) any
		want any
	}{
		{"HOST", map[string]string{"HOST": "0.0.0.0"},
			func(s settings.Settings) any { return s.Addr() }, "0.0.0.0:3002"},
		{"PORT", map[string]string{"PORT": "8080"},
			func(s settings.Settings) any { return s.Addr() }, "127.0.0.1:8080"},
		{"blank PORT keeps the default", map[string]string{"PORT": " "},
			func(s settings.Settings) any { return s.Port }, 3002},
		{"MCP_RESOURCE_URL", map[string]string{"MCP_RESOURCE_URL": "https://mcp.example.com/mcp"},
			func(s settings.Settings) any { return s.ResourceURL }, "https://mcp.example.com/mcp"},
		{"AUTH_ISSUER", map[string]string{"AUTH_ISSUER": "https://auth.example.com"},
			func(s settings.Settings) any { return s.Issuers }, []string{"https://auth.example.com"}},
		{"AUTH_ISSUER is advertised", map[string]string{"AUTH_ISSUER": "https://auth.example.com"},
			func(s settings.Settings) any { return s.AuthorizationServers }, []string{"https://auth.example.com"}},
		{"AUTH_JWKS_URL", map[string]string{"AUTH_JWKS_URL": "https://auth.example.com/jwks"},
			func(s settings.Settings) any { return s.JWKSURL }, "https://auth.example.com/jwks"},
		{"AUTH_AUDIENCE", map[string]string{"AUTH_AUDIENCE": "https://mcp.example.com/mcp, api://mcp"},
			func(s settings.Settings) any { return s.Audiences }, []string{"https://mcp.example.com/mcp", "api://mcp"}},
		{"AUTH_AUTHORIZATION_SERVERS", map[string]string{"AUTH_AUTHORIZATION_SERVERS": "https://a.example.com,https://b.example.com/tenant"},
			func(s settings.Settings) any { return s.AuthorizationServers }, []string{"https://a.example.com", "https://b.example.com/tenant"}},
		{"ALLOWED_ORIGINS", map[string]string{"ALLOWED_ORIGINS": "https://app.example.com, https://admin.example.com"},
			func(s settings.Settings) any { return s.AllowedOrigins }, []string{"https://app.example.com", "https://admin.example.com"}},
		{"LOG_LEVEL debug", map[string]string{"LOG_LEVEL": "debug"},
			func(s settings.Settings) any { return s.LogLevel }, slog.LevelDebug},
		{"LOG_LEVEL WARN", map[string]string{"LOG_LEVEL": "WARN"},
			func(s settings.Settings) any { return s.LogLevel }, slog.LevelWarn},
		{"LOG_LEVEL error", map[string]string{"LOG_LEVEL": "error"},
			func(s settings.Settings) any { return s.LogLevel }, slog.LevelError},
		{"LOG_FORMAT", map[string]string{"LOG_FORMAT": "text"},
			func(s settings.Settings) any { return s.Ops.LogFormat }, "text"},
		{"MAX_BODY_BYTES", map[string]string{"MAX_BODY_BYTES": "2048"},
			func(s settings.Settings) any { return s.Ops.MaxBodyBytes }, int64(2048)},
		{"SHUTDOWN_TIMEOUT", map[string]string{"SHUTDOWN_TIMEOUT": "1m30s"},
			func(s settings.Settings) any { return s.Ops.ShutdownTimeout }, 90 * time.Second},
		{"SHUTDOWN_TIMEOUT 0s", map[string]string{"SHUTDOWN_TIMEOUT": "0s"},
			func(s settings.Settings) any { return s.Ops.ShutdownTimeout }, time.Duration(0)},
		{"METRICS_ADDR", map[string]string{"METRICS_ADDR": "127.0.0.1:9090"},
			func(s settings.Settings) any { return s.Ops.MetricsAddr }, "127.0.0.1:9090"},
		{"RATE_LIMIT_PER_MINUTE", map[string]string{"RATE_LIMIT_PER_MINUTE": "5"},
			func(s settings.Settings) any { return s.Ops.PrincipalLimit }, ratelimit.Limit{Rate: 5, Period: time.Minute, Burst: 5}},
		{"RATE_LIMIT_PER_MINUTE 0 turns the limit off", map[string]string{"RATE_LIMIT_PER_MINUTE": "0"},
			func(s settings.Settings) any { return s.Ops.PrincipalLimit }, ratelimit.Limit{}},
		{"AUTH_FAILURES_PER_MINUTE", map[string]string{"AUTH_FAILURES_PER_MINUTE": "7"},
			func(s settings.Settings) any { return s.Ops.FailedAuthLimit }, ratelimit.Limit{Rate: 7, Period: time.Minute, Burst: 7}},
		{"AUTH_FAILURES_PER_MINUTE 0 turns the limit off", map[string]string{"AUTH_FAILURES_PER_MINUTE": "0"},
			func(s settings.Settings) any { return s.Ops.FailedAuthLimit }, ratelimit.Limit{}},
		{"REDIS_URL", map[string]string{"REDIS_URL": "redis://:s3cret@redis.internal:6380/2"},
			func(s settings.Settings) any { return []any{s.Ops.Redis.Addr, s.Ops.Redis.DB, s.Ops.Redis.Password} },
			[]any{"redis.internal:6380", 2, "s3cret"}},
		{"MCP_SESSION_KEY", map[string]string{"MCP_SESSION_KEY": sessionKey},
			func(s settings.Settings) any { return sameSessionKey(s, sessionKey) }, true},
		{"MCP_SESSION_KEY unset", nil,
			func(s settings.Settings) any { return s.Ops.SessionKey.IsZero() }, true},
		{"TRUSTED_PROXIES: the forwarded client of a trusted proxy", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.10"},
			func(s settings.Settings) any { return clientIP(s, "10.1.2.3:5555", "203.0.113.7") }, "203.0.113.7"},
		{"TRUSTED_PROXIES: a single address", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.10"},
			func(s settings.Settings) any { return clientIP(s, "192.168.1.10:5555", "203.0.113.7") }, "203.0.113.7"},
		{"TRUSTED_PROXIES: an untrusted peer is the client", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8"},
			func(s settings.Settings) any { return clientIP(s, "198.51.100.1:5555", "203.0.113.7") }, "198.51.100.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustRead(t, provider.Scalekit, greeting, tt.env)
			if got := tt.got(s); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

// sessionKey is an MCP_SESSION_KEY of the shortest length accepted.
const sessionKey = "hunter2-hunter2-hunter2-hunter2!"

// sameSessionKey reports whether the settings' session key binds ids as key does.
func sameSessionKey(s settings.Settings, key string) bool {
	k, err := session.ParseKey(key)
	if err != nil {
		return false
	}
	c := session.Caller{Subject: "user"}
	return session.New(session.Config{Key: s.Ops.SessionKey}).Bind(c, "id") == session.New(session.Config{Key: k}).Bind(c, "id")
}

// clientIP is the client address the settings' trusted proxies make of a request from
// peer forwarded for forwardedFor.
func clientIP(s settings.Settings, peer, forwardedFor string) string {
	r := httptest.NewRequest("GET", "/mcp", nil)
	r.RemoteAddr = peer
	r.Header.Set("X-Forwarded-For", forwardedFor)
	return s.Ops.TrustedProxies.ClientIP(r)
}

// secureURLSettings are the settings that name a URL keys, metadata or tokens travel
// over, each with the preset and extra settings it is read under and where the value ends up.
var secureURLSettings = []struct {
	name   string
	preset provider.Preset
	env    map[string]string
	got    func(settings.Settings) string
}{
	{"MCP_RESOURCE_URL", provider.Generic, nil, func(s settings.Settings) string { return s.ResourceURL }},
	{"AUTH_ISSUER", provider.Generic, nil, func(s settings.Settings) string { return s.Issuers[0] }},
	{"AUTH_JWKS_URL", provider.Generic, nil, func(s settings.Settings) string { return s.JWKSURL }},
	{"AUTH_INTROSPECTION_URL", provider.Generic, map[string]string{
		"AUTH_TOKEN_FORMAT": "opaque", "AUTH_INTROSPECTION_CLIENT_ID": "rs", "AUTH_INTROSPECTION_CLIENT_SECRET": "secret",
	}, func(s settings.Settings) string {
		if s.Introspection == nil {
			return "(no introspection)"
		}
		return s.Introspection.URL
	}},
	{"SK_ENV_URL", provider.Scalekit, nil, func(s settings.Settings) string { return s.Issuers[0] }},
	{"AUTH_ISSUERS", provider.Generic, nil, func(s settings.Settings) string { return strings.Join(s.Issuers, ",") }},
}

// TestReadSecureURLs: keys, metadata and tokens travel over https, or plain http to
// this machine only.
func TestReadSecureURLs(t *testing.T) {
	allowed := []string{
		"https://example.com/path",
		"http://localhost:3003",
		"http://LOCALHOST/x",
		"http://127.0.0.5:8080",
		"http://[::1]:3003/x",
	}
	for _, setting := range secureURLSettings {
		for _, u := range allowed {
			t.Run(setting.name+"="+u, func(t *testing.T) {
				env := maps.Clone(setting.env)
				if env == nil {
					env = map[string]string{}
				}
				env[setting.name] = u
				s := mustRead(t, setting.preset, greeting, env)
				if got := setting.got(s); got != u {
					t.Errorf("%s read as %q, want %q", setting.name, got, u)
				}
			})
		}
	}
}

func TestReadInsecureURLsRefused(t *testing.T) {
	refused := []string{
		"http://example.com",
		"http://127.0.0.1.example.com/x", // a name, not a loopback address
		"http://localhost.example.com",
	}
	for _, setting := range secureURLSettings {
		for _, u := range refused {
			t.Run(setting.name+"="+u, func(t *testing.T) {
				env := maps.Clone(setting.env)
				if env == nil {
					env = map[string]string{}
				}
				env[setting.name] = u
				s, problems := read(setting.preset, greeting, env)
				if problemAbout(problems, setting.name, u, "must use https") == "" {
					t.Errorf("no problem names %s=%s as not https:\n%s", setting.name, u, strings.Join(problems, "\n"))
				}
				if got := setting.got(s); got == u {
					t.Errorf("%s = %q was used", setting.name, got)
				}
			})
		}
	}
}

// TestReadURLsMustBeURLs: a value that is no absolute http(s) URL is named, as the
// envconfig getter words it.
func TestReadURLsMustBeURLs(t *testing.T) {
	for _, setting := range secureURLSettings {
		for _, u := range []string{"not a url", "ftp://example.com/keys", "/relative", "https://user:pw@example.com"} {
			env := maps.Clone(setting.env)
			if env == nil {
				env = map[string]string{}
			}
			env[setting.name] = u
			if _, problems := read(setting.preset, greeting, env); problemAbout(problems, setting.name) == "" {
				t.Errorf("%s=%q: no problem names it:\n%s", setting.name, u, strings.Join(problems, "\n"))
			}
		}
	}
}

func TestReadAuthorizationServersMustBeAbsolute(t *testing.T) {
	for _, v := range []string{"auth.example.com", "/oauth2", "https://", "https://auth.example.com,not-a-url"} {
		_, problems := read(provider.Generic, greeting, map[string]string{"AUTH_AUTHORIZATION_SERVERS": v})
		if problemAbout(problems, "AUTH_AUTHORIZATION_SERVERS", "is not an absolute URL") == "" {
			t.Errorf("AUTH_AUTHORIZATION_SERVERS=%q: no problem names it:\n%s", v, strings.Join(problems, "\n"))
		}
	}
	s := mustRead(t, provider.Generic, greeting, map[string]string{"AUTH_AUTHORIZATION_SERVERS": "https://a.example.com, http://localhost:3003"})
	if want := []string{"https://a.example.com", "http://localhost:3003"}; !slices.Equal(s.AuthorizationServers, want) {
		t.Errorf("AuthorizationServers = %q, want %q", s.AuthorizationServers, want)
	}
}

// TestReadReportsEveryProblem: an operator fixes a broken deployment in one round.
func TestReadReportsEveryProblem(t *testing.T) {
	e := envconfig.FromMap(map[string]string{
		"PORT":                       "eighty",
		"MCP_RESOURCE_URL":           "not a url",
		"AUTH_ISSUER":                "http://auth.example.com",
		"AUTH_JWKS_URL":              "http://auth.example.com/keys",
		"AUTH_AUTHORIZATION_SERVERS": "auth.example.com",
		"LOG_LEVEL":                  "loud",
		"LOG_FORMAT":                 "xml",
		"MAX_BODY_BYTES":             "lots",
	})
	settings.Read(e, provider.Scalekit, greeting)
	var cfgErr *envconfig.Error
	if err := e.Err(); !errors.As(err, &cfgErr) {
		t.Fatalf("Err = %v, want an *envconfig.Error", err)
	}
	for _, name := range []string{"PORT", "MCP_RESOURCE_URL", "AUTH_ISSUER", "AUTH_JWKS_URL", "AUTH_AUTHORIZATION_SERVERS", "LOG_LEVEL", "LOG_FORMAT", "MAX_BODY_BYTES"} {
		if problemAbout(cfgErr.Problems, name) == "" {
			t.Errorf("no problem names %s:\n%v", name, cfgErr)
		}
	}
	if len(cfgErr.Problems) < 8 {
		t.Errorf("%d problems, want one for each of 8 bad settings:\n%v", len(cfgErr.Problems), cfgErr)
	}
}

func TestReadScalekitAliases(t *testing.T) {
	s := mustRead(t, provider.Scalekit, greeting, map[string]string{
		"MCP_RESOURCE_URL":  "https://mcp.example.com/mcp",
		"SK_ENV_URL":        "https://acme.scalekit.dev",
		"EXPECTED_AUDIENCE": "https://mcp.example.com/mcp, api://acme",
	})
	if !slices.Equal(s.Issuers, []string{"https://acme.scalekit.dev"}) {
		t.Errorf("Issuers = %q, want SK_ENV_URL", s.Issuers)
	}
	if s.JWKSURL != "https://acme.scalekit.dev/keys" {
		t.Errorf("JWKSURL = %q, want SK_ENV_URL/keys", s.JWKSURL)
	}
	if !slices.Equal(s.Audiences, []string{"https://mcp.example.com/mcp", "api://acme"}) {
		t.Errorf("Audiences = %q, want EXPECTED_AUDIENCE", s.Audiences)
	}
	if !slices.Equal(s.AuthorizationServers, []string{"https://acme.scalekit.dev"}) {
		t.Errorf("AuthorizationServers = %q, want SK_ENV_URL", s.AuthorizationServers)
	}
}

// TestReadAliasesArePresetOnly: another preset does not read Scalekit's names.
func TestReadAliasesArePresetOnly(t *testing.T) {
	d := settings.Defaults{Port: 3002, ResourceURL: "https://mcp.example.com/mcp", Issuer: "https://auth.example.com"}
	s := mustRead(t, provider.Generic, d, map[string]string{
		"SK_ENV_URL":        "https://acme.scalekit.dev",
		"EXPECTED_AUDIENCE": "api://acme",
	})
	if !slices.Equal(s.Issuers, []string{d.Issuer}) || !slices.Equal(s.Audiences, []string{d.ResourceURL}) {
		t.Errorf("Issuers = %q, Audiences = %q: the generic preset read Scalekit's names", s.Issuers, s.Audiences)
	}
}

func TestReadGenericNamesWin(t *testing.T) {
	s := mustRead(t, provider.Scalekit, greeting, map[string]string{
		"SK_ENV_URL":        "https://acme.scalekit.dev",
		"EXPECTED_AUDIENCE": "https://scalekit-audience.example.com",
		"AUTH_ISSUER":       "https://auth.example.com",
		"AUTH_AUDIENCE":     "https://generic-audience.example.com",
	})
	if !slices.Equal(s.Issuers, []string{"https://auth.example.com"}) {
		t.Errorf("Issuers = %q, want AUTH_ISSUER", s.Issuers)
	}
	if s.JWKSURL != "https://auth.example.com/keys" {
		t.Errorf("JWKSURL = %q, want the one of AUTH_ISSUER", s.JWKSURL)
	}
	if !slices.Equal(s.Audiences, []string{"https://generic-audience.example.com"}) {
		t.Errorf("Audiences = %q, want AUTH_AUDIENCE", s.Audiences)
	}
}

// scalekitMetadata is the protected resource metadata the Scalekit dashboard shows for
// the resource https://mcp.example.com/mcp.
const scalekitMetadata = `{
	"resource": "https://mcp.example.com/mcp",
	"authorization_servers": ["https://acme.scalekit.dev/resources/res_123"],
	"bearer_methods_supported": ["header"],
	"scopes_supported": ["usr:read"],
	"x_vendor_hint": "kept"
}`

func TestReadProvidedMetadata(t *testing.T) {
	s := mustRead(t, provider.Scalekit, greeting, map[string]string{
		"MCP_RESOURCE_URL":            "https://mcp.example.com/mcp",
		"SK_ENV_URL":                  "https://acme.scalekit.dev",
		"PROTECTED_RESOURCE_METADATA": scalekitMetadata,
	})
	if s.ProvidedMetadata == nil {
		t.Fatal("ProvidedMetadata = nil, want the parsed document")
	}
	servers := []string{"https://acme.scalekit.dev/resources/res_123"}
	if !slices.Equal(s.AuthorizationServers, servers) {
		t.Errorf("AuthorizationServers = %q, want the document's %q", s.AuthorizationServers, servers)
	}
	// Scalekit tokens may carry the resource-specific issuer.
	if want := append([]string{"https://acme.scalekit.dev"}, servers...); !slices.Equal(s.Issuers, want) {
		t.Errorf("Issuers = %q, want %q", s.Issuers, want)
	}
	// Served as given: not rebuilt from the name and scopes the server passes.
	m := s.Metadata("greeting-server", []string{"usr:read", "usr:write"})
	if m.Resource != "https://mcp.example.com/mcp" || !slices.Equal(m.AuthorizationServers, servers) ||
		!slices.Equal(m.ScopesSupported, []string{"usr:read"}) || m.ResourceName != "" {
		t.Errorf("Metadata = %+v, want the document as given", m)
	}
	if string(m.Extra["x_vendor_hint"]) != `"kept"` {
		t.Errorf("Metadata.Extra = %q, want the document's other members kept", m.Extra)
	}
}

func TestReadProvidedMetadataRefused(t *testing.T) {
	tests := []struct {
		name, doc string
		words     []string // the problem must say these
	}{
		{"not JSON", `resource=https://mcp.example.com/mcp`, []string{"is not valid protected resource metadata"}},
		{"no authorization server", `{"resource": "https://mcp.example.com/mcp", "authorization_servers": []}`,
			[]string{"is not valid protected resource metadata", "authorization_servers"}},
		{"query bearer method", `{"resource": "https://mcp.example.com/mcp", "authorization_servers": ["https://acme.scalekit.dev"], "bearer_methods_supported": ["query"]}`,
			[]string{"is not valid protected resource metadata", "query"}},
		{"another server's resource", `{"resource": "https://other.example.com/mcp", "authorization_servers": ["https://acme.scalekit.dev"], "bearer_methods_supported": ["header"]}`,
			[]string{"https://other.example.com/mcp", "MCP_RESOURCE_URL", "https://mcp.example.com/mcp", "must be equal"}},
		{"the resource with a trailing slash", `{"resource": "https://mcp.example.com/mcp/", "authorization_servers": ["https://acme.scalekit.dev"]}`,
			[]string{"MCP_RESOURCE_URL", "must be equal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, problems := read(provider.Scalekit, greeting, map[string]string{
				"MCP_RESOURCE_URL":            "https://mcp.example.com/mcp",
				"SK_ENV_URL":                  "https://acme.scalekit.dev",
				"PROTECTED_RESOURCE_METADATA": tt.doc,
			})
			if problemAbout(problems, append([]string{"PROTECTED_RESOURCE_METADATA"}, tt.words...)...) == "" {
				t.Errorf("no PROTECTED_RESOURCE_METADATA problem saying %q:\n%s", tt.words, strings.Join(problems, "\n"))
			}
			if s.ProvidedMetadata != nil {
				t.Errorf("ProvidedMetadata = %+v, want nil", s.ProvidedMetadata)
			}
		})
	}
}

// TestReadAuthorizationServersOverrideProvidedMetadata: AUTH_AUTHORIZATION_SERVERS
// replaces the document's authorization_servers, in what is served and in the issuers.
func TestReadAuthorizationServersOverrideProvidedMetadata(t *testing.T) {
	override := []string{"https://acme.scalekit.dev/resources/res_456"}
	s := mustRead(t, provider.Scalekit, greeting, map[string]string{
		"MCP_RESOURCE_URL":            "https://mcp.example.com/mcp",
		"SK_ENV_URL":                  "https://acme.scalekit.dev",
		"PROTECTED_RESOURCE_METADATA": scalekitMetadata,
		"AUTH_AUTHORIZATION_SERVERS":  override[0],
	})
	if !slices.Equal(s.AuthorizationServers, override) {
		t.Errorf("AuthorizationServers = %q, want %q", s.AuthorizationServers, override)
	}
	if m := s.Metadata("greeting-server", nil); !slices.Equal(m.AuthorizationServers, override) || !slices.Equal(m.ScopesSupported, []string{"usr:read"}) {
		t.Errorf("Metadata = %+v, want the document with authorization_servers %q", m, override)
	}
	if want := []string{"https://acme.scalekit.dev", override[0]}; !slices.Equal(s.Issuers, want) {
		t.Errorf("Issuers = %q, want %q", s.Issuers, want)
	}
}

// TestReadProvidedMetadataIsPresetOnly: a preset without a metadata setting ignores it.
func TestReadProvidedMetadataIsPresetOnly(t *testing.T) {
	s := mustRead(t, provider.Generic, greeting, map[string]string{"PROTECTED_RESOURCE_METADATA": "not even JSON"})
	if s.ProvidedMetadata != nil {
		t.Errorf("ProvidedMetadata = %+v, want nil", s.ProvidedMetadata)
	}
}

// TestReadResourceIssuers: a Scalekit resource issuer is accepted when advertised,
// and only for Scalekit.
func TestReadResourceIssuers(t *testing.T) {
	env := map[string]string{
		"AUTH_ISSUER":                "https://acme.scalekit.dev",
		"AUTH_AUTHORIZATION_SERVERS": "https://acme.scalekit.dev/resources/res_1,https://other.scalekit.dev/resources/res_2",
	}
	s := mustRead(t, provider.Scalekit, greeting, env)
	if want := []string{"https://acme.scalekit.dev", "https://acme.scalekit.dev/resources/res_1"}; !slices.Equal(s.Issuers, want) {
		t.Errorf("Scalekit Issuers = %q, want %q", s.Issuers, want)
	}
	s = mustRead(t, provider.Generic, greeting, env)
	if want := []string{"https://acme.scalekit.dev"}; !slices.Equal(s.Issuers, want) {
		t.Errorf("generic Issuers = %q, want %q", s.Issuers, want)
	}
}

func TestReadJWKSURL(t *testing.T) {
	const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	entraV2 := "https://login.microsoftonline.com/" + tenant + "/v2.0"
	custom := settings.Defaults{Port: 3002, ResourceURL: "http://localhost:3002/mcp",
		Issuer: "https://example.scalekit.dev", JWKSURL: "https://keys.example.com/chosen-at-generation"}
	tests := []struct {
		name   string
		preset provider.Preset
		d      settings.Defaults
		env    map[string]string
		want   string // "" means discover from the issuer's metadata
	}{
		{"the default issuer uses the default JWKS URL", provider.Scalekit, custom, nil, custom.JWKSURL},
		{"the default issuer set explicitly too", provider.Scalekit, custom, map[string]string{"AUTH_ISSUER": custom.Issuer}, custom.JWKSURL},
		{"another issuer uses the preset's", provider.Scalekit, custom, map[string]string{"AUTH_ISSUER": "https://acme.scalekit.dev"}, "https://acme.scalekit.dev/keys"},
		{"no default JWKS URL", provider.Scalekit, settings.Defaults{Port: 3002, ResourceURL: "http://localhost:3002/mcp", Issuer: "https://example.scalekit.dev"}, nil, "https://example.scalekit.dev/keys"},
		{"AUTH_JWKS_URL wins", provider.Scalekit, custom, map[string]string{"AUTH_JWKS_URL": "https://keys.example.com/other"}, "https://keys.example.com/other"},
		{"AUTH_JWKS_URL wins over another issuer", provider.Okta, custom, map[string]string{
			"AUTH_ISSUER": "https://acme.okta.com", "AUTH_JWKS_URL": "https://acme.okta.com/oauth2/v1/keys"}, "https://acme.okta.com/oauth2/v1/keys"},
		{"Okta custom authorization server", provider.Okta, custom, map[string]string{"AUTH_ISSUER": "https://acme.okta.com/oauth2/default"},
			"https://acme.okta.com/oauth2/default/v1/keys"},
		{"Okta org authorization server: discover", provider.Okta, custom, map[string]string{"AUTH_ISSUER": "https://acme.okta.com"}, ""},
		{"Entra v2.0", provider.Entra, custom, map[string]string{"AUTH_ISSUER": entraV2},
			"https://login.microsoftonline.com/" + tenant + "/discovery/v2.0/keys"},
		{"Entra v1.0: discover", provider.Entra, custom, map[string]string{"AUTH_ISSUER": "https://sts.windows.net/" + tenant + "/"}, ""},
		{"Keycloak realm", provider.Keycloak, custom, map[string]string{"AUTH_ISSUER": "https://sso.example.com/realms/acme"},
			"https://sso.example.com/realms/acme/protocol/openid-connect/certs"},
		{"Auth0", provider.Auth0, custom, map[string]string{"AUTH_ISSUER": "https://acme.us.auth0.com/"}, "https://acme.us.auth0.com/.well-known/jwks.json"},
		{"Cognito", provider.Cognito, custom, map[string]string{"AUTH_ISSUER": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A"},
			"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A/.well-known/jwks.json"},
		{"WorkOS", provider.WorkOS, custom, map[string]string{"AUTH_ISSUER": "https://acme-42.authkit.app"}, "https://acme-42.authkit.app/oauth2/jwks"},
		{"generic: discover", provider.Generic, custom, map[string]string{"AUTH_ISSUER": "https://auth.example.com"}, ""},
		{"dev", provider.Dev, custom, map[string]string{"AUTH_ISSUER": "http://127.0.0.1:3003"}, "http://127.0.0.1:3003/jwks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s := mustRead(t, tt.preset, tt.d, tt.env); s.JWKSURL != tt.want {
				t.Errorf("JWKSURL = %q, want %q", s.JWKSURL, tt.want)
			}
		})
	}
}

// TestReadEntraIssuers: the tenant's v1.0 issuer is accepted with its v2.0 one, but
// only the configured issuer is advertised.
func TestReadEntraIssuers(t *testing.T) {
	const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	v2 := "https://login.microsoftonline.com/" + tenant + "/v2.0"
	s := mustRead(t, provider.Entra, greeting, map[string]string{"AUTH_ISSUER": v2})
	if want := []string{v2, "https://sts.windows.net/" + tenant + "/"}; !slices.Equal(s.Issuers, want) {
		t.Errorf("Issuers = %q, want %q", s.Issuers, want)
	}
	if !slices.Equal(s.AuthorizationServers, []string{v2}) {
		t.Errorf("AuthorizationServers = %q, want the v2.0 issuer alone", s.AuthorizationServers)
	}
}

func TestReadOpaqueTokens(t *testing.T) {
	creds := map[string]string{
		"AUTH_TOKEN_FORMAT":                "opaque",
		"AUTH_INTROSPECTION_URL":           "https://acme.okta.com/oauth2/default/v1/introspect",
		"AUTH_INTROSPECTION_CLIENT_ID":     "rs-client",
		"AUTH_INTROSPECTION_CLIENT_SECRET": "rs-secret",
	}
	s := mustRead(t, provider.Okta, greeting, creds)
	want := settings.Introspection{URL: creds["AUTH_INTROSPECTION_URL"], ClientID: "rs-client", ClientSecret: "rs-secret"}
	if s.Introspection == nil || *s.Introspection != want {
		t.Errorf("Introspection = %+v, want %+v", s.Introspection, want)
	}

	discovered := maps.Clone(creds)
	delete(discovered, "AUTH_INTROSPECTION_URL")
	discovered["AUTH_TOKEN_FORMAT"] = "OPAQUE"
	if s := mustRead(t, provider.Generic, greeting, discovered); s.Introspection == nil || s.Introspection.URL != "" {
		t.Errorf("Introspection = %+v, want one with the URL left to discovery", s.Introspection)
	}

	_, problems := read(provider.Keycloak, greeting, map[string]string{"AUTH_TOKEN_FORMAT": "opaque"})
	for _, name := range []string{"AUTH_INTROSPECTION_CLIENT_ID", "AUTH_INTROSPECTION_CLIENT_SECRET"} {
		if problemAbout(problems, name, "is required") == "" {
			t.Errorf("opaque without %s: no problem names it:\n%s", name, strings.Join(problems, "\n"))
		}
	}

	for _, p := range provider.All {
		if p.Introspection {
			continue
		}
		s, problems := read(p, greeting, creds)
		if problemAbout(problems, "AUTH_TOKEN_FORMAT=opaque", p.Title) == "" {
			t.Errorf("%s: opaque tokens accepted for a preset without introspection:\n%s", p.Name, strings.Join(problems, "\n"))
		}
		if s.Introspection != nil {
			t.Errorf("%s: Introspection = %+v, want nil", p.Name, s.Introspection)
		}
	}

	if _, problems := read(provider.Okta, greeting, map[string]string{"AUTH_TOKEN_FORMAT": "paseto"}); problemAbout(problems, "AUTH_TOKEN_FORMAT", "paseto") == "" {
		t.Errorf("AUTH_TOKEN_FORMAT=paseto: no problem names it:\n%s", strings.Join(problems, "\n"))
	}
	// JWTs need no introspection client.
	if s := mustRead(t, provider.Okta, greeting, map[string]string{"AUTH_TOKEN_FORMAT": "JWT"}); s.Introspection != nil {
		t.Errorf("AUTH_TOKEN_FORMAT=JWT: Introspection = %+v, want nil", s.Introspection)
	}
}

// TestReadBadOperations: each malformed production setting is named, one at a time and
// all at once.
func TestReadBadOperations(t *testing.T) {
	tests := []struct {
		name, value string
		words       []string // the problem must say these besides the name
	}{
		{"PORT", "eighty", nil},
		{"PORT", "0", []string{"out of range"}},
		{"PORT", "65536", []string{"out of range"}},
		{"LOG_LEVEL", "loud", nil},
		{"LOG_FORMAT", "xml", []string{"json, text"}},
		{"TLS_CERT_FILE", "cert.pem", []string{"TLS_KEY_FILE", "together"}},
		{"TLS_KEY_FILE", "key.pem", []string{"TLS_CERT_FILE", "together"}},
		{"MAX_BODY_BYTES", "lots", nil},
		{"MAX_BODY_BYTES", "1023", []string{"out of range"}},
		{"MAX_BODY_BYTES", "1073741825", []string{"out of range"}},
		{"SHUTDOWN_TIMEOUT", "soon", nil},
		{"SHUTDOWN_TIMEOUT", "30", []string{"unit"}},
		{"SHUTDOWN_TIMEOUT", "-1s", []string{"negative"}},
		{"RATE_LIMIT_PER_MINUTE", "-1", []string{"out of range"}},
		{"RATE_LIMIT_PER_MINUTE", "1000001", []string{"out of range"}},
		{"AUTH_FAILURES_PER_MINUTE", "many", nil},
		{"REDIS_URL", "http://user:hunter2@redis:6379", nil},
		{"TRUSTED_PROXIES", "10.0.0.0/8,load-balancer", nil},
		{"TRUSTED_PROXIES", "10.0.0.0/33", nil},
		{"MCP_SESSION_KEY", sessionKey[:len(sessionKey)-1], []string{"at least 32 bytes", "openssl rand"}},
	}
	all := map[string]string{}
	for _, tt := range tests {
		all[tt.name] = tt.value
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, problems := read(provider.Scalekit, greeting, map[string]string{tt.name: tt.value})
			if problemAbout(problems, append([]string{tt.name}, tt.words...)...) == "" {
				t.Errorf("no problem names %s saying %q:\n%s", tt.name, tt.words, strings.Join(problems, "\n"))
			}
			if len(problems) != 1 {
				t.Errorf("%d problems, want 1:\n%s", len(problems), strings.Join(problems, "\n"))
			}
			if strings.Contains(strings.Join(problems, "\n"), "hunter2") {
				t.Errorf("a problem repeats the Redis password or the session key:\n%s", strings.Join(problems, "\n"))
			}
		})
	}
	_, problems := read(provider.Scalekit, greeting, all)
	for name := range all {
		if problemAbout(problems, name) == "" {
			t.Errorf("all at once: no problem names %s:\n%s", name, strings.Join(problems, "\n"))
		}
	}
}

func TestReadTLS(t *testing.T) {
	cert, key := writeCertificate(t)
	s := mustRead(t, provider.Scalekit, greeting, map[string]string{"TLS_CERT_FILE": cert, "TLS_KEY_FILE": key})
	if s.Ops.TLS == nil || len(s.Ops.TLS.Certificates) != 1 || s.Ops.TLS.MinVersion != tls.VersionTLS12 {
		t.Errorf("Ops.TLS = %+v, want the certificate with TLS 1.2 at least", s.Ops.TLS)
	}

	_, problems := read(provider.Scalekit, greeting, map[string]string{"TLS_CERT_FILE": key, "TLS_KEY_FILE": cert})
	if problemAbout(problems, "TLS_CERT_FILE/TLS_KEY_FILE", key) == "" {
		t.Errorf("swapped files: no problem names them:\n%s", strings.Join(problems, "\n"))
	}
	missing := filepath.Join(t.TempDir(), "missing.pem")
	_, problems = read(provider.Scalekit, greeting, map[string]string{"TLS_CERT_FILE": missing, "TLS_KEY_FILE": key})
	if problemAbout(problems, "TLS_CERT_FILE/TLS_KEY_FILE", missing) == "" {
		t.Errorf("missing certificate: no problem names it:\n%s", strings.Join(problems, "\n"))
	}
}

// writeCertificate writes a self-signed certificate for localhost and its key as PEM
// files, returning their paths.
func writeCertificate(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestValidatorConfigCarriesThePreset: the claims each preset's tokens use reach the
// validator and the introspector.
func TestValidatorConfigCarriesThePreset(t *testing.T) {
	for _, p := range provider.All {
		t.Run(p.Name, func(t *testing.T) {
			s := mustRead(t, p, greeting, map[string]string{
				"AUTH_ISSUER":   "https://auth.example.com",
				"AUTH_AUDIENCE": "https://mcp.example.com/mcp,api://mcp",
			})
			vc := s.ValidatorConfig()
			checkClaims(t, "ValidatorConfig", p, vc.ScopeClaims, vc.OrganizationClaims, vc.RequiredClaims)
			if !slices.Equal(vc.Issuers, s.Issuers) || !slices.Equal(vc.Audiences, []string{"https://mcp.example.com/mcp", "api://mcp"}) {
				t.Errorf("ValidatorConfig Issuers %q, Audiences %q; want the settings'", vc.Issuers, vc.Audiences)
			}
			if vc.AudienceFromClientID != p.AudienceFromClientID {
				t.Errorf("AudienceFromClientID = %v, want %v", vc.AudienceFromClientID, p.AudienceFromClientID)
			}
			if vc.CacheEntries != auth.DefaultCacheEntries {
				t.Errorf("CacheEntries = %d, want %d", vc.CacheEntries, auth.DefaultCacheEntries)
			}

			if !slices.Equal(vc.AppScopeClaims, p.AppScopeClaims) || (vc.IsAppOnly == nil) != (p.AppOnly == nil) {
				t.Errorf("AppScopeClaims %q (test set: %v), want the preset's %q", vc.AppScopeClaims, vc.IsAppOnly != nil, p.AppScopeClaims)
			}

			ic := s.IntrospectionConfig("https://auth.example.com/introspect")
			// An introspection response names the granted scopes in scope (RFC 7662
			// §2.2), whichever claim the provider's JWTs use.
			if !slices.Equal(ic.ScopeClaims, []string{"scope"}) {
				t.Errorf("IntrospectionConfig ScopeClaims = %q, want [scope]", ic.ScopeClaims)
			}
			pi := p
			pi.ScopeClaims = ic.ScopeClaims
			checkClaims(t, "IntrospectionConfig", pi, ic.ScopeClaims, ic.OrganizationClaims, ic.RequiredClaims)
			if ic.Endpoint != "https://auth.example.com/introspect" || !slices.Equal(ic.Issuers, s.Issuers) || !slices.Equal(ic.Audiences, s.Audiences) {
				t.Errorf("IntrospectionConfig = %+v, want the endpoint and the settings' issuers and audiences", ic)
			}
			if ic.ClientID != "" || ic.ClientSecret != "" {
				t.Errorf("IntrospectionConfig client = %q/%q without AUTH_TOKEN_FORMAT=opaque, want none", ic.ClientID, ic.ClientSecret)
			}
		})
	}
	// What the provider fixtures rely on, spelled out.
	entra := mustRead(t, provider.Entra, greeting, nil).ValidatorConfig()
	if !slices.Equal(entra.ScopeClaims, []string{"scp"}) || !slices.Equal(entra.AppScopeClaims, []string{"roles"}) || !slices.Equal(entra.OrganizationClaims, []string{"tid"}) {
		t.Errorf("Entra scope claims %q, app-only %q, organization claims %q; want [scp], [roles] and [tid]", entra.ScopeClaims, entra.AppScopeClaims, entra.OrganizationClaims)
	}
	cognito := mustRead(t, provider.Cognito, greeting, nil).ValidatorConfig()
	if !cognito.AudienceFromClientID || cognito.RequiredClaims["token_use"] != "access" || cognito.ScopePrefix != greeting.ResourceURL+"/" {
		t.Errorf("Cognito AudienceFromClientID %v, RequiredClaims %v, ScopePrefix %q; want true, token_use=access and %s/",
			cognito.AudienceFromClientID, cognito.RequiredClaims, cognito.ScopePrefix, greeting.ResourceURL)
	}
	if okta := mustRead(t, provider.Okta, greeting, nil).ValidatorConfig(); okta.OrganizationClaims == nil || len(okta.OrganizationClaims) != 0 {
		t.Errorf("Okta OrganizationClaims = %#v, want empty (none), not nil (the defaults)", okta.OrganizationClaims)
	}
}

// checkClaims compares claim settings with the preset's, nil apart from empty: nil
// means the runtime's defaults, empty means none.
func checkClaims(t *testing.T, what string, p provider.Preset, scope, org []string, required map[string]string) {
	t.Helper()
	if !slices.Equal(scope, p.ScopeClaims) || (scope == nil) != (p.ScopeClaims == nil) {
		t.Errorf("%s ScopeClaims = %#v, want %#v", what, scope, p.ScopeClaims)
	}
	if !slices.Equal(org, p.OrganizationClaims) || (org == nil) != (p.OrganizationClaims == nil) {
		t.Errorf("%s OrganizationClaims = %#v, want %#v", what, org, p.OrganizationClaims)
	}
	if !maps.Equal(required, p.RequiredClaims) {
		t.Errorf("%s RequiredClaims = %v, want %v", what, required, p.RequiredClaims)
	}
}

func TestIntrospectionConfigCarriesTheClient(t *testing.T) {
	s := mustRead(t, provider.Okta, greeting, map[string]string{
		"AUTH_TOKEN_FORMAT":                "opaque",
		"AUTH_INTROSPECTION_CLIENT_ID":     "rs-client",
		"AUTH_INTROSPECTION_CLIENT_SECRET": "rs-secret",
	})
	ic := s.IntrospectionConfig("https://acme.okta.com/oauth2/default/v1/introspect")
	if ic.ClientID != "rs-client" || ic.ClientSecret != "rs-secret" {
		t.Errorf("IntrospectionConfig client = %q/%q, want rs-client/rs-secret", ic.ClientID, ic.ClientSecret)
	}
}

func TestMetadataBuilt(t *testing.T) {
	s := mustRead(t, provider.Generic, greeting, map[string]string{
		"MCP_RESOURCE_URL":           "https://mcp.example.com/mcp",
		"AUTH_ISSUER":                "https://auth.example.com",
		"AUTH_AUTHORIZATION_SERVERS": "https://auth.example.com,https://backup.example.com",
	})
	got := s.Metadata("greeting-server", []string{"usr:read"})
	want := auth.ProtectedResourceMetadata{
		Resource:               "https://mcp.example.com/mcp",
		AuthorizationServers:   []string{"https://auth.example.com", "https://backup.example.com"},
		ScopesSupported:        []string{"usr:read"},
		BearerMethodsSupported: []string{"header"},
		ResourceName:           "greeting-server",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Metadata = %+v, want %+v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("the built metadata is invalid: %v", err)
	}
}

func TestNewLogger(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		want     []string // substrings of the output
		wantNot  []string
		wantJSON bool
	}{
		{"json at info by default", nil, []string{`"level":"INFO"`, `"msg":"info line"`}, []string{"debug line"}, true},
		{"text", map[string]string{"LOG_FORMAT": "text"}, []string{"level=INFO", `msg="info line"`}, []string{"debug line"}, false},
		{"debug", map[string]string{"LOG_LEVEL": "debug"}, []string{"debug line", "info line", "warn line"}, nil, true},
		{"warn", map[string]string{"LOG_LEVEL": "warn", "LOG_FORMAT": "TEXT"}, []string{"level=WARN", "warn line"}, []string{"info line", "debug line"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger := mustRead(t, provider.Generic, greeting, tt.env).NewLogger(&buf)
			logger.Debug("debug line")
			logger.Info("info line")
			logger.Warn("warn line")
			out := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("the log lacks %s:\n%s", w, out)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(out, w) {
					t.Errorf("the log has %s:\n%s", w, out)
				}
			}
			first, _, _ := strings.Cut(out, "\n")
			if isJSON := json.Valid([]byte(first)); isJSON != tt.wantJSON {
				t.Errorf("first line %q: JSON %v, want %v", first, isJSON, tt.wantJSON)
			}
		})
	}
}

// TestLoad reads the .env file, lets the process environment win, and returns every
// problem as one error.
func TestLoad(t *testing.T) {
	unsetenv(t, "MCP_RESOURCE_URL", "AUTH_ISSUER", "AUTH_JWKS_URL", "AUTH_AUDIENCE", "AUTH_AUTHORIZATION_SERVERS", "SK_ENV_URL")
	dir := t.TempDir()
	dotenv := filepath.Join(dir, ".env")
	if err := os.WriteFile(dotenv, []byte("AUTH_ISSUER=https://file.example.com\nMCP_RESOURCE_URL=https://mcp.example.com/mcp\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MCP_RESOURCE_URL", "https://env.example.com/mcp")
	s, err := settings.Load(dotenv, provider.Generic, greeting)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !slices.Equal(s.Issuers, []string{"https://file.example.com"}) || s.ResourceURL != "https://env.example.com/mcp" {
		t.Errorf("Issuers %q, ResourceURL %q; want the file's issuer and the environment's resource", s.Issuers, s.ResourceURL)
	}

	if _, err := settings.Load(filepath.Join(dir, "missing.env"), provider.Generic, greeting); err != nil {
		t.Errorf("Load without a .env file: %v", err)
	}

	t.Setenv("AUTH_ISSUER", "http://auth.example.com")
	var cfgErr *envconfig.Error
	if _, err := settings.Load(dotenv, provider.Generic, greeting); !errors.As(err, &cfgErr) || problemAbout(cfgErr.Problems, "AUTH_ISSUER") == "" {
		t.Errorf("Load = %v, want an *envconfig.Error naming AUTH_ISSUER", err)
	}

	bad := filepath.Join(dir, "bad.env")
	if err := os.WriteFile(bad, []byte("AUTH_ISSUER=\"unclosed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var dotErr *envconfig.DotenvError
	if _, err := settings.Load(bad, provider.Generic, greeting); !errors.As(err, &dotErr) || !strings.Contains(err.Error(), "load settings") {
		t.Errorf("Load of a malformed file = %v, want a wrapped *envconfig.DotenvError", err)
	}
}

// unsetenv unsets names for the test, restoring them after it.
func unsetenv(t *testing.T, names ...string) {
	t.Helper()
	for _, name := range names {
		t.Setenv(name, "")
		if err := os.Unsetenv(name); err != nil {
			t.Fatal(err)
		}
	}
}

// TestScopePrefix: Cognito servers name their scopes to clients with the resource
// server identifier (default MCP_RESOURCE_URL and a slash, or AUTH_SCOPE_PREFIX) in the
// metadata and in the validator's config; other presets have no prefix unless set.
func TestScopePrefix(t *testing.T) {
	cognito := mustRead(t, provider.Cognito, greeting, nil)
	want := greeting.ResourceURL + "/"
	if cognito.ScopePrefix != want || cognito.ValidatorConfig().ScopePrefix != want {
		t.Errorf("Cognito ScopePrefix = %q, validator %q; want %q", cognito.ScopePrefix, cognito.ValidatorConfig().ScopePrefix, want)
	}
	if got := cognito.Metadata("greeting", []string{"usr:read"}).ScopesSupported; !slices.Equal(got, []string{want + "usr:read"}) {
		t.Errorf("Cognito scopes_supported = %q, want the full name", got)
	}
	set := mustRead(t, provider.Cognito, greeting, map[string]string{"AUTH_SCOPE_PREFIX": "mcp-api/"})
	if set.ScopePrefix != "mcp-api/" || set.IntrospectionConfig("").ScopePrefix != "mcp-api/" {
		t.Errorf("AUTH_SCOPE_PREFIX=mcp-api/: ScopePrefix = %q", set.ScopePrefix)
	}
	if g := mustRead(t, provider.Generic, greeting, nil); g.ScopePrefix != "" || !slices.Equal(g.Metadata("g", []string{"usr:read"}).ScopesSupported, []string{"usr:read"}) {
		t.Errorf("generic ScopePrefix = %q, want none", g.ScopePrefix)
	}
	_, problems := read(provider.Cognito, greeting, map[string]string{"AUTH_SCOPE_PREFIX": "has space/"})
	if problemAbout(problems, "AUTH_SCOPE_PREFIX") == "" {
		t.Errorf("AUTH_SCOPE_PREFIX with a space: problems %q, want one naming it", problems)
	}
}

// TestReadIssuers: AUTH_ISSUERS trusts several authorization servers, each with its own
// keys (the preset's convention per issuer, else discovered) and the preset's variants
// of its iss; all are advertised unless AUTH_AUTHORIZATION_SERVERS says otherwise.
func TestReadIssuers(t *testing.T) {
	const t1, t2 = "72f988bf-86f1-41af-91ab-2d7cd011db47", "0b8d6e0a-4f7c-4a4e-9d7e-3b0b6e3f2a11"
	entra := func(tenant string) string { return "https://login.microsoftonline.com/" + tenant + "/v2.0" }
	entraKeys := func(tenant string) string {
		return "https://login.microsoftonline.com/" + tenant + "/discovery/v2.0/keys"
	}
	tests := []struct {
		name    string
		preset  provider.Preset
		env     map[string]string
		trusted []settings.TrustedIssuer
		servers []string
	}{
		{"two issuers, discovered", provider.Generic,
			map[string]string{"AUTH_ISSUERS": "https://a.example.com, http://localhost:3003"},
			[]settings.TrustedIssuer{
				{Issuer: "https://a.example.com", Accepted: []string{"https://a.example.com"}},
				{Issuer: "http://localhost:3003", Accepted: []string{"http://localhost:3003"}},
			}, []string{"https://a.example.com", "http://localhost:3003"}},
		{"AUTH_ISSUER first, duplicates once", provider.Generic,
			map[string]string{"AUTH_ISSUER": "https://a.example.com", "AUTH_ISSUERS": "https://b.example.com,https://a.example.com,https://b.example.com"},
			[]settings.TrustedIssuer{
				{Issuer: "https://a.example.com", Accepted: []string{"https://a.example.com"}},
				{Issuer: "https://b.example.com", Accepted: []string{"https://b.example.com"}},
			}, []string{"https://a.example.com", "https://b.example.com"}},
		{"one item is the single-issuer case", provider.Generic,
			map[string]string{"AUTH_ISSUERS": "https://a.example.com", "AUTH_JWKS_URL": "https://keys.example.com/a"},
			[]settings.TrustedIssuer{{Issuer: "https://a.example.com", Accepted: []string{"https://a.example.com"}, JWKSURL: "https://keys.example.com/a"}},
			[]string{"https://a.example.com"}},
		{"the generation default only when named, with its JWKS URL", provider.Scalekit,
			map[string]string{"AUTH_ISSUERS": "https://acme.scalekit.dev," + greeting.Issuer},
			[]settings.TrustedIssuer{
				{Issuer: "https://acme.scalekit.dev", Accepted: []string{"https://acme.scalekit.dev"}, JWKSURL: "https://acme.scalekit.dev/keys"},
				{Issuer: greeting.Issuer, Accepted: []string{greeting.Issuer}, JWKSURL: greeting.JWKSURL},
			}, []string{"https://acme.scalekit.dev", greeting.Issuer}},
		{"Scalekit resource issuers per environment", provider.Scalekit,
			map[string]string{
				"AUTH_ISSUERS":               "https://a.scalekit.dev,https://b.scalekit.dev,https://a.scalekit.dev/resources/r1",
				"AUTH_AUTHORIZATION_SERVERS": "https://a.scalekit.dev/resources/r1,https://b.scalekit.dev/resources/r2",
			},
			[]settings.TrustedIssuer{
				{Issuer: "https://a.scalekit.dev", Accepted: []string{"https://a.scalekit.dev", "https://a.scalekit.dev/resources/r1"}, JWKSURL: "https://a.scalekit.dev/keys"},
				{Issuer: "https://b.scalekit.dev", Accepted: []string{"https://b.scalekit.dev", "https://b.scalekit.dev/resources/r2"}, JWKSURL: "https://b.scalekit.dev/keys"},
			}, []string{"https://a.scalekit.dev/resources/r1", "https://b.scalekit.dev/resources/r2"}},
		{"Entra tenants, each with its v1.0 issuer and keys", provider.Entra,
			map[string]string{"AUTH_ISSUERS": entra(t1) + "," + entra(t2)},
			[]settings.TrustedIssuer{
				{Issuer: entra(t1), Accepted: []string{entra(t1), "https://sts.windows.net/" + t1 + "/"}, JWKSURL: entraKeys(t1)},
				{Issuer: entra(t2), Accepted: []string{entra(t2), "https://sts.windows.net/" + t2 + "/"}, JWKSURL: entraKeys(t2)},
			}, []string{entra(t1), entra(t2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustRead(t, tt.preset, greeting, tt.env)
			if !reflect.DeepEqual(s.TrustedIssuers, tt.trusted) {
				t.Errorf("TrustedIssuers = %+v\nwant %+v", s.TrustedIssuers, tt.trusted)
			}
			var all []string
			for _, ti := range tt.trusted {
				all = append(all, ti.Accepted...)
			}
			if !slices.Equal(s.Issuers, all) || !slices.Equal(s.ValidatorConfig().Issuers, all) {
				t.Errorf("Issuers = %q, ValidatorConfig().Issuers = %q, want %q", s.Issuers, s.ValidatorConfig().Issuers, all)
			}
			if !slices.Equal(s.AuthorizationServers, tt.servers) || !slices.Equal(s.Metadata("x", nil).AuthorizationServers, tt.servers) {
				t.Errorf("AuthorizationServers = %q, want %q", s.AuthorizationServers, tt.servers)
			}
			if want := tt.trusted[0].JWKSURL; len(tt.trusted) > 1 && s.JWKSURL != "" || len(tt.trusted) == 1 && s.JWKSURL != want {
				t.Errorf("JWKSURL = %q with %d issuers", s.JWKSURL, len(tt.trusted))
			}
		})
	}
	// Without AUTH_ISSUERS nothing changes: one trusted issuer, the generation default.
	s := mustRead(t, provider.Scalekit, greeting, nil)
	if want := []settings.TrustedIssuer{{Issuer: greeting.Issuer, Accepted: []string{greeting.Issuer}, JWKSURL: greeting.JWKSURL}}; !reflect.DeepEqual(s.TrustedIssuers, want) {
		t.Errorf("default TrustedIssuers = %+v, want %+v", s.TrustedIssuers, want)
	}
}

// TestReadIssuersRefused: each bad AUTH_ISSUERS, and each setting that cannot hold with
// several issuers, is named.
func TestReadIssuersRefused(t *testing.T) {
	two := "https://a.example.com,https://b.example.com"
	tests := []struct {
		name   string
		preset provider.Preset
		env    map[string]string
		words  []string
	}{
		{"plain http", provider.Generic, map[string]string{"AUTH_ISSUERS": "https://a.example.com,http://b.example.com"},
			[]string{"AUTH_ISSUERS", `"http://b.example.com"`, "must use https"}},
		{"not a URL", provider.Generic, map[string]string{"AUTH_ISSUERS": "https://a.example.com,b.example.com"},
			[]string{"AUTH_ISSUERS item 2", "not an http or https URL"}},
		{"credentials", provider.Generic, map[string]string{"AUTH_ISSUERS": "https://user:pw@a.example.com"},
			[]string{"AUTH_ISSUERS item 1", "contains credentials"}},
		{"no item", provider.Generic, map[string]string{"AUTH_ISSUERS": " , "},
			[]string{"AUTH_ISSUERS names no issuer"}},
		{"one JWKS URL for several issuers", provider.Generic, map[string]string{"AUTH_ISSUERS": two, "AUTH_JWKS_URL": "https://a.example.com/keys"},
			[]string{"AUTH_JWKS_URL", "AUTH_ISSUERS", "unset it"}},
		{"opaque tokens of several issuers", provider.Okta, map[string]string{
			"AUTH_ISSUERS": two, "AUTH_TOKEN_FORMAT": "opaque",
			"AUTH_INTROSPECTION_CLIENT_ID": "rs", "AUTH_INTROSPECTION_CLIENT_SECRET": "secret",
		}, []string{"AUTH_TOKEN_FORMAT=opaque", "AUTH_ISSUERS names 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, problems := read(tt.preset, greeting, tt.env)
			if problemAbout(problems, tt.words...) == "" {
				t.Errorf("no problem names %q:\n%s", tt.words, strings.Join(problems, "\n"))
			}
			if slices.Contains(s.Issuers, greeting.Issuer) {
				t.Errorf("Issuers = %q: the generation default is trusted though AUTH_ISSUERS is set", s.Issuers)
			}
			if s.Introspection != nil {
				t.Errorf("Introspection = %+v with several issuers", s.Introspection)
			}
			for _, iss := range s.Issuers {
				if strings.Contains(iss, "http://b.") || strings.Contains(iss, "pw@") {
					t.Errorf("Issuers = %q: a refused item is trusted", s.Issuers)
				}
			}
		})
	}
}
