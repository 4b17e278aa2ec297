package doctor

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/loopback"
)

// Titles of the token checks, shared by the checks and the skips that stand for them.
const (
	titleSignature = "token signature verifies with the advertised JWKS"
	titleIssuer    = "token issuer is the advertised authorization server"
	titleAudience  = "token audience is this server"
	titleExpiry    = "token is not expired"
	titleScopes    = "token scopes are ones the server knows"
)

// checkToken decodes the token without trusting it and compares it with what the
// discovered metadata says the server expects. Its values are described, never the
// token itself.
func (r *run) checkToken() {
	const id, title = "token-format", "token is a JWT access token"
	claims := jwt.MapClaims{}
	tok, _, err := jwt.NewParser().ParseUnverified(r.opts.Token, claims)
	if err != nil {
		// An opaque token is legitimate for a server that introspects (RFC 7662): say
		// what cannot be checked, and let the tools listing below give the verdict.
		// The reason is named from the error's kind, never its text: jwt wraps one or
		// several errors, and a message could quote part of the token.
		reason := "it cannot be decoded"
		if errors.Is(err, jwt.ErrTokenMalformed) {
			reason = jwt.ErrTokenMalformed.Error()
		}
		r.warn(id, title, "not a JWT ("+reason+"): its claims cannot be checked here",
			"if this is meant to be a JWT access token, pass the token itself (three dot-separated parts); an opaque token works only with a server that introspects it (mcpgen servers: AUTH_TOKEN_FORMAT=opaque)")
		for _, c := range []struct{ id, title string }{
			{"token-signature", titleSignature}, {"token-iss", titleIssuer}, {"token-aud", titleAudience},
			{"token-exp", titleExpiry}, {"token-scope", titleScopes},
		} {
			r.skip(c.id, c.title, "the token could not be decoded")
		}
		return
	}
	r.claims = claims
	typ, _ := tok.Header["typ"].(string)
	detail := fmt.Sprintf("alg %v, typ %q, kid %v", tok.Header["alg"], typ, tok.Header["kid"])
	if strings.EqualFold(typ, "at+jwt") || strings.EqualFold(typ, "application/at+jwt") || typ == "" || strings.EqualFold(typ, "JWT") {
		r.pass(id, title, detail)
	} else {
		r.fail(id, title, detail+": this is not an access token", "send an access token (typ at+jwt), not an ID token or another kind of JWT")
	}
	r.checkSignature()
	r.checkTokenIssuer(claims)
	r.checkTokenAudience(claims)
	r.checkTokenExpiry(claims)
	r.checkTokenScopes(claims)
}

func (r *run) checkSignature() {
	const id, title = "token-signature", titleSignature
	if r.jwks == nil {
		r.skip(id, title, "no usable JWKS was found")
		return
	}
	keys, err := auth.NewStaticJWKS(r.jwks)
	if err != nil {
		r.skip(id, title, "the JWKS could not be loaded: "+err.Error())
		return
	}
	_, err = jwt.NewParser(jwt.WithValidMethods(auth.DefaultAlgorithms), jwt.WithoutClaimsValidation()).Parse(r.opts.Token, keys.Keyfunc)
	if err != nil {
		r.fail(id, title, err.Error(),
			"this token was not signed by a key of "+r.issuer+": get one from that authorization server (an asymmetric algorithm; HS256 and none are refused)")
		return
	}
	r.pass(id, title, "signed by a key of "+r.issuer)
}

func (r *run) checkTokenIssuer(claims jwt.MapClaims) {
	const id, title = "token-iss", titleIssuer
	iss, _ := claims["iss"].(string)
	switch {
	case r.issuer == "":
		r.skip(id, title, fmt.Sprintf("iss %q; the server's authorization server is unknown", iss))
	case iss == "":
		r.fail(id, title, "the token has no iss", "use an access token from "+r.issuer)
	case iss == r.issuer:
		r.pass(id, title, iss)
	default:
		r.fail(id, title, fmt.Sprintf("iss is %q, the server advertises %q", iss, r.issuer),
			fmt.Sprintf("get the token from %s, or, if %s is the right issuer, configure the server to trust it (mcpgen servers: AUTH_ISSUER=%s); iss is compared exactly, trailing slash included", r.issuer, iss, iss))
	}
}

func (r *run) checkTokenAudience(claims jwt.MapClaims) {
	const id, title = "token-aud", titleAudience
	auds, _ := claims.GetAudience()
	resource := r.target
	if res, _ := r.prm["resource"].(string); res != "" {
		resource = res
	}
	switch {
	case len(auds) == 0:
		r.fail(id, title, "the token has no aud", fmt.Sprintf("request the token with resource=%s (RFC 8707) so the authorization server puts it in aud", resource))
	case slices.ContainsFunc(auds, func(a string) bool { return auth.SameAudience(a, resource) }):
		r.pass(id, title, resource)
	default:
		r.fail(id, title, fmt.Sprintf("aud is %q, the server is %q", strings.Join(auds, " "), resource),
			fmt.Sprintf("request the token with resource=%s (RFC 8707), or register that URL as the audience at the authorization server; the server accepts only tokens issued for itself", resource))
	}
}

