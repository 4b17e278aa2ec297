package auth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// IntrospectionConfig says how to validate opaque access tokens by asking
// the authorization server (RFC 7662 token introspection), for providers
// whose access tokens are not JWTs.
type IntrospectionConfig struct {
	// Endpoint is the introspection_endpoint of the authorization server;
	// https (or loopback) unless AllowHTTP.
	Endpoint string
	// ClientID and ClientSecret authenticate this resource server to the
	// endpoint with HTTP Basic (client_secret_basic, RFC 6749 §2.3.1).
	ClientID     string
	ClientSecret string

	// Issuers, when set, must contain the iss of an active response that has
	// one (RFC 7662 makes iss optional).
	Issuers []string
	// Audiences: the response's aud must contain one (>=1). A response
	// without aud is refused: nothing else binds the token to this resource.
	Audiences          []string
	ScopeClaims        []string          // as ValidatorConfig.ScopeClaims
	OrganizationClaims []string          // as ValidatorConfig.OrganizationClaims
	RequiredClaims     map[string]string // as ValidatorConfig.RequiredClaims
	ScopePrefix        string            // as ValidatorConfig.ScopePrefix

	// CacheEntries bounds how many active answers are remembered (by the
	// SHA-256 of the token, never the token). 0 means DefaultCacheEntries;
	// negative turns the cache off.
	CacheEntries int
	// CacheTTL is the longest an active answer is reused, so a revoked token
	// stops working within it; never past the token's exp. Default
	// DefaultIntrospectionCacheTTL.
	CacheTTL time.Duration

	HTTPTimeout   time.Duration // per introspection request, default DefaultIntrospectionTimeout
	HTTPClient    *http.Client  // default: https-only redirects, HTTPTimeout
	AllowHTTP     bool          // permit plain http to a non-loopback endpoint
	MaxTokenBytes int           // default DefaultMaxTokenBytes
	Leeway        time.Duration // for exp and nbf in responses, default DefaultLeeway
	Logger        *slog.Logger  // default slog.Default()
}

// Defaults of IntrospectionConfig.
const (
	DefaultIntrospectionCacheTTL = time.Minute
	DefaultIntrospectionTimeout  = 5 * time.Second
	// MaxIntrospectionBytes bounds an introspection response.
	MaxIntrospectionBytes = 64 << 10
)

// Introspector is a TokenValidator for opaque access tokens: it posts each
// token to the authorization server's introspection endpoint and accepts it
// when the answer is active, unexpired, for this resource (aud) and from a
// trusted issuer.
//
// Active answers are cached until the token's exp or CacheTTL, whichever
// comes first; answers without exp are not cached. Inactive answers and
// failures are never cached, so requests with made-up tokens cannot fill the
// cache or keep a revoked token alive; each costs one request to the
// authorization server instead, which a rate limit in front of the endpoint
// bounds. Concurrent requests with the same token share one introspection.
//
// The endpoint being down, slow, or refusing this server's credentials is a
// server-side condition: the client gets 503 temporarily_unavailable with
// Retry-After, never 401 (its token may be fine) and never 500.
type Introspector struct {
	claimsPolicy
	endpoint      string
	clientID      string
	clientSecret  string
	client        *http.Client
	timeout       time.Duration
	maxTokenBytes int
	leeway        time.Duration
	ttl           time.Duration
	cache         *tokenCache // nil when off
	logger        *slog.Logger
	now           func() time.Time

	mu       sync.Mutex
	inflight map[[sha256.Size]byte]*introspection // requests under way, by token hash
}

// introspection is one request to the endpoint and its judgement, shared by every
// caller that presents the same token while it runs.
type introspection struct {
	done      chan struct{}
	principal *Principal
	err       error
	callers   int // requests sharing it, guarded by Introspector.mu
}

var _ TokenValidator = (*Introspector)(nil)

