package metrics_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/metrics"

	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update
)

// scrapeAfter scrapes until the series of want (the last request's) shows:
// the middleware records after the handler returns, which can be just after
// the client has read the response.
func scrapeAfter(t *testing.T, url, want string) string {
	t.Helper()
	var out string
	for range 200 {
		if out = scrape(t, url); strings.Contains(out, want) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return out
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", url, res.StatusCode)
	}
	return string(body)
}

// TestMetricsOverHTTP drives an instrumented endpoint over loopback and
// scrapes the metrics listener the way Prometheus would.
func TestMetricsOverHTTP(t *testing.T) {
	m := metrics.New()
	mcp := httptest.NewServer(m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tool := r.Header.Get("X-Tool"); tool != "" {
			metrics.SetTool(r.Context(), tool)
		}
		switch r.URL.Query().Get("status") {
		case "401":
			w.WriteHeader(http.StatusUnauthorized)
		case "429":
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			_, _ = io.WriteString(w, "ok")
		}
	})))
	defer mcp.Close()
	scrapeSrv := httptest.NewServer(m.Handler())
	defer scrapeSrv.Close()

	post := func(query, tool string) {
		req, _ := http.NewRequest(http.MethodPost, mcp.URL+"/mcp"+query, strings.NewReader("{}"))
		if tool != "" {
			req.Header.Set("X-Tool", tool)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	post("", "greet_user")
	post("", "greet_user")
	post("?status=401", "")
	post("?status=429", "")
	m.AuthFailure("expired")
	m.AuthFailure("expired")
	m.JWKSRefresh(nil)
	m.JWKSRefresh(errors.New("down"))
	m.RateLimited("principal")
	m.StoreError(errors.New("redis down"))

	out := scrapeAfter(t, scrapeSrv.URL+"/metrics", `mcp_requests_total{status="429",tool="none"} 1`)
	for _, want := range []string{
		`mcp_requests_total{status="200",tool="greet_user"} 2`,
		`mcp_requests_total{status="401",tool="none"} 1`,
		`mcp_requests_total{status="429",tool="none"} 1`,
		`mcp_request_duration_seconds_count{tool="greet_user"} 2`,
		`mcp_request_duration_seconds_bucket{tool="greet_user",le="60"} 2`,
		`mcp_auth_failures_total{reason="expired"} 2`,
		`mcp_jwks_refresh_total{outcome="success"} 1`,
		`mcp_jwks_refresh_total{outcome="failure"} 1`,
		`mcp_rate_limited_total{policy="principal"} 1`,
		`mcp_rate_limit_store_errors_total 1`,
		`go_goroutines `,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestStreamsCountedNotTimed: a GET event stream is counted when it ends but
// kept out of the latency histogram, where its minutes would drown the
// milliseconds of tool calls.
func TestStreamsCountedNotTimed(t *testing.T) {
	m := metrics.New()
	srv := httptest.NewServer(m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.(http.Flusher).Flush()
	})))
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	scrapeSrv := httptest.NewServer(m.Handler())
	defer scrapeSrv.Close()
	out := scrapeAfter(t, scrapeSrv.URL, `mcp_requests_total{status="200",tool="none"} 1`)
	if !strings.Contains(out, `mcp_requests_total{status="200",tool="none"} 1`) {
		t.Errorf("stream not counted:\n%s", grep(out, "mcp_"))
	}
	if strings.Contains(out, `mcp_request_duration_seconds_count{tool="none"}`) {
		t.Error("a GET stream was timed")
	}
}

func grep(s, prefix string) string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