func (r *run) checkTokenExpiry(claims jwt.MapClaims) {
	const id, title = "token-exp", titleExpiry
	exp, err := claims.GetExpirationTime()
	now := time.Now()
	switch {
	case err != nil || exp == nil:
		r.fail(id, title, "the token has no valid exp", "use an access token with an expiry: servers refuse tokens without exp")
	case exp.Before(now):
		r.fail(id, title, fmt.Sprintf("expired %s ago (%s)", now.Sub(exp.Time).Round(time.Second), exp.UTC().Format(time.RFC3339)), "get a new token (mcpgen dev: mcpgen dev token)")
	default:
		r.pass(id, title, fmt.Sprintf("expires in %s", exp.Sub(now).Round(time.Second)))
	}
	if nbf, err := claims.GetNotBefore(); err == nil && nbf != nil && nbf.After(now.Add(auth.DefaultLeeway)) {
		r.fail("token-nbf", "token is already valid", fmt.Sprintf("not valid before %s", nbf.UTC().Format(time.RFC3339)), "check the clock of the authorization server and of this machine")
	}
}

func (r *run) checkTokenScopes(claims jwt.MapClaims) {
	const id, title = "token-scope", titleScopes
	// Read as the runtime reads them; a server configured with narrower
	// ScopeClaims (a provider preset) reads fewer.
	have, malformed := auth.ScopesFromClaims(claims, auth.DefaultScopeClaims)
	var supported []string
	for _, doc := range []map[string]any{r.prm, r.asMeta} {
		if list, ok := stringList(doc, "scopes_supported"); ok && supported == nil {
			supported = list
		}
	}
	var missing []string
	for _, s := range r.challengeScopes {
		if !slices.Contains(have, s) {
			missing = append(missing, s)
		}
	}
	var unknown []string
	if supported != nil {
		for _, s := range have {
			if !slices.Contains(supported, s) {
				unknown = append(unknown, s)
			}
		}
	}
	detail := fmt.Sprintf("token scopes %q", strings.Join(have, " "))
	if supported != nil {
		detail += fmt.Sprintf("; scopes_supported %q", strings.Join(supported, " "))
	}
	switch {
	case malformed != nil:
		// The runtime's words, one line: each ignored claim or entry, and why.
		detail += "; ignored: " + strings.ReplaceAll(malformed.Error(), "\n", "; ")
		if len(missing) > 0 {
			detail += fmt.Sprintf("; lacks %q, which the challenge names", strings.Join(missing, " "))
		}
		r.warn(id, title, detail,
			"issue scope as a space-separated string (RFC 9068 §2.2.3) and scopes or permissions as arrays of strings: mcpgen servers grant nothing from a claim of another shape")
	case len(missing) > 0:
		r.warn(id, title, detail+fmt.Sprintf("; lacks %q, which the challenge names", strings.Join(missing, " ")),
			fmt.Sprintf("request the token with scope=%q: tools that need those scopes answer 403 insufficient_scope", strings.Join(r.challengeScopes, " ")))
	case len(unknown) > 0 && len(unknown) == len(have):
		r.warn(id, title, detail+"; none of the token's scopes is supported",
			"request scopes from scopes_supported: tools check their own scopes and will refuse this token")
	default:
		r.pass(id, title, detail)
	}
}

// tokenRecipient decides whether the token may be sent to the server: only when the
// server's protected resource metadata names the checked URL as its resource and the
// token's aud names that resource, both compared as the runtime compares audiences
// (auth.SameAudience). Otherwise a server could collect tokens meant for others simply
// by being checked with them. It returns "" when the token may be sent, else why not
// (naming the check that shows it) and how to fix that.
func (r *run) tokenRecipient() (why, fix string) {
	resource, _ := r.prm["resource"].(string)
	switch {
	case r.prm == nil:
		return "no protected resource metadata was found (check prm), so nothing shows " + r.target + " is the resource this token is for",
			"fix the protected resource metadata reported above"
	case !auth.SameAudience(resource, r.target):
		return fmt.Sprintf("the metadata names the resource %q, not %q (check prm-resource)", resource, r.target),
			"check that you are diagnosing the server the token is for, and fix its resource (mcpgen servers: MCP_RESOURCE_URL)"
	case r.claims == nil:
		return "the token is not a JWT, so its audience cannot be checked (check token-format)",
			"if the server introspects opaque tokens and you trust it with this one, send it anyway"
	}
	auds, err := jwt.MapClaims(r.claims).GetAudience()
	switch {
	case err != nil || len(auds) == 0:
		return "the token has no aud, so nothing shows it is meant for this server (check token-aud; Cognito access tokens carry client_id instead of aud)",
			fmt.Sprintf("request the token with resource=%s (RFC 8707)", resource)
	case !slices.ContainsFunc(auds, func(a string) bool { return auth.SameAudience(a, resource) }):
		return fmt.Sprintf("the token's aud %q does not name %q (check token-aud): it is meant for another server", strings.Join(auds, " "), resource),
			fmt.Sprintf("use a token requested with resource=%s (RFC 8707)", resource)
	}
	return "", ""
}