// NewIntrospector checks cfg and returns an Introspector.
func NewIntrospector(cfg IntrospectionConfig) (*Introspector, error) {
	var problems []string
	if err := checkFetchURL("introspection endpoint", cfg.Endpoint, cfg.AllowHTTP); err != nil {
		problems = append(problems, err.Error())
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		problems = append(problems, "a client id and secret for the introspection endpoint are required")
	}
	policy, problems := newClaimsPolicy(claimsConfig{
		issuers: cfg.Issuers, audiences: cfg.Audiences, scopeClaims: cfg.ScopeClaims, scopePrefix: cfg.ScopePrefix,
		orgClaims: cfg.OrganizationClaims, required: cfg.RequiredClaims,
	}, problems)
	if cfg.CacheTTL < 0 || cfg.HTTPTimeout < 0 || cfg.Leeway < 0 || cfg.MaxTokenBytes < 0 {
		problems = append(problems, "durations and sizes must not be negative")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("auth introspection config: %s", strings.Join(problems, "; "))
	}
	i := &Introspector{
		claimsPolicy:  policy,
		endpoint:      cfg.Endpoint,
		clientID:      cfg.ClientID,
		clientSecret:  cfg.ClientSecret,
		client:        cfg.HTTPClient,
		timeout:       orDefault(cfg.HTTPTimeout, DefaultIntrospectionTimeout),
		maxTokenBytes: orDefault(cfg.MaxTokenBytes, DefaultMaxTokenBytes),
		leeway:        orDefault(cfg.Leeway, DefaultLeeway),
		ttl:           orDefault(cfg.CacheTTL, DefaultIntrospectionCacheTTL),
		logger:        cfg.Logger,
		now:           time.Now,
	}
	if i.client == nil {
		i.client = secureClient("introspection", i.timeout, cfg.AllowHTTP)
	}
	if i.logger == nil {
		i.logger = slog.Default()
	}
	if entries := orDefault(cfg.CacheEntries, DefaultCacheEntries); entries > 0 {
		i.cache = newBoundedCache(entries, 0, nil)
	}
	return i, nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Validate implements TokenValidator. Errors are *Error: 401 invalid_token
// for a token the server says is inactive or that is not for this resource,
// 503 temporarily_unavailable when the server cannot be asked.
func (i *Introspector) Validate(ctx context.Context, token string) (*Principal, error) {
	if token == "" || len(token) > i.maxTokenBytes {
		return nil, invalidToken("malformed", fmt.Sprintf("the access token is empty or longer than %d bytes", i.maxTokenBytes), nil)
	}
	sum := tokenSum(token)
	if i.cache != nil {
		if p := i.cache.get(&sum, i.now()); p != nil {
			return p, nil
		}
	}
	return i.judgeShared(ctx, &sum, token)
}

// Cached implements CachingValidator: a token the authorization server called
// active, until its exp or CacheTTL.
func (i *Introspector) Cached(token string) *Principal {
	if i.cache == nil || token == "" || len(token) > i.maxTokenBytes {
		return nil
	}
	sum := tokenSum(token)
	return i.cache.get(&sum, i.now())
}

// judge introspects token and applies this resource's checks to the answer,
// caching an active one.
func (i *Introspector) judge(ctx context.Context, sum *[sha256.Size]byte, token string) (*Principal, error) {
	claims, err := i.introspect(ctx, token)
	if err != nil {
		i.logger.Warn("token introspection failed", "endpoint", i.endpoint, "err", err)
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: CodeTemporarilyUnavailable, Reason: "introspection_unavailable",
			Description: "the server cannot check access tokens right now; retry later", Err: err}
	}
	p, err := i.judgeAnswer(claims)
	if err != nil {
		return nil, err
	}
	if i.cache != nil && !p.ExpiresAt.IsZero() {
		until := i.now().Add(i.ttl)
		if p.ExpiresAt.Before(until) {
			until = p.ExpiresAt
		}
		i.cache.insert(sum, &cacheEntry{principal: *p, expires: until})
	}
	return p, nil
}

// judgeAnswer applies this resource's checks to a decoded introspection answer.
func (i *Introspector) judgeAnswer(claims jwt.MapClaims) (*Principal, error) {
	if active, _ := claims["active"].(bool); !active {
		return nil, invalidToken("inactive", "the access token is not active (expired, revoked or unknown to the authorization server)", nil)
	}
	if err := i.checkTimes(claims); err != nil {
		return nil, err
	}
	if tt, _ := claims["token_type"].(string); strings.EqualFold(tt, "refresh_token") {
		return nil, invalidToken("wrong_token_type", "a refresh token is not an access token", nil)
	}
	return i.checkClaims(claims)
}

