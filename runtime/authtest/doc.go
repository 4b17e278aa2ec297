// Package authtest is an in-process authorization server for tests of
// servers protected by package auth. NewIssuer starts an httptest server on
// loopback that serves a JWKS and RFC 8414 / OpenID discovery metadata, and
// Mint makes a real signed access token in one line, so tests exercise the
// same signature, key-lookup and claim checks as production rather than a
// mock validator.
//
//	iss := authtest.NewIssuer(t, authtest.WithAudience("http://localhost:3002/mcp"))
//	token := iss.Mint(authtest.Claims{"scope": "usr:read"})
//
// Keys are generated once per process and leased to issuers (RSA 2048 takes
// tens of milliseconds to generate), never shared by two live issuers.
package authtest
