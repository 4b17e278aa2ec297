// Package devserver is the local OAuth 2.1 authorization server behind `mcpgen dev`.
//
// It exists so a newcomer can call a freshly generated MCP server with no account at any
// provider: it publishes RFC 8414 (and OIDC discovery) metadata and a JWKS, issues JWT
// access tokens (RFC 9068, typ at+jwt) whose aud is the project's resource (RFC 8707),
// and lets real MCP clients complete their flow: client_credentials for a pre-registered
// dev client, authorization_code with PKCE S256 behind an auto-approving consent page,
// dynamic client registration (RFC 7591) and client ID metadata documents.
//
// It is for development only. It listens on loopback only (Listen refuses anything else),
// approves every request without a login, and keeps its state in memory and in the
// project's .mcpgen/ directory. It lives outside runtime/ on purpose: only mcpgen's own
// commands import it (cmd/mcpgen, and devserver/devrun, which runs it beside the
// project's server), so none of it is ever linked into a generated server, which
// validates these tokens exactly as it validates a real provider's.
package devserver
