// Package settings reads and checks a generated server's settings: the OAuth settings
// (MCP_RESOURCE_URL, AUTH_*), the identity provider's own names for them, and the
// production settings (TLS, limits, logs, metrics, rate limits). Every rule about what
// the server trusts lives here, not in the generated project: URLs that keys, metadata
// or tokens travel over must be https (plain http only to loopback), lists must hold
// absolute URLs, and the provider preset decides the issuers and key location.
//
// A generated project's internal/config calls Read once with the values chosen at
// generation (Defaults) and its preset, then adds its own settings to the same
// envconfig.Env, so an operator sees every problem in one failed start.
package settings

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/envconfig"
	"github.com/mcpgen/mcpgen/runtime/loopback"
	"github.com/mcpgen/mcpgen/runtime/provider"
)

// Defaults are the values chosen when the project was generated; the environment
// overrides each.
type Defaults struct {
	Port        int
	ResourceURL string // canonical URL of the MCP endpoint
	Issuer      string
	// JWKSURL is used while the issuer is Issuer; for another issuer the preset's
	// convention applies, else the keys are discovered from the issuer's metadata.
	JWKSURL string
	// Audiences accepted when AUTH_AUDIENCE is unset; nil means the resource URL.
	Audiences []string
}

// Settings are a server's validated settings.
type Settings struct {
	Host           string     // listen address (HOST)
	Port           int        // listen port (PORT)
	ResourceURL    string     // canonical URL of the MCP endpoint, as clients reach it
	Issuers        []string   // accepted token issuers (iss)
	Audiences      []string   // accepted token audiences (aud)
	JWKSURL        string     // where the issuer publishes its keys; "" means discover it
	AllowedOrigins []string   // browser origins allowed besides the server's own
	LogLevel       slog.Level // minimum level logged

	// AuthorizationServers are advertised in the protected resource metadata.
	AuthorizationServers []string
	// Introspection is set when AUTH_TOKEN_FORMAT=opaque: tokens are then checked by
	// asking the authorization server (RFC 7662) instead of as JWTs.
	Introspection *Introspection
	// ProvidedMetadata is the protected resource metadata given whole in the
	// provider's metadata setting, served as given; nil when the server builds its own.
	ProvidedMetadata *auth.ProtectedResourceMetadata
	// Provider is the identity provider preset the server was generated for.
	Provider provider.Preset
	// ScopePrefix, when set, is the prefix of this server's scopes in tokens
	// (AUTH_SCOPE_PREFIX): a token must carry a scope with it, and only those count.
	// Presets whose tokens name the API only this way (Cognito) default it to
	// MCP_RESOURCE_URL + "/".
	ScopePrefix string

	// Ops are the production settings: see Operations.
	Ops Operations
}

// Introspection is how to reach the token introspection endpoint.
type Introspection struct {
	URL          string // "" when it is discovered from the issuer's metadata
	ClientID     string
	ClientSecret string
}

// Load reads the settings from the process environment and the .env file at
// dotenvPath (missing is fine), and returns every problem at once.
func Load(dotenvPath string, p provider.Preset, d Defaults) (Settings, error) {
	env, err := envconfig.Load(dotenvPath)
	if err != nil {
		return Settings{}, fmt.Errorf("load settings: %w", err)
	}
	s := Read(env, p, d)
	return s, env.Err()
}

