package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// MiddlewareConfig configures Middleware.
type MiddlewareConfig struct {
	Validator           TokenValidator
	ResourceMetadataURL string // absolute URL put in every challenge (from config, never from Host)
	Scopes              ScopePolicy
	ChallengeScopes     []string // scope= on 401; default: Scopes.Advertised() (the baseline)
	// ScopePrefix, when set, is put before every scope named to clients (challenges and
	// error descriptions): the scopes of the policy are the short names the validator
	// grants with ValidatorConfig.ScopePrefix, and clients ask the authorization server
	// for the full ones.
	ScopePrefix  string
	MaxBodyBytes int64 // max bytes read to find the JSON-RPC method, default 4 MiB
	Logger       *slog.Logger
	// OnReject, when set, is called for every request the middleware turns
	// away for its credentials or scopes (not for body problems), before the
	// response is written. It is the hook for metrics (e.Reason is a stable
	// label) and for limiting failed attempts per client. e never holds the
	// token; the hook must not read the Authorization header either.
	OnReject func(r *http.Request, e *Error)
	// OnAuthenticated, when set, runs as soon as the token is valid, before
	// the body is read and the scopes are checked. It is the hook for limits
	// per caller: run there, they count every request a valid token makes,
	// including those then refused with 403 or 400, which would otherwise
	// cost a body read and parse each without ever reaching a limiter behind
	// this middleware. Returning false means the hook has written the
	// response; the request goes no further.
	OnAuthenticated func(w http.ResponseWriter, r *http.Request, p *Principal) bool
	// BeforeVerify, when set, runs for a request whose token needs
	// verification work: one the Validator cannot answer from its cache
	// (every token, unless it is a CachingValidator). It runs right before
	// that work (signature check, key lookup, introspection call), so it is
	// the hook for limits per client address that must spare tokens the
	// server already trusts. A request without a token or with a malformed
	// Authorization header never reaches it: answering those costs nothing.
	// Returning ok false means the hook has written the response (429); the
	// token is then not verified. Otherwise done, if not nil, is called once
	// verification ends, before the outcome is acted on.
	BeforeVerify func(w http.ResponseWriter, r *http.Request) (done func(), ok bool)
	// OnAnonymous, when set, runs for every request without a token that lazy
	// authentication may let through (Scopes.Public is not empty), before the body
	// is read: the hook for limits per client address and for noting the
	// anonymous caller on the request's log line. Returning false means the hook
	// has written the response; the request goes no further.
	OnAnonymous func(w http.ResponseWriter, r *http.Request) bool
}

// DefaultMaxBodyBytes is the default MiddlewareConfig.MaxBodyBytes.
const DefaultMaxBodyBytes = 4 << 20

// RetryAfterSeconds is the Retry-After value sent with 503 responses while
// verification keys are not loaded; the JWKS is retried in the background
// more often than that.
const RetryAfterSeconds = 10

type middleware struct {
	validator       TokenValidator
	metadataURL     string
	scopePrefix     string
	required        []string
	grantors        map[string][]string // ScopePolicy.Implies, inverted and closed
	rules           map[string][]ClaimRule
	tools           map[string][]string
	toolNeeds       map[string][]string // tool -> sorted Required ∪ its scopes, for one-call bodies
	prompts         map[string][]string // ScopePolicy.Prompts, each sorted
	resources       *resourceIndex      // ScopePolicy.Resources and ResourceTemplates; nil without
	challengeScopes []string
	maxBody         int64
	logger          *slog.Logger
	onReject        func(*http.Request, *Error)
	onAuthenticated func(http.ResponseWriter, *http.Request, *Principal) bool
	beforeVerify    func(http.ResponseWriter, *http.Request) (func(), bool)
	onAnonymous     func(http.ResponseWriter, *http.Request) bool
	public          map[string]bool // ScopePolicy.Public; empty: every request needs a token
	filterLists     bool
	cached          CachingValidator // the validator, when it is one and beforeVerify is set
	next            http.Handler
}

