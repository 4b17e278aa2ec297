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
	"time"

	"github.com/mark3labs/mcp-go/server"
	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/health"
	"github.com/mcpgen/mcpgen/runtime/httpserver"

	"example.com/greeting-server/internal/config"
	"example.com/greeting-server/internal/metadata"
	"example.com/greeting-server/internal/middleware"
	"example.com/greeting-server/internal/tools"
)

// serverVersion is reported to MCP clients in the initialize and discover results.
const serverVersion = "0.1.0"

// shutdownTimeout bounds how long in-flight requests may run after SIGINT or SIGTERM.
const shutdownTimeout = 10 * time.Second

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
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	validator, ready, err := newValidator(ctx, cfg, logger)
	if err != nil {
		return err
	}
	handler, err := newHandler(cfg, validator, ready, logger)
	if err != nil {
		return err
	}
	srv := httpserver.New(cfg.Addr(), handler)
	logger.Info("serving MCP", "addr", cfg.Addr(), "resource", cfg.ResourceURL)
	return httpserver.Run(ctx, srv, shutdownTimeout, logger)
}

// discoveryTimeout bounds the search for the issuer's metadata at start.
const discoveryTimeout = 10 * time.Second

// newValidator sets up token validation; ready reports whether tokens can be checked yet.
// JWT access tokens are checked with the issuer's keys, from AUTH_JWKS_URL or else from
// the jwks_uri of the issuer's metadata, found now: a server that cannot find its keys
// stops with a clear error instead of refusing every request.
func newValidator(ctx context.Context, cfg config.Config, logger *slog.Logger) (validator auth.TokenValidator, ready func() bool, err error) {
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
	keys, err := auth.NewRemoteJWKS(ctx, jwksURL, auth.JWKSOptions{Logger: logger})
	if err != nil {
		return nil, nil, fmt.Errorf("set up the key set from %s: %w", jwksURL, err)
	}
	validator, err = jwtValidator(cfg, keys)
	return validator, keys.Ready, err
}

// discover reads the metadata of the issuer (RFC 8414, else OpenID Connect discovery),
// refusing a document that names another issuer.
func discover(ctx context.Context, issuer string) (*auth.AuthorizationServerMetadata, error) {
	ctx, cancel := context.WithTimeout(ctx, discoveryTimeout)
	defer cancel()
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

// newHandler wires the HTTP surface: the protected MCP endpoint, the public metadata
// and the health probes; /ready asks ready.
func newHandler(cfg config.Config, validator auth.TokenValidator, ready func() bool, logger *slog.Logger) (http.Handler, error) {
	protect, err := middleware.Protect(middleware.Config{
		Logger:         logger,
		ResourceURL:    cfg.ResourceURL,
		AllowedOrigins: cfg.AllowedOrigins,
		Validator:      validator,
		Scopes:         auth.ScopePolicy{Tools: tools.Scopes},
	})
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	mux.Handle("/mcp", protect(newMCPHandler()))
	if err := metadata.Mount(mux, cfg.ResourceURL, metadata.Document(cfg, tools.ScopesSupported)); err != nil {
		return nil, err
	}
	mux.Handle("/health", health.Handler())
	mux.Handle("/ready", health.Ready(ready))
	return middleware.Log(logger)(mux), nil
}

// newMCPHandler builds the MCP server with every tool of the registry and serves it over
// Streamable HTTP, in both protocol eras mcp-go speaks: 2025-11-25 (initialize, then a
// session) and 2026-07-28 (stateless).
//
// The default session manager issues session ids it checks by format only, with no
// server-side state, so replicas behind a load balancer need no sticky sessions.
func newMCPHandler() http.Handler {
	s := server.NewMCPServer(tools.ServerName, serverVersion,
		server.WithToolCapabilities(false),
		server.WithInputSchemaValidation(),
		server.WithRecovery(),
	)
	tools.Register(s)
	return server.NewStreamableHTTPServer(s)
}
