package requestlog

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update
	"github.com/mcpgen/mcpgen/internal/logcapture"
)

// syncBuffer collects log output written from server goroutines.
type syncBuffer struct{ logcapture.Buffer }

// lines parses the JSON log lines written so far.
func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for l := range strings.SplitSeq(strings.TrimSpace(s.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func serve(t *testing.T, h http.Handler) (*httptest.Server, *syncBuffer) {
	t.Helper()
	buf := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(buf, nil))
	srv := httptest.NewUnstartedServer(Middleware(logger)(h))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the panic test would print a stack
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, buf
}

func do(t *testing.T, srv *httptest.Server, method, path string, hdr map[string][]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(`{"jsonrpc":"2.0"}`))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestLineFieldsAndNoSecrets(t *testing.T) {
	const headerToken = "eyJhbGciOiJSUzI1NiJ9.header-token-SECRET1.sig"
	const queryToken = "query-token-SECRET2"
	srv, buf := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, "hello")
		_, _ = io.WriteString(w, " world")
	}))
	resp := do(t, srv, "POST", "/mcp?access_token="+queryToken+"&x=1", map[string][]string{
		"Authorization": {"Bearer " + headerToken},
		"Cookie":        {"session=cookie-SECRET3"},
		"X-Api-Key":     {"apikey-SECRET4"},
	})
	out := buf.String()
	for _, secret := range []string{headerToken, "SECRET1", queryToken, "SECRET2", "SECRET3", "SECRET4", "access_token", "Bearer"} {
		if strings.Contains(out, secret) {
			t.Errorf("log output contains %q:\n%s", secret, out)
		}
	}
	lines := buf.lines(t)
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1:\n%s", len(lines), out)
	}
	l := lines[0]
	for k, want := range map[string]any{
		"msg": Message, "level": "INFO", "method": "POST", "path": "/mcp",
		"status": float64(202), "bytes": float64(11),
	} {
		if l[k] != want {
			t.Errorf("%s = %v, want %v", k, l[k], want)
		}
	}
	if d, ok := l["duration"].(float64); !ok || d <= 0 {
		t.Errorf("duration = %v", l["duration"])
	}
	id, _ := l["request_id"].(string)
	if id == "" || id != resp.Header.Get(Header) {
		t.Errorf("request_id %q, response header %q", id, resp.Header.Get(Header))
	}
}

func TestRequestID(t *testing.T) {
	var fromCtx string
	srv, buf := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fromCtx = RequestID(r.Context())
	}))
	tests := []struct {
		name string
		in   []string
		keep bool
	}{
		{"none", nil, false},
		{"valid", []string{"req-123_abc.DEF:9"}, true},
		{"uuid", []string{"0b7c9f1e-4a8d-4c52-9a51-2f0e6a1d3b7c"}, true},
		{"max length", []string{strings.Repeat("a", MaxRequestIDLen)}, true},
		{"too long", []string{strings.Repeat("a", MaxRequestIDLen+1)}, false},
		{"spaces", []string{"abc def"}, false},
		{"injection", []string{`x","status":200,"y":"`}, false},
		{"two headers", []string{"a1", "b2"}, false},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := do(t, srv, "GET", "/", map[string][]string{Header: tt.in})
			got := resp.Header.Get(Header)
			if fromCtx != got {
				t.Errorf("RequestID(ctx) = %q, header %q", fromCtx, got)
			}
			if tt.keep {
				if got != tt.in[0] {
					t.Errorf("id %q, want incoming %q", got, tt.in[0])
				}
				return
			}
			if len(got) != 26 || !validID(got) || seen[got] {
				t.Errorf("generated id %q is not a fresh 26-char id", got)
			}
			seen[got] = true
		})
	}
	if strings.Contains(buf.String(), "abc def") || strings.Contains(buf.String(), `\"status\"`) {
		t.Errorf("invalid incoming id reached the log:\n%s", buf.String())
	}
	if RequestID(context.Background()) != "" {
		t.Errorf("RequestID outside a request should be empty")
	}
}

