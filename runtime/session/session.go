// Package session binds the MCP session ids a server hands out (Mcp-Session-Id, in the
// 2025-11-25 protocol and before) to the caller they were handed to, so that another
// caller who learns an id cannot join its event stream, answer the requests the
// server sent in it, or end it.
//
// The MCP libraries check a presented session id at most for its format (mcp-go's
// stateless generating manager) or look it up in this process only, and neither knows
// who the caller is. The binding needs no server-side state, so replicas behind a load
// balancer need no sticky sessions: on the way out, the inner server's id becomes
// "<inner>.<tag>", where tag is an HMAC of the caller (issuer, subject, client id) and
// the inner id under a key the replicas share (MCP_SESSION_KEY); on the way in, a
// presented id whose tag is not the presenting caller's gets 404, exactly as an
// unknown session does, so a refusal tells nothing about whether the session exists.
// The inner server only ever sees its own ids.
//
// The middleware is an http.Handler wrapper, independent of the MCP library (mcp-go and
// the official Go SDK alike), and runs right after the bearer-token middleware, whose
// auth.Principal names the caller. runtime/protect places it there.
package session

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/mcpgen/mcpgen/runtime/auth"
)

// Header is the HTTP header that carries the session id (MCP Streamable HTTP).
const Header = "Mcp-Session-Id"

// MinKeyBytes is the shortest MCP_SESSION_KEY accepted: 256 bits, the size of the
// HMAC-SHA256 output, so the key is never the weakest part.
const MinKeyBytes = 32

const (
	// tagBytes is how much of the HMAC a session id carries: 128 bits, far beyond
	// guessing within a token's lifetime, and a shorter header than the whole 256.
	tagBytes = 16
	// tagChars is the length of the tag in base64url without padding.
	tagChars = (tagBytes*8 + 5) / 6
	// MaxInnerBytes bounds the inner server's id: real ids are under 100 bytes, and a
	// presented id longer than this is refused before any HMAC is computed.
	MaxInnerBytes = 1024
	// domain separates these HMACs from any other use of the same secret.
	domain = "mcpgen session binding v1"
)

// Key is the secret session ids are tagged with. It prints as [redacted] in every
// format and log, so settings holding it can be logged.
type Key struct{ secret []byte }

// ParseKey checks an MCP_SESSION_KEY value: any secret of at least MinKeyBytes bytes,
// used as given (the output of `openssl rand -base64 32` is 44 bytes). The error never
// quotes the value.
func ParseKey(raw string) (Key, error) {
	if len(raw) < MinKeyBytes {
		return Key{}, fmt.Errorf("must be a secret of at least %d bytes (it has %d): generate one with `openssl rand -base64 32`", MinKeyBytes, len(raw))
	}
	return Key{secret: []byte(raw)}, nil
}

// RandomKey returns a key of MinKeyBytes random bytes: sessions then work on this
// process only, and end when it stops.
func RandomKey() Key {
	k := make([]byte, MinKeyBytes)
	_, _ = rand.Read(k) // crypto/rand.Read never fails (it crashes the program instead)
	return Key{secret: k}
}

// IsZero reports whether k holds no secret (MCP_SESSION_KEY unset).
func (k Key) IsZero() bool { return len(k.secret) == 0 }

// String implements fmt.Stringer without revealing the key.
func (k Key) String() string {
	if k.IsZero() {
		return "[unset]"
	}
	return "[redacted]"
}

// GoString implements fmt.GoStringer (%#v) without revealing the key.
func (k Key) GoString() string { return "session.Key" + k.String() }

// LogValue implements slog.LogValuer without revealing the key.
func (k Key) LogValue() slog.Value { return slog.StringValue(k.String()) }

// MarshalText implements encoding.TextMarshaler (JSON, YAML) without revealing the key.
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Caller is whom a session belongs to: the authorization server that vouched for the
// caller, the user (or service) it names, and the application acting for it. Two
// tokens of the same caller (a refreshed token, a token with more scopes after a
// step-up) share sessions; any other caller does not.
type Caller struct {
	Issuer, Subject, ClientID string
	// Anonymous is a request without a principal (no bearer-token middleware ran
	// before): such sessions are shared by anonymous requests only, never by a caller
	// with a token.
	Anonymous bool
}

// CallerOf returns the caller of a request as the bearer-token middleware found it.
func CallerOf(r *http.Request) Caller {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		return Caller{Anonymous: true}
	}
	return Caller{Issuer: p.Issuer, Subject: p.Subject, ClientID: p.ClientID}
}

// Binder tags and checks session ids with one key.
type Binder struct {
	key      []byte
	onRefuse func(*http.Request)
	// macs are HMACs keyed with key, reset and reused: a fresh hmac.New per
	// tag costs its two keyed hash states every request.
	macs sync.Pool
}

// Config configures a Binder.
type Config struct {
	// Key tags the session ids; replicas must share it. The zero Key means a random
	// key for this process.
	Key Key
	// OnRefuse, if set, runs for each request refused for its session id (to note
	// the reason on the request's log line); it must not write the response.
	OnRefuse func(*http.Request)
}

// New returns a Binder for cfg.
func New(cfg Config) *Binder {
	key := cfg.Key
	if key.IsZero() {
		key = RandomKey()
	}
	b := &Binder{key: key.secret, onRefuse: cfg.OnRefuse}
	b.macs.New = func() any { return hmac.New(sha256.New, b.key) }
	return b
}

