package ratelimit

import (
	"cmp"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/mcpgen/mcpgen/runtime/auth"
)

// Policy names, as sent in the RateLimit and RateLimit-Policy fields and
// passed to Config.OnLimited.
const (
	PolicyPrincipal  = "principal"
	PolicyFailedAuth = "failed_auth"
	// PolicyVerifying refuses a request that found every verification turn
	// of its address taken (Config.VerifyingPerIP). It bounds work at once,
	// not a quota, so its 429 carries Retry-After but no RateLimit fields.
	PolicyVerifying = "verifying"
	// PolicyAnonymous limits requests without a token that lazy authentication
	// lets through (auth.ScopePolicy.Public), per client address, with the
	// per-principal budget: every anonymous caller behind one address is one caller.
	PolicyAnonymous = "anonymous"
)

// Config configures [New].
type Config struct {
	// Store keeps the counts; nil means a [Memory] store of DefaultMaxKeys.
	Store Store
	// PerPrincipal limits authenticated requests per caller (token subject
	// and client id). The zero Limit turns it off.
	PerPrincipal Limit
	// FailedAuthPerIP limits failed authentications per client address;
	// once spent, a request from that address whose token would need
	// verification is refused before the token is checked (see
	// [Limiter.BeforeVerify]); tokens already verified are still served.
	// The zero Limit turns it off.
	FailedAuthPerIP Limit
	// VerifyingPerIP bounds how many requests from one client address may
	// have their tokens verified at once (signature checks, key fetches,
	// introspection calls); more wait up to VerifyWait for a turn, then get
	// 429. Tokens already verified need no turn. 0 means
	// DefaultVerifyingPerIP; negative turns the bound off. It holds per
	// process, even with a Redis store.
	VerifyingPerIP int
	// VerifyWait is how long a request waits for a verification turn; 0
	// means DefaultVerifyWait.
	VerifyWait time.Duration
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
	verifying  *verifyGate // nil when unbounded
	onLimited  func(string)
	logger     *slog.Logger
	now        func() time.Time // the clock of the X-Forwarded-For warning

	// forwardWarned is when the X-Forwarded-For warning was last logged, in
	// Unix nanoseconds; 0 before the first.
	forwardWarned atomic.Int64

	// RateLimit-Policy values, computed once. Each is a header value slice shared
	// by every response: net/http only reads header values, and Set or Add on the
	// header replace or reallocate the slice rather than write into it.
	principalPolicy  []string
	anonymousPolicy  []string
	failedAuthPolicy []string
}