type ctxKeyOther struct{}

func TestAnnotate(t *testing.T) {
	srv, buf := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Like a middleware further in: a derived request and context.
		ctx := context.WithValue(r.Context(), ctxKeyOther{}, 1)
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		r = r.WithContext(ctx)
		Annotate(r.Context(), slog.String("subject", "user-123"), slog.String("tool", "first"))
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				Annotate(ctx, slog.Int("worker", i))
			})
		}
		wg.Wait()
		Annotate(ctx, slog.String("tool", "greet_user"), slog.String("client_id", "client-123"))
		// Reserved keys cannot overwrite the middleware's fields.
		Annotate(ctx, slog.Int("status", 299), slog.String("path", "/spoofed"), slog.String("", "x"))
		w.WriteHeader(http.StatusTeapot)
	}))
	do(t, srv, "POST", "/mcp", nil)
	l := buf.lines(t)[0]
	for k, want := range map[string]any{
		"subject": "user-123", "tool": "greet_user", "client_id": "client-123",
		"status": float64(418), "path": "/mcp",
	} {
		if l[k] != want {
			t.Errorf("%s = %v, want %v", k, l[k], want)
		}
	}
	if _, ok := l["worker"].(float64); !ok {
		t.Errorf("annotation from a goroutine missing: %v", l)
	}
	if n := strings.Count(buf.String(), `"status"`); n != 1 {
		t.Errorf("status appears %d times", n)
	}
	Annotate(context.Background(), slog.String("k", "v")) // no request: must not panic
}

func TestStatus(t *testing.T) {
	tests := []struct {
		name      string
		h         http.HandlerFunc
		status    float64
		bytes     float64
		wantPanic bool
	}{
		{"implicit 200", func(w http.ResponseWriter, r *http.Request) {}, 200, 0, false},
		{"write only", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("abc")) }, 200, 3, false},
		{"explicit", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) }, 401, 0, false},
		{"second WriteHeader ignored", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(403)
			w.WriteHeader(500)
		}, 403, 0, false},
		{"early hints then 404", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(404)
			_, _ = w.Write([]byte("no"))
		}, 404, 2, false},
		{"flush then nothing", func(w http.ResponseWriter, r *http.Request) { w.(http.Flusher).Flush() }, 200, 0, false},
		{"panic before writing", func(w http.ResponseWriter, r *http.Request) { panic("boom") }, 500, 0, true},
		{"panic after 202", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(202)
			panic(http.ErrAbortHandler)
		}, 202, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, buf := serve(t, tt.h)
			req, _ := http.NewRequest("GET", srv.URL+"/x", nil)
			resp, err := srv.Client().Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			// The line is written before the panic reaches net/http, which
			// then drops the connection; wait for it rather than race it.
			deadline := time.Now().Add(5 * time.Second)
			for buf.String() == "" && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			lines := buf.lines(t)
			if len(lines) != 1 {
				t.Fatalf("%d lines", len(lines))
			}
			if lines[0]["status"] != tt.status || lines[0]["bytes"] != tt.bytes {
				t.Errorf("status %v bytes %v, want %v %v", lines[0]["status"], lines[0]["bytes"], tt.status, tt.bytes)
			}
			// net/http drops the connection of a panicking handler: the
			// middleware must not swallow the panic into a normal response.
			if tt.wantPanic && err == nil {
				t.Errorf("panic answered with %d; want the connection dropped", resp.StatusCode)
			}
		})
	}
}

