// Package requestlog writes one structured log line per HTTP request.
//
// It is the outermost layer of a generated server's chain, so it sees every
// request, including those turned away by the origin check or the auth
// middleware, and the final status of each. Inner layers add what only they
// know (subject, client id, tool name) with [Annotate]; the line is written
// once the request is done, so it carries everything.
//
// What is never logged, by construction: request headers (Authorization,
// cookies, API keys), the query string (tokens in URLs end up there), and
// bodies. The line has method, path, status, duration, bytes, request_id and
// the annotations.
package requestlog

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/mcpgen/mcpgen/runtime/internal/perrequest"
)

// Header is the request id header read from the request, when valid, and
// always set on the response, so a client or a proxy can quote it in a bug
// report and an operator can find the line.
const Header = "X-Request-Id"

// MaxRequestIDLen bounds an incoming request id; longer ones are replaced.
const MaxRequestIDLen = 128

// MaxPathLen bounds the logged path so a crafted URL cannot bloat the log.
const MaxPathLen = 512

// The keys of the line. Annotations using one of these keys are dropped, so
// a log query on status or path always sees the middleware's own value.
const (
	KeyMethod    = "method"
	KeyPath      = "path"
	KeyStatus    = "status"
	KeyDuration  = "duration"
	KeyBytes     = "bytes"
	KeyRequestID = "request_id"
)

// Message is the message of every request line.
const Message = "http request"

// entry is the per-request holder, in the context through its State (one allocation
// for the holder, the recorder and the state). Annotations made on any derived context
// (r.WithContext in a middleware, a tool handler's context) land in the same line; the
// mutex makes Annotate safe from goroutines the handler starts.
type entry struct {
	rec   recorder
	state perrequest.State
	id    string
	on    bool // the logger writes Info lines: otherwise annotations are not kept
	mu    sync.Mutex
	attrs []slog.Attr
	// inline holds the first annotations (subject, client_id, tool), so the common
	// line needs no slice of its own.
	inline [4]slog.Attr
}

// Middleware returns middleware that logs one line per request at Info
// through logger (slog.Default() when nil) once the inner handler returns,
// and sets the X-Request-Id response header. A panic in the inner handler is
// logged (status 500 unless a status was already sent) and then re-raised for
// net/http to handle.
func Middleware(logger *slog.Logger) func(http.Handler) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			e := &entry{id: requestID(r.Header.Values(Header)), on: logger.Enabled(r.Context(), slog.LevelInfo)}
			e.attrs = e.inline[:0]
			// An enclosing layer's state (a second request log outside this one) is
			// kept: inner annotations land in this line, other slots stay shared.
			if outer := perrequest.From(r.Context()); outer != nil {
				e.state = *outer
			}
			e.state.Log = e
			w.Header()[Header] = []string{e.id}
			e.rec.ResponseWriter = w
			rec := &e.rec
			r = perrequest.With(r, &e.state)
			defer func() {
				p := recover()
				if p != nil && !rec.wroteHeader {
					rec.status = http.StatusInternalServerError
				}
				writeLine(r.Context(), logger, r, rec, e, time.Since(start))
				if p != nil {
					panic(p)
				}
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

func writeLine(ctx context.Context, logger *slog.Logger, r *http.Request, rec *recorder, e *entry, d time.Duration) {
	if !e.on {
		return
	}
	status := rec.status
	if !rec.wroteHeader && status == 0 {
		status = http.StatusOK // net/http's implicit status for a handler that wrote nothing
	}
	e.mu.Lock()
	var buf [12]slog.Attr // the line's own attributes and the usual annotations, on the stack
	attrs := append(buf[:0],
		slog.String(KeyMethod, r.Method),
		slog.String(KeyPath, clipPath(r.URL.Path)),
		slog.Int(KeyStatus, status),
		slog.Duration(KeyDuration, d),
		slog.Int64(KeyBytes, rec.bytes),
		slog.String(KeyRequestID, e.id),
	)
	attrs = append(attrs, e.attrs...)
	e.mu.Unlock()
	logger.LogAttrs(ctx, slog.LevelInfo, Message, attrs...)
}

// Annotate adds attrs to the log line of the request ctx belongs to; an attr
// with the key of an earlier annotation replaces it, and the middleware's own
// keys (method, path, status, ...) are reserved. Outside a request logged by
// [Middleware] it does nothing, so handlers can call it unconditionally. Safe
// for concurrent use. Never annotate a token or anything derived from one.
func Annotate(ctx context.Context, attrs ...slog.Attr) {
	e := entryOf(ctx)
	if e == nil || !e.on {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
next:
	for _, a := range attrs {
		switch a.Key {
		case "", KeyMethod, KeyPath, KeyStatus, KeyDuration, KeyBytes, KeyRequestID:
			continue
		}
		for i := range e.attrs {
			if e.attrs[i].Key == a.Key {
				e.attrs[i] = a
				continue next
			}
		}
		e.attrs = append(e.attrs, a)
	}
}

// RequestID returns the id of the request ctx belongs to, or "" outside a
// request logged by [Middleware]. Pass it to upstream calls or put it in
// error reports to tie them to the log line.
func RequestID(ctx context.Context) string {
	if e := entryOf(ctx); e != nil {
		return e.id
	}
	return ""
}

// entryOf returns the entry of the request ctx belongs to, or nil.
func entryOf(ctx context.Context) *entry {
	if s := perrequest.From(ctx); s != nil {
		e, _ := s.Log.(*entry)
		return e
	}
	return nil
}

// requestID keeps a well-formed incoming id (one header, at most
// MaxRequestIDLen bytes of letters, digits and -_.:) so ids propagate from a
// proxy; anything else is replaced by a fresh random id, so a client cannot
// inject text into the log or a header.
func requestID(in []string) string {
	if len(in) == 1 && validID(in[0]) {
		return in[0]
	}
	return rand.Text()
}

func validID(s string) bool {
	if s == "" || len(s) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

func clipPath(p string) string {
	if len(p) <= MaxPathLen {
		return p
	}
	return p[:MaxPathLen] + "..."
}

// recorder notes the status and body size. It forwards Flush (MCP streams
// responses as server-sent events, which need each event flushed) and
// exposes the writer underneath through Unwrap, so http.ResponseController
// reaches deadlines, Hijack and EnableFullDuplex.
type recorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

// WriteHeader records the first final status and passes every call on.
func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status = code
		// 1xx responses (except 101, which ends HTTP) precede the real one.
		if code >= 200 || code == http.StatusSwitchingProtocols {
			r.wroteHeader = true
		}
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write counts body bytes; a first Write implies 200, as in net/http.
func (r *recorder) Write(p []byte) (int, error) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = http.StatusOK, true
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Flush sends buffered data to the client; net/http then has sent a 200 if
// no status was written.
func (r *recorder) Flush() {
	if !r.wroteHeader {
		r.status, r.wroteHeader = http.StatusOK, true
	}
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