// New returns a Limiter for cfg; it fails on an invalid limit.
func New(cfg Config) (*Limiter, error) {
	if err := errors.Join(cfg.PerPrincipal.Validate("per-principal limit"), cfg.FailedAuthPerIP.Validate("failed-authentication limit")); err != nil {
		return nil, err
	}
	if cfg.VerifyWait < 0 {
		return nil, errors.New("verification wait must not be negative")
	}
	l := &Limiter{
		store:      cfg.Store,
		principal:  cfg.PerPrincipal,
		failedAuth: cfg.FailedAuthPerIP,
		proxies:    cfg.Proxies,
		onLimited:  cfg.OnLimited,
		logger:     cfg.Logger,
		now:        time.Now,
	}
	if n := cmp.Or(cfg.VerifyingPerIP, DefaultVerifyingPerIP); n > 0 {
		l.verifying = newVerifyGate(n, cmp.Or(cfg.VerifyWait, DefaultVerifyWait))
	}
	if l.store == nil {
		l.store = NewMemory(DefaultMaxKeys)
	}
	if l.logger == nil {
		l.logger = slog.Default()
	}
	if l.principal.Enabled() {
		l.principalPolicy = []string{policyField(PolicyPrincipal, l.principal)}
		l.anonymousPolicy = []string{policyField(PolicyAnonymous, l.principal)}
	}
	if l.failedAuth.Enabled() {
		l.failedAuthPolicy = []string{policyField(PolicyFailedAuth, l.failedAuth)}
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
	if l == nil {
		return true
	}
	l.noticeForwarded(r)
	if !l.principal.Enabled() || p == nil {
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

// AdmitAnonymous spends one request of the budget of r's client address, for a
// request without a token that lazy authentication lets through: the per-principal
// limit (PerPrincipal) with the address as the caller, counted apart from the
// failed-authentication budget. It fits auth.MiddlewareConfig.OnAnonymous; like
// Admit it answers 429 and returns false when the budget is spent. A nil Limiter, or
// one without a per-caller limit, admits everything.
func (l *Limiter) AdmitAnonymous(w http.ResponseWriter, r *http.Request) bool {
	if l == nil {
		return true
	}
	l.noticeForwarded(r)
	if !l.principal.Enabled() {
		return true
	}
	res, err := l.store.Allow(r.Context(), "anon:"+l.proxies.ClientIP(r), l.principal)
	if err != nil {
		l.logger.Error("rate limit: store failed; request let through", slog.String("err", err.Error()))
		return true
	}
	setFields(w.Header(), PolicyAnonymous, l.anonymousPolicy, res)
	if !res.Allowed {
		l.refuse(w, PolicyAnonymous, res)
		return false
	}
	return true
}

// BeforeVerify fits auth.MiddlewareConfig.BeforeVerify, which runs it only for a
// token the validator must verify (not in its cache), right before that work. A
// token the server already verified never gets here, so an address locked out by
// forged tokens (a NAT, a hosted MCP client's egress, a proxy whose
// X-Forwarded-For is not trusted) keeps serving its genuine callers. It answers
// 429 and returns ok false:
//   - for every such request from an address whose failed-authentication
//     budget is spent, so a locked-out address cannot make the server check a
//     signature, fetch keys or call the introspection endpoint;
//   - for a request that found all of its address's verification turns
//     (Config.VerifyingPerIP) taken and none given back within VerifyWait.
//
// Otherwise it returns done, which gives the turn back once the token is
// verified. A nil Limiter admits everything.
func (l *Limiter) BeforeVerify(w http.ResponseWriter, r *http.Request) (done func(), ok bool) {
	if l == nil || (!l.failedAuth.Enabled() && l.verifying == nil) {
		return nil, true
	}
	l.noticeForwarded(r)
	key := l.clientKey(r)
	if l.lockedOut(w, r, key) {
		return nil, false
	}
	if l.verifying == nil {
		return nil, true
	}
	leave, waited, ok := l.verifying.enter(r.Context(), key)
	if !ok {
		l.refuse(w, PolicyVerifying, Result{RetryAfter: time.Second})
		return nil, false
	}
	// The requests this one waited for may have spent the budget.
	if waited && l.lockedOut(w, r, key) {
		leave()
		return nil, false
	}
	return leave, true
}

// lockedOut answers 429 and reports true when key's failed-authentication
// budget is spent. A store error lets the request through: stores fall back
// on their own, and a limiter bug must not take the server down.
func (l *Limiter) lockedOut(w http.ResponseWriter, r *http.Request, key string) bool {
	if !l.failedAuth.Enabled() {
		return false
	}
	res, err := l.store.Peek(r.Context(), key, l.failedAuth)
	if err != nil || res.Allowed {
		return false
	}
	setFields(w.Header(), PolicyFailedAuth, l.failedAuthPolicy, res)
	l.refuse(w, PolicyFailedAuth, res)
	return true
}

// AuthFailed records a failed authentication by r's client, if e is one: a
// token or Authorization header that was presented and refused as forged,
// malformed or not meant for this server. A request without a token (the
// first step of every OAuth flow), a valid token lacking a scope, a genuine
// token that has expired or is not valid yet (clients refresh on that 401;
// counting it would lock out busy clients, or everyone behind one proxy),
// and a server-side outage do not count.
func (l *Limiter) AuthFailed(r *http.Request, e *auth.Error) {
	if l == nil {
		return
	}
	l.noticeForwarded(r)
	if !l.failedAuth.Enabled() || e == nil {
		return
	}
	if e.Code != auth.CodeInvalidToken && e.Code != auth.CodeInvalidRequest {
		return
	}
	switch e.Reason {
	case auth.ReasonExpired, auth.ReasonNotYetValid, auth.ReasonIATInFuture:
		return
	}
	_, _ = l.store.Allow(r.Context(), l.clientKey(r), l.failedAuth)
}

// clientKey is the key of r's client address, for the failed-authentication
// budget and the verification turns.
func (l *Limiter) clientKey(r *http.Request) string {
	return "ip:" + l.proxies.ClientIP(r)
}

// noticeForwarded warns when r came through a proxy whose X-Forwarded-For is
// ignored while a limit per client address is on. Every request the auth
// middleware sees passes one of the hooks that call it.
func (l *Limiter) noticeForwarded(r *http.Request) {
	if l.proxies.none() && (l.failedAuth.Enabled() || l.verifying != nil) && r.Header.Get("X-Forwarded-For") != "" {
		l.warnForwarded(r)
	}
}

// forwardWarnInterval is the least time between two X-Forwarded-For warnings.
const forwardWarnInterval = time.Hour

// warnForwarded tells the operator, at the first such request and then at most
// once per forwardWarnInterval, that a request came with X-Forwarded-For while
// no proxy is trusted: behind a load balancer every client then shares the
// balancer's address, so a few forged tokens lock out every new token.
func (l *Limiter) warnForwarded(r *http.Request) {
	now := l.now().UnixNano()
	last := l.forwardWarned.Load()
	if last != 0 && now-last < int64(forwardWarnInterval) {
		return
	}
	if !l.forwardWarned.CompareAndSwap(last, now) {
		return // another request is logging it
	}
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		peer = r.RemoteAddr
	}
	l.logger.Warn("rate limit: a request carries X-Forwarded-For but TRUSTED_PROXIES is empty, so the header is ignored and every client behind that proxy shares one failed-authentication budget; if the server is behind a load balancer or reverse proxy, set TRUSTED_PROXIES to its addresses (IPs or CIDRs like 10.0.0.0/8)",
		slog.String("peer", peer))
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
// quota r and t, the seconds until the quota is fully available again. The
// fields are stored under their canonical keys directly: Header.Set would
// allocate the canonical form of "RateLimit" on every request, and net/http
// writes the same bytes either way.
func setFields(h http.Header, name string, policy []string, res Result) {
	h["Ratelimit-Policy"] = policy
	var buf [64]byte
	b := strconv.AppendQuote(buf[:0], name)
	b = append(b, ";r="...)
	b = strconv.AppendInt(b, int64(max(res.Remaining, 0)), 10)
	b = append(b, ";t="...)
	b = strconv.AppendInt(b, int64(ceilSeconds(res.ResetAfter)), 10)
	h["Ratelimit"] = []string{string(b)}
}

// ceilSeconds rounds up to whole seconds, at least 1 for any positive
// duration, so a client never retries too early.
func ceilSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(math.Ceil(d.Seconds()))
}
