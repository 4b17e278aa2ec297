// Package metrics exposes a generated MCP server's Prometheus metrics.
//
// The metrics live in a registry of their own (not the global one), served
// by [Metrics.Handler] on a separate listener (METRICS_ADDR in generated
// servers), so the public MCP port never shows them and scrapes need no
// token. [Metrics.Middleware] wraps the MCP endpoint and counts every request
// by tool and status, including the ones the origin check, the rate limits
// or authentication turned away; the tool name is filled in by [SetTool]
// from inside the MCP server, where it is known. The other inputs are hooks
// the runtime already has: [Metrics.AuthFailure] for auth.MiddlewareConfig.OnReject,
// [Metrics.JWKSRefresh] for auth.JWKSOptions.OnRefresh, [Metrics.RateLimited]
// for ratelimit.Config.OnLimited.
//
// Label values come from closed sets only (the server's registered tools,
// HTTP status codes, auth's stable reasons), so no client can grow the series
// count: audit.Tools, which calls SetTool, runs only for registered tools.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/mcpgen/mcpgen/runtime/internal/perrequest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NoTool is the tool label of requests that called no tool, or were turned
// away before the tool was known.
const NoTool = "none"

// Metrics holds the collectors of one server. Create it once with [New].
type Metrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	authFailures *prometheus.CounterVec
	jwksRefresh  *prometheus.CounterVec
	rateLimited  *prometheus.CounterVec
	storeErrors  prometheus.Counter
}

// New returns the metrics of a server. The Go runtime and process collectors
// are registered too.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mcp_requests_total",
			Help: "Requests to the MCP endpoint, by tool called and HTTP status.",
		}, []string{"tool", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mcp_request_duration_seconds",
			Help: "Time to answer requests to the MCP endpoint, by tool (GET event streams are not timed).",
			// Tools call other services: buckets reach a minute.
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"tool"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mcp_auth_failures_total",
			Help: "Requests refused by authentication, by reason (no_token, expired, bad_signature, insufficient_scope, ...).",
		}, []string{"reason"}),
		jwksRefresh: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mcp_jwks_refresh_total",
			Help: "Fetches of the authorization server's key set, by outcome (success, failure).",
		}, []string{"outcome"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mcp_rate_limited_total",
			Help: "Requests refused with 429, by rate limit policy (principal, failed_auth, verifying).",
		}, []string{"policy"}),
		storeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mcp_rate_limit_store_errors_total",
			Help: "Failed calls to the shared rate limit store (Redis); each makes the replica limit on its own for a while.",
		}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.authFailures, m.jwksRefresh, m.rateLimited, m.storeErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Outcomes and policies are known: show them at 0 before the first event,
	// so alerts on rate() work from the start.
	for _, o := range []string{"success", "failure"} {
		m.jwksRefresh.WithLabelValues(o)
	}
	return m
}

// Registry is where the collectors live; register your own metrics here to
// have them served by [Metrics.Handler].
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// AuthFailure counts a request refused by authentication; use it with
// auth.MiddlewareConfig.OnReject (reason is auth.Error.Reason).
func (m *Metrics) AuthFailure(reason string) {
	if reason == "" {
		reason = "other"
	}
	m.authFailures.WithLabelValues(reason).Inc()
}

// JWKSRefresh counts a key set fetch; use it as auth.JWKSOptions.OnRefresh.
func (m *Metrics) JWKSRefresh(err error) {
	outcome := "success"
	if err != nil {
		outcome = "failure"
	}
	m.jwksRefresh.WithLabelValues(outcome).Inc()
}

// RateLimited counts a 429; use it as ratelimit.Config.OnLimited.
func (m *Metrics) RateLimited(policy string) { m.rateLimited.WithLabelValues(policy).Inc() }

// StoreError counts a failed rate limit store call; use it as
// ratelimit.RedisOptions.OnError.
func (m *Metrics) StoreError(error) { m.storeErrors.Inc() }

type ctxKey struct{}

// call is the per-request holder [SetTool] writes into, with the request's recorder
// (one allocation for both).
type call struct {
	rec  recorder
	tool string
}

// SetTool records which tool the current request calls, for the request's
// labels. The MCP server knows the name only after parsing the body, deep
// inside the handler; outside [Metrics.Middleware] it does nothing. name must
// be one of the server's tools, never a name taken from the request before
// the tool was found.
func SetTool(ctx context.Context, name string) {
	if c, ok := ctx.Value(ctxKey{}).(*call); ok {
		c.tool = name
		return
	}
	if s := perrequest.From(ctx); s != nil {
		if c, ok := s.Metrics.(*call); ok {
			c.tool = name
		}
	}
}

// Middleware counts and times every request to next.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		c := &call{rec: recorder{ResponseWriter: w}}
		rec := &c.rec
		// The request's shared state holds c (see runtime/internal/perrequest); when
		// another Metrics middleware took its slot, the context does.
		s, r2 := perrequest.Attach(r)
		if s.Metrics == nil {
			s.Metrics = c
		} else {
			r2 = r.WithContext(context.WithValue(r.Context(), ctxKey{}, c))
		}
		next.ServeHTTP(rec, r2)
		tool := c.tool
		if tool == "" {
			tool = NoTool
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		m.requests.WithLabelValues(tool, statusLabel(status)).Inc()
		if r.Method != http.MethodGet {
			m.duration.WithLabelValues(tool).Observe(time.Since(start).Seconds())
		}
	})
}

// statusLabel avoids an allocation for the statuses the chain answers with.
func statusLabel(code int) string {
	switch code {
	case 200:
		return "200"
	case 202:
		return "202"
	case 204:
		return "204"
	case 400:
		return "400"
	case 401:
		return "401"
	case 403:
		return "403"
	case 404:
		return "404"
	case 405:
		return "405"
	case 413:
		return "413"
	case 429:
		return "429"
	case 503:
		return "503"
	}
	return strconv.Itoa(code)
}

// recorder notes the status. Like requestlog's, it forwards Flush (event
// streams) and Unwrap (http.ResponseController).
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(p)
}

func (r *recorder) Flush() {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
