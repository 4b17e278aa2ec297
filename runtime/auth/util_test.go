package auth

import "encoding/base64"

func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func b64urlDecode(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
