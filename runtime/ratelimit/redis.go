package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Redis defaults.
const (
	// RedisTimeout bounds one limiter call to Redis. A rate limit is not
	// worth a slow request: a healthy Redis next to the servers answers in
	// about a millisecond.
	RedisTimeout = 250 * time.Millisecond

	// RedisRetryAfter is how long [Redis] keeps using its local fallback
	// after a Redis error before it tries Redis again, so an outage costs
	// one timeout per interval, not one per request.
	RedisRetryAfter = 5 * time.Second

	// redisKeyPrefix namespaces the keys (redis_rate adds "rate:" in front).
	redisKeyPrefix = "mcpgen:"
)

// Redis is a [Store] shared by every replica that points at the same Redis:
// the GCRA state lives in Redis and is updated atomically by a Lua script
// (github.com/go-redis/redis_rate/v10), so N replicas enforce one limit, not N.
//
// When Redis fails (down, slow beyond [RedisTimeout], or refusing commands),
// Redis neither refuses every request (fail closed) nor stops limiting (fail
// open): it answers from a per-replica [Memory] store for [RedisRetryAfter],
// then tries Redis again, and logs each switch. Failing closed would turn a
// Redis outage into an outage of every replica, although a rate limit guards
// capacity, not identity: authentication still runs on every request. Failing
// fully open would remove the brake on token guessing exactly when an
// attacker has knocked Redis over. Falling back keeps every limit in force
// per replica; with N replicas a caller may get up to N times the limit
// until Redis is back.
type Redis struct {
	limiter  *redis_rate.Limiter
	fallback *Memory
	logger   *slog.Logger
	timeout  time.Duration
	now      func() time.Time
	downTill atomic.Int64 // unix nanoseconds; Redis is not tried before then
	onError  func(error)
	prefix   string // redisKeyPrefix plus the namespace
}

// RedisOptions tunes [NewRedis]; the zero value is fine.
type RedisOptions struct {
	Logger  *slog.Logger  // default slog.Default()
	Timeout time.Duration // per call, default RedisTimeout
	MaxKeys int           // of the fallback store, default DefaultMaxKeys
	// OnError, when set, is called for each failed Redis call (for metrics).
	OnError func(error)
	// Namespace separates the budgets of servers that share one Redis: keys are
	// "mcpgen:<Namespace>:<key>". Replicas of one server must use the same
	// value (generated servers use their resource URL); "" shares the keys
	// with every other server that leaves it empty.
	Namespace string
}

// ParseRedisURL checks a REDIS_URL (redis://[user:password@]host:port/db, or
// rediss:// for TLS) and returns client options for it. The error never
// repeats the URL, which may hold a password.
func ParseRedisURL(raw string) (*redis.Options, error) {
	opt, err := redis.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("want redis://[user:password@]host:port[/db] or rediss://...: %w", redacted(raw, err))
	}
	return opt, nil
}

// redacted keeps a parse error's text unless it quotes the URL or its
// password (net/url's errors quote the whole input).
func redacted(raw string, err error) error {
	msg := err.Error()
	leaks := strings.Contains(msg, raw)
	if u, perr := url.Parse(raw); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" && strings.Contains(msg, pw) {
			leaks = true
		}
	}
	if leaks {
		return redactedError{err}
	}
	return err
}

// redactedError hides the message of an error that quotes a secret.
type redactedError struct{ err error }

func (e redactedError) Error() string { return "invalid URL" }
func (e redactedError) Unwrap() error { return e.err }

// NewRedis returns a store backed by client (a *redis.Client, cluster or
// ring client).
func NewRedis(client redis.UniversalClient, opts RedisOptions) *Redis {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Timeout <= 0 {
		opts.Timeout = RedisTimeout
	}
	return &Redis{
		limiter:  redis_rate.NewLimiter(client),
		fallback: NewMemory(opts.MaxKeys),
		logger:   opts.Logger,
		timeout:  opts.Timeout,
		now:      time.Now,
		onError:  opts.OnError,
		prefix:   redisKeyPrefix + namespace(opts.Namespace),
	}
}

// namespace is the key segment for ns: empty for "", else ns and a colon.
func namespace(ns string) string {
	if ns == "" {
		return ""
	}
	return ns + ":"
}

// Allow implements [Store].
func (s *Redis) Allow(ctx context.Context, key string, l Limit) (Result, error) {
	return s.decide(ctx, key, l, 1)
}

// Peek implements [Store]. It asks Redis for "at most 0 events", which
// reports the state without changing it.
func (s *Redis) Peek(ctx context.Context, key string, l Limit) (Result, error) {
	return s.decide(ctx, key, l, 0)
}

func (s *Redis) decide(ctx context.Context, key string, l Limit, n int) (Result, error) {
	if !l.Enabled() {
		return Result{}, ErrDisabled
	}
	local := func() (Result, error) {
		if n == 0 {
			return s.fallback.Peek(ctx, key, l)
		}
		return s.fallback.Allow(ctx, key, l)
	}
	if s.now().UnixNano() < s.downTill.Load() {
		return local()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
	defer cancel()
	rl := redis_rate.Limit{Rate: l.Rate, Period: l.Period, Burst: l.burst()}
	var res *redis_rate.Result
	var err error
	if n == 0 {
		res, err = s.limiter.AllowAtMost(ctx, s.prefix+key, rl, 0)
	} else {
		res, err = s.limiter.AllowN(ctx, s.prefix+key, rl, n)
	}
	if err != nil {
		s.failed(err)
		return local()
	}
	out := Result{Remaining: res.Remaining, ResetAfter: max(res.ResetAfter, 0)}
	if n == 0 {
		out.Allowed = res.Remaining >= 1
	} else {
		out.Allowed = res.Allowed >= n
	}
	if !out.Allowed {
		out.RetryAfter = res.RetryAfter
		if out.RetryAfter <= 0 {
			out.RetryAfter = l.emission()
		}
	}
	return out, nil
}

// failed switches to the fallback for RedisRetryAfter, logging only the
// switch (not every request during an outage).
func (s *Redis) failed(err error) {
	if s.onError != nil {
		s.onError(err)
	}
	now := s.now()
	prev := s.downTill.Swap(now.Add(RedisRetryAfter).UnixNano())
	if prev < now.UnixNano() {
		s.logger.Warn("rate limit: redis unavailable; limiting per replica until it is back",
			slog.String("err", err.Error()), slog.Duration("retry_in", RedisRetryAfter))
	}
}
