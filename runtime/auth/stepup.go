package auth

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// RequireScopes is step-up decided at request time: a tool handler that finds it needs
// more than the policy asked for this call (an amount over a limit, a file of another
// folder) calls it and returns its error. It returns nil when the caller holds every
// scope (with the hierarchy of ScopePolicy.Implies). Otherwise it returns an *Error
// (Reason "step_up") and, on a request the Middleware let through, replaces the whole
// HTTP response by a challenge before its first byte leaves: 403 insufficient_scope
// naming what the request needs (the policy's scopes for it plus scopes), or 401 when
// the request carried no token (a public tool, ScopePolicy.Public). Clients step up on
// that challenge; a tool error inside a 200 would never reach their authorization code.
//
// Call it before the handler sends anything (progress or log notifications): once
// the response has started it can no longer become a challenge, and the client gets
// the error as a tool error. A batch with one step-up is refused whole. Outside the
// middleware (tests, stdio) the error is only returned.
func RequireScopes(ctx context.Context, scopes ...string) error {
	for _, s := range scopes {
		if err := CheckScope(s); err != nil {
			return fmt.Errorf("require scopes: %w", err)
		}
	}
	p, _ := FromContext(ctx)
	missing := p.MissingScopes(scopes...)
	if len(missing) == 0 {
		return nil
	}
	e := &Error{Status: http.StatusForbidden, Code: CodeInsufficientScope, Reason: "step_up"}
	if p == nil {
		e.Status, e.Code = http.StatusUnauthorized, ""
	}
	prefix := ""
	var needed []string
	if su := stepUpFrom(ctx); su != nil {
		prefix = su.m.scopePrefix
		needed = su.demand(scopes, missing)
	} else {
		needed = sortedSet(scopes)
	}
	e.Scopes = qualify(prefix, needed)
	e.Description = "this operation needs scopes the access token lacks: " + strings.Join(qualify(prefix, missing), " ")
	return e
}

// StepUpScopes returns the scopes RequireScopes found missing on this request, sorted;
// nil when it demanded none. The audit reads it to record a step-up.
func StepUpScopes(ctx context.Context) []string {
	su := stepUpFrom(ctx)
	if su == nil {
		return nil
	}
	su.mu.Lock()
	defer su.mu.Unlock()
	return slices.Clone(su.missing)
}

// stepUp is the ResponseWriter of a tools/call request and the place RequireScopes
// records a demand. It is also the context value FromContext reads the Principal
// from, so a tools/call costs one allocation more than any other request. At the first
// WriteHeader (of a final status), Write or Flush it decides: with a demand it writes
// the challenge instead and discards what the handler writes after; without one it
// passes everything through. It forwards Flush (mcp-go streams only when its writer
// is an http.Flusher) and Unwrap (http.ResponseController).
type stepUp struct {
	http.ResponseWriter
	m      *middleware
	r      *http.Request
	p      *Principal // nil: no token (lazy authentication)
	needed []string   // what the policy asked of the request, sorted

	mu      sync.Mutex
	demands []string // needed plus every scope RequireScopes named, sorted
	missing []string // what the caller lacked of them, sorted
	state   int
}

const (
	undecided = iota
	passed
	replaced
)

func stepUpFrom(ctx context.Context) *stepUp {
	su, _ := callerValue(ctx).(*stepUp)
	return su
}

// demand records scopes (missing of them lacking) and returns everything the request
// needs now.
func (s *stepUp) demand(scopes, missing []string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.demands == nil {
		s.demands = s.needed
	}
	s.demands = sortedSet(slices.Concat(s.demands, scopes))
	s.missing = sortedSet(slices.Concat(s.missing, missing))
	return s.demands
}

// decide reports whether the response was replaced by a challenge, deciding it on the
// first call.
func (s *stepUp) decide() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == undecided {
		s.state = passed
		if s.missing != nil {
			s.state = replaced
			s.challenge()
		}
	}
	return s.state == replaced
}

// challenge writes the step-up answer, dropping the headers the handler set for the
// answer it meant to give.
func (s *stepUp) challenge() {
	h := s.ResponseWriter.Header()
	for _, k := range []string{"Connection", "Content-Length", "Content-Encoding", "Mcp-Session-Id"} {
		h.Del(k)
	}
	prefix := s.m.scopePrefix
	e := &Error{Status: http.StatusForbidden, Code: CodeInsufficientScope, Reason: "step_up",
		Description: "this operation needs scopes the access token lacks: " + strings.Join(qualify(prefix, s.missing), " "),
		Scopes:      qualify(prefix, s.demands)}
	if s.p == nil {
		e.Status, e.Code = http.StatusUnauthorized, ""
		e.Description = "this operation requires a bearer access token with scopes: " + strings.Join(qualify(prefix, s.demands), " ")
	}
	s.m.reject(s.ResponseWriter, s.r, e)
}

// WriteHeader implements http.ResponseWriter. An informational (1xx) header passes
// without deciding.
func (s *stepUp) WriteHeader(code int) {
	if code >= 100 && code < 200 {
		s.ResponseWriter.WriteHeader(code)
		return
	}
	if !s.decide() {
		s.ResponseWriter.WriteHeader(code)
	}
}

// Write implements http.ResponseWriter.
func (s *stepUp) Write(b []byte) (int, error) {
	if s.decide() {
		return len(b), nil
	}
	return s.ResponseWriter.Write(b)
}

// Flush sends buffered data (and, first, the header) to the client.
func (s *stepUp) Flush() {
	if !s.decide() {
		_ = http.NewResponseController(s.ResponseWriter).Flush()
	}
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (s *stepUp) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// finish answers a demand the handler made without writing anything.
func (s *stepUp) finish() { s.decide() }
