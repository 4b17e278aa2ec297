// Package perrequest is the one context value the layers of a protected MCP endpoint
// share for a request: the request log line (runtime/requestlog), the metrics labels
// (runtime/metrics) and the authenticated caller (runtime/auth). Each layer putting a
// value of its own in the context would cost, on every request, a context.WithValue
// and an r.WithContext (two allocations and a copy of the http.Request) per layer;
// with one State the outermost layer pays that once and the others fill its slots.
//
// A layer that finds its slot taken (the same middleware twice in one chain) puts its
// value in the context as before, and readers look there first, so the innermost
// layer still wins.
package perrequest

import (
	"context"
	"net/http"
)

// State holds one value per layer; each package stores and reads its own slot only.
type State struct {
	Log     any // *requestlog.entry
	Metrics any // *metrics.call
	Caller  any // auth's *Principal, or its step-up writer for a tools/call
}

type key struct{}

// From returns the State of the request ctx belongs to, or nil.
func From(ctx context.Context) *State {
	s, _ := ctx.Value(key{}).(*State)
	return s
}

// With returns r carrying s, a shallow copy of r as r.WithContext makes.
func With(r *http.Request, s *State) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), key{}, s))
}

// Attach returns the State r carries and r itself, or, when r carries none, a new
// State and r carrying it.
func Attach(r *http.Request) (*State, *http.Request) {
	if s := From(r.Context()); s != nil {
		return s, r
	}
	s := &State{}
	return s, With(r, s)
}