// Middleware returns the bearer-token gate for an MCP endpoint.
//
// For each request it extracts the token (Authorization header only),
// validates it (with BeforeVerify set, a token a CachingValidator already
// verified is taken from its cache and only others pass the hook), works out
// the scopes the request needs (Required, plus the scopes of every tool a
// POSTed JSON-RPC message or batch calls, every prompt it gets and every resource
// URI it reads, see ScopePolicy.Resources), and either
// answers with an RFC 6750 challenge or calls next with the Principal in the
// request context. Responses: 401 without error= when no token was sent; 401
// invalid_token; 400 invalid_request for a malformed header or an unreadable
// or inconsistent body; 403 insufficient_scope naming every scope the
// operation needs; 413 for a body over MaxBodyBytes; 503 with Retry-After
// while no keys are loaded. It never answers 500.
//
// With Scopes.Public set, a request without a token passes for discovery and
// public tools (lazy authentication, see serveAnonymous); a tools/call's,
// resources/read's or prompts/get's handler may demand more scopes with RequireScopes, which turns the answer into a
// challenge; with Scopes.FilterLists, tools/list answers are Cache-Control:
// private.
//
// Challenges and 503s carry a JSON body {"error": code, "error_description":
// text} with Cache-Control: no-store; the error is "unauthorized" when no
// token was sent (the challenge then has no error parameter). Body problems
// (400, 413) are answered with a JSON-RPC error object instead, because the
// client is already authenticated and is talking JSON-RPC.
func Middleware(cfg MiddlewareConfig) (func(http.Handler) http.Handler, error) {
	if cfg.Validator == nil {
		return nil, errors.New("auth middleware: a Validator is required")
	}
	u, err := url.Parse(cfg.ResourceMetadataURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("auth middleware: ResourceMetadataURL %q must be an absolute http(s) URL", cfg.ResourceMetadataURL)
	}
	if cfg.MaxBodyBytes < 0 {
		return nil, errors.New("auth middleware: MaxBodyBytes must not be negative")
	}
	maxBody := cfg.MaxBodyBytes
	if maxBody == 0 {
		maxBody = DefaultMaxBodyBytes
	}
	tools := make(map[string][]string, len(cfg.Scopes.Tools))
	for name, scopes := range cfg.Scopes.Tools {
		tools[name] = slices.Clone(scopes)
	}
	if err := cfg.Scopes.Check(); err != nil {
		return nil, fmt.Errorf("auth middleware: %w", err)
	}
	for _, s := range cfg.ChallengeScopes {
		if err := CheckScope(s); err != nil {
			return nil, fmt.Errorf("auth middleware: %w", err)
		}
	}
	challenge := cfg.ChallengeScopes
	if challenge == nil {
		challenge = cfg.Scopes.Advertised()
	}
	challenge = qualify(cfg.ScopePrefix, sortedSet(challenge))
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	// Most bodies call one tool: precompute what each needs so the request
	// path does not build and sort the same slice every time.
	toolNeeds := make(map[string][]string, len(tools))
	for name, scopes := range tools {
		if len(scopes) > 0 {
			toolNeeds[name] = sortedSet(append(slices.Clone(cfg.Scopes.Required), scopes...))
		}
	}
	prompts := make(map[string][]string, len(cfg.Scopes.Prompts))
	for name, scopes := range cfg.Scopes.Prompts {
		prompts[name] = sortedSet(scopes)
	}
	var public map[string]bool
	for _, name := range cfg.Scopes.Public {
		if public == nil {
			public = map[string]bool{}
		}
		public[name] = true
	}
	var cached CachingValidator
	if cfg.BeforeVerify != nil {
		cached, _ = cfg.Validator.(CachingValidator)
	}
	return func(next http.Handler) http.Handler {
		return &middleware{
			validator:       cfg.Validator,
			metadataURL:     cfg.ResourceMetadataURL,
			scopePrefix:     cfg.ScopePrefix,
			required:        sortedSet(cfg.Scopes.Required),
			grantors:        cfg.Scopes.grantors(),
			rules:           cloneRules(cfg.Scopes.Rules),
			tools:           tools,
			toolNeeds:       toolNeeds,
			prompts:         prompts,
			resources:       newResourceIndex(cfg.Scopes),
			challengeScopes: challenge,
			maxBody:         maxBody,
			logger:          logger,
			onReject:        cfg.OnReject,
			onAuthenticated: cfg.OnAuthenticated,
			beforeVerify:    cfg.BeforeVerify,
			onAnonymous:     cfg.OnAnonymous,
			public:          public,
			filterLists:     cfg.Scopes.FilterLists,
			cached:          cached,
			next:            next,
		}
	}, nil
}