// Read reads every setting from env, recording each problem in env: call env.Err
// once after reading the project's own settings too.
func Read(env *envconfig.Env, p provider.Preset, d Defaults) Settings {
	s := Settings{
		Host:           env.String("HOST", "127.0.0.1"),
		Port:           env.Int("PORT", d.Port, 1, 65535),
		ResourceURL:    secureURL(env, "MCP_RESOURCE_URL", d.ResourceURL),
		AllowedOrigins: env.List("ALLOWED_ORIGINS", nil),
		LogLevel:       logLevel(env),
		Provider:       p,
	}
	if s.ResourceURL == "" && unset(env, "MCP_RESOURCE_URL") {
		env.Problem("MCP_RESOURCE_URL is required: the public URL clients reach the MCP endpoint at, such as https://mcp.example.com/mcp")
	}
	r := reader{env: env, preset: p}
	issuer := r.secureURL("AUTH_ISSUER", d.Issuer)
	if issuer == "" && unset(env, "AUTH_ISSUER", p.Setting("AUTH_ISSUER")) {
		env.Problem("AUTH_ISSUER is required: the issuer URL of your authorization server, such as https://auth.example.com")
	}
	s.JWKSURL = r.secureURL("AUTH_JWKS_URL", jwksURL(p, d, issuer))
	audiences := d.Audiences
	if audiences == nil {
		audiences = []string{s.ResourceURL}
	}
	s.Audiences = r.list("AUTH_AUDIENCE", audiences)
	s.ProvidedMetadata = providedMetadata(env, p.MetadataSetting, s.ResourceURL)

	var servers []string
	if issuer != "" {
		servers = []string{issuer}
	}
	if s.ProvidedMetadata != nil {
		servers = s.ProvidedMetadata.AuthorizationServers
	}
	s.AuthorizationServers = urlList(env, "AUTH_AUTHORIZATION_SERVERS", servers)
	if s.ProvidedMetadata != nil {
		s.ProvidedMetadata.AuthorizationServers = s.AuthorizationServers
	}
	s.Issuers = p.Issuers(issuer, s.AuthorizationServers)
	prefix := ""
	if p.ResourceScopePrefix && s.ResourceURL != "" {
		prefix = strings.TrimSuffix(s.ResourceURL, "/") + "/"
	}
	s.ScopePrefix = env.String("AUTH_SCOPE_PREFIX", prefix)
	if strings.ContainsAny(s.ScopePrefix, " \t\"\\") {
		env.Problem("AUTH_SCOPE_PREFIX %q: a scope prefix cannot hold spaces, quotes or backslashes", s.ScopePrefix)
	}
	if env.OneOf("AUTH_TOKEN_FORMAT", "jwt", "jwt", "opaque") == "opaque" {
		if !p.Introspection {
			env.Problem("AUTH_TOKEN_FORMAT=opaque: %s access tokens are JWTs checked with its keys here; unset AUTH_TOKEN_FORMAT", p.Title)
		} else {
			s.Introspection = readIntrospection(env)
		}
	}
	s.Ops = readOperations(env)
	return s
}

// readIntrospection reads how to reach the introspection endpoint.
func readIntrospection(env *envconfig.Env) *Introspection {
	return &Introspection{
		URL:          secureURL(env, "AUTH_INTROSPECTION_URL", ""),
		ClientID:     env.Required("AUTH_INTROSPECTION_CLIENT_ID", "the client id this server authenticates to the introspection endpoint with"),
		ClientSecret: env.Required("AUTH_INTROSPECTION_CLIENT_SECRET", "the secret of AUTH_INTROSPECTION_CLIENT_ID"),
	}
}

// jwksURL is the key location while AUTH_JWKS_URL is unset: the one chosen at
// generation for the default issuer, else the preset's for issuer, else "" (discover).
func jwksURL(p provider.Preset, d Defaults, issuer string) string {
	if issuer == d.Issuer && d.JWKSURL != "" {
		return d.JWKSURL
	}
	return p.JWKSURL(issuer)
}

// reader reads generic settings, falling back to the provider's own name for each.
type reader struct {
	env    *envconfig.Env
	preset provider.Preset
}

func (r reader) secureURL(name, def string) string {
	if alias := r.preset.Setting(name); alias != "" {
		def = secureURL(r.env, alias, def)
	}
	return secureURL(r.env, name, def)
}

func (r reader) list(name string, def []string) []string {
	if alias := r.preset.Setting(name); alias != "" {
		def = r.env.List(alias, def)
	}
	return r.env.List(name, def)
}

