package auth

import (
	"errors"
	"net/http"
)

// OAuth 2.0 bearer-token error codes (RFC 6750 §3.1) plus the one code this
// package adds for a server-side condition.
const (
	CodeInvalidRequest         = "invalid_request"
	CodeInvalidToken           = "invalid_token"
	CodeInsufficientScope      = "insufficient_scope"
	CodeTemporarilyUnavailable = "temporarily_unavailable"
	// CodeAccessDenied refuses a request a valid token with every scope it needs
	// still may not make: a claim rule of the tool (an entitlement, a tenant) is not
	// met. No scope would help, so the 403 carries no challenge (a client would only
	// ask the user again for the same consent).
	CodeAccessDenied = "access_denied"
)

// ErrNoToken marks a request that carried no credentials for this resource:
// no Authorization header, or one using a scheme other than Bearer. RFC 6750
// §3.1 says such a challenge carries no error code, so the middleware answers
// 401 with resource_metadata and scope only.
var ErrNoToken = errors.New("no bearer token")

// ErrKeysUnavailable is wrapped in the 503 Error returned while no JWKS has
// ever been loaded: the fault is on the server side, not in the token.
var ErrKeysUnavailable = errors.New("verification keys not loaded")

// Reasons (Error.Reason) that other packages act on: a genuine token outside
// its validity window. Clients refresh on them, so the failed-authentication
// limit of runtime/ratelimit does not count them; naming them here makes a
// rename a compile error there instead of a silent change of policy.
const (
	ReasonExpired     = "expired"       // exp has passed (beyond the leeway)
	ReasonNotYetValid = "not_yet_valid" // nbf is ahead (beyond the leeway)
	ReasonIATInFuture = "iat_in_future" // iat is ahead (beyond the leeway)
)

// Error is every rejection this package produces. Status, Code and
// Description are safe to send to clients; Description is written for the
// developer of the client and never contains the token, key material or
// library error text. Err carries the internal cause for errors.Is and for
// logs that an operator controls; it is never written to a response.
type Error struct {
	Status      int    // 400, 401, 403, 503
	Code        string // "invalid_request" | "invalid_token" | "insufficient_scope" | "temporarily_unavailable"; "" when no token was presented
	Description string
	Scopes      []string // for insufficient_scope: every scope the operation needs
	// Reason is a short stable machine-readable cause ("expired",
	// "bad_signature", "unknown_kid", ...). It is what the middleware logs, and
	// what tests assert, because descriptions are prose that may change.
	Reason string
	Err    error
}

// Error describes the rejection without any token content.
func (e *Error) Error() string {
	code := e.Code
	if code == "" {
		code = "unauthorized"
	}
	msg := "auth: " + code
	if e.Reason != "" {
		msg += " (" + e.Reason + ")"
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

func invalidToken(reason, description string, err error) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: CodeInvalidToken, Reason: reason, Description: description, Err: err}
}

func invalidRequest(reason, description string, err error) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Reason: reason, Description: description, Err: err}
}
