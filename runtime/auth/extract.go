package auth

import (
	"net/http"
	"strings"
)

// ExtractBearerToken returns the bearer token from the Authorization header,
// the only place RFC 6750 §2.1 lets this resource accept one: tokens in query
// strings and bodies leak into logs and caches and are never read.
//
// The scheme is matched case-insensitively and the credentials must be one
// RFC 7235 token68 value. The returned error is always an *Error:
//   - no Authorization header, or a scheme other than Bearer: 401 with no
//     error code, wrapping ErrNoToken (RFC 6750 §3.1);
//   - several Authorization headers, an empty token, extra parts or characters
//     outside token68: 400 invalid_request.
func ExtractBearerToken(h http.Header) (string, error) {
	values := h.Values("Authorization")
	switch len(values) {
	case 0:
		return "", &Error{Status: http.StatusUnauthorized, Reason: "no_token",
			Description: "this resource requires a bearer access token in the Authorization header", Err: ErrNoToken}
	case 1:
	default:
		return "", invalidRequest("several_authorization_headers", "send exactly one Authorization header", nil)
	}
	v := strings.Trim(values[0], " \t")
	if v == "" {
		return "", invalidRequest("empty_authorization_header", "the Authorization header is empty", nil)
	}
	scheme, rest, _ := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		if strings.ContainsAny(scheme, "\t\r\n") || !isToken(scheme) {
			return "", invalidRequest("malformed_authorization_header", "the Authorization header is malformed; use: Bearer <token>", nil)
		}
		return "", &Error{Status: http.StatusUnauthorized, Reason: "other_scheme",
			Description: "this resource accepts only Bearer access tokens in the Authorization header", Err: ErrNoToken}
	}
	token := strings.TrimLeft(rest, " ")
	if token == "" {
		return "", invalidRequest("empty_token", "the Bearer token is empty", nil)
	}
	if !isToken68(token) {
		return "", invalidRequest("malformed_token", "the Authorization header must be exactly: Bearer <token> (RFC 6750 token68 syntax)", nil)
	}
	return token, nil
}

// isToken68 reports whether s matches RFC 7235 token68:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isToken68(s string) bool {
	i := 0
	for i < len(s) && isToken68Char(s[i]) {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}

func isToken68Char(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'
}

// isToken reports whether s is an RFC 7230 token (the syntax of an
// auth-scheme), so that garbage is reported as malformed rather than as an
// unsupported scheme.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}
