package ratelimit

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mcpgen/mcpgen/internal/redistest"
)

// TestRedisComesBack: during an outage the store answers from its fallback and
// leaves Redis alone for RedisRetryAfter; after that it uses Redis again, so the
// replicas share one limit once more.
func TestRedisComesBack(t *testing.T) {
	ctx := context.Background()
	rs := redistest.Start(t)
	opt, err := ParseRedisURL(rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	newStore := func() *Redis {
		c := redis.NewClient(opt)
		t.Cleanup(func() { c.Close() })
		return NewRedis(c, RedisOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}
	var errs int
	a := newStore()
	a.onError = func(error) { errs++ }
	clk := &clock{t: time.Now()}
	a.now = clk.now
	b := newStore()
	l := Limit{Rate: 2, Period: time.Hour}

	rs.Stop()
	if res, err := a.Allow(ctx, "k", l); err != nil || !res.Allowed {
		t.Fatalf("redis down: %+v, %v; want allowed by the fallback", res, err)
	}
	if errs != 1 {
		t.Fatalf("%d redis errors counted, want 1", errs)
	}
	a.Allow(ctx, "k", l) // within RedisRetryAfter: fallback again, Redis not tried
	if errs != 1 {
		t.Errorf("redis tried again before RedisRetryAfter: %d errors", errs)
	}

	rs.Restart(t)
	for range 2 {
		if res, _ := b.Allow(ctx, "k", l); !res.Allowed {
			t.Fatal("b refused within the limit")
		}
	}
	clk.advance(RedisRetryAfter)
	res, err := a.Allow(ctx, "k", l)
	if err != nil || res.Allowed {
		t.Errorf("after the outage: %+v, %v; want refused, as Redis says b spent the budget", res, err)
	}
	if errs != 1 {
		t.Errorf("%d redis errors after recovery, want still 1", errs)
	}
}
