// Command greeting-server is an MCP server. It serves its tools over Streamable HTTP at /mcp to
// clients that present an OAuth access token issued for it, and tells other clients where
// to get one (RFC 9728 protected resource metadata).
//
// Settings come from the environment and an optional .env file: see README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/mark3labs/mcp-go/server"
	"github.com/mcpgen/mcpgen/runtime/audit"
	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/health"
	"github.com/mcpgen/mcpgen/runtime/httpserver"
	"github.com/mcpgen/mcpgen/runtime/metrics"
	"github.com/mcpgen/mcpgen/runtime/ratelimit"
	"github.com/redis/go-redis/v9"

	"example.com/greeting-server/internal/config"
	"example.com/greeting-server/internal/metadata"
	"example.com/greeting-server/internal/middleware"
	"example.com/greeting-server/internal/tools"
)

// serverVersion is reported to MCP clients in the initialize and discover results.
const serverVersion = "0.1.0"

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "greeting-server: %v\n", err)
		os.Exit(1)
	}
}

// run loads the settings, builds the server and serves until SIGINT or SIGTERM, then
// lets in-flight requests finish.
func run() error {
	cfg, err := config.Load(".env")
	if err != nil {
		return err
	}
	logger := newLogger(cfg)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var m *metrics.Metrics // nil: metrics off
	if cfg.Ops.MetricsAddr != "" {
		m = metrics.New()
	}
	validator, ready, err := newValidator(ctx, cfg, m, logger)
	if err != nil {
		return err
	}
	a, err := newApp(cfg, validator, ready, m, logger)
	if err != nil {
		return err
	}
	srv := httpserver.New(cfg.Addr(), a.handler)
	srv.TLSConfig = cfg.Ops.TLS // nil: plain HTTP
	// 2025-11-25 clients may hold an event stream open per session: end them when
	// shutdown starts, or every stop would wait out SHUTDOWN_TIMEOUT.
	srv.RegisterOnShutdown(func() { a.mcp.CloseSessions(context.Background()) })
	servers := []*http.Server{srv}
	if m != nil {
		servers = append(servers, httpserver.New(cfg.Ops.MetricsAddr, metricsMux(m)))
		logger.Info("serving metrics", "addr", cfg.Ops.MetricsAddr, "path", "/metrics")
	}
	logger.Info("serving MCP", "addr", cfg.Addr(), "resource", cfg.ResourceURL, "tls", cfg.Ops.TLS != nil)
	return httpserver.RunAll(ctx, cfg.Ops.ShutdownTimeout, logger, servers...)
}

// newLogger writes JSON (or, with LOG_FORMAT=text, logfmt-style text) to stderr.
func newLogger(cfg config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.Ops.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}

// metricsMux serves /metrics, on its own listener so the public port never shows it.
func metricsMux(m *metrics.Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	return mux
}

// newValidator sets up token validation; ready reports whether tokens can be checked yet.
// JWT access tokens are checked with the issuer's keys, from AUTH_JWKS_URL or else from
// the jwks_uri of the issuer's metadata, found now: a server that cannot find its keys
// stops with a clear error instead of refusing every request.
func newValidator(ctx context.Context, cfg config.Config, m *metrics.Metrics, logger *slog.Logger) (validator auth.TokenValidator, ready func() bool, err error) {
	jwksURL := cfg.JWKSURL
	if jwksURL == "" {
		meta, err := discover(ctx, cfg.Issuers[0])
		if err == nil && meta.JWKSURI == "" {
			err = errors.New("its metadata has no jwks_uri")
		}
		if err != nil {
			return nil, nil, fmt.Errorf("find the signing keys: %w; set AUTH_JWKS_URL to the JWKS URL to skip discovery", err)
		}
		jwksURL = meta.JWKSURI
	}
	// The key set refreshes itself until ctx ends. An authorization server that is down
	// now is not fatal: requests get 503 and /ready reports "not ready" until keys load.
	jwksOpts := auth.JWKSOptions{Logger: logger}
	if m != nil {
		jwksOpts.OnRefresh = m.JWKSRefresh
	}
	keys, err := auth.NewRemoteJWKS(ctx, jwksURL, jwksOpts)
	if err != nil {
		return nil, nil, fmt.Errorf("set up the key set from %s: %w", jwksURL, err)
	}
	validator, err = jwtValidator(cfg, keys)
	return validator, keys.Ready, err
}

// discover reads the metadata of the issuer (RFC 8414, else OpenID Connect discovery),
// refusing a document that names another issuer. auth.Discover bounds the search in time
// (auth.DefaultDiscoveryTimeout).
func discover(ctx context.Context, issuer string) (*auth.AuthorizationServerMetadata, error) {
	meta, err := auth.Discover(ctx, issuer, auth.DiscoveryOptions{})
	if err != nil {
		return nil, fmt.Errorf("AUTH_ISSUER %s: %w", issuer, err)
	}
	return meta, nil
}

