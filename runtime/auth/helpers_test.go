package auth_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/internal/logcapture"
	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

const (
	testResource    = "https://mcp.example.com/mcp"
	testMetadataURL = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
)

// logBuffer collects log output so tests can assert what was (and was not) logged.
type logBuffer struct{ logcapture.Buffer }

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testPolicy is the scope policy of most tests: every request needs "mcp",
// greet_user needs usr:read and admin_tool needs admin.
var testPolicy = auth.ScopePolicy{
	Required: []string{"mcp"},
	Tools: map[string][]string{
		"greet_user": {"usr:read"},
		"admin_tool": {"admin", "usr:read"},
	},
}

type env struct {
	iss  *authtest.Issuer
	h    http.Handler
	logs *logBuffer
	// seen is the principal the protected handler saw on the last request.
	seen *auth.Principal
	body string // body the protected handler read
	// anonymous lets requests reach the handler without a principal (lazy authentication).
	anonymous bool
}

func newEnv(t *testing.T, keys auth.KeySet, iss *authtest.Issuer, mutate func(*auth.MiddlewareConfig)) *env {
	t.Helper()
	if iss == nil {
		iss = authtest.NewIssuer(t, authtest.WithAudience(testResource))
	}
	if keys == nil {
		keys = iss.KeySet()
	}
	v, err := auth.NewValidator(auth.ValidatorConfig{Issuers: []string{iss.URL}, Audiences: []string{testResource}}, keys)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{iss: iss, logs: &logBuffer{}}
	cfg := auth.MiddlewareConfig{
		Validator:           v,
		ResourceMetadataURL: testMetadataURL,
		Scopes:              testPolicy,
		Logger:              e.logs.logger(),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	mw, err := auth.Middleware(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.h = mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.FromContext(r.Context())
		if !ok && !e.anonymous {
			t.Error("protected handler called without a principal")
		}
		e.seen = p
		b, _ := io.ReadAll(r.Body)
		e.body = string(b)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	return e
}

const toolsList = `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`

func toolCall(name string) string {
	return `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"` + name + `","arguments":{"name":"Ada"}}}`
}

func (e *env) do(method, target, body string, header http.Header) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequestWithContext(context.Background(), method, target, rd)
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range header {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	w := httptest.NewRecorder()
	e.seen = nil
	e.h.ServeHTTP(w, r)
	return w
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

// parseChallenge splits a Bearer challenge into its parameters, failing on
// anything that is not `Bearer k="v", k="v"`.
func parseChallenge(t *testing.T, h string) map[string]string {
	t.Helper()
	rest, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		t.Fatalf("challenge %q does not start with %q", h, "Bearer ")
	}
	params := map[string]string{}
	for rest != "" {
		k, after, ok := strings.Cut(rest, `="`)
		if !ok {
			t.Fatalf("challenge %q: malformed at %q", h, rest)
		}
		end := strings.IndexByte(after, '"')
		if end < 0 {
			t.Fatalf("challenge %q: unterminated value", h)
		}
		if _, dup := params[k]; dup {
			t.Fatalf("challenge %q: duplicate parameter %s", h, k)
		}
		params[k] = after[:end]
		rest = after[end+1:]
		if rest != "" {
			if rest, ok = strings.CutPrefix(rest, ", "); !ok {
				t.Fatalf("challenge %q: parameters must be separated by \", \"", h)
			}
		}
	}
	return params
}

type errBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func decodeErrBody(t *testing.T, w *httptest.ResponseRecorder) errBody {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var b errBody
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		t.Fatalf("body %q is not the JSON error object: %v", w.Body.String(), err)
	}
	return b
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// doAnonymous sends a request that may reach the handler without a principal.
func (e *env) doAnonymous(t *testing.T, method, body string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	e.anonymous = true
	defer func() { e.anonymous = false }()
	return e.do(method, "/mcp", body, header)
}
