// Package ratelimit limits how often callers may use a generated MCP server.
//
// It plugs into the auth middleware's hooks. [Limiter.BeforeVerify] runs
// only for a token the validator must verify (not in its cache): it turns
// away a client address that has failed authentication too often (slowing
// token guessing, unknown-kid floods that make the server fetch the JWKS,
// and made-up opaque tokens sent for introspection), and bounds how many of
// an address's tokens are verified at once. Tokens the server already
// verified are never refused there, so one attacker behind a NAT or a proxy
// does not lock out everyone else behind it. The middleware reports each
// failure through [Limiter.AuthFailed]; once a token is valid,
// [Limiter.Admit] limits each caller (token subject + client id). A refused
// request gets 429 with Retry-After and the RateLimit / RateLimit-Policy
// fields of draft-ietf-httpapi-ratelimit-headers-10.
//
// The algorithm is GCRA (generic cell rate algorithm): one timestamp per key,
// smooth refill, bursts up to a set size. [Memory] keeps the state in the
// process, bounded in keys; [Redis] keeps it in Redis (github.com/go-redis/redis_rate,
// the same algorithm in a Lua script), so every replica behind a load
// balancer shares one limit. When Redis fails, [Redis] falls back to a
// per-replica [Memory] store for a while rather than refusing every request
// or letting everything through; see [Redis] for why.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Limit is a rate: Rate events per Period, with bursts of up to Burst events
// at once (Burst 0 means Rate). The zero Limit is "no limit".
type Limit struct {
	Rate   int
	Period time.Duration
	Burst  int
}

// PerMinute returns a limit of n events a minute with bursts of n.
func PerMinute(n int) Limit { return Limit{Rate: n, Period: time.Minute, Burst: n} }

// Enabled reports whether l limits anything.
func (l Limit) Enabled() bool { return l.Rate > 0 && l.Period > 0 }

// burst is Burst, or Rate when unset.
func (l Limit) burst() int {
	if l.Burst > 0 {
		return l.Burst
	}
	return l.Rate
}

// emission is the time one event "costs": Period / Rate.
func (l Limit) emission() time.Duration { return l.Period / time.Duration(l.Rate) }

// Window is how long a spent burst takes to refill completely: the window of
// the RateLimit-Policy field.
func (l Limit) Window() time.Duration { return l.emission() * time.Duration(l.burst()) }

// Validate says what is wrong with l, naming it as name.
func (l Limit) Validate(name string) error {
	switch {
	case l == Limit{}:
		return nil
	case l.Rate <= 0 || l.Period <= 0:
		return fmt.Errorf("%s: rate and period must be positive (or both zero to disable)", name)
	case l.Burst < 0:
		return fmt.Errorf("%s: burst must not be negative", name)
	case l.emission() <= 0:
		return fmt.Errorf("%s: %d events per %s is finer than a nanosecond", name, l.Rate, l.Period)
	}
	return nil
}

// Result is the state of one key after a decision.
type Result struct {
	Allowed    bool
	Remaining  int           // events still allowed at once
	RetryAfter time.Duration // when refused: how long until one event is allowed
	ResetAfter time.Duration // how long until the full burst is available again
}

// Store decides and records events per key. Implementations are safe for
// concurrent use.
type Store interface {
	// Allow records one event for key if l allows it now, and reports the
	// outcome. A refused event is not recorded.
	Allow(ctx context.Context, key string, l Limit) (Result, error)
	// Peek reports whether one event would be allowed now, recording nothing.
	Peek(ctx context.Context, key string, l Limit) (Result, error)
}

// ErrDisabled is returned by stores asked about a Limit that is not Enabled.
var ErrDisabled = errors.New("ratelimit: limit is not enabled")