// Bind returns the session id handed to c for the inner server's id inner.
func (b *Binder) Bind(c Caller, inner string) string {
	return inner + "." + base64.RawURLEncoding.EncodeToString(b.tag(c, inner))
}

// Open returns the inner server's id of a session id presented by c, and false when
// the id is malformed or was not handed to c with this key.
func (b *Binder) Open(c Caller, id string) (inner string, ok bool) {
	inner, tag, ok := split(id)
	if !ok {
		return "", false
	}
	// hmac.Equal compares in constant time: how many bytes of a forged tag match
	// must not show in the response time.
	if !hmac.Equal(tag, b.tag(c, inner)) {
		return "", false
	}
	return inner, true
}

// split parses a session id of the form "<inner>.<tag>": inner is non-empty, at most
// MaxInnerBytes long, and the whole id is visible ASCII (0x21-0x7E) as MCP requires
// of session ids; tag is the canonical base64url (no padding) of tagBytes bytes.
// The inner id may itself hold dots: the tag follows the last one.
func split(id string) (inner string, tag []byte, ok bool) {
	if len(id) > MaxInnerBytes+1+tagChars {
		return "", nil, false
	}
	for i := range len(id) {
		if id[i] < 0x21 || id[i] > 0x7e {
			return "", nil, false
		}
	}
	dot := strings.LastIndexByte(id, '.')
	if dot < 1 || len(id)-dot-1 != tagChars {
		return "", nil, false
	}
	inner, encoded := id[:dot], id[dot+1:]
	// Strict: a tag has one spelling only (no stray bits in its last character).
	tag, err := base64.RawURLEncoding.Strict().DecodeString(encoded)
	if err != nil || len(tag) != tagBytes {
		return "", nil, false
	}
	return inner, tag, true
}

// tag is the HMAC-SHA256 of the caller and the inner id, each field prefixed by its
// length so that no two different (issuer, subject, client id, inner) tuples are
// the same bytes ("a"+"bc" versus "ab"+"c"), truncated to tagBytes.
func (b *Binder) tag(c Caller, inner string) []byte {
	mac := b.macs.Get().(hash.Hash)
	defer b.macs.Put(mac)
	mac.Reset()
	anonymous := byte(0)
	if c.Anonymous {
		anonymous = 1
	}
	var stack [256]byte // the usual caller and id fit: no allocation
	buf := append(stack[:0], domain...)
	buf = append(buf, anonymous)
	for _, field := range [...]string{c.Issuer, c.Subject, c.ClientID, inner} {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(field)))
		buf = append(buf, field...)
	}
	mac.Write(buf)
	return mac.Sum(make([]byte, 0, sha256.Size))[:tagBytes]
}

// notFound is the body of a refusal: what an MCP server answers for a session it
// does not know (-32001, the code the TypeScript SDK uses), so a client starts a new
// session, and a caller probing ids learns nothing.
const notFound = `{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Session not found"}}` + "\n"

// Middleware checks the session id of each request against its caller (404 when it
// was not handed to that caller, or is not one this middleware handed out) and
// passes the inner server's id on; it tags each session id the inner server hands
// out with the caller's tag. A request without a session id passes unchanged.
func (b *Binder) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller := CallerOf(r)
		if ids := r.Header.Values(Header); len(ids) > 0 {
			inner, ok := "", false
			// Several values are refused: the inner server would read the first, a
			// proxy maybe another.
			if len(ids) == 1 {
				inner, ok = b.Open(caller, ids[0])
			}
			if !ok {
				b.refuse(w, r)
				return
			}
			// Its own header map (what handlers outside see is unchanged); the rest
			// of the request is shared, as r.WithContext shares it.
			r2 := *r
			r2.Header = r.Header.Clone()
			r2.Header.Set(Header, inner)
			r = &r2
		}
		bw := &boundWriter{ResponseWriter: w, binder: b, caller: caller}
		next.ServeHTTP(bw, r)
		// A handler that wrote nothing gets its headers sent by net/http after it
		// returns: tag them now.
		bw.bind()
	})
}

func (b *Binder) refuse(w http.ResponseWriter, r *http.Request) {
	if b.onRefuse != nil {
		b.onRefuse(r)
	}
	h := w.Header()
	h.Del(Header)
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(notFound))
}

// boundWriter tags the inner server's session id in the response header before the
// header leaves: at the first WriteHeader (of a final status), Write or Flush. It
// forwards Flush (event streams; mcp-go streams only when the writer it is given is
// an http.Flusher) and Unwrap (http.ResponseController: deadlines, full duplex).
type boundWriter struct {
	http.ResponseWriter
	binder *Binder
	caller Caller
	sent   bool   // the final header is sent: nothing more to tag
	issued string // the id last put in the header, not to be tagged twice
}

// bind tags the session id in the header, once per id the inner server sets.
func (w *boundWriter) bind() {
	if w.sent {
		return
	}
	h := w.ResponseWriter.Header()
	if inner := h.Get(Header); inner != "" && inner != w.issued {
		w.issued = w.binder.Bind(w.caller, inner)
		h.Set(Header, w.issued)
	}
}

// WriteHeader implements http.ResponseWriter. An informational (1xx) header may be
// followed by the final one, which may name a session too.
func (w *boundWriter) WriteHeader(code int) {
	w.bind()
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.sent = true
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (w *boundWriter) Write(p []byte) (int, error) {
	w.bind()
	w.sent = true
	return w.ResponseWriter.Write(p)
}

// Flush sends buffered data (and, first, the header) to the client.
func (w *boundWriter) Flush() {
	w.bind()
	w.sent = true
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *boundWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