func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, err := ExtractBearerToken(r.Header)
	if err != nil {
		if m.public != nil && errors.Is(err, ErrNoToken) {
			m.serveAnonymous(w, r)
			return
		}
		m.reject(w, r, asAuthError(err))
		return
	}
	p, answered, err := m.validate(w, r, token)
	if answered {
		return
	}
	if err == nil && p == nil {
		err = errors.New("validator returned neither a principal nor an error")
	}
	if err != nil {
		m.reject(w, r, asAuthError(err))
		return
	}
	if m.onAuthenticated != nil && !m.onAuthenticated(w, r, p) {
		return
	}
	needed := m.required
	var calls []rpcCall
	if r.Method == http.MethodPost {
		var rerr *bodyError
		calls, rerr = m.readCalls(r)
		if rerr != nil {
			m.rejectBody(w, r, rerr)
			return
		}
		needed = m.scopesFor(calls)
	}
	if m.grantors != nil {
		// A copy: a custom validator may hand the same Principal to several requests.
		q := *p
		q.grantors = m.grantors
		p = &q
	}
	if missing := p.MissingScopes(needed...); len(missing) > 0 {
		m.reject(w, r, &Error{
			Status: http.StatusForbidden, Code: CodeInsufficientScope, Reason: "insufficient_scope",
			Description: "the access token lacks scopes this request needs: " + strings.Join(qualify(m.scopePrefix, missing), " "),
			Scopes:      qualify(m.scopePrefix, needed),
		})
		return
	}
	if broken := m.brokenRule(calls, p); broken != "" {
		m.reject(w, r, &Error{
			Status: http.StatusForbidden, Code: CodeAccessDenied, Reason: "claim_rule",
			Description: "the caller may not use this tool: " + broken,
		})
		return
	}
	m.serve(w, r, p, calls, needed)
}

// serve passes the request on with its caller p (nil: no token) in the context. A
// tools/call, resources/read or prompts/get gets the step-up writer (RequireScopes),
// and, with FilterLists, a list answer is marked private: it depends on the caller.
func (m *middleware) serve(w http.ResponseWriter, r *http.Request, p *Principal, calls []rpcCall, needed []string) {
	var su *stepUp
	for _, c := range calls {
		switch c.method {
		case "tools/call", "resources/read", "prompts/get":
			if su == nil {
				su = &stepUp{ResponseWriter: w, m: m, r: r, p: p, needed: needed}
			}
		case "tools/list", "prompts/list", "resources/list", "resources/templates/list":
			if m.filterLists {
				w.Header().Set("Cache-Control", "private")
			}
		}
	}
	if su == nil {
		m.next.ServeHTTP(w, r.WithContext(ContextWithPrincipal(r.Context(), p)))
		return
	}
	su.r = r.WithContext(context.WithValue(r.Context(), principalKey{}, su))
	m.next.ServeHTTP(su, su.r)
	su.finish()
}

