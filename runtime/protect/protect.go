// Package protect puts an MCP endpoint behind everything an OAuth-protected MCP server
// needs, from its settings: bearer-token validation (JWT with the issuer's keys, or
// RFC 7662 introspection), per-tool scopes, session ids bound to their caller, the
// protected resource metadata (RFC 9728),
// the Origin policy and CORS preflight, request-body and rate limits, request logs,
// metrics and health probes. It is the one entry point generated servers call, and the
// one to call to protect a server that already exists:
//
//	s, err := settings.Load(".env", provider.Generic, settings.Defaults{Port: 8080})
//	srv, err := protect.New(ctx, s, mcpHandler, protect.Options{Scopes: ...})
//	err = srv.Run(ctx)
//
// Any http.Handler can be protected: an mcp-go StreamableHTTPServer, the official Go
// SDK's StreamableHTTPHandler, or a handler of your own. It is served at the path of
// MCP_RESOURCE_URL.
package protect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/health"
	"github.com/mcpgen/mcpgen/runtime/httpserver"
	"github.com/mcpgen/mcpgen/runtime/metrics"
	"github.com/mcpgen/mcpgen/runtime/origin"
	"github.com/mcpgen/mcpgen/runtime/ratelimit"
	"github.com/mcpgen/mcpgen/runtime/requestlog"
	"github.com/mcpgen/mcpgen/runtime/session"
	"github.com/mcpgen/mcpgen/runtime/settings"
)

// Options are what protection needs besides the settings.
type Options struct {
	// Logger receives one line per request (never a token) and the server's own
	// messages. Default: slog.Default().
	Logger *slog.Logger
	// Name is the server's name, advertised as resource_name in the metadata.
	Name string
	// Scopes say which scopes each tool needs.
	Scopes auth.ScopePolicy
	// ScopesSupported are advertised in the metadata; default: Scopes.Advertised(), the
	// baseline a client should ask for first.
	ScopesSupported []string
	// Keys, when set, verify JWT access tokens instead of the key set the settings
	// name: tests pass an in-process issuer's (authtest.Issuer.KeySet).
	Keys auth.KeySet
	// Validator, when set, replaces token validation altogether (a custom token
	// format). Keys and the settings' token options are then not used.
	Validator auth.TokenValidator
	// OnShutdown runs when a graceful shutdown starts: close long-lived event streams
	// there (mcp-go: CloseSessions), or every stop waits out SHUTDOWN_TIMEOUT.
	OnShutdown func()
}

// Server is a protected MCP endpoint with the public routes around it.
type Server struct {
	// Handler serves every route of the public port: the protected endpoint at the
	// path of MCP_RESOURCE_URL, the metadata at both well-known paths, /health and
	// /ready.
	Handler http.Handler
	// Metrics are nil unless METRICS_ADDR is set.
	Metrics *metrics.Metrics

	settings   settings.Settings
	logger     *slog.Logger
	ready      func() bool
	onShutdown func()
}

