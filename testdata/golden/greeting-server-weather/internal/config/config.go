// Package config loads the server's settings from the environment, plus an optional .env
// file for local development (real environment variables win), and checks all of them
// at once: a bad deployment stops at start with one message listing every problem.
//
// Generic names (AUTH_*) are read first; the names Scalekit users already have
// (SK_ENV_URL, EXPECTED_AUDIENCE, PROTECTED_RESOURCE_METADATA) fill in what is not set.
package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/envconfig"
)

// Defaults chosen when the project was generated. The environment overrides each.
const (
	defaultPort        = 3002
	defaultResourceURL = "http://localhost:3002/mcp"
	defaultIssuer      = "https://example.scalekit.dev"
	defaultJWKSURL     = "https://example.scalekit.dev/keys"
)

// How Scalekit access tokens look, fixed when the project was generated: which
// claims carry scopes and the organization, and what a token must say to be an access
// token for this server. See https://docs.scalekit.com/authenticate/mcp/quickstart/.
var (
	scopeClaims        = []string{"scope", "scopes"}
	organizationClaims = []string{"oid"}
	requiredClaims     = map[string]string{}
)

// audienceFromClientID accepts a token without aud whose client_id is an accepted audience.
const audienceFromClientID = false

// Config is the validated configuration of the server.
type Config struct {
	Host           string     // listen address
	Port           int        // listen port
	ResourceURL    string     // canonical URL of the MCP endpoint, as clients reach it
	Issuers        []string   // accepted token issuers (iss)
	Audiences      []string   // accepted token audiences (aud)
	JWKSURL        string     // where the issuer publishes its signing keys
	AllowedOrigins []string   // browser origins allowed besides the server's own
	LogLevel       slog.Level // minimum level logged

	// AuthorizationServers are advertised in the protected resource metadata.
	AuthorizationServers []string

	// Ops are the production settings (TLS, limits, logs, metrics): see operations.go.
	Ops Operations

	// ProvidedMetadata is the protected resource metadata given as JSON in
	// PROTECTED_RESOURCE_METADATA, served as given; nil when the server builds its own.
	ProvidedMetadata *auth.ProtectedResourceMetadata
}

// ValidatorConfig says which JWT access tokens the server accepts.
func (c Config) ValidatorConfig() auth.ValidatorConfig {
	return auth.ValidatorConfig{
		Issuers:              c.Issuers,
		Audiences:            c.Audiences,
		ScopeClaims:          scopeClaims,
		OrganizationClaims:   organizationClaims,
		RequiredClaims:       requiredClaims,
		AudienceFromClientID: audienceFromClientID,
	}
}

// Addr is the address to listen on.
func (c Config) Addr() string {
	return net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
}

// Load reads the configuration from the environment and the .env file at dotenvPath
// (missing is fine).
func Load(dotenvPath string) (Config, error) {
	env, err := envconfig.Load(dotenvPath)
	if err != nil {
		return Config{}, fmt.Errorf("load settings: %w", err)
	}
	return FromEnv(env)
}

// FromEnv reads every setting from env and returns an error listing every problem found.
func FromEnv(env *envconfig.Env) (Config, error) {
	cfg := Config{
		Host:           env.String("HOST", "127.0.0.1"),
		Port:           env.Int("PORT", defaultPort, 1, 65535),
		ResourceURL:    secureURL(env, "MCP_RESOURCE_URL", defaultResourceURL),
		AllowedOrigins: env.List("ALLOWED_ORIGINS", nil),
		LogLevel:       logLevel(env),
	}
	issuer := secureURL(env, "AUTH_ISSUER", secureURL(env, "SK_ENV_URL", defaultIssuer))
	cfg.JWKSURL = secureURL(env, "AUTH_JWKS_URL", scalekitJWKSURL(issuer))
	cfg.Audiences = env.List("AUTH_AUDIENCE", env.List("EXPECTED_AUDIENCE", []string{cfg.ResourceURL}))
	cfg.ProvidedMetadata = providedMetadata(env, cfg.ResourceURL)

	defaultServers := []string{issuer}
	if cfg.ProvidedMetadata != nil {
		defaultServers = cfg.ProvidedMetadata.AuthorizationServers
	}
	cfg.AuthorizationServers = urlList(env, "AUTH_AUTHORIZATION_SERVERS", defaultServers)
	if cfg.ProvidedMetadata != nil {
		cfg.ProvidedMetadata.AuthorizationServers = cfg.AuthorizationServers
	}
	cfg.Issuers = scalekitIssuers(issuer, cfg.AuthorizationServers)
	cfg.Ops = operations(env)
	if err := env.Err(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// scalekitJWKSURL is where a Scalekit environment publishes its keys: <environment URL>/keys.
func scalekitJWKSURL(issuer string) string {
	if issuer == defaultIssuer {
		return defaultJWKSURL
	}
	return strings.TrimSuffix(issuer, "/") + "/keys"
}

// scalekitIssuers accepts the environment URL and, because some Scalekit tokens carry
// the resource-specific issuer <environment URL>/resources/<id>, any advertised
// authorization server of that form.
func scalekitIssuers(issuer string, servers []string) []string {
	issuers := []string{issuer}
	prefix := strings.TrimSuffix(issuer, "/") + "/resources/"
	for _, s := range servers {
		if strings.HasPrefix(s, prefix) && s != issuer {
			issuers = append(issuers, s)
		}
	}
	return issuers
}

// providedMetadata parses PROTECTED_RESOURCE_METADATA, the metadata JSON the Scalekit
// dashboard shows for a resource. It must describe this server: its resource must equal
// MCP_RESOURCE_URL, or clients would request tokens for another audience.
func providedMetadata(env *envconfig.Env, resourceURL string) *auth.ProtectedResourceMetadata {
	raw := env.String("PROTECTED_RESOURCE_METADATA", "")
	if raw == "" {
		return nil
	}
	m, err := auth.ParseProtectedResourceMetadata([]byte(raw))
	if err == nil {
		err = m.Validate()
	}
	if err != nil {
		env.Problem("PROTECTED_RESOURCE_METADATA is not valid protected resource metadata (%v): paste the JSON from the Scalekit dashboard", err)
		return nil
	}
	if m.Resource != resourceURL {
		env.Problem("PROTECTED_RESOURCE_METADATA has resource %q but MCP_RESOURCE_URL is %q: they must be equal", m.Resource, resourceURL)
		return nil
	}
	return &m
}

// secureURL reads an absolute URL that must use https, except on a loopback host for
// local development: keys or metadata fetched over plain http could be forged.
func secureURL(env *envconfig.Env, name, def string) string {
	v := env.URL(name, def)
	u, err := url.Parse(v)
	if v == "" || err != nil || u.Scheme == "https" || isLoopback(u.Hostname()) {
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

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// logLevel reads LOG_LEVEL.
func logLevel(env *envconfig.Env) slog.Level {
	var level slog.Level
	name := env.OneOf("LOG_LEVEL", "info", "debug", "info", "warn", "error")
	_ = level.UnmarshalText([]byte(name)) // cannot fail: OneOf allows only valid names
	return level
}
