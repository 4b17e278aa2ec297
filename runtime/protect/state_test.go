package protect_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/metrics"
	"github.com/mcpgen/mcpgen/runtime/requestlog"
)

// TestNestedLayersInnermostWins: the request log, metrics and auth share one
// per-request state; the same layer twice in a chain still behaves as when each put
// its own context value: what the handler records lands in the innermost one.
func TestNestedLayersInnermostWins(t *testing.T) {
	var outerLog, innerLog bytes.Buffer
	outerM, innerM := metrics.New(), metrics.New()
	inner := &auth.Principal{Subject: "inner"}
	var seen *auth.Principal
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requestlog.Annotate(r.Context(), slog.String("tool", "greet_user"))
		metrics.SetTool(r.Context(), "greet_user")
		seen, _ = auth.FromContext(r.Context())
		w.WriteHeader(http.StatusNoContent)
	})
	withPrincipal := func(p *auth.Principal, next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(auth.ContextWithPrincipal(r.Context(), p)))
		})
	}
	chain := requestlog.Middleware(slog.New(slog.NewJSONHandler(&outerLog, nil)))(
		outerM.Middleware(innerM.Middleware(
			requestlog.Middleware(slog.New(slog.NewJSONHandler(&innerLog, nil)))(withPrincipal(inner, handler)))))
	chain.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader("{}")))

	tool := func(buf *bytes.Buffer) any {
		var line map[string]any
		if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
			t.Fatalf("log line %q: %v", buf, err)
		}
		return line["tool"]
	}
	if got := tool(&innerLog); got != "greet_user" {
		t.Errorf("inner log line tool = %v, want greet_user", got)
	}
	if got := tool(&outerLog); got != nil {
		t.Errorf("outer log line tool = %v, want none", got)
	}
	scrape := func(m *metrics.Metrics) string {
		w := httptest.NewRecorder()
		m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		return w.Body.String()
	}
	if s := scrape(innerM); !strings.Contains(s, `mcp_requests_total{status="204",tool="greet_user"} 1`) {
		t.Errorf("inner metrics did not count the tool:\n%s", s)
	}
	if s := scrape(outerM); !strings.Contains(s, `mcp_requests_total{status="204",tool="none"} 1`) {
		t.Errorf("outer metrics counted the tool:\n%s", s)
	}
	if seen != inner {
		t.Errorf("FromContext = %+v, want the principal put in the context", seen)
	}
}
