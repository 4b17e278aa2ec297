package ratelimit

import (
	"context"
	"strconv"
	"testing"
	"time"

	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestMemory(maxKeys int) (*Memory, *clock) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	m := NewMemory(maxKeys)
	m.now = c.now
	return m, c
}

func TestMemoryGCRA(t *testing.T) {
	ctx := context.Background()
	m, c := newTestMemory(0)
	l := Limit{Rate: 10, Period: time.Second, Burst: 3} // one event per 100ms, bursts of 3

	for i := range 3 {
		res, _ := m.Allow(ctx, "k", l)
		if !res.Allowed || res.Remaining != 2-i {
			t.Fatalf("event %d of the burst: %+v, want allowed with %d remaining", i, res, 2-i)
		}
	}
	res, _ := m.Allow(ctx, "k", l)
	if res.Allowed || res.RetryAfter != 100*time.Millisecond || res.ResetAfter != 300*time.Millisecond {
		t.Fatalf("past the burst: %+v, want refused, retry in 100ms, reset in 300ms", res)
	}
	if peek, _ := m.Peek(ctx, "k", l); peek.Allowed {
		t.Fatalf("peek past the burst: %+v, want refused", peek)
	}
	c.advance(99 * time.Millisecond)
	if res, _ := m.Allow(ctx, "k", l); res.Allowed {
		t.Fatal("allowed 1ms before the retry time")
	}
	c.advance(time.Millisecond)
	if peek, _ := m.Peek(ctx, "k", l); !peek.Allowed || peek.Remaining != 1 {
		t.Fatalf("peek at the retry time: %+v, want allowed, 1 remaining", peek)
	}
	// Peeking records nothing: the event is still there to take.
	if res, _ := m.Allow(ctx, "k", l); !res.Allowed {
		t.Fatal("refused at the retry time after a peek")
	}
	if res, _ := m.Allow(ctx, "other", l); !res.Allowed {
		t.Fatal("keys are not independent")
	}
	c.advance(time.Second)
	if res, _ := m.Allow(ctx, "k", l); !res.Allowed || res.Remaining != 2 {
		t.Fatalf("after a full refill: %+v, want the whole burst back", res)
	}
	if _, err := m.Allow(ctx, "k", Limit{}); err != ErrDisabled {
		t.Errorf("zero limit: err = %v, want ErrDisabled", err)
	}
}

// TestMemoryBounded floods the store with distinct keys, as spoofed
// addresses or random subjects would, and checks it stays within its bound
// while keys still being limited keep working.
func TestMemoryBounded(t *testing.T) {
	ctx := context.Background()
	const maxKeys = 1024
	m, c := newTestMemory(maxKeys)
	l := PerMinute(5)
	for i := range 50_000 {
		if res, _ := m.Allow(ctx, "flood-"+strconv.Itoa(i), l); !res.Allowed {
			t.Fatalf("first event of a new key refused: %+v", res)
		}
		if n := m.Len(); n > maxKeys {
			t.Fatalf("after %d keys the store holds %d, bound is %d", i+1, n, maxKeys)
		}
	}
	// Refilled keys go first: after a minute every key is droppable and a
	// new flood does not evict at random.
	c.advance(time.Minute)
	for i := range 5 {
		m.Allow(ctx, "victim", l)
		_ = i
	}
	for i := range maxKeys / 2 {
		m.Allow(ctx, "second-"+strconv.Itoa(i), l)
	}
	if res, _ := m.Allow(ctx, "victim", l); res.Allowed {
		t.Errorf("a limited key was forgotten while refilled keys could have been dropped")
	}
}

func TestLimitValidate(t *testing.T) {
	for _, c := range []struct {
		l  Limit
		ok bool
	}{
		{Limit{}, true},
		{PerMinute(60), true},
		{Limit{Rate: 1, Period: time.Second, Burst: 5}, true},
		{Limit{Rate: 0, Period: time.Second}, false},
		{Limit{Rate: 5}, false},
		{Limit{Rate: 1, Period: time.Second, Burst: -1}, false},
		{Limit{Rate: 1000, Period: time.Nanosecond}, false},
	} {
		if err := c.l.Validate("x"); (err == nil) != c.ok {
			t.Errorf("%+v: Validate = %v, want ok=%v", c.l, err, c.ok)
		}
	}
	if w := (Limit{Rate: 10, Period: time.Minute, Burst: 20}).Window(); w != 2*time.Minute {
		t.Errorf("window of 10/min burst 20 = %s, want 2m", w)
	}
}