// jwtValidator checks JWT access tokens with keys, following the provider's conventions
// in config. Tests call it with an in-process issuer's keys.
func jwtValidator(cfg config.Config, keys auth.KeySet) (auth.TokenValidator, error) {
	vc := cfg.ValidatorConfig()
	// A client repeating its token skips the signature check until the token expires or
	// its key leaves the JWKS. Set 0 to verify every request from scratch.
	vc.CacheEntries = auth.DefaultCacheEntries
	validator, err := auth.NewValidator(vc, keys)
	if err != nil {
		return nil, fmt.Errorf("set up token validation: %w", err)
	}
	return validator, nil
}

// app is the server's HTTP surface and the MCP server behind /mcp.
type app struct {
	handler http.Handler
	mcp     *server.StreamableHTTPServer
}

// newApp wires the HTTP surface: the protected MCP endpoint, the public metadata and the
// health probes; /ready asks ready. m may be nil (metrics off).
func newApp(cfg config.Config, validator auth.TokenValidator, ready func() bool, m *metrics.Metrics, logger *slog.Logger) (*app, error) {
	limiter, err := newLimiter(cfg, m, logger)
	if err != nil {
		return nil, err
	}
	protect, err := middleware.Protect(middleware.Config{
		Logger:         logger,
		ResourceURL:    cfg.ResourceURL,
		AllowedOrigins: cfg.AllowedOrigins,
		Validator:      validator,
		Scopes:         auth.ScopePolicy{Tools: tools.Scopes},
		MaxBodyBytes:   cfg.Ops.MaxBodyBytes,
		Limiter:        limiter,
		Metrics:        m,
	})
	if err != nil {
		return nil, err
	}

	mcp := newMCPHandler(logger)
	mux := http.NewServeMux()
	mux.Handle("/mcp", protect(mcp))
	if err := metadata.Mount(mux, cfg.ResourceURL, metadata.Document(cfg, tools.ScopesSupported)); err != nil {
		return nil, err
	}
	mux.Handle("/health", health.Handler())
	mux.Handle("/ready", health.Ready(ready))
	return &app{handler: middleware.Outer(logger, cfg.Ops.MaxBodyBytes)(mux), mcp: mcp}, nil
}

// newLimiter keeps rate limits in Redis when REDIS_URL is set, so every replica enforces
// the same limit, else in this process. If Redis fails, each replica limits on its own
// until it is back (see ratelimit.Redis).
func newLimiter(cfg config.Config, m *metrics.Metrics, logger *slog.Logger) (*ratelimit.Limiter, error) {
	rc := ratelimit.Config{
		PerPrincipal:    cfg.Ops.PrincipalLimit,
		FailedAuthPerIP: cfg.Ops.FailedAuthLimit,
		Proxies:         cfg.Ops.TrustedProxies,
		Logger:          logger,
	}
	// Keys are namespaced by the resource URL: replicas of this server share budgets, other
	// servers using the same Redis do not.
	redisOpts := ratelimit.RedisOptions{Logger: logger, Namespace: cfg.ResourceURL}
	if m != nil {
		rc.OnLimited = m.RateLimited
		redisOpts.OnError = m.StoreError
	}
	if cfg.Ops.Redis != nil {
		rc.Store = ratelimit.NewRedis(redis.NewClient(cfg.Ops.Redis), redisOpts)
	}
	limiter, err := ratelimit.New(rc)
	if err != nil {
		return nil, fmt.Errorf("set up rate limits: %w", err)
	}
	return limiter, nil
}

// newMCPHandler builds the MCP server with every tool of the registry and serves it over
// Streamable HTTP, in both protocol eras mcp-go speaks: 2025-11-25 (initialize, then a
// session) and 2026-07-28 (stateless by design). Each tool call writes an audit line.
//
// Stateless sessions: 2025-11-25 clients get a random session id that is checked by its
// format only, with no server-side session store, so any replica behind a load balancer
// answers any request without sticky sessions. Ids are still issued (rather than
// server.WithStateLess, which issues none) because each GET event stream needs one of
// its own. Tools that keep per-session state would need server.WithStateful(true) and
// sticky sessions instead.
func newMCPHandler(logger *slog.Logger) *server.StreamableHTTPServer {
	hooks := &server.Hooks{}
	s := server.NewMCPServer(tools.ServerName, serverVersion,
		server.WithToolCapabilities(false),
		server.WithInputSchemaValidation(),
		server.WithRecovery(),
		server.WithHooks(hooks),
	)
	audit.Hook(hooks, s, logger)
	tools.Register(s)
	return server.NewStreamableHTTPServer(s,
		server.WithSessionIdManager(&server.StatelessGeneratingSessionIdManager{}))
}
