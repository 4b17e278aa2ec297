package ratelimit

import "time"

// SetClock makes l read time from now for its X-Forwarded-For warning.
func SetClock(l *Limiter, now func() time.Time) { l.now = now }

// VerifyingRequests returns how many requests hold or wait for a verification
// turn of l, over every address.
func VerifyingRequests(l *Limiter) int {
	g := l.verifying
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, t := range g.keys {
		n += t.users
	}
	return n
}

// VerifyingAddresses returns how many addresses hold or wait for a turn.
func VerifyingAddresses(l *Limiter) int { return l.verifying.len() }
