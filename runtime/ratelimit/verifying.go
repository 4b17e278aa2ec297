package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Defaults of Config.VerifyingPerIP and Config.VerifyWait.
const (
	// DefaultVerifyingPerIP is enough for a client opening a session (a few
	// requests with one new token at once, which share one introspection) or
	// several clients behind one NAT, and few enough that one address cannot
	// keep the authorization server busy with made-up opaque tokens.
	DefaultVerifyingPerIP = 4
	// DefaultVerifyWait is how long a request waits for a turn: longer than a
	// signature check or an introspection usually takes, so a short burst of
	// genuine new tokens is served, not refused.
	DefaultVerifyWait = time.Second
)

// verifyGate bounds how many requests from one client address have their
// tokens verified at once. It is per process: what it protects (this
// process's CPU, its connections to the authorization server) is too. An
// address holds an entry only while one of its requests holds or waits for a
// turn, so the gate's size is bounded by the requests in flight.
type verifyGate struct {
	perKey int
	wait   time.Duration

	mu   sync.Mutex
	keys map[string]*turns
}

type turns struct {
	taken chan struct{} // one element per turn taken
	users int           // requests holding or waiting for a turn, guarded by verifyGate.mu
}

func newVerifyGate(perKey int, wait time.Duration) *verifyGate {
	return &verifyGate{perKey: perKey, wait: wait, keys: map[string]*turns{}}
}

// enter takes one of key's turns, waiting up to the gate's wait (or until ctx
// ends) when all are taken. ok false means no turn was had; otherwise leave
// gives it back. waited says whether the request had to wait, so the caller
// can check again what may have changed meanwhile.
func (g *verifyGate) enter(ctx context.Context, key string) (leave func(), waited, ok bool) {
	g.mu.Lock()
	t := g.keys[key]
	if t == nil {
		t = &turns{taken: make(chan struct{}, g.perKey)}
		g.keys[key] = t
	}
	t.users++
	g.mu.Unlock()
	leave = func() {
		<-t.taken
		g.done(key, t)
	}
	select {
	case t.taken <- struct{}{}:
		return leave, false, true
	default:
	}
	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	select {
	case t.taken <- struct{}{}:
		return leave, true, true
	case <-timer.C:
	case <-ctx.Done():
	}
	g.done(key, t)
	return nil, true, false
}

// done forgets one user of key's turns, and the key with its last user.
func (g *verifyGate) done(key string, t *turns) {
	g.mu.Lock()
	if t.users--; t.users == 0 {
		delete(g.keys, key)
	}
	g.mu.Unlock()
}

// len returns how many addresses hold or wait for a turn.
func (g *verifyGate) len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.keys)
}