// unset reports whether every named setting is unset or blank: a setting with a bad
// value has its own problem already.
func unset(env *envconfig.Env, names ...string) bool {
	for _, name := range names {
		if v, _ := env.Lookup(name); name != "" && strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// Addr is the address to listen on.
func (s Settings) Addr() string {
	return net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
}

// ValidatorConfig says which JWT access tokens the server accepts.
func (s Settings) ValidatorConfig() auth.ValidatorConfig {
	return auth.ValidatorConfig{
		Issuers:              s.Issuers,
		Audiences:            s.Audiences,
		ScopeClaims:          s.Provider.ScopeClaims,
		OrganizationClaims:   s.Provider.OrganizationClaims,
		RequiredClaims:       s.Provider.RequiredClaims,
		AudienceFromClientID: s.Provider.AudienceFromClientID,
		ScopePrefix:          s.ScopePrefix,
		AppScopeClaims:       s.Provider.AppScopeClaims,
		IsAppOnly:            s.Provider.AppOnly,
		// A client repeating its token skips the signature check until the token
		// expires or its key leaves the key set.
		CacheEntries: auth.DefaultCacheEntries,
	}
}

// IntrospectionConfig says which opaque tokens the server accepts, asking endpoint.
func (s Settings) IntrospectionConfig(endpoint string) auth.IntrospectionConfig {
	ic := auth.IntrospectionConfig{
		Endpoint:  endpoint,
		Issuers:   s.Issuers,
		Audiences: s.Audiences,
		// RFC 7662 §2.2: an introspection response names the granted scopes in
		// scope, whatever claim the provider's JWTs use (Okta: scp).
		ScopeClaims:        []string{"scope"},
		OrganizationClaims: s.Provider.OrganizationClaims,
		RequiredClaims:     s.Provider.RequiredClaims,
		ScopePrefix:        s.ScopePrefix,
	}
	if s.Introspection != nil {
		ic.ClientID, ic.ClientSecret = s.Introspection.ClientID, s.Introspection.ClientSecret
	}
	return ic
}

// Metadata returns the protected resource metadata to serve: the document given whole
// in the settings, if any, else one built from them, advertising scopes under name
// (with ScopePrefix before each: the names clients ask the authorization server for).
func (s Settings) Metadata(name string, scopes []string) auth.ProtectedResourceMetadata {
	if s.ProvidedMetadata != nil {
		return *s.ProvidedMetadata
	}
	if s.ScopePrefix != "" {
		full := make([]string, len(scopes))
		for i, sc := range scopes {
			full[i] = s.ScopePrefix + sc
		}
		scopes = full
	}
	return auth.ProtectedResourceMetadata{
		Resource:               s.ResourceURL,
		AuthorizationServers:   s.AuthorizationServers,
		ScopesSupported:        scopes,
		BearerMethodsSupported: []string{"header"},
		ResourceName:           name,
	}
}

// NewLogger returns a logger writing JSON (or, with LOG_FORMAT=text, logfmt-style
// text) to w at LOG_LEVEL.
func (s Settings) NewLogger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: s.LogLevel}
	if s.Ops.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// providedMetadata parses the provider's metadata setting (Scalekit's
// PROTECTED_RESOURCE_METADATA, the JSON its dashboard shows for a resource). It must
// describe this server: its resource must equal MCP_RESOURCE_URL, or clients would
// request tokens for another audience.
func providedMetadata(env *envconfig.Env, name, resourceURL string) *auth.ProtectedResourceMetadata {
	if name == "" {
		return nil
	}
	raw := env.String(name, "")
	if raw == "" {
		return nil
	}
	m, err := auth.ParseProtectedResourceMetadata([]byte(raw))
	if err == nil {
		err = m.Validate()
	}
	if err != nil {
		env.Problem("%s is not valid protected resource metadata (%v): paste the JSON from your provider's dashboard", name, err)
		return nil
	}
	if m.Resource != resourceURL {
		env.Problem("%s has resource %q but MCP_RESOURCE_URL is %q: they must be equal", name, m.Resource, resourceURL)
		return nil
	}
	return &m
}

// secureURL reads an absolute URL that must use https, except on a loopback host for
// local development: keys, metadata or tokens sent over plain http could be read or
// forged on the way.
func secureURL(env *envconfig.Env, name, def string) string {
	v := env.URL(name, def)
	if v == "" {
		return v
	}
	if u, err := url.Parse(v); err != nil || loopback.IsSecureURL(u) {
		return v
	}
	env.Problem("%s=%q must use https (http is allowed only for localhost)", name, v)
	return ""
}

// urlList reads a comma-separated list of absolute URLs.
func urlList(env *envconfig.Env, name string, def []string) []string {
	list := env.List(name, def)
	for _, v := range list {
		if u, err := url.Parse(v); err != nil || !u.IsAbs() || u.Host == "" {
			env.Problem("%s: %q is not an absolute URL: use https://host/path", name, v)
		}
	}
	return list
}

// logLevel reads LOG_LEVEL.
func logLevel(env *envconfig.Env) slog.Level {
	var level slog.Level
	name := env.OneOf("LOG_LEVEL", "info", "debug", "info", "warn", "error")
	_ = level.UnmarshalText([]byte(name)) // cannot fail: OneOf allows only valid names
	return level
}
