package session_test

import (
	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update

	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/session"
)

const (
	secret = "0123456789abcdef0123456789abcdef" // MinKeyBytes long
	inner  = "mcp-session-3b1c7f7e-8f0a-4c1e-9a57-0c2f3e0f8d11"
)

var owner = session.Caller{Issuer: "https://auth.example.com", Subject: "user-1", ClientID: "app"}

func key(t testing.TB, raw string) session.Key {
	t.Helper()
	k, err := session.ParseKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestOpen: a session id opens only for the caller it was bound to, under the key it
// was bound with, and only in the exact form Bind gave it.
func TestOpen(t *testing.T) {
	b := session.New(session.Config{Key: key(t, secret)})
	id := b.Bind(owner, inner)
	tag := id[len(inner)+1:]
	other := func(edit func(*session.Caller)) session.Caller { c := owner; edit(&c); return c }
	for _, tc := range []struct {
		name   string
		binder *session.Binder
		caller session.Caller
		id     string
		ok     bool
	}{
		{"its caller", b, owner, id, true},
		{"inner id with dots", b, owner, b.Bind(owner, "a.b.c"), true},
		{"another subject", b, other(func(c *session.Caller) { c.Subject = "user-2" }), id, false},
		{"another issuer", b, other(func(c *session.Caller) { c.Issuer = "https://other.example.com" }), id, false},
		{"another client", b, other(func(c *session.Caller) { c.ClientID = "other-app" }), id, false},
		{"anonymous", b, session.Caller{Anonymous: true}, id, false},
		{"fields shifted", b, session.Caller{Issuer: owner.Issuer + "u", Subject: "ser-1", ClientID: owner.ClientID}, id, false},
		{"another key", session.New(session.Config{Key: key(t, secret+"!")}), owner, id, false},
		{"a random key", session.New(session.Config{}), owner, id, false},
		{"untagged", b, owner, inner, false},
		{"tag of another inner id", b, owner, inner + "x." + tag, false},
		{"tag cut short", b, owner, id[:len(id)-1], false},
		{"tag too long", b, owner, id + "A", false},
		{"tag not canonical", b, owner, id[:len(id)-1] + nextBits(id[len(id)-1]), false},
		{"tag not base64url", b, owner, inner + "." + strings.Repeat("+", len(tag)), false},
		{"no inner id", b, owner, "." + tag, false},
		{"space", b, owner, "mcp session." + tag, false},
		{"control character", b, owner, "mcp\x00session." + tag, false},
		{"not ASCII", b, owner, "mcp-séssion." + tag, false},
		{"too long", b, owner, b.Bind(owner, strings.Repeat("x", session.MaxInnerBytes+1)), false},
		{"longest", b, owner, b.Bind(owner, strings.Repeat("x", session.MaxInnerBytes)), true},
		{"empty", b, owner, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.binder.Open(tc.caller, tc.id)
			if ok != tc.ok {
				t.Fatalf("Open(%.80q) ok = %v, want %v", tc.id, ok, tc.ok)
			}
			if ok && tc.binder.Bind(tc.caller, got) != tc.id {
				t.Errorf("Open(%q) = %q, which binds to another id", tc.id, got)
			}
		})
	}
}

// nextBits is the base64url character after c: the same leading bits with other
// trailing ones when c ends the tag.
func nextBits(c byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, c)
	return string(alphabet[(i+1)%len(alphabet)])
}

// TestParseKey: a key shorter than MinKeyBytes is refused without quoting it; a key
// never shows in formatted output, logs or JSON.
func TestParseKey(t *testing.T) {
	if _, err := session.ParseKey(secret[:session.MinKeyBytes-1]); err == nil {
		t.Error("ParseKey accepted a key one byte short")
	} else if strings.Contains(err.Error(), secret[:8]) {
		t.Errorf("ParseKey's error quotes the key: %v", err)
	}
	k := key(t, secret)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("settings", "key", k)
	js, err := json.Marshal(struct{ Key session.Key }{k})
	if err != nil {
		t.Fatal(err)
	}
	shown := fmt.Sprintf("%v %+v %#v %s %x", k, k, k, k, k) + logs.String() + string(js)
	if strings.Contains(shown, secret[:8]) || strings.Contains(shown, fmt.Sprintf("%x", secret[:8])) {
		t.Errorf("the key shows: %s", shown)
	}
	if (session.Key{}).IsZero() != true || k.IsZero() {
		t.Error("IsZero: want true for the zero Key only")
	}
}

// withCaller runs h as the bearer-token middleware would: with c's principal.
func withCaller(c session.Caller, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.Anonymous {
			r = r.WithContext(auth.ContextWithPrincipal(r.Context(), &auth.Principal{Issuer: c.Issuer, Subject: c.Subject, ClientID: c.ClientID}))
		}
		h.ServeHTTP(w, r)
	})
}

