// Package middleware builds the HTTP chain in front of the MCP endpoint. It is the place
// for your own middleware (tenant checks, ...): the security decisions themselves live in
// the mcpgen runtime packages, so fixes reach this server with `go get -u`.
//
// Order matters. Every request is logged (without its token) and oversized bodies are
// refused with 413 first. On /mcp, metrics count what happens next; the Origin check runs
// before anything else, so a foreign web page is refused and CORS preflights are answered
// before any token is looked at; a client address that failed authentication too often
// gets 429 before its token is checked; then the bearer token is checked, and as soon as
// it is valid the caller's identity goes on the log line and the caller is held to its
// rate limit, before the body is read and the scopes of the called tool are checked.
package middleware

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/httpserver"
	"github.com/mcpgen/mcpgen/runtime/metrics"
	"github.com/mcpgen/mcpgen/runtime/origin"
	"github.com/mcpgen/mcpgen/runtime/ratelimit"
	"github.com/mcpgen/mcpgen/runtime/requestlog"
)

// Config is what the chain needs.
type Config struct {
	Logger         *slog.Logger
	ResourceURL    string              // canonical URL of the MCP endpoint; its origin is allowed
	AllowedOrigins []string            // more browser origins to allow
	Validator      auth.TokenValidator // turns a bearer token into the caller's principal
	Scopes         auth.ScopePolicy    // scopes required, per tool
	MaxBodyBytes   int64               // largest request body read
	Limiter        *ratelimit.Limiter  // per-caller and failed-authentication limits
	Metrics        *metrics.Metrics    // nil when metrics are off
}

// Outer wraps the whole server, public endpoints included: one log line per request
// (Protect annotates it, so this must be outermost), then the request body limit.
func Outer(logger *slog.Logger, maxBodyBytes int64) func(http.Handler) http.Handler {
	logRequests := requestlog.Middleware(logger)
	limitBody := httpserver.LimitBody(maxBodyBytes)
	return func(next http.Handler) http.Handler {
		return logRequests(limitBody(next))
	}
}

// Protect returns the chain for the MCP endpoint: metrics, origin policy, the
// failed-authentication guard, then authentication with, in its hook, log annotation
// and the per-caller rate limit, then per-tool scopes.
func Protect(cfg Config) (func(http.Handler) http.Handler, error) {
	origins, err := origin.NewPolicy(cfg.ResourceURL, cfg.AllowedOrigins)
	if err != nil {
		return nil, fmt.Errorf("set up the origin policy: %w", err)
	}
	metadataURL, err := auth.MetadataURL(cfg.ResourceURL)
	if err != nil {
		return nil, fmt.Errorf("derive the metadata URL from %s: %w", cfg.ResourceURL, err)
	}
	authenticate, err := auth.Middleware(auth.MiddlewareConfig{
		Validator:           cfg.Validator,
		ResourceMetadataURL: metadataURL,
		Scopes:              cfg.Scopes,
		MaxBodyBytes:        cfg.MaxBodyBytes,
		Logger:              cfg.Logger,
		OnReject: func(r *http.Request, e *auth.Error) {
			cfg.Limiter.AuthFailed(r, e)
			if cfg.Metrics != nil {
				cfg.Metrics.AuthFailure(e.Reason)
			}
		},
		// Runs once the token is valid, before the body is read: every request of a
		// valid token, even one then refused for its scopes, spends the caller's budget.
		OnAuthenticated: func(w http.ResponseWriter, r *http.Request, p *auth.Principal) bool {
			requestlog.Annotate(r.Context(),
				slog.String("subject", p.Subject),
				slog.String("client_id", p.ClientID),
			)
			return cfg.Limiter.Admit(w, r, p)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("set up authentication: %w", err)
	}
	return func(next http.Handler) http.Handler {
		h := origins.Middleware(cfg.Limiter.GuardFailedAuth(authenticate(next)))
		if cfg.Metrics != nil {
			h = cfg.Metrics.Middleware(h)
		}
		return h
	}, nil
}
