package ratelimit_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/mcpgen/mcpgen/internal/logcapture"
	"github.com/mcpgen/mcpgen/internal/redistest"
	"github.com/mcpgen/mcpgen/runtime/authtest"
	"github.com/mcpgen/mcpgen/runtime/ratelimit"
)

func redisStore(t *testing.T, url string, logs *logcapture.Buffer) *ratelimit.Redis {
	t.Helper()
	return redisStoreIn(t, url, logs, "")
}

// redisStoreIn is redisStore with keys in namespace ns.
func redisStoreIn(t *testing.T, url string, logs *logcapture.Buffer, ns string) *ratelimit.Redis {
	t.Helper()
	opt, err := ratelimit.ParseRedisURL(url)
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opt)
	t.Cleanup(func() { client.Close() })
	return ratelimit.NewRedis(client, ratelimit.RedisOptions{Logger: slog.New(slog.NewTextHandler(logs, nil)), Namespace: ns})
}

// TestRedisNamespaces: two servers sharing one Redis keep separate budgets when
// their namespaces differ, and replicas of one server (same namespace) share one.
func TestRedisNamespaces(t *testing.T) {
	rs := redistest.Start(t)
	logs := &logcapture.Buffer{}
	ctx := t.Context()
	limit := ratelimit.PerMinute(1)
	weather := redisStoreIn(t, rs.URL, logs, "https://weather.example.com/mcp")
	weatherReplica := redisStoreIn(t, rs.URL, logs, "https://weather.example.com/mcp")
	mail := redisStoreIn(t, rs.URL, logs, "https://mail.example.com/mcp")
	allowed := func(s *ratelimit.Redis) bool {
		t.Helper()
		res, err := s.Allow(ctx, "caller", limit)
		if err != nil {
			t.Fatal(err)
		}
		return res.Allowed
	}
	if !allowed(weather) {
		t.Fatal("first request to the weather server refused")
	}
	if allowed(weatherReplica) {
		t.Error("a replica of the weather server allowed a second request: replicas must share one budget")
	}
	if !allowed(mail) {
		t.Error("the mail server refused the caller's first request: it spent the weather server's budget")
	}
	if logs.String() != "" {
		t.Errorf("unexpected logs (Redis failing?): %s", logs.String())
	}
}

// TestRedisSharedAcrossReplicas runs two servers, each with its own limiter
// and Redis client, against one real redis-server: the per-principal limit
// holds for the pair, not per server. Then Redis dies: both keep answering,
// each limiting on its own, with no 5xx.
func TestRedisSharedAcrossReplicas(t *testing.T) {
	rs := redistest.Start(t)
	iss := authtest.NewIssuer(t, authtest.WithAudience(resource))
	logs := &logcapture.Buffer{}
	limit := ratelimit.PerMinute(4)
	a := newStack(t, ratelimit.Config{Store: redisStore(t, rs.URL, logs), PerPrincipal: limit}, iss)
	b := newStack(t, ratelimit.Config{Store: redisStore(t, rs.URL, logs), PerPrincipal: limit}, iss)
	token := iss.Mint(authtest.Claims{"sub": "carol", "client_id": "app"})

	var ok int
	for i := range 4 {
		replica := a
		if i%2 == 1 {
			replica = b
		}
		if res := replica.get(t, token); res.StatusCode == http.StatusOK {
			ok++
		}
	}
	if ok != 4 {
		t.Fatalf("%d of the first 4 requests allowed, want 4", ok)
	}
	want429(t, a.get(t, token), ratelimit.PolicyPrincipal, 4, 60)
	want429(t, b.get(t, token), ratelimit.PolicyPrincipal, 4, 60)

	rs.Stop()
	other := iss.Mint(authtest.Claims{"sub": "dave", "client_id": "app"})
	for _, replica := range []*stack{a, b} {
		for i := range 4 {
			if res := replica.get(t, other); res.StatusCode != http.StatusOK {
				t.Fatalf("redis down, request %d: status %d, want 200 from the local fallback", i, res.StatusCode)
			}
		}
		// The fallback still limits: per replica, at the same rate.
		want429(t, replica.get(t, other), ratelimit.PolicyPrincipal, 4, 60)
	}
	if n := strings.Count(logs.String(), "redis unavailable"); n != 2 {
		t.Errorf("logged the outage %d times, want once per replica:\n%s", n, logs)
	}
}

func TestParseRedisURLHidesPassword(t *testing.T) {
	for _, raw := range []string{"http://user:s3cret-pw@host:6379", "redis://user:s3cret-pw@host:notaport", "redis://user:s3cret-pw@host/%zz"} {
		_, err := ratelimit.ParseRedisURL(raw)
		if err == nil {
			t.Errorf("%s: accepted", raw)
			continue
		}
		if strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("error repeats the password: %v", err)
		}
	}
	if _, err := ratelimit.ParseRedisURL("rediss://:pw@redis.internal:6380/2"); err != nil {
		t.Errorf("valid rediss URL refused: %v", err)
	}
}
