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
	"slices"
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
	Issuers        []string   // accepted token issuers (iss), of every trusted issuer
	Audiences      []string   // accepted token audiences (aud)
	JWKSURL        string     // where the issuer publishes its keys; "" means discover it (always "" with several issuers)
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
	// TrustedIssuers are the authorization servers whose tokens are accepted, each
	// with its own keys: one (AUTH_ISSUER), or those AUTH_ISSUERS names. Issuers is
	// the union of their Accepted.
	TrustedIssuers []TrustedIssuer
	// ScopePrefix, when set, is the prefix of this server's scopes in tokens
	// (AUTH_SCOPE_PREFIX): a token must carry a scope with it, and only those count.
	// Presets whose tokens name the API only this way (Cognito) default it to
	// MCP_RESOURCE_URL + "/".
	ScopePrefix string

	// Ops are the production settings: see Operations.
	Ops Operations
}

// TrustedIssuer is one authorization server whose tokens the server accepts. Its
// keys verify only tokens whose iss is one of Accepted, so one issuer can never sign
// for another.
type TrustedIssuer struct {
	Issuer string // as configured: AUTH_ISSUER or an item of AUTH_ISSUERS
	// Accepted are the iss values its tokens may carry: Issuer and the preset's
	// variants of it (Entra's v1.0 issuer, Scalekit's advertised resource issuers),
	// less any an earlier trusted issuer already accepts.
	Accepted []string
	// JWKSURL is where its keys are (AUTH_JWKS_URL with one issuer, else the preset's
	// convention for Issuer); "" means discover them from Issuer's metadata.
	JWKSURL string
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
	issuers := r.issuers(d)
	issuer := ""
	if len(issuers) > 0 {
		issuer = issuers[0]
	}
	s.JWKSURL = r.secureURL("AUTH_JWKS_URL", jwksURL(p, d, issuer))
	if len(issuers) > 1 {
		if s.JWKSURL != "" && !unset(env, "AUTH_JWKS_URL") {
			env.Problem("AUTH_JWKS_URL names the keys of one issuer, but %d are trusted (AUTH_ISSUERS): unset it; each issuer's keys are then found by the preset's convention or its metadata", len(issuers))
		}
		s.JWKSURL = ""
	}
	audiences := d.Audiences
	if audiences == nil {
		audiences = []string{s.ResourceURL}
	}
	s.Audiences = r.list("AUTH_AUDIENCE", audiences)
	s.ProvidedMetadata = providedMetadata(env, p.MetadataSetting, s.ResourceURL)

	var servers []string
	for _, iss := range issuers {
		if iss != "" {
			servers = append(servers, iss)
		}
	}
	if s.ProvidedMetadata != nil {
		servers = s.ProvidedMetadata.AuthorizationServers
	}
	s.AuthorizationServers = urlList(env, "AUTH_AUTHORIZATION_SERVERS", servers)
	if s.ProvidedMetadata != nil {
		s.ProvidedMetadata.AuthorizationServers = s.AuthorizationServers
	}
	s.TrustedIssuers, s.Issuers = trust(p, d, issuers, s.AuthorizationServers)
	if len(s.TrustedIssuers) == 1 {
		s.TrustedIssuers[0].JWKSURL = s.JWKSURL
	}
	prefix := ""
	if p.ResourceScopePrefix && s.ResourceURL != "" {
		prefix = strings.TrimSuffix(s.ResourceURL, "/") + "/"
	}
	s.ScopePrefix = env.String("AUTH_SCOPE_PREFIX", prefix)
	if strings.ContainsAny(s.ScopePrefix, " \t\"\\") {
		env.Problem("AUTH_SCOPE_PREFIX %q: a scope prefix cannot hold spaces, quotes or backslashes", s.ScopePrefix)
	}
	if env.OneOf("AUTH_TOKEN_FORMAT", "jwt", "jwt", "opaque") == "opaque" {
		switch {
		case !p.Introspection:
			env.Problem("AUTH_TOKEN_FORMAT=opaque: %s access tokens are JWTs checked with its keys here; unset AUTH_TOKEN_FORMAT", p.Title)
		case len(s.TrustedIssuers) > 1:
			// Asking each issuer in turn would hand one authorization server the
			// tokens of another.
			env.Problem("AUTH_TOKEN_FORMAT=opaque accepts the tokens of one issuer, but AUTH_ISSUERS names %d: an opaque token does not say who issued it, so no introspection endpoint can be chosen; trust one issuer, or accept JWT access tokens (unset AUTH_TOKEN_FORMAT)", len(s.TrustedIssuers))
		default:
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

// issuers reads the configured issuers: AUTH_ISSUER (or the preset's name for it),
// then the items of AUTH_ISSUERS. The issuer chosen at generation is the default of
// AUTH_ISSUER only while AUTH_ISSUERS is unset: an issuer is trusted when named, never
// because it was once the default. Without AUTH_ISSUERS the result is AUTH_ISSUER
// alone, even "" after a problem, as it always was.
func (r reader) issuers(d Defaults) []string {
	const hint = "the issuer URL of your authorization server, such as https://auth.example.com (AUTH_ISSUERS for several, comma-separated)"
	if unset(r.env, "AUTH_ISSUERS") {
		issuer := r.secureURL("AUTH_ISSUER", d.Issuer)
		if issuer == "" && unset(r.env, "AUTH_ISSUER", r.preset.Setting("AUTH_ISSUER")) {
			r.env.Problem("AUTH_ISSUER is required: %s", hint)
		}
		return []string{issuer}
	}
	var issuers []string
	if issuer := r.secureURL("AUTH_ISSUER", ""); issuer != "" {
		issuers = append(issuers, issuer)
	}
	for _, iss := range r.env.URLs("AUTH_ISSUERS", nil) {
		if !secure(iss) {
			r.env.Problem("AUTH_ISSUERS: %q must use https (http is allowed only for localhost)", iss)
			continue
		}
		if !slices.Contains(issuers, iss) {
			issuers = append(issuers, iss)
		}
	}
	if len(r.env.List("AUTH_ISSUERS", nil)) == 0 && unset(r.env, "AUTH_ISSUER", r.preset.Setting("AUTH_ISSUER")) {
		r.env.Problem("AUTH_ISSUERS names no issuer: %s", hint)
	}
	return issuers
}

// trust pairs each configured issuer with the iss values its keys may verify (the
// preset's variants of it) and where its keys are, and returns the union of those
// values too. An iss value belongs to the first issuer that accepts it; an issuer
// that an earlier one already accepts is trusted through that one, with its keys.
func trust(p provider.Preset, d Defaults, issuers, servers []string) ([]TrustedIssuer, []string) {
	if len(issuers) == 0 {
		return nil, nil
	}
	if len(issuers) == 1 {
		accepted := p.Issuers(issuers[0], servers)
		return []TrustedIssuer{{Issuer: issuers[0], Accepted: accepted}}, slices.Clone(accepted)
	}
	var trusted []TrustedIssuer
	var all []string
	for _, issuer := range issuers {
		if slices.Contains(all, issuer) {
			continue
		}
		t := TrustedIssuer{Issuer: issuer, JWKSURL: jwksURL(p, d, issuer)}
		for _, iss := range p.Issuers(issuer, servers) {
			if !slices.Contains(all, iss) {
				t.Accepted = append(t.Accepted, iss)
				all = append(all, iss)
			}
		}
		trusted = append(trusted, t)
	}
	return trusted, all
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
	if secure(v) {
		return v
	}
	env.Problem("%s=%q must use https (http is allowed only for localhost)", name, v)
	return ""
}

// secure reports whether v may carry keys, metadata or tokens: https, or http to a
// loopback host. A value that does not parse is another check's problem.
func secure(v string) bool {
	u, err := url.Parse(v)
	return err != nil || loopback.IsSecureURL(u)
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
