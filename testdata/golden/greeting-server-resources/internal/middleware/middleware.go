// Package middleware is the place for your own HTTP middleware around the MCP endpoint:
// tenant checks, extra headers, tracing. The security decisions (tokens, scopes, the
// Origin policy, limits) are the mcpgen runtime's (runtime/protect) and run first, so
// fixes to them reach this server with `go get -u`.
package middleware

import "net/http"

// Wrap wraps the MCP handler. Only requests with a valid token whose scopes allow them
// get here, and auth.FromContext(r.Context()) returns the caller.
func Wrap(next http.Handler) http.Handler {
	return next
}