// TestMiddlewareRefuses: a session id not bound to the presenting caller gets 404 with
// a JSON-RPC error, as an unknown session, and never reaches the inner server.
func TestMiddlewareRefuses(t *testing.T) {
	refused := 0
	b := session.New(session.Config{Key: key(t, secret), OnRefuse: func(*http.Request) { refused++ }})
	id := b.Bind(owner, inner)
	for _, tc := range []struct {
		name   string
		caller session.Caller
		ids    []string
	}{
		{"another caller", session.Caller{Issuer: owner.Issuer, Subject: "user-2", ClientID: owner.ClientID}, []string{id}},
		{"anonymous", session.Caller{Anonymous: true}, []string{id}},
		{"untagged", owner, []string{inner}},
		{"malformed", owner, []string{"not a session id"}},
		{"blank", owner, []string{""}},
		{"two ids", owner, []string{id, id}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := refused
			h := withCaller(tc.caller, b.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				t.Errorf("the inner server got the request, with session %q", r.Header.Get(session.Header))
				w.Header().Set(session.Header, inner)
			})))
			for _, method := range []string{http.MethodPost, http.MethodGet, http.MethodDelete} {
				req := httptest.NewRequest(method, "/mcp", strings.NewReader(`{}`))
				req.Header[session.Header] = tc.ids
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				var body struct {
					JSONRPC string `json:"jsonrpc"`
					Error   struct{ Code int }
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.JSONRPC != "2.0" || body.Error.Code != -32001 {
					t.Errorf("%s: body %s, want a JSON-RPC error -32001", method, rec.Body)
				}
				if rec.Code != http.StatusNotFound || rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get(session.Header) != "" {
					t.Errorf("%s: status %d, headers %v; want 404 application/json without a session id", method, rec.Code, rec.Header())
				}
			}
			if refused-before != 3 {
				t.Errorf("OnRefuse ran %d times for 3 refusals", refused-before)
			}
		})
	}
}

// TestMiddlewareBinds: the inner server's session id goes out tagged for the caller
// however the response starts (WriteHeader, Write, Flush, or nothing written), a
// tagged id comes back in as the inner one, and a request without one passes as is.
func TestMiddlewareBinds(t *testing.T) {
	b := session.New(session.Config{Key: key(t, secret)})
	want := b.Bind(owner, inner)
	for _, tc := range []struct {
		name  string
		start func(http.ResponseWriter)
	}{
		{"WriteHeader", func(w http.ResponseWriter) { w.WriteHeader(http.StatusAccepted) }},
		{"Write", func(w http.ResponseWriter) { _, _ = io.WriteString(w, "{}") }},
		{"Flush", func(w http.ResponseWriter) { w.(http.Flusher).Flush() }},
		{"ResponseController Flush", func(w http.ResponseWriter) { _ = http.NewResponseController(w).Flush() }},
		{"nothing written", func(http.ResponseWriter) {}},
		{"informational first", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusOK)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, presented := range []string{"", want} {
				var seen string
				h := withCaller(owner, b.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					seen = r.Header.Get(session.Header)
					w.Header().Set(session.Header, inner)
					tc.start(w)
				})))
				srv := httptest.NewServer(h)
				req, err := http.NewRequest(http.MethodPost, srv.URL, nil)
				if err != nil {
					t.Fatal(err)
				}
				if presented != "" {
					req.Header.Set(session.Header, presented)
				}
				res, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				srv.Close()
				if got := res.Header.Get(session.Header); got != want {
					t.Errorf("presented %q: response session id %q, want %q", presented, got, want)
				}
				if wantSeen := map[string]string{"": "", want: inner}[presented]; seen != wantSeen {
					t.Errorf("presented %q: the inner server saw %q, want %q", presented, seen, wantSeen)
				}
			}
		})
	}
}

// TestMiddlewareStreams: behind the middleware an event stream still streams (each
// event reaches the client while the handler runs) and http.ResponseController
// reaches the connection (write deadlines for long streams).
func TestMiddlewareStreams(t *testing.T) {
	b := session.New(session.Config{Key: key(t, secret)})
	next := make(chan struct{})
	h := withCaller(owner, b.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("SetWriteDeadline through the middleware: %v", err)
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set(session.Header, inner)
		for i := range 2 {
			fmt.Fprintf(w, "data: %d\n\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-next:
			case <-r.Context().Done():
				return
			}
		}
	})))
	srv := httptest.NewServer(h)
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if got := res.Header.Get(session.Header); got != b.Bind(owner, inner) {
		t.Errorf("stream session id %q, want the tagged one", got)
	}
	events := bufio.NewReader(res.Body)
	for i := range 2 {
		line, err := events.ReadString('\n')
		if err != nil || line != fmt.Sprintf("data: %d\n", i) {
			t.Fatalf("event %d: %q, %v; want it before the handler goes on", i, line, err)
		}
		_, _ = events.ReadString('\n')
		next <- struct{}{}
	}
}

// BenchmarkMiddleware is the per-request cost of a request in a session: opening the
// presented id and tagging the one the server echoes.
func BenchmarkMiddleware(b *testing.B) {
	binder := session.New(session.Config{Key: key(b, secret)})
	h := withCaller(owner, binder.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(session.Header, r.Header.Get(session.Header))
		w.WriteHeader(http.StatusOK)
	})))
	req := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	req.Header.Set(session.Header, binder.Bind(owner, inner))
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}