// serveAnonymous is lazy authentication (ScopePolicy.Public): a request without a
// token passes when it only discovers the server or calls public tools; one calling
// any other tool (or doing anything else) gets the 401 challenge, naming what that
// tool needs. GET and DELETE pass: they open and end a session's event stream, and
// runtime/session keeps anonymous sessions apart from every caller with a token.
func (m *middleware) serveAnonymous(w http.ResponseWriter, r *http.Request) {
	if m.onAnonymous != nil && !m.onAnonymous(w, r) {
		return
	}
	noToken := func(scopes []string) {
		if len(scopes) == 0 {
			scopes = m.challengeScopes
		} else {
			scopes = qualify(m.scopePrefix, scopes)
		}
		m.reject(w, r, &Error{Status: http.StatusUnauthorized, Reason: "no_token", Err: ErrNoToken, Scopes: scopes,
			Description: "this operation requires a bearer access token in the Authorization header"})
	}
	switch r.Method {
	case http.MethodGet, http.MethodDelete:
		m.serve(w, r, nil, nil, nil)
		return
	case http.MethodPost:
	default:
		noToken(nil)
		return
	}
	calls, berr := m.readCalls(r)
	if berr != nil {
		m.rejectBody(w, r, berr)
		return
	}
	var protected []rpcCall
	for _, c := range calls {
		if !m.anonymousAllowed(c) {
			protected = append(protected, c)
		}
	}
	if protected != nil {
		noToken(m.scopesFor(protected))
		return
	}
	m.serve(w, r, nil, calls, nil)
}

// anonymousAllowed reports whether a request without a token may send c: discovery
// (initialize, ping, the lists, server/discover), notifications, answers to the
// server's own requests in an anonymous session, and calls of public tools.
func (m *middleware) anonymousAllowed(c rpcCall) bool {
	switch c.method {
	case "initialize", "ping", "server/discover", "tools/list", "resources/list",
		"resources/templates/list", "prompts/list", "":
		return true
	case "tools/call":
		return m.public[c.name]
	}
	return strings.HasPrefix(c.method, "notifications/")
}

// brokenRule returns the first claim rule of a called tool that p does not meet,
// described for the client, or "".
func (m *middleware) brokenRule(calls []rpcCall, p *Principal) string {
	if len(m.rules) == 0 {
		return ""
	}
	for _, c := range calls {
		if c.method != "tools/call" {
			continue
		}
		for _, rule := range m.rules[c.name] {
			if !rule.allows(p) {
				return "tool " + c.name + " requires the token claim " + rule.String()
			}
		}
	}
	return ""
}

// validate returns the principal of token: from the validator's cache when it has
// one and knows the token, else by verifying it once BeforeVerify lets it. answered
// means BeforeVerify has written the response instead.
func (m *middleware) validate(w http.ResponseWriter, r *http.Request, token string) (p *Principal, answered bool, err error) {
	if m.beforeVerify == nil {
		p, err = m.validator.Validate(r.Context(), token)
		return p, false, err
	}
	if m.cached != nil {
		if p := m.cached.Cached(token); p != nil {
			return p, false, nil
		}
	}
	done, ok := m.beforeVerify(w, r)
	if !ok {
		return nil, true, nil
	}
	if done != nil {
		defer done()
	}
	p, err = m.validator.Validate(r.Context(), token)
	return p, false, err
}

// asAuthError makes any validator error an *Error the middleware knows how
// to answer; a foreign error type, or an *Error with a status outside
// 400/401/403/503, from a custom TokenValidator becomes a generic
// invalid_token: never a 500.
func asAuthError(err error) *Error {
	if e, ok := errors.AsType[*Error](err); ok {
		switch e.Status {
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
			if e.Code != "" || e.Status == http.StatusUnauthorized {
				return e
			}
		case http.StatusServiceUnavailable:
			return e
		}
	}
	return invalidToken("invalid", "the access token is invalid", err)
}

