// Package middleware builds the HTTP chain in front of the MCP endpoint. It is the place
// for your own middleware (rate limits, tenant checks, ...): the security decisions
// themselves live in the mcpgen runtime packages, so fixes reach this server with
// `go get -u`.
//
// Order matters. Every request is logged (without its token); on /mcp the Origin check
// runs next, so a foreign web page is refused and CORS preflights are answered before
// any token is looked at; then the bearer token and the scopes of the called tool are
// checked; finally the caller's identity is added to the log line.
package middleware

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/origin"
	"github.com/mcpgen/mcpgen/runtime/requestlog"
)

// Config is what the chain needs.
type Config struct {
	Logger         *slog.Logger
	ResourceURL    string              // canonical URL of the MCP endpoint; its origin is allowed
	AllowedOrigins []string            // more browser origins to allow
	Validator      auth.TokenValidator // turns a bearer token into the caller's principal
	Scopes         auth.ScopePolicy    // scopes required, per tool
}

// Log wraps the whole server so that every request, public or protected, gets one log
// line. It must be outermost: Protect annotates the line it starts.
func Log(logger *slog.Logger) func(http.Handler) http.Handler {
	return requestlog.Middleware(logger)
}

// Protect returns the chain for the MCP endpoint: origin policy, then authentication and
// per-tool scopes, then log annotation.
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
		Logger:              cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("set up authentication: %w", err)
	}
	return func(next http.Handler) http.Handler {
		return origins.Middleware(authenticate(annotate(next)))
	}, nil
}

// annotate adds who is calling to the request's log line. It runs after authentication,
// so every request reaching it carries a principal.
func annotate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := auth.FromContext(r.Context()); ok {
			requestlog.Annotate(r.Context(),
				slog.String("subject", p.Subject),
				slog.String("client_id", p.ClientID),
			)
		}
		next.ServeHTTP(w, r)
	})
}
