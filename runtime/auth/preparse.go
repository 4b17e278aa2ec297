package auth

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
)

// tokenHeader is the part of a JWS protected header this package decides on
// before any signature work.
type tokenHeader struct {
	Alg    string
	KID    string
	HasKID bool
	Typ    string
}

// preParse rejects, cheaply and before any cryptography or claim decoding,
// tokens that can never be valid here: too long, not a three-part compact
// JWS (a five-part JWE gets its own description), segments that are not
// unpadded base64url, a header that is not a JSON object, a missing or
// non-string alg, a non-string kid, or any crit parameter. We implement no
// JWS extensions, so RFC 7515 §4.1.11 requires rejecting every crit value.
// Every error is an *Error with status 401 invalid_token.
//
// seen, when not nil, holds the headers of tokens verified before: a header
// segment found there is not decoded again (every token one key of an issuer
// signs has the same header segment).
func preParse(token string, maxBytes int, seen *headerMemo) (tokenHeader, error) {
	var h tokenHeader
	if len(token) > maxBytes {
		return h, invalidToken("token_too_large", "the access token is larger than this resource accepts", nil)
	}
	switch n := strings.Count(token, "."); n {
	case 2:
	case 4:
		return h, invalidToken("jwe", "the access token is an encrypted JWT (JWE); this resource accepts only signed JWT access tokens (JWS compact serialization)", nil)
	default:
		return h, invalidToken("malformed", "the access token is not a JWT: it must have three base64url parts separated by dots", nil)
	}
	head, rest, _ := strings.Cut(token, ".")
	payload, sig, _ := strings.Cut(rest, ".")
	if head == "" || payload == "" {
		return h, invalidToken("malformed", "the access token is not a JWT: its header or payload is empty", nil)
	}
	if !isBase64URL(head) || !isBase64URL(payload) || !isBase64URL(sig) {
		return h, invalidToken("malformed", "the access token is not a JWT: its parts must be unpadded base64url", nil)
	}
	if h, ok := seen.get(head); ok {
		return h, nil
	}
	return parseHeader(head)
}

// parseHeader decodes and checks a JWS header segment for preParse.
func parseHeader(head string) (tokenHeader, error) {
	var h tokenHeader
	raw, err := base64.RawURLEncoding.Strict().DecodeString(head)
	if err != nil {
		return h, invalidToken("malformed", "the access token header is not valid base64url", err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return h, invalidToken("malformed", "the access token header is not a JSON object", err)
	}
	if _, ok := fields["crit"]; ok {
		return h, invalidToken("crit", "the access token header lists critical (crit) extensions this resource does not understand", nil)
	}
	alg, ok := fields["alg"].(string)
	if !ok || alg == "" {
		return h, invalidToken("malformed", "the access token header has no alg", nil)
	}
	h.Alg = alg
	if v, present := fields["kid"]; present {
		kid, ok := v.(string)
		if !ok {
			return h, invalidToken("malformed", "the access token header kid must be a string", nil)
		}
		h.KID, h.HasKID = kid, true
	}
	if v, present := fields["typ"]; present {
		typ, ok := v.(string)
		if !ok {
			return h, invalidToken("malformed", "the access token header typ must be a string", nil)
		}
		h.Typ = typ
	}
	return h, nil
}

// headerMemo maps the header segments of tokens that passed every check to their
// pre-parse, so the tokens an issuer signs with one key cost one header decode (the
// JWT library's) instead of two. Only verified tokens add to it and it holds at
// most headerMemoSize segments, so forged tokens can neither fill nor churn it.
// The zero value is ready; a nil *headerMemo remembers nothing.
type headerMemo struct {
	mu sync.RWMutex
	m  map[string]tokenHeader
}

// headerMemoSize bounds the memo: a few keys per issuer, a few issuers.
const headerMemoSize = 32

func (s *headerMemo) get(head string) (tokenHeader, bool) {
	if s == nil {
		return tokenHeader{}, false
	}
	s.mu.RLock()
	h, ok := s.m[head]
	s.mu.RUnlock()
	return h, ok
}

// add remembers the pre-parse h of head, the header segment of a verified token,
// unless the memo is full.
func (s *headerMemo) add(head string, h tokenHeader) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[head]; ok || len(s.m) >= headerMemoSize {
		return
	}
	if s.m == nil {
		s.m = make(map[string]tokenHeader)
	}
	s.m[strings.Clone(head)] = h // not a slice of the token, which it would keep alive
}

// isBase64URL reports whether s uses only the unpadded base64url alphabet,
// the encoding RFC 7515 §2 prescribes for every compact JWS part.
func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