// TestStreaming proves an SSE stream passes through: the client reads the
// first event while the handler is still running, and ResponseController
// reaches the connection through Unwrap.
func TestStreaming(t *testing.T) {
	release := make(chan struct{})
	rcErr := make(chan error, 1)
	srv, buf := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(http.Flusher); !ok {
			t.Error("wrapped writer is not an http.Flusher")
		}
		rcErr <- http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute))
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "event: message\ndata: {\"n\":1}\n\n")
		w.(http.Flusher).Flush()
		<-release
		_, _ = io.WriteString(w, "data: {\"n\":2}\n\n")
	}))
	defer close(release)
	// Without a working Flush even the response headers stay buffered, so
	// the request itself runs in a goroutine.
	type first struct {
		line string
		err  error
	}
	got := make(chan first, 1)
	go func() {
		resp, err := srv.Client().Get(srv.URL + "/mcp")
		if err != nil {
			got <- first{err: err}
			return
		}
		defer resp.Body.Close()
		line, err := bufio.NewReader(resp.Body).ReadString('\n')
		got <- first{line, err}
	}()
	select {
	case f := <-got:
		if f.err != nil || f.line != "event: message\n" {
			t.Errorf("first line %q, %v", f.line, f.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("first event not flushed to the client")
	}
	if err := <-rcErr; err != nil {
		t.Errorf("ResponseController through the recorder: %v", err)
	}
	if buf.String() != "" {
		t.Errorf("line logged before the request finished")
	}
}

func TestLevelDisabled(t *testing.T) {
	buf := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := httptest.NewServer(Middleware(logger)(http.NotFoundHandler()))
	defer srv.Close()
	resp := do(t, srv, "GET", "/", nil)
	if buf.String() != "" {
		t.Errorf("logged at Warn level: %s", buf.String())
	}
	if resp.Header.Get(Header) == "" {
		t.Errorf("request id header missing when logging is off")
	}
}

func TestLongPathClipped(t *testing.T) {
	srv, buf := serve(t, http.NotFoundHandler())
	do(t, srv, "GET", "/"+strings.Repeat("p", 4*MaxPathLen), nil)
	p, _ := buf.lines(t)[0]["path"].(string)
	if len(p) != MaxPathLen+3 || !strings.HasSuffix(p, "...") {
		t.Errorf("path of %d bytes logged", len(p))
	}
}

func TestNilLoggerUsesDefault(t *testing.T) {
	buf := &syncBuffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(buf, nil)))
	defer slog.SetDefault(prev)
	srv := httptest.NewServer(Middleware(nil)(http.NotFoundHandler()))
	defer srv.Close()
	do(t, srv, "GET", "/", nil)
	if !strings.Contains(buf.String(), `"status":404`) {
		t.Errorf("default logger got %q", buf.String())
	}
}

func BenchmarkMiddleware(b *testing.B) {
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	body := []byte(`{"jsonrpc":"2.0","id":1,"result":{}}`)
	for _, c := range []struct {
		name     string
		annotate bool
		id       string
	}{
		{"plain", false, ""},
		{"incoming-id", false, "0b7c9f1e-4a8d-4c52-9a51-2f0e6a1d3b7c"},
		{"annotated", true, ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := Middleware(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if c.annotate {
					Annotate(r.Context(), slog.String("subject", "user-123"), slog.String("client_id", "client-123"), slog.String("tool", "greet_user"))
				}
				_, _ = w.Write(body)
			}))
			req := httptest.NewRequest("POST", "http://mcp.example.com/mcp", nil)
			if c.id != "" {
				req.Header.Set(Header, c.id)
			}
			w := discardWriter{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.header)
				h.ServeHTTP(w, req)
			}
		})
	}
}

type discardWriter struct{ header http.Header }

func (d discardWriter) Header() http.Header         { return d.header }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}

// FuzzRequestID: whatever a client sends, the id used is safe to log and to
// put in a header: bounded, from the safe charset, and the incoming value
// only when it already was.
func FuzzRequestID(f *testing.F) {
	for _, s := range []string{"abc-123", "", "a b", strings.Repeat("x", 200), "x\r\nSet-Cookie: y", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id := requestID([]string{s})
		if !validID(id) {
			t.Fatalf("requestID(%q) = %q is not a valid id", s, id)
		}
		if id != s && validID(s) {
			t.Fatalf("valid incoming id %q replaced by %q", s, id)
		}
	})
}