// New protects h, an MCP endpoint, according to s. It finds the token validation the
// settings call for (the key set at AUTH_JWKS_URL, the preset's, or the one the
// issuer's metadata names; or the introspection endpoint), and fails when it cannot:
// a server that cannot check tokens must not start. Key sets refresh themselves until
// ctx ends.
func New(ctx context.Context, s settings.Settings, h http.Handler, opts Options) (*Server, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	srv := &Server{settings: s, logger: logger, onShutdown: opts.OnShutdown}
	if s.Ops.MetricsAddr != "" {
		srv.Metrics = metrics.New()
	}
	validator, ready := opts.Validator, func() bool { return true }
	if validator == nil {
		var err error
		validator, ready, err = newValidator(ctx, s, opts.Keys, srv.Metrics, logger)
		if err != nil {
			return nil, err
		}
	}
	srv.ready = ready

	endpoint, err := endpointPath(s.ResourceURL)
	if err != nil {
		return nil, err
	}
	chain, err := newChain(s, validator, opts.Scopes, srv.Metrics, logger)
	if err != nil {
		return nil, err
	}
	scopes := opts.ScopesSupported
	if scopes == nil {
		scopes = opts.Scopes.Advertised()
	}
	mux := http.NewServeMux()
	meta, err := auth.MetadataHandler(s.Metadata(opts.Name, scopes))
	if err != nil {
		return nil, fmt.Errorf("serve protected resource metadata: %w", err)
	}
	for _, path := range auth.MetadataPaths(s.ResourceURL) {
		mux.Handle(path, meta)
	}
	mux.Handle("/health", health.Handler())
	mux.Handle("/ready", health.Ready(ready))
	protected := chain(h)
	routes := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The endpoint is matched exactly, not as a ServeMux pattern, so any path
		// MCP_RESOURCE_URL may hold works ("/", "/mcp", "/a/{b}").
		if r.URL.Path == endpoint {
			protected.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
	// One log line per request (the chain annotates it, so this is outermost), then
	// the body limit, for public routes too.
	srv.Handler = requestlog.Middleware(logger)(httpserver.LimitBody(s.Ops.MaxBodyBytes)(routes))
	return srv, nil
}

// Ready reports whether tokens can be checked: false until the key set has loaded.
func (s *Server) Ready() bool { return s.ready() }

// Run serves Handler on the settings' address (with TLS when configured) and the
// metrics on METRICS_ADDR, until ctx ends; then it shuts down gracefully, giving
// in-flight requests SHUTDOWN_TIMEOUT.
func (s *Server) Run(ctx context.Context) error {
	main := httpserver.New(s.settings.Addr(), s.Handler)
	main.TLSConfig = s.settings.Ops.TLS // nil: plain HTTP
	if s.onShutdown != nil {
		main.RegisterOnShutdown(s.onShutdown)
	}
	servers := []*http.Server{main}
	if s.Metrics != nil {
		mux := http.NewServeMux()
		mux.Handle("/metrics", s.Metrics.Handler())
		// Its own listener, so the public port never shows it.
		servers = append(servers, httpserver.New(s.settings.Ops.MetricsAddr, mux))
		s.logger.Info("serving metrics", "addr", s.settings.Ops.MetricsAddr, "path", "/metrics")
	}
	s.logger.Info("serving MCP", "addr", s.settings.Addr(), "resource", s.settings.ResourceURL, "tls", s.settings.Ops.TLS != nil)
	return httpserver.RunAll(ctx, s.settings.Ops.ShutdownTimeout, s.logger, servers...)
}

// endpointPath is the path the protected endpoint is served at: that of the resource.
func endpointPath(resource string) (string, error) {
	u, err := url.Parse(resource)
	if err != nil {
		return "", fmt.Errorf("MCP_RESOURCE_URL %q: %w", resource, err)
	}
	if u.Path == "" {
		return "/", nil
	}
	return u.Path, nil
}

// newChain returns the chain in front of the endpoint. Order matters: metrics count
// what happens next; the Origin check runs first, so a foreign web page is refused and
// CORS preflights are answered before any token is looked at; then the bearer token is
// checked. A token the server verified before is served from the validator's cache
// whatever its address has done; one that needs verifying waits for one of its
// address's few turns, and gets 429 instead when the address failed authentication
// too often, before any signature check or introspection call. As soon as the token is
// valid the caller's identity goes on the log line and the caller is held to its rate
// limit, before the body is read and the scopes of the called tool are checked. Last,
// the session id must be one handed to this caller: the check needs the caller the
// token names, and wraps the MCP handler alone, whatever library serves it.
func newChain(s settings.Settings, validator auth.TokenValidator, scopes auth.ScopePolicy, m *metrics.Metrics, logger *slog.Logger) (func(http.Handler) http.Handler, error) {
	origins, err := origin.NewPolicy(s.ResourceURL, s.AllowedOrigins)
	if err != nil {
		return nil, fmt.Errorf("set up the origin policy: %w", err)
	}
	metadataURL, err := auth.MetadataURL(s.ResourceURL)
	if err != nil {
		return nil, fmt.Errorf("derive the metadata URL from %s: %w", s.ResourceURL, err)
	}
	limiter, err := newLimiter(s, m, logger)
	if err != nil {
		return nil, err
	}
	authenticate, err := auth.Middleware(auth.MiddlewareConfig{
		Validator:           validator,
		ResourceMetadataURL: metadataURL,
		Scopes:              scopes,
		ScopePrefix:         s.ScopePrefix,
		MaxBodyBytes:        s.Ops.MaxBodyBytes,
		Logger:              logger,
		OnReject: func(r *http.Request, e *auth.Error) {
			limiter.AuthFailed(r, e)
			if m != nil {
				m.AuthFailure(e.Reason)
			}
		},
		// Runs only for tokens not in the validator's cache, right before they are verified.
		BeforeVerify: limiter.BeforeVerify,
		// Runs once the token is valid, before the body is read: every request of a
		// valid token, even one then refused for its scopes, spends the caller's budget.
		OnAuthenticated: func(w http.ResponseWriter, r *http.Request, p *auth.Principal) bool {
			requestlog.Annotate(r.Context(),
				slog.String("subject", p.Subject),
				slog.String("client_id", p.ClientID),
			)
			return limiter.Admit(w, r, p)
		},
		// Runs only when a tool is public (lazy authentication), for each request
		// without a token: anonymous callers share a budget per client address.
		OnAnonymous: func(w http.ResponseWriter, r *http.Request) bool {
			requestlog.Annotate(r.Context(), slog.Bool("anonymous", true))
			return limiter.AdmitAnonymous(w, r)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("set up authentication: %w", err)
	}
	sessions := newSessions(s, logger)
	return func(next http.Handler) http.Handler {
		h := origins.Middleware(authenticate(sessions.Middleware(next)))
		if m != nil {
			h = m.Middleware(h)
		}
		return h
	}, nil
}

// newSessions binds session ids with MCP_SESSION_KEY, else with a key of this process.
// REDIS_URL set is the sign of several replicas: without a shared key, a session
// started on one replica gets 404 on the others, so say so at start.
func newSessions(s settings.Settings, logger *slog.Logger) *session.Binder {
	if s.Ops.SessionKey.IsZero() && s.Ops.Redis != nil {
		logger.Warn("REDIS_URL is set but MCP_SESSION_KEY is not: a session started on one replica gets 404 on the others; set the same MCP_SESSION_KEY (openssl rand -base64 32) on every replica")
	}
	return session.New(session.Config{
		Key: s.Ops.SessionKey,
		OnRefuse: func(r *http.Request) {
			requestlog.Annotate(r.Context(), slog.String("reason", "session_not_bound"))
		},
	})
}

// newLimiter keeps rate limits in Redis when REDIS_URL is set, so every replica
// enforces the same limit, else in this process. If Redis fails, each replica limits
// on its own until it is back (see ratelimit.Redis).
func newLimiter(s settings.Settings, m *metrics.Metrics, logger *slog.Logger) (*ratelimit.Limiter, error) {
	rc := ratelimit.Config{
		PerPrincipal:    s.Ops.PrincipalLimit,
		FailedAuthPerIP: s.Ops.FailedAuthLimit,
		Proxies:         s.Ops.TrustedProxies,
		Logger:          logger,
	}
	// Keys are namespaced by the resource URL: replicas of this server share budgets,
	// other servers using the same Redis do not.
	redisOpts := ratelimit.RedisOptions{Logger: logger, Namespace: s.ResourceURL}
	if m != nil {
		rc.OnLimited = m.RateLimited
		redisOpts.OnError = m.StoreError
	}
	if s.Ops.Redis != nil {
		rc.Store = ratelimit.NewRedis(redis.NewClient(s.Ops.Redis), redisOpts)
	}
	limiter, err := ratelimit.New(rc)
	if err != nil {
		return nil, fmt.Errorf("set up rate limits: %w", err)
	}
	return limiter, nil
}

// newValidator sets up token validation; ready reports whether tokens can be checked
// yet. JWT access tokens are checked with keys when given, else with the key set at
// the settings' JWKS URL, else at the jwks_uri of the issuer's metadata, found now: a
// server that cannot find its keys stops with a clear error instead of refusing every
// request. With several trusted issuers (AUTH_ISSUERS) each has its own key set, found
// the same way, and the token's iss chooses which verifies it; the server is ready
// once every issuer's keys have loaded. With AUTH_TOKEN_FORMAT=opaque the
// introspection endpoint checks each token.
func newValidator(ctx context.Context, s settings.Settings, keys auth.KeySet, m *metrics.Metrics, logger *slog.Logger) (auth.TokenValidator, func() bool, error) {
	if s.Introspection != nil {
		if len(s.TrustedIssuers) > 1 {
			return nil, nil, errors.New("AUTH_TOKEN_FORMAT=opaque accepts the tokens of one issuer only: an opaque token does not say who issued it")
		}
		return newIntrospector(ctx, s, logger)
	}
	var ready func() bool
	switch {
	case keys != nil:
	case len(s.TrustedIssuers) > 1:
		set, err := newIssuerKeySet(ctx, s.TrustedIssuers, m, logger)
		if err != nil {
			return nil, nil, err
		}
		keys, ready = set, set.AllReady
	default:
		remote, err := newRemoteKeys(ctx, "AUTH_ISSUER", s.Issuers[0], s.JWKSURL, m, logger)
		if err != nil {
			return nil, nil, err
		}
		keys = remote
	}
	if ready == nil {
		ready = keys.Ready
	}
	validator, err := auth.NewValidator(s.ValidatorConfig(), keys)
	if err != nil {
		return nil, nil, fmt.Errorf("set up token validation: %w", err)
	}
	return validator, ready, nil
}

// newRemoteKeys returns the key set at jwksURL, else at the jwks_uri of the issuer's
// metadata. setting names where the issuer was configured, for the error.
func newRemoteKeys(ctx context.Context, setting, issuer, jwksURL string, m *metrics.Metrics, logger *slog.Logger) (*auth.JWKS, error) {
	if jwksURL == "" {
		meta, err := discover(ctx, setting, issuer)
		if err == nil && meta.JWKSURI == "" {
			err = errors.New("its metadata has no jwks_uri")
		}
		if err != nil {
			hint := "set AUTH_JWKS_URL to the JWKS URL to skip discovery"
			if setting == "AUTH_ISSUERS" {
				hint = "with several issuers each one's metadata must name its keys"
			}
			return nil, fmt.Errorf("find the signing keys: %w; %s", err, hint)
		}
		jwksURL = meta.JWKSURI
	}
	// An authorization server that is down now is not fatal: requests get 503 and
	// /ready reports "not ready" until the keys load.
	jwksOpts := auth.JWKSOptions{Logger: logger}
	if m != nil {
		jwksOpts.OnRefresh = m.JWKSRefresh
	}
	remote, err := auth.NewRemoteJWKS(ctx, jwksURL, jwksOpts)
	if err != nil {
		return nil, fmt.Errorf("set up the key set from %s: %w", jwksURL, err)
	}
	return remote, nil
}

// newIssuerKeySet finds the key set of every trusted issuer, all at once so that one
// slow authorization server does not add to another's wait, and fails with every
// issuer whose keys cannot be found.
func newIssuerKeySet(ctx context.Context, trusted []settings.TrustedIssuer, m *metrics.Metrics, logger *slog.Logger) (*auth.IssuerKeySet, error) {
	sets := make([]auth.IssuerKeys, len(trusted))
	errs := make([]error, len(trusted))
	var wg sync.WaitGroup
	for i, t := range trusted {
		wg.Go(func() {
			keys, err := newRemoteKeys(ctx, "AUTH_ISSUERS", t.Issuer, t.JWKSURL, m, logger)
			sets[i], errs[i] = auth.IssuerKeys{Issuers: t.Accepted, Keys: keys}, err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	set, err := auth.NewIssuerKeySet(sets)
	if err != nil {
		return nil, fmt.Errorf("set up the key sets of AUTH_ISSUERS: %w", err)
	}
	return set, nil
}

// newIntrospector asks the introspection endpoint of AUTH_INTROSPECTION_URL, else the
// one the issuer's metadata names.
func newIntrospector(ctx context.Context, s settings.Settings, logger *slog.Logger) (auth.TokenValidator, func() bool, error) {
	endpoint := s.Introspection.URL
	if endpoint == "" {
		meta, err := discover(ctx, "AUTH_ISSUER", s.Issuers[0])
		if err == nil && meta.IntrospectionEndpoint == "" {
			err = errors.New("its metadata names no introspection_endpoint")
		}
		if err != nil {
			return nil, nil, fmt.Errorf("find the introspection endpoint: %w; set AUTH_INTROSPECTION_URL", err)
		}
		endpoint = meta.IntrospectionEndpoint
	}
	ic := s.IntrospectionConfig(endpoint)
	ic.Logger = logger
	introspector, err := auth.NewIntrospector(ic)
	if err != nil {
		return nil, nil, fmt.Errorf("set up token introspection: %w", err)
	}
	return introspector, func() bool { return true }, nil
}

// discover reads the metadata of the issuer configured in setting (RFC 8414, else
// OpenID Connect discovery), refusing a document that names another issuer, within
// auth.DefaultDiscoveryTimeout.
func discover(ctx context.Context, setting, issuer string) (*auth.AuthorizationServerMetadata, error) {
	meta, err := auth.Discover(ctx, issuer, auth.DiscoveryOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", setting, issuer, err)
	}
	return meta, nil
}
