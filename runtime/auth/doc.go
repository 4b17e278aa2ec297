// Package auth protects an MCP server as an OAuth 2.1 resource server: it
// decides, for every request, whether the caller presented a valid bearer
// access token with the scopes the request needs, and tells clients that did
// not how to get one. Every generated mcpgen server imports it; the
// generated code only wires it up, so a fix here reaches every server with
// one module upgrade.
//
// # Security model
//
// Tokens are read from the Authorization header only (RFC 6750 §2.1); query
// and body tokens are never looked at, because URLs and bodies end up in
// logs and caches. A token is a JWT access token (RFC 9068) signed with an
// asymmetric algorithm from an allow-list (RS*, PS*, ES*, EdDSA); none and
// HS* are refused whatever the key set holds, and a key is used only for the
// algorithm family of its type, so algorithm-confusion attacks have nothing
// to work with. Before any cryptography, a cheap pre-parse rejects oversized
// tokens, anything that is not a three-part compact JWS (encrypted JWE
// tokens included), any crit header (RFC 7515 §4.1.11: we implement no
// extensions) and JWTs explicitly typed as another kind of token, such as
// logout tokens or security events (RFC 8725 §3.11). Claims are checked strictly: iss exactly, aud containing this
// resource (only a trailing slash and the case of scheme and host may
// differ, RFC 8707), exp required, nbf and iat with a small leeway. Claims of
// unexpected JSON types are rejected, and scope claims of unexpected types
// grant nothing: when in doubt, fail closed.
//
// Verification keys come from the issuer's JWKS (JWKS), whose URL is given
// or found with Discover in the issuer's RFC 8414 or OpenID Connect
// metadata (a document naming another issuer is never used), refreshed
// periodically. An unknown kid (a key rotation) triggers at most one fetch per
// UnknownKIDInterval across all requests, shared by concurrent requests, so a
// flood of forged kids costs the JWKS host at most one request per window
// and no request waits longer than the HTTP timeout. A failed refresh keeps
// the last good keys; a server that has never loaded keys answers 503 with
// Retry-After, which clients treat as a server-side condition to retry,
// never 500 and never 401 (the token may well be fine).
//
// Opaque (non-JWT) access tokens are validated by Introspector, which asks
// the authorization server (RFC 7662) with this server's client credentials
// and applies the same iss, aud and scope rules to the answer. Active
// answers are cached by the token's SHA-256 until its exp or a short TTL;
// inactive answers and failures are never cached, and an endpoint that is
// down or refuses our credentials yields 503, like keys that never loaded.
//
// Middleware turns every outcome into an RFC 6750 challenge that points the
// client at the protected resource metadata (RFC 9728, MetadataHandler) and
// names the scopes it needs: 401 without error code when no token was sent,
// 401 invalid_token, 400 invalid_request, 403 insufficient_scope listing
// every scope the operation needs (per tool, read from the JSON-RPC body
// with the same decoder mcp-go uses, and checked against the 2026-07-28
// Mcp-Method and Mcp-Name headers). Error descriptions help the client's
// developer but never contain the token, key material or library error
// text; rejections are logged with a reason code only, never the token or a
// fingerprint of it. On success the Principal is put in the request context,
// where mcp-go tool handlers read it with FromContext.
//
// Package authtest provides an in-process issuer for tests.
package auth