// listTools connects with a real MCP client and the token, as a client would.
func (r *run) listTools() {
	const id, title = "tools", "tools listed with the token"
	if why, fix := r.tokenRecipient(); why != "" && !r.opts.SendTokenAnyway {
		r.fail(id, title, "the token was not sent: "+why,
			fix+"; or, if you trust "+r.target+" with this token, pass --send-token-anyway")
		return
	}
	if !loopback.IsSecureURL(r.u) {
		r.fail(id, title, "the token was not sent: "+r.target+" is plain http off loopback, where anyone on the path can read it",
			"use the server's https URL (plain http is fine only on loopback)")
		return
	}
	// Go keeps the Authorization header on a redirect to the same host, https to http
	// included: refuse any redirect that would carry the token onto plain http.
	hc := *r.opts.HTTPClient
	r.withToken = &challenges{next: hc.Transport}
	if hc.Transport == nil {
		r.withToken.next = http.DefaultTransport
	}
	hc.Transport = r.withToken
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !loopback.IsSecureURL(req.URL) {
			return fmt.Errorf("redirected to %s, plain http off loopback: the token is not sent there", req.URL.Redacted())
		}
		if r.opts.HTTPClient.CheckRedirect != nil {
			return r.opts.HTTPClient.CheckRedirect(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	c, err := client.NewStreamableHttpClient(r.target,
		transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + r.opts.Token}),
		transport.WithHTTPBasicClient(&hc))
	if err != nil {
		r.fail(id, title, err.Error(), "check the URL")
		return
	}
	defer c.Close()
	if err := c.Start(r.ctx); err != nil {
		r.fail(id, title, "start: "+err.Error(), "check the URL and that the server is running")
		return
	}
	r.report.TokenSent = true
	if _, err := c.Initialize(r.ctx, mcp.InitializeRequest{}); err != nil {
		detail, fix := r.explain(err)
		r.fail(id, title, "initialize: "+detail, fix)
		return
	}
	list, err := c.ListTools(r.ctx, mcp.ListToolsRequest{})
	if err != nil {
		detail, fix := r.explain(err)
		r.fail(id, title, "tools/list: "+detail, fix)
		return
	}
	for _, t := range list.Tools {
		r.report.Tools = append(r.report.Tools, t.Name)
	}
	r.pass(id, title, fmt.Sprintf("%d tool(s): %s", len(list.Tools), strings.Join(r.report.Tools, ", ")))
}

// explain turns a client error into words and a fix, and makes sure the token is not
// among them.
func (r *run) explain(err error) (detail, fix string) {
	msg := err.Error()
	fix = "fix the token problems reported above; the server refused it"
	switch {
	case client.IsAuthorizationRequiredError(err) || errors.Is(err, transport.ErrUnauthorized):
		msg = "the server answered 401: it does not accept this token"
		format, _ := r.report.Check("token-format")
		switch {
		case format.Status == StatusWarn:
			fix = "the server refused this opaque token: it accepts JWT access tokens only, or its introspection refused it (mcpgen servers: AUTH_TOKEN_FORMAT=opaque and the introspection settings)"
		case len(r.report.Failed()) == 0:
			fix = "the token looks right from outside: check that the server trusts this issuer and audience (mcpgen servers: AUTH_ISSUER, AUTH_AUDIENCE or MCP_RESOURCE_URL) and read its log for the reason"
		}
	case strings.Contains(msg, "status 503") || strings.Contains(msg, "temporarily_unavailable"):
		msg = "the server answered 503: it has not loaded the keys to verify tokens"
		fix = "the server cannot fetch its JWKS: check its JWKS URL (mcpgen servers: AUTH_JWKS_URL, or the issuer's jwks_uri) and that it is reachable from the server; /ready says when keys are loaded"
	case strings.Contains(msg, "status 403") || len(r.withToken.forbidden()) > 0:
		// mcp-go words some 403s as a legacy-server guess: say what the server answered.
		msg = "the server answered 403"
		fix = "the token lacks a scope the server requires for this: request the scopes the challenge names"
		for _, s := range r.withToken.forbidden() {
			cs, _ := parseChallenges(s.header)
			if b, ok := bearer(cs); ok && b.Params["error"] != "" {
				msg += fmt.Sprintf(" %s", b.Params["error"])
				if scope := b.Params["scope"]; scope != "" {
					msg += fmt.Sprintf(", scope %q", scope)
					fix = fmt.Sprintf("request the token with scope=%q (see scopes-step-up)", scope)
				}
				break
			}
		}
	}
	return strings.ReplaceAll(msg, r.opts.Token, "[token]"), fix
}