// scopesFor returns Required plus the scopes of every tool called, prompt got and
// resource read, sorted. Tools and prompts not in the policy need only Required: mcp-go
// answers them with not found. A resource URI is matched as ScopePolicy.Resources says.
func (m *middleware) scopesFor(calls []rpcCall) []string {
	if len(calls) == 1 && calls[0].method == "tools/call" {
		if needed, ok := m.toolNeeds[calls[0].name]; ok {
			return needed
		}
	}
	needed := m.required
	extended := false
	for _, c := range calls {
		if scopes := m.callScopes(c); len(scopes) > 0 {
			if !extended {
				needed = slices.Clone(needed)
				extended = true
			}
			needed = append(needed, scopes...)
		}
	}
	if extended {
		needed = sortedSet(needed)
	}
	return needed
}

// callScopes returns the scopes the policy asks of c beyond Required.
func (m *middleware) callScopes(c rpcCall) []string {
	switch c.method {
	case "tools/call":
		return m.tools[c.name]
	case "prompts/get":
		return m.prompts[c.name]
	case "resources/read":
		scopes, _ := m.resources.scopes(c.name)
		return scopes
	}
	return nil
}

func (m *middleware) reject(w http.ResponseWriter, r *http.Request, e *Error) {
	m.logger.LogAttrs(r.Context(), logLevel(e), "auth: request rejected",
		slog.Int("status", e.Status), slog.String("code", e.Code), slog.String("reason", e.Reason))
	if m.onReject != nil {
		m.onReject(r, e)
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	switch e.Status {
	case http.StatusServiceUnavailable:
		h.Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
		writeJSON(w, e.Status, errorBody{Error: e.Code, Description: e.Description})
		return
	case http.StatusForbidden:
		if e.Code == CodeInsufficientScope {
			h.Set("WWW-Authenticate", Challenge(m.metadataURL, e.Scopes, e.Code, e.Description))
		}
	default:
		scopes := m.challengeScopes
		if e.Scopes != nil && e.Status == http.StatusUnauthorized {
			scopes = e.Scopes // a tool called without a token: what it needs
		}
		h.Set("WWW-Authenticate", Challenge(m.metadataURL, scopes, e.Code, e.Description))
	}
	code := e.Code
	if code == "" {
		code = "unauthorized"
	}
	writeJSON(w, e.Status, errorBody{Error: code, Description: e.Description})
}

func logLevel(e *Error) slog.Level {
	if e.Status == http.StatusServiceUnavailable {
		return slog.LevelWarn
	}
	if e.Code == "" {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		body = []byte(`{"error":"server_error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// Challenge formats an RFC 6750 WWW-Authenticate value:
//
//	Bearer resource_metadata="<url>", scope="a b", error="<code>", error_description="<text>"
//
// scope is left out when scopes is empty, error and error_description when
// code is empty (no token was presented, RFC 6750 §3.1). Values are
// restricted to the characters RFC 6750 allows and quoted, so no value can
// break out of its parameter or inject a header line.
func Challenge(metadataURL string, scopes []string, code, description string) string {
	var b strings.Builder
	// One allocation instead of one per doubling: names, quotes and commas
	// take under 80 bytes; quoteSafe never changes a value's length.
	n := 80 + len(metadataURL) + len(code) + len(description)
	for _, s := range scopes {
		n += len(s) + 1
	}
	b.Grow(n)
	b.WriteString("Bearer ")
	writeParam(&b, "resource_metadata", metadataURL, false)
	if len(scopes) > 0 {
		writeParam(&b, "scope", strings.Join(scopes, " "), true)
	}
	if code != "" {
		writeParam(&b, "error", code, true)
		if description != "" {
			writeParam(&b, "error_description", description, true)
		}
	}
	return b.String()
}

func writeParam(b *strings.Builder, name, value string, comma bool) {
	if comma {
		b.WriteString(", ")
	}
	b.WriteString(name)
	b.WriteString(`="`)
	b.WriteString(quoteSafe(value))
	b.WriteByte('"')
}

// quoteSafe keeps only the printable ASCII that RFC 6750 §3 permits inside
// quoted parameter values (%x20-21 / %x23-5B / %x5D-7E): a double quote
// becomes a single quote, a backslash a slash, anything else '?'. Our
// descriptions never need them; this is defence in depth against a value
// breaking out of its parameter or injecting a header line.
func quoteSafe(s string) string {
	ok := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	out := []byte(s)
	for i, c := range out {
		switch {
		case c == '"':
			out[i] = '\''
		case c == '\\':
			out[i] = '/'
		case c < 0x20 || c > 0x7e:
			out[i] = '?'
		}
	}
	return string(out)
}

// OfflineAccess is the OpenID Connect scope that asks for a refresh token. It is the
// client's business with its authorization server, not an operation of this resource:
// an MCP server never advertises it in scopes_supported nor asks for it in a challenge
// (MCP authorization, 2026-07-28), so CheckScope refuses it as a scope a server needs.
const OfflineAccess = "offline_access"

// CheckScope reports why scope cannot be one a server requires or advertises: it must
// be an RFC 6749 §3.3 scope-token (printable ASCII without space, double quote or
// backslash) and not offline_access.
func CheckScope(scope string) error {
	switch {
	case scope == "":
		return errors.New("a scope must not be empty")
	case !isScopeToken(scope):
		return fmt.Errorf("%q is not a valid OAuth scope (RFC 6749 §3.3): use printable ASCII without spaces, quotes or backslashes", scope)
	case scope == OfflineAccess:
		return fmt.Errorf("%q is not a scope of this server: it asks the authorization server for a refresh token, and MCP servers never advertise or require it; clients request it themselves when they want one", scope)
	}
	return nil
}

// qualify returns scopes with prefix put before each, or scopes itself when prefix is "".
func qualify(prefix string, scopes []string) []string {
	if prefix == "" {
		return scopes
	}
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = prefix + s
	}
	return out
}

// isScopeToken reports whether s is an RFC 6749 §3.3 scope-token:
// 1*( %x21 / %x23-5B / %x5D-7E ).
func isScopeToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return s != ""
}

func sortedSet(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// bodyError is a request body problem found after authentication.
type bodyError struct {
	status  int
	rpcCode int
	message string
}

func (m *middleware) rejectBody(w http.ResponseWriter, r *http.Request, e *bodyError) {
	m.logger.LogAttrs(r.Context(), slog.LevelInfo, "auth: request rejected",
		slog.Int("status", e.status), slog.String("reason", "body"), slog.Int("rpc_code", e.rpcCode))
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, e.status, rpcErrorBody{JSONRPC: "2.0", ID: nil, Error: rpcError{Code: e.rpcCode, Message: e.message}})
}

type rpcErrorBody struct {
	JSONRPC string   `json:"jsonrpc"`
	ID      any      `json:"id"`
	Error   rpcError `json:"error"`
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// readCalls reads the body (up to maxBody), puts it back for next, and
// returns the JSON-RPC messages in it.
func (m *middleware) readCalls(r *http.Request) ([]rpcCall, *bodyError) {
	tooLarge := func() *bodyError {
		return &bodyError{status: http.StatusRequestEntityTooLarge, rpcCode: rpcInvalidRequest,
			message: fmt.Sprintf("request body larger than %d bytes", m.maxBody)}
	}
	if r.ContentLength > m.maxBody {
		return nil, tooLarge()
	}
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, m.maxBody+1))
		_ = r.Body.Close()
		if err != nil {
			return nil, &bodyError{status: http.StatusBadRequest, rpcCode: rpcParseError, message: "could not read the request body"}
		}
		if int64(len(body)) > m.maxBody {
			return nil, tooLarge()
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	calls, berr := parseRPC(body)
	if berr != nil {
		return nil, berr
	}
	if berr := checkStandardHeaders(r.Header, calls); berr != nil {
		return nil, berr
	}
	return calls, nil
}
