// Package health serves the liveness and readiness endpoints of a generated
// MCP server.
//
// They sit outside the authenticated MCP chain: load balancers and
// orchestrators probe them without tokens, so they reveal nothing beyond a
// fixed status word. Liveness (/health) says the process serves HTTP;
// readiness (/ready) says it can do useful work, e.g. its JWKS is loaded, so
// traffic is held back until tokens can be verified.
package health

import (
	"io"
	"net/http"
	"strconv"
)

// Fixed bodies: probes compare them byte for byte, and a constant cannot leak
// anything about the server's state beyond the status word.
const (
	healthyBody  = `{"status":"healthy"}`
	readyBody    = `{"status":"ready"}`
	notReadyBody = `{"status":"not ready"}`
	methodBody   = `{"error":"method_not_allowed"}`
)

// Handler returns the liveness handler: 200 {"status":"healthy"} for GET and
// HEAD, 405 for any other method. It answers as long as the process serves
// HTTP, which is all a liveness probe should check; dependencies belong in
// [Ready], so an outage of the authorization server does not get every
// replica restarted.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		write(w, r, http.StatusOK, healthyBody)
	})
}

// Ready returns the readiness handler: 200 {"status":"ready"} while check
// returns true, else 503 {"status":"not ready"}. check runs on every probe, so
// it must be cheap (e.g. auth.KeySet.Ready). It fails closed: a nil check or
// one that panics reports not ready rather than failing the request.
func Ready(check func() bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if safeCheck(check) {
			write(w, r, http.StatusOK, readyBody)
			return
		}
		write(w, r, http.StatusServiceUnavailable, notReadyBody)
	})
}

func safeCheck(check func() bool) (ok bool) {
	if check == nil {
		return false
	}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return check()
}

// write sends body with the status, or 405 with Allow for methods other than
// GET and HEAD (probes only read). Responses are never cached: a cached "ready" outlives the
// state it describes.
func write(w http.ResponseWriter, r *http.Request, status int, body string) {
	h := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		status, body = http.StatusMethodNotAllowed, methodBody
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, body)
	}
}
