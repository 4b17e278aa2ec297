package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// DefaultMaxKeys bounds a [Memory] store made with maxKeys <= 0: at about
// 100 bytes a key it is some 10 MB, far more callers than one replica sees
// in a refill window.
const DefaultMaxKeys = 100_000

const shards = 32

// Memory is an in-process GCRA store holding at most a fixed number of keys,
// so a flood of distinct keys (spoofed addresses, random subjects) cannot
// grow it without bound. A key whose burst has fully refilled carries no
// information and is dropped first; when the store is full of keys that are
// all still limited, an arbitrary one is evicted, which gives that caller its
// burst back early: the price of bounded memory, paid only under a flood.
type Memory struct {
	seed     maphash.Seed
	perShard int
	now      func() time.Time
	shards   [shards]memShard
}

type memShard struct {
	mu  sync.Mutex
	tat map[string]int64 // theoretical arrival time, unix nanoseconds
}

// NewMemory returns an empty store holding at most maxKeys keys
// (DefaultMaxKeys when maxKeys <= 0).
func NewMemory(maxKeys int) *Memory {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	m := &Memory{seed: maphash.MakeSeed(), perShard: max(1, maxKeys/shards), now: time.Now}
	for i := range m.shards {
		m.shards[i].tat = make(map[string]int64)
	}
	return m
}

// Len returns the number of keys held.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.tat)
		s.mu.Unlock()
	}
	return n
}

// Allow implements [Store].
func (m *Memory) Allow(_ context.Context, key string, l Limit) (Result, error) {
	return m.decide(key, l, true)
}

// Peek implements [Store].
func (m *Memory) Peek(_ context.Context, key string, l Limit) (Result, error) {
	return m.decide(key, l, false)
}

// decide is GCRA: each event pushes the key's theoretical arrival time (TAT)
// one emission interval further; an event is allowed while the TAT stays
// within burst intervals of now.
func (m *Memory) decide(key string, l Limit, record bool) (Result, error) {
	if !l.Enabled() {
		return Result{}, ErrDisabled
	}
	now := m.now().UnixNano()
	emission := int64(l.emission())
	burstOffset := emission * int64(l.burst())

	s := &m.shards[maphash.String(m.seed, key)%shards]
	s.mu.Lock()
	defer s.mu.Unlock()
	tat, ok := s.tat[key]
	if !ok || tat < now {
		tat = now
	}
	newTAT := tat + emission
	allowAt := newTAT - burstOffset
	if now < allowAt {
		return Result{RetryAfter: time.Duration(allowAt - now), ResetAfter: time.Duration(tat - now)}, nil
	}
	if !record {
		return Result{Allowed: true, Remaining: int((now-allowAt)/emission) + 1, ResetAfter: time.Duration(tat - now)}, nil
	}
	if !ok && len(s.tat) >= m.perShard {
		s.makeRoom(now, m.perShard)
	}
	s.tat[key] = newTAT
	return Result{Allowed: true, Remaining: int((now - allowAt) / emission), ResetAfter: time.Duration(newTAT - now)}, nil
}

// makeRoom drops every key whose burst has refilled; if that frees too
// little, it drops arbitrary keys (Go's map iteration order is randomised)
// down to 7/8 of the limit, so a flood pays for a sweep once per many
// inserts rather than on each.
func (s *memShard) makeRoom(now int64, limit int) {
	for k, tat := range s.tat {
		if tat <= now {
			delete(s.tat, k)
		}
	}
	if len(s.tat) < limit {
		return
	}
	for k := range s.tat {
		if len(s.tat) <= limit*7/8 {
			return
		}
		delete(s.tat, k)
	}
}
