package ratelimit

import (
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/mcpgen/mcpgen/runtime/auth"
)

// Policy names, as sent in the RateLimit and RateLimit-Policy fields and
// passed to Config.OnLimited.
const (
	PolicyPrincipal  = "principal"
	PolicyFailedAuth = "failed_auth"
)

// Config configures [New].
type Config struct {
	// Store keeps the counts; nil means a [Memory] store of DefaultMaxKeys.
	Store Store
	// PerPrincipal limits authenticated requests per caller (token subject
	// and client id). The zero Limit turns it off.
	PerPrincipal Limit
	// FailedAuthPerIP limits failed authentications per client address;
	// once spent, every request from that address is refused before its
	// token is checked. The zero Limit turns it off.
	FailedAuthPerIP Limit
	// Proxies decides whether X-Forwarded-For is believed; nil trusts nobody.
	Proxies *Proxies
	// OnLimited, when set, is called for each refused request (for metrics).
	OnLimited func(policy string)
	Logger    *slog.Logger // default slog.Default()
}

// Limiter applies the limits of a Config. It is safe for concurrent use. A nil
// *Limiter limits nothing, so a chain built without one still works.
type Limiter struct {
	store      Store
	principal  Limit
	failedAuth Limit
	proxies    *Proxies
	onLimited  func(string)
	logger     *slog.Logger

	principalPolicy  string // RateLimit-Policy values, computed once
	failedAuthPolicy string
}

// New returns a Limiter for cfg; it fails on an invalid limit.
func New(cfg Config) (*Limiter, error) {
	if err := errors.Join(cfg.PerPrincipal.Validate("per-principal limit"), cfg.FailedAuthPerIP.Validate("failed-authentication limit")); err != nil {
		return nil, err
	}
	l := &Limiter{
		store:      cfg.Store,
		principal:  cfg.PerPrincipal,
		failedAuth: cfg.FailedAuthPerIP,
		proxies:    cfg.Proxies,
		onLimited:  cfg.OnLimited,
		logger:     cfg.Logger,
	}
	if l.store == nil {
		l.store = NewMemory(DefaultMaxKeys)
	}
	if l.logger == nil {
		l.logger = slog.Default()
	}
	if l.principal.Enabled() {
		l.principalPolicy = policyField(PolicyPrincipal, l.principal)
	}
	if l.failedAuth.Enabled() {
		l.failedAuthPolicy = policyField(PolicyFailedAuth, l.failedAuth)
	}
	return l, nil
}

// PerPrincipal returns middleware limiting each authenticated caller. It
// belongs after the auth middleware: requests without a principal pass
// untouched. Prefer [Limiter.Admit] as the auth middleware's
// OnAuthenticated hook, which also counts requests the auth middleware
// then refuses for their scopes or body.
func (l *Limiter) PerPrincipal(next http.Handler) http.Handler {
	if l == nil || !l.principal.Enabled() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := auth.FromContext(r.Context()); ok && !l.Admit(w, r, p) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Admit spends one request of caller p's budget. Every answer carries the
// caller's RateLimit fields; when the budget is spent it answers 429 and
// returns false. It fits auth.MiddlewareConfig.OnAuthenticated, which runs
// it once the token is valid and before the body is read. A nil Limiter, or
// one without a per-caller limit, admits everything.
func (l *Limiter) Admit(w http.ResponseWriter, r *http.Request, p *auth.Principal) bool {
	if l == nil || !l.principal.Enabled() || p == nil {
		return true
	}
	res, err := l.store.Allow(r.Context(), PrincipalKey(p), l.principal)
	if err != nil {
		// Stores fall back on their own; an error here is a bug, and a
		// limiter bug must not take the server down.
		l.logger.Error("rate limit: store failed; request let through", slog.String("err", err.Error()))
		return true
	}
	setFields(w.Header(), PolicyPrincipal, l.principalPolicy, res)
	if !res.Allowed {
		l.refuse(w, PolicyPrincipal, res)
		return false
	}
	return true
}

// GuardFailedAuth returns middleware that refuses, with 429, every request
// from a client address whose failed-authentication budget is spent, before
// the token is looked at. Place it right before the auth middleware, whose
// OnReject calls [Limiter.AuthFailed].
func (l *Limiter) GuardFailedAuth(next http.Handler) http.Handler {
	if l == nil || !l.failedAuth.Enabled() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := l.store.Peek(r.Context(), l.failedAuthKey(r), l.failedAuth)
		if err == nil && !res.Allowed {
			setFields(w.Header(), PolicyFailedAuth, l.failedAuthPolicy, res)
			l.refuse(w, PolicyFailedAuth, res)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// AuthFailed records a failed authentication by r's client, if e is one: a
// token or Authorization header that was presented and refused as forged,
// malformed or not meant for this server. A request without a token (the
// first step of every OAuth flow), a valid token lacking a scope, a genuine
// token that has expired or is not valid yet (clients refresh on that 401;
// counting it would lock out busy clients, or everyone behind one proxy),
// and a server-side outage do not count.
func (l *Limiter) AuthFailed(r *http.Request, e *auth.Error) {
	if l == nil || !l.failedAuth.Enabled() || e == nil {
		return
	}
	if e.Code != auth.CodeInvalidToken && e.Code != auth.CodeInvalidRequest {
		return
	}
	switch e.Reason {
	case auth.ReasonExpired, auth.ReasonNotYetValid, auth.ReasonIATInFuture:
		return
	}
	_, _ = l.store.Allow(r.Context(), l.failedAuthKey(r), l.failedAuth)
}

func (l *Limiter) failedAuthKey(r *http.Request) string {
	return "ip:" + l.proxies.ClientIP(r)
}

// PrincipalKey is the key of a caller: issuer, subject and client id, each
// length-prefixed so no choice of values can collide with another's.
func PrincipalKey(p *auth.Principal) string {
	return "p:" + strconv.Itoa(len(p.Issuer)) + ":" + p.Issuer +
		strconv.Itoa(len(p.Subject)) + ":" + p.Subject + p.ClientID
}

// body of every 429: fixed, JSON like the auth errors.
const limitedBody = `{"error":"rate_limited","error_description":"too many requests: retry after the number of seconds in Retry-After"}` + "\n"

func (l *Limiter) refuse(w http.ResponseWriter, policy string, res Result) {
	if l.onLimited != nil {
		l.onLimited(policy)
	}
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(ceilSeconds(res.RetryAfter)))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte(limitedBody))
}

// policyField is a RateLimit-Policy member (draft-ietf-httpapi-ratelimit-headers-10): the policy name as a Structured Field string with its quota q (the
// burst) and window w in seconds (how long a spent burst takes to refill).
func policyField(name string, l Limit) string {
	return strconv.Quote(name) + ";q=" + strconv.Itoa(l.burst()) + ";w=" + strconv.Itoa(ceilSeconds(l.Window()))
}

// setFields sets RateLimit-Policy and RateLimit (same draft): remaining
// quota r and t, the seconds until the quota is fully available again.
func setFields(h http.Header, name, policy string, res Result) {
	h.Set("RateLimit-Policy", policy)
	h.Set("RateLimit", strconv.Quote(name)+";r="+strconv.Itoa(max(res.Remaining, 0))+";t="+strconv.Itoa(ceilSeconds(res.ResetAfter)))
}

// ceilSeconds rounds up to whole seconds, at least 1 for any positive
// duration, so a client never retries too early.
func ceilSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(math.Ceil(d.Seconds()))
}
