package settings

import (
	"crypto/tls"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mcpgen/mcpgen/runtime/envconfig"
	"github.com/mcpgen/mcpgen/runtime/httpserver"
	"github.com/mcpgen/mcpgen/runtime/ratelimit"
	"github.com/mcpgen/mcpgen/runtime/session"
)

// Defaults of the production settings.
const (
	DefaultShutdownTimeout    = 10 * time.Second
	DefaultRateLimitPerMinute = 600
	DefaultAuthFailuresPerMin = 30
)

// Operations are the settings an operator tunes to run the server in production:
// TLS, request limits, shutdown, logs, metrics, rate limits and the session key.
type Operations struct {
	TLS             *tls.Config   // from TLS_CERT_FILE and TLS_KEY_FILE; nil serves plain HTTP
	MaxBodyBytes    int64         // larger request bodies get 413 (MAX_BODY_BYTES)
	ShutdownTimeout time.Duration // how long in-flight requests may finish after SIGTERM
	LogFormat       string        // json or text
	MetricsAddr     string        // listen address of /metrics; "" turns metrics off

	PrincipalLimit  ratelimit.Limit    // requests per caller (token subject + client id)
	FailedAuthLimit ratelimit.Limit    // failed authentications per client address
	Redis           *redis.Options     // shared rate limit store; nil keeps limits in memory
	TrustedProxies  *ratelimit.Proxies // whose X-Forwarded-For is believed

	// SessionKey (MCP_SESSION_KEY) binds session ids to their caller; replicas share
	// it so a session goes on on any of them. Zero: a random key per process.
	SessionKey session.Key
}

// readOperations reads the production settings, adding every problem to env.
func readOperations(env *envconfig.Env) Operations {
	ops := Operations{
		MaxBodyBytes:    int64(env.Int("MAX_BODY_BYTES", httpserver.DefaultMaxBodyBytes, 1024, 1<<30)),
		ShutdownTimeout: env.Duration("SHUTDOWN_TIMEOUT", DefaultShutdownTimeout),
		LogFormat:       env.OneOf("LOG_FORMAT", "json", "json", "text"),
		MetricsAddr:     env.String("METRICS_ADDR", ""),
		PrincipalLimit:  perMinute(env.Int("RATE_LIMIT_PER_MINUTE", DefaultRateLimitPerMinute, 0, 1_000_000)),
		FailedAuthLimit: perMinute(env.Int("AUTH_FAILURES_PER_MINUTE", DefaultAuthFailuresPerMin, 0, 1_000_000)),
	}
	ops.TLS = tlsConfig(env)
	if raw := env.String("REDIS_URL", ""); raw != "" {
		opts, err := ratelimit.ParseRedisURL(raw)
		if err != nil {
			env.Problem("REDIS_URL: %v", err)
		}
		ops.Redis = opts
	}
	proxies, err := ratelimit.ParseProxies(env.List("TRUSTED_PROXIES", nil))
	if err != nil {
		env.Problem("TRUSTED_PROXIES: %v", err)
	}
	ops.TrustedProxies = proxies
	if raw := env.String("MCP_SESSION_KEY", ""); raw != "" {
		key, err := session.ParseKey(raw)
		if err != nil {
			env.Problem("MCP_SESSION_KEY %v; set the same value on every replica", err)
		}
		ops.SessionKey = key
	}
	return ops
}

// tlsConfig loads TLS_CERT_FILE and TLS_KEY_FILE: both or neither.
func tlsConfig(env *envconfig.Env) *tls.Config {
	cert, key := env.String("TLS_CERT_FILE", ""), env.String("TLS_KEY_FILE", "")
	switch {
	case cert == "" && key == "":
		return nil
	case cert == "" || key == "":
		env.Problem("TLS_CERT_FILE and TLS_KEY_FILE must be set together (PEM certificate chain and its private key)")
		return nil
	}
	cfg, err := httpserver.LoadTLS(cert, key)
	if err != nil {
		env.Problem("TLS_CERT_FILE/TLS_KEY_FILE: %v", err)
	}
	return cfg
}

// perMinute is n requests a minute with bursts of n; 0 turns the limit off.
func perMinute(n int) ratelimit.Limit {
	if n == 0 {
		return ratelimit.Limit{}
	}
	return ratelimit.PerMinute(n)
}