// checkTimes refuses an active answer whose exp has passed or whose nbf is
// ahead (beyond the leeway): an authorization server's clock or cache may lag.
func (i *Introspector) checkTimes(claims jwt.MapClaims) error {
	now := i.now()
	exp, err := claims.GetExpirationTime()
	if err != nil {
		return invalidToken("claim_type", "the introspection response exp must be a number", err)
	}
	if exp != nil && !now.Before(exp.Add(i.leeway)) {
		return invalidToken(ReasonExpired, "the access token has expired", nil)
	}
	nbf, err := claims.GetNotBefore()
	if err != nil {
		return invalidToken("claim_type", "the introspection response nbf must be a number", err)
	}
	if nbf != nil && now.Add(i.leeway).Before(nbf.Time) {
		return invalidToken(ReasonNotYetValid, "the access token is not valid yet (nbf)", nil)
	}
	return nil
}

// judgeShared runs one introspection per token at a time: a client that opens a
// session sends several requests with a new token at once, and they all wait for the
// same answer. The answer is judged and cached before the token leaves the in-flight
// map, so a request arriving in between finds one or the other, never neither. The
// request runs detached from any one caller's context (bounded by the HTTP timeout), so
// a caller giving up does not fail the others. A caller whose client has gone waits for
// the answer all the same: its token is judged like any other, so a made-up one is a
// 401 the failed-authentication limit counts, not a 503 it ignores (which would let a
// client that hangs up at once have made-up tokens introspected without limit).
func (i *Introspector) judgeShared(ctx context.Context, sum *[sha256.Size]byte, token string) (*Principal, error) {
	i.mu.Lock()
	call, joined := i.inflight[*sum]
	if !joined {
		call = &introspection{done: make(chan struct{})}
		if i.inflight == nil {
			i.inflight = map[[sha256.Size]byte]*introspection{}
		}
		i.inflight[*sum] = call
	}
	call.callers++
	i.mu.Unlock()
	if !joined {
		key := *sum
		go func() {
			call.principal, call.err = i.judge(context.WithoutCancel(ctx), &key, token)
			i.mu.Lock()
			delete(i.inflight, key)
			i.mu.Unlock()
			close(call.done)
		}()
	}
	<-call.done
	if call.err != nil {
		return nil, call.err
	}
	p := *call.principal // each caller gets its own copy, as from the cache
	return &p, nil
}

// errIntrospectionAuth marks the endpoint refusing this server's own
// credentials: an operator must fix the client id or secret.
var errIntrospectionAuth = errors.New("the introspection endpoint refused this server's client credentials; check the client id and secret")

// introspect posts the token (RFC 7662 §2.1) and decodes the answer.
func (i *Introspector) introspect(ctx context.Context, token string) (jwt.MapClaims, error) {
	ctx, cancel := context.WithTimeout(ctx, i.timeout)
	defer cancel()
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, i.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("introspect: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	// RFC 6749 §2.3.1: id and secret are form-encoded before Basic encoding.
	req.SetBasicAuth(url.QueryEscape(i.clientID), url.QueryEscape(i.clientSecret))
	resp, err := i.client.Do(req)
	if err != nil {
		// The url.Error names the endpoint, and never the token (it is in the body).
		return nil, fmt.Errorf("introspect: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return nil, fmt.Errorf("introspect: status %d: %w", resp.StatusCode, errIntrospectionAuth)
	}
	body, err := readJSONBody(resp, MaxIntrospectionBytes)
	if err != nil {
		return nil, fmt.Errorf("introspect: %w", err)
	}
	return decodeIntrospection(body)
}

// decodeIntrospection decodes an introspection response body: a JSON object with a
// boolean active member (RFC 7662 §2.2).
func decodeIntrospection(body []byte) (jwt.MapClaims, error) {
	claims := jwt.MapClaims{}
	if err := json.Unmarshal(body, &claims); err != nil {
		return nil, fmt.Errorf("introspect: decode response: %w", err)
	}
	if _, ok := claims["active"].(bool); !ok {
		return nil, errors.New(`introspect: the response has no boolean "active" member`)
	}
	return claims, nil
}
