// Package config loads the server's settings from the environment, plus an optional .env
// file for local development (real environment variables win), and checks all of them
// at once: a bad deployment stops at start with one message listing every problem.
package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/envconfig"
)

// Defaults chosen when the project was generated. The environment overrides each.
const (
	defaultPort        = 3002
	defaultResourceURL = "https://mcp.example.com/mcp"
	defaultIssuer      = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123"
	defaultJWKSURL     = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123/.well-known/jwks.json"
)

// How Amazon Cognito access tokens look, fixed when the project was generated: which
// claims carry scopes and the organization, and what a token must say to be an access
// token for this server. See https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html.
var (
	scopeClaims        = []string{"scope"}
	organizationClaims = []string{}
	requiredClaims     = map[string]string{"token_use": "access"}
)

// audienceFromClientID accepts a token without aud whose client_id is an accepted audience:
// Amazon Cognito access tokens carry no aud.
const audienceFromClientID = true

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
	issuer := secureURL(env, "AUTH_ISSUER", defaultIssuer)
	cfg.Issuers = []string{issuer}
	cfg.JWKSURL = jwksURL(env, issuer)
	cfg.Audiences = env.List("AUTH_AUDIENCE", []string{"1example23456789"})
	cfg.AuthorizationServers = urlList(env, "AUTH_AUTHORIZATION_SERVERS", []string{issuer})
	cfg.Ops = operations(env)
	if err := env.Err(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// jwksURL returns AUTH_JWKS_URL, else the JWKS URL known at generation for the default
// issuer, else "": the server then discovers it from the issuer's metadata at start.
func jwksURL(env *envconfig.Env, issuer string) string {
	def := ""
	if issuer == defaultIssuer {
		def = defaultJWKSURL
	}
	return secureURL(env, "AUTH_JWKS_URL", def)
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
