package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenValidator turns a bearer token into a Principal: Validator checks JWTs, Introspector asks the authorization server.
type TokenValidator interface {
	// Validate returns the principal of a valid token, or an *Error whose
	// status and description the middleware sends to the client.
	Validate(ctx context.Context, token string) (*Principal, error)
}

// ValidatorConfig says which JWT access tokens this resource accepts.
type ValidatorConfig struct {
	Issuers       []string      // exact iss values accepted (>=1)
	Audiences     []string      // aud must contain one (>=1)
	Algorithms    []string      // default DefaultAlgorithms; symmetric/none refused by NewValidator
	Leeway        time.Duration // default 30s, for exp/nbf/iat
	MaxTokenBytes int           // default 8192
	// RequireATJWT rejects tokens whose typ header is not "at+jwt" (RFC 9068
	// §2.1). Off by default because several providers still send typ "JWT"
	// or none; tokens whose typ names another kind of JWT ("logout+jwt",
	// "secevent+jwt", "dpop+jwt", ...) are rejected either way.
	RequireATJWT bool
	// CacheEntries, when positive, keeps up to that many verified tokens
	// (by SHA-256, never the token itself) so a repeated token skips
	// signature verification until its exp; see DefaultCacheEntries. 0 turns
	// the cache off. It applies when the KeySet is a *JWKS, whose keys the
	// cache checks on every hit so a dropped key ends its tokens' entries.
	CacheEntries int
	// CacheBytes bounds the heap the cache holds: each entry is charged an
	// estimate, from above, of what it holds (its principal and claims), and
	// entries expiring first are evicted to stay within it. 0 means
	// DefaultCacheBytes.
	CacheBytes int

	// ScopeClaims names the claims scopes are read from (see
	// ScopesFromClaims for the shapes each may take). nil means
	// DefaultScopeClaims. Presets narrow it to the claims their provider
	// really uses for scopes, so a claim some other feature of the provider
	// lets users or admins fill (custom claims) cannot grant scopes.
	ScopeClaims []string
	// OrganizationClaims names the claims Principal.Organization is read
	// from; the first that is a non-empty string wins. nil means
	// DefaultOrganizationClaims; an empty non-nil slice reads none.
	OrganizationClaims []string
	// RequiredClaims must be present with exactly these string values, e.g.
	// {"token_use": "access"} for AWS Cognito, whose ID tokens are signed by
	// the same keys and must not pass for access tokens.
	RequiredClaims map[string]string
	// AudienceFromClientID accepts a token without an aud claim when its
	// client_id is one of Audiences. AWS Cognito access tokens carry no aud,
	// only the app client's id; nothing else should enable this, because a
	// client id does not bind the token to this resource (RFC 8707). Pair it
	// with ScopePrefix, which does.
	AudienceFromClientID bool
	// ScopePrefix, when set, is the prefix of every scope of this resource in
	// tokens (Cognito names a resource server's scopes
	// "<resource server identifier>/<scope>"). Only scopes with it are granted,
	// under their short names (Principal.Scopes holds "usr:read" for
	// "https://mcp.example.com/mcp/usr:read"), and a token without one is
	// refused as not meant for this resource: one app client can hold tokens
	// for several resource servers, and its client_id alone does not say
	// which. MiddlewareConfig.ScopePrefix puts the prefix back in challenges.
	ScopePrefix string
	// AppScopeClaims are read as scopes, instead of ScopeClaims, from tokens
	// IsAppOnly reports as issued to a client for itself, with no user (the
	// client credentials grant): Entra puts the application permissions an
	// administrator granted that client in roles and sends no scp. In a token
	// with a user the same claim holds the user's roles: entitlements, never
	// scopes. Both must be set for either to apply.
	AppScopeClaims []string
	IsAppOnly      func(claims map[string]any) bool
}

// DefaultScopeClaims are the claims scopes are read from when
// ValidatorConfig.ScopeClaims is nil: scope (RFC 9068 §2.2.3), scp (Okta and
// Entra) and scopes (Scalekit). ScopesFromClaims says which shapes each claim
// may take.
//
// Entitlement claims (permissions, roles, groups) are not among them: they say
// what the user may do, whatever the client asked for, so a client that was
// granted only openid would otherwise call every tool its user could. Read them
// with Principal.ClaimValues, in addition to the scopes.
var DefaultScopeClaims = []string{"scope", "scp", "scopes"}

// DefaultOrganizationClaims are read, in order, when
// ValidatorConfig.OrganizationClaims is nil: org_id (Auth0 Organizations,
// WorkOS), tid (the Entra tenant) and oid (the Scalekit organization). tid
// comes before oid because in Entra tokens oid is the user's object id, not
// an organization.
var DefaultOrganizationClaims = []string{"org_id", "tid", "oid"}

// DefaultAlgorithms are the asymmetric JWS algorithms accepted when
// ValidatorConfig.Algorithms is empty. HS* and none are never accepted: a
// resource server holds no shared secret, and accepting HS* with a public
// key as the secret is the classic algorithm-confusion attack.
var DefaultAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// Defaults of ValidatorConfig.
const (
	DefaultLeeway        = 30 * time.Second
	DefaultMaxTokenBytes = 8192
)

// Validator validates JWT access tokens (RFC 9068) against a KeySet: the
// signature with an allow-listed asymmetric algorithm and a key of the
// matching type, iss exactly, aud containing a configured audience, exp
// required, nbf and iat with leeway.
type Validator struct {
	claimsPolicy
	algorithms    []string
	maxTokenBytes int
	requireATJWT  bool
	keys          KeySet
	parser        *jwt.Parser
	cache         *tokenCache      // nil when caching is off
	headers       headerMemo       // header segments of verified tokens
	now           func() time.Time // the clock of the parser and the cache
}

var _ TokenValidator = (*Validator)(nil)

// NewValidator checks cfg and returns a Validator using keys.
func NewValidator(cfg ValidatorConfig, keys KeySet) (*Validator, error) {
	var problems []string
	if keys == nil {
		problems = append(problems, "a key set is required")
	}
	policy, problems := newClaimsPolicy(claimsConfig{
		issuers: cfg.Issuers, audiences: cfg.Audiences, scopeClaims: cfg.ScopeClaims,
		orgClaims: cfg.OrganizationClaims, required: cfg.RequiredClaims,
		audFromClient: cfg.AudienceFromClientID, requireIssuer: true,
		scopePrefix: cfg.ScopePrefix, appScopeClaims: cfg.AppScopeClaims, isAppOnly: cfg.IsAppOnly,
	}, problems)
	algs := cfg.Algorithms
	if len(algs) == 0 {
		algs = DefaultAlgorithms
	}
	for _, a := range algs {
		if !slices.Contains(DefaultAlgorithms, a) {
			problems = append(problems, fmt.Sprintf("algorithm %q is not allowed: only asymmetric algorithms (%s) are accepted", a, strings.Join(DefaultAlgorithms, " ")))
		}
	}
	leeway := cfg.Leeway
	if leeway == 0 {
		leeway = DefaultLeeway
	}
	if leeway < 0 {
		problems = append(problems, "leeway must not be negative")
	}
	maxBytes := cfg.MaxTokenBytes
	if maxBytes == 0 {
		maxBytes = DefaultMaxTokenBytes
	}
	if maxBytes < 0 {
		problems = append(problems, "max token bytes must not be negative")
	}
	if cfg.CacheEntries < 0 {
		problems = append(problems, "cache entries must not be negative")
	}
	if cfg.CacheBytes < 0 {
		problems = append(problems, "cache bytes must not be negative")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("auth validator config: %s", strings.Join(problems, "; "))
	}
	v := &Validator{
		claimsPolicy:  policy,
		algorithms:    slices.Clone(algs),
		maxTokenBytes: maxBytes,
		requireATJWT:  cfg.RequireATJWT,
		keys:          keys,
		cache:         newTokenCache(cfg.CacheEntries, cfg.CacheBytes, keys),
		now:           time.Now,
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods(slices.Clone(algs)),
		jwt.WithLeeway(leeway),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return v.now() }),
	)
	return v, nil
}

// Validate implements TokenValidator. Every error is an *Error: 401
// invalid_token for anything wrong with the token, 503
// temporarily_unavailable while no keys have ever been loaded.
func (v *Validator) Validate(ctx context.Context, token string) (*Principal, error) {
	return v.validate(ctx, token, [sha256.Size]byte{}, false)
}

// validate is Validate given the token's cache key sum when the caller has computed
// it (hashed true: the middleware, which asked Cached first), so the token is not
// hashed again. The cache is still consulted, since another request may have
// verified the same token meanwhile.
func (v *Validator) validate(ctx context.Context, token string, sum [sha256.Size]byte, hashed bool) (*Principal, error) {
	if v.cache != nil && len(token) <= v.maxTokenBytes {
		if !hashed {
			sum = tokenSum(token)
		}
		if p := v.cache.get(&sum, v.now()); p != nil {
			return p, nil
		}
	}
	h, err := preParse(token, v.maxTokenBytes, &v.headers)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(v.algorithms, h.Alg) {
		return nil, invalidToken("alg_not_allowed", "the access token's signing algorithm is not accepted; accepted: "+strings.Join(v.algorithms, " "), nil)
	}
	if err := checkType(h, v.requireATJWT); err != nil {
		return nil, err
	}
	if !v.keys.Ready() {
		return nil, keysUnavailable()
	}
	keyfunc := v.keys.Keyfunc
	if ck, ok := v.keys.(ContextKeySet); ok {
		keyfunc = ck.KeyfuncCtx(ctx)
	}
	var verifiedBy any
	if v.cache != nil {
		inner := keyfunc
		keyfunc = func(t *jwt.Token) (any, error) {
			key, err := inner(t)
			verifiedBy = key
			return key, err
		}
	}
	claims := jwt.MapClaims{}
	if _, err := v.parser.ParseWithClaims(token, claims, keyfunc); err != nil {
		return nil, jwtError(err)
	}
	p, err := v.checkClaims(claims)
	if err == nil {
		head, _, _ := strings.Cut(token, ".")
		v.headers.add(head, h)
		if v.cache != nil {
			v.remember(&sum, h, verifiedBy, p)
		}
	}
	return p, err
}

// checkType applies RFC 9068 §4 / RFC 8725 §3.11 explicit typing: a JWT
// typed as something other than an access token (a logout token, a security
// event, a DPoP proof, ...) is never accepted, even if the issuer signed it.
//
// With RequireATJWT the typ must be exactly at+jwt or application/at+jwt (media type
// names are case-insensitive, RFC 9068 §2.1): not any value ending in at+jwt, such as
// "cat+jwt", which another kind of token may use.
func checkType(h tokenHeader, requireATJWT bool) error {
	typ := strings.ToLower(h.Typ)
	switch {
	case typ == "at+jwt" || typ == "application/at+jwt":
		return nil
	case strings.HasSuffix(typ, "+jwt"):
		return invalidToken("wrong_typ", "the JWT is not an access token (its typ header names another kind of token)", nil)
	case requireATJWT:
		return invalidToken("wrong_typ", `the access token must have the typ header "at+jwt" (RFC 9068)`, nil)
	}
	return nil
}

func keysUnavailable() *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: CodeTemporarilyUnavailable, Reason: "keys_unavailable",
		Description: "the server cannot verify access tokens right now; retry later", Err: ErrKeysUnavailable}
}

// jwtError maps golang-jwt's joined errors to a client-safe *Error. The
// library's text stays in Err, never in Description.
func jwtError(err error) *Error {
	switch {
	case errors.Is(err, ErrKeysUnavailable):
		e := keysUnavailable()
		e.Err = err
		return e
	case errors.Is(err, errUnknownKID):
		return invalidToken("unknown_kid", "the access token is signed with a key this resource does not know (unknown kid)", err)
	case errors.Is(err, errNoMatchingKey):
		return invalidToken("key_mismatch", "no verification key of the type the token's algorithm needs", err)
	case errors.Is(err, errUnknownIssuer):
		return invalidToken("wrong_issuer", "the access token was not issued by an authorization server this resource trusts (iss)", err)
	case errors.Is(err, jwt.ErrTokenMalformed):
		return invalidToken("malformed", "the access token is not a well-formed JWT", err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return invalidToken("bad_signature", "the access token signature is invalid", err)
	case errors.Is(err, jwt.ErrInvalidType):
		return invalidToken("claim_type", "a time claim (exp, nbf or iat) of the access token has the wrong JSON type", err)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return invalidToken("missing_exp", "the access token has no exp claim", err)
	case errors.Is(err, jwt.ErrTokenExpired):
		return invalidToken(ReasonExpired, "the access token has expired", err)
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return invalidToken(ReasonNotYetValid, "the access token is not valid yet (nbf)", err)
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return invalidToken(ReasonIATInFuture, "the access token was issued in the future (iat)", err)
	default:
		return invalidToken("invalid", "the access token is invalid", err)
	}
}

// claimsPolicy is what a token's claims must say, and where the Principal's
// fields come from: shared by the JWT Validator and the Introspector, whose
// active responses carry the same claim names (RFC 7662 §2.2).
type claimsPolicy struct {
	issuers       []string
	audiences     []string // normalized
	scopeClaims   []string
	orgClaims     []string
	required      map[string]string
	audFromClient bool
	// requireIssuer: a JWT must name its issuer; an introspection response
	// may omit it (RFC 7662 makes iss optional) since it comes straight
	// from the authorization server.
	requireIssuer  bool
	scopePrefix    string
	appScopeClaims []string
	isAppOnly      func(map[string]any) bool
}

// claimsConfig is the claims part of ValidatorConfig and IntrospectionConfig.
type claimsConfig struct {
	issuers, audiences, scopeClaims, orgClaims []string
	required                                   map[string]string
	audFromClient, requireIssuer               bool
	scopePrefix                                string
	appScopeClaims                             []string
	isAppOnly                                  func(map[string]any) bool
}

// newClaimsPolicy checks c, appending what is wrong to problems, and applies
// the defaults of ScopeClaims and OrganizationClaims.
func newClaimsPolicy(c claimsConfig, problems []string) (claimsPolicy, []string) {
	if len(c.issuers) == 0 && c.requireIssuer {
		problems = append(problems, "at least one issuer is required")
	}
	for _, iss := range c.issuers {
		if strings.TrimSpace(iss) == "" {
			problems = append(problems, "issuers must not be empty strings")
		}
	}
	if len(c.audiences) == 0 {
		problems = append(problems, "at least one audience is required")
	}
	auds := make([]string, 0, len(c.audiences))
	for _, a := range c.audiences {
		if strings.TrimSpace(a) == "" {
			problems = append(problems, "audiences must not be empty strings")
			continue
		}
		auds = append(auds, normalizeAudience(a))
	}
	scopeClaims := c.scopeClaims
	if scopeClaims == nil {
		scopeClaims = DefaultScopeClaims
	}
	orgClaims := c.orgClaims
	if orgClaims == nil {
		orgClaims = DefaultOrganizationClaims
	}
	for _, name := range slices.Concat(scopeClaims, orgClaims, c.appScopeClaims, slices.Collect(maps.Keys(c.required))) {
		if strings.TrimSpace(name) == "" {
			problems = append(problems, "claim names must not be empty strings")
			break
		}
	}
	if (len(c.appScopeClaims) > 0) != (c.isAppOnly != nil) {
		problems = append(problems, "app-only scope claims and the test for app-only tokens must be set together")
	}
	if c.scopePrefix != "" && (strings.TrimSpace(c.scopePrefix) != c.scopePrefix || !isScopeToken(c.scopePrefix)) {
		problems = append(problems, fmt.Sprintf("scope prefix %q must be the start of a scope token: printable ASCII without spaces, quotes or backslashes", c.scopePrefix))
	}
	return claimsPolicy{
		issuers:        slices.Clone(c.issuers),
		audiences:      auds,
		scopeClaims:    slices.Clone(scopeClaims),
		orgClaims:      slices.Clone(orgClaims),
		required:       maps.Clone(c.required),
		audFromClient:  c.audFromClient,
		requireIssuer:  c.requireIssuer,
		scopePrefix:    c.scopePrefix,
		appScopeClaims: slices.Clone(c.appScopeClaims),
		isAppOnly:      c.isAppOnly,
	}, problems
}

// checkClaims applies the checks golang-jwt leaves to us (iss, aud, sub
// type, required claims) and builds the Principal.
func (v *claimsPolicy) checkClaims(claims jwt.MapClaims) (*Principal, error) {
	iss, present := claims["iss"]
	if !present && v.requireIssuer {
		return nil, invalidToken("missing_iss", "the access token has no iss claim", nil)
	}
	issuer, ok := iss.(string)
	if present && !ok {
		return nil, invalidToken("claim_type", "the access token iss claim must be a string", nil)
	}
	if present && len(v.issuers) > 0 && !slices.Contains(v.issuers, issuer) {
		return nil, invalidToken("wrong_issuer", "the access token was not issued by an authorization server this resource trusts (iss)", nil)
	}

	for name, want := range v.required {
		if got, ok := claims[name].(string); !ok || got != want {
			return nil, invalidToken("required_claim", fmt.Sprintf("the access token must have the claim %s=%q", name, want), nil)
		}
	}

	audiences, err := v.checkAudience(claims)
	if err != nil {
		return nil, err
	}

	sub, present := claims["sub"]
	subject, ok := sub.(string)
	if present && !ok {
		return nil, invalidToken("claim_type", "the access token sub claim must be a string", nil)
	}

	scopes, err := v.scopes(claims)
	if err != nil {
		return nil, err
	}
	p := &Principal{
		Subject:      subject,
		ClientID:     firstString(claims, "client_id", "azp", "cid", "appid"),
		Organization: firstString(claims, v.orgClaims...),
		Issuer:       issuer,
		Audience:     audiences,
		Scopes:       scopes,
		Claims:       claims,
	}
	if exp, err := claims.GetExpirationTime(); err == nil && exp != nil {
		p.ExpiresAt = exp.Time
	}
	if iat, err := claims.GetIssuedAt(); err == nil && iat != nil {
		p.IssuedAt = iat.Time
	}
	return p, nil
}

// scopes returns what the token grants this client: the scope claims, or in an
// app-only token the app scope claims; with a scope prefix only the scopes bearing
// it, without it, and an error when there is none.
func (v *claimsPolicy) scopes(claims jwt.MapClaims) ([]string, error) {
	names := v.scopeClaims
	if v.isAppOnly != nil && v.isAppOnly(claims) {
		names = v.appScopeClaims
	}
	// A scope claim of the wrong shape grants nothing (ScopesFromClaims says
	// which); the token is otherwise valid and keeps the scopes of the rest.
	scopes, _ := ScopesFromClaims(claims, names)
	if v.scopePrefix == "" {
		return scopes, nil
	}
	var own []string
	for _, s := range scopes {
		if short, ok := strings.CutPrefix(s, v.scopePrefix); ok && short != "" {
			own = append(own, short)
		}
	}
	if len(own) == 0 {
		return nil, invalidToken("wrong_audience", "the access token carries no scope of this resource (scopes named "+v.scopePrefix+"...); request this resource's scopes", nil)
	}
	slices.Sort(own)
	return slices.Compact(own), nil
}

// checkAudience returns the token's audiences if one of them is this
// resource's. Without an aud claim, and only with AudienceFromClientID, the
// client_id stands in for it.
func (v *claimsPolicy) checkAudience(claims jwt.MapClaims) ([]string, error) {
	aud, present := claims["aud"]
	if !present && v.audFromClient {
		clientID, _ := claims["client_id"].(string)
		if clientID == "" || !slices.Contains(v.audiences, normalizeAudience(clientID)) {
			return nil, invalidToken("wrong_audience", "the access token has no aud claim and its client_id is not an accepted audience of this resource", nil)
		}
		return nil, nil
	}
	if !present {
		return nil, invalidToken("missing_aud", "the access token has no aud claim; request it for this resource (RFC 8707 resource parameter)", nil)
	}
	var audiences []string
	switch a := aud.(type) {
	case string:
		audiences = []string{a}
	case []any:
		for _, e := range a {
			s, ok := e.(string)
			if !ok {
				return nil, invalidToken("claim_type", "the access token aud claim must be a string or an array of strings", nil)
			}
			audiences = append(audiences, s)
		}
	default:
		return nil, invalidToken("claim_type", "the access token aud claim must be a string or an array of strings", nil)
	}
	if !slices.ContainsFunc(audiences, func(a string) bool { return slices.Contains(v.audiences, normalizeAudience(a)) }) {
		return nil, invalidToken("wrong_audience", "the access token is not intended for this resource (aud); request it with this resource's URL as the resource parameter", nil)
	}
	return audiences, nil
}

// SameAudience reports whether a and b name the same audience (or resource) the way
// the validator compares a token's aud with its configured audiences: after
// normalizeAudience. Clients use it to decide whether a token is meant for a server.
func SameAudience(a, b string) bool {
	return normalizeAudience(a) == normalizeAudience(b)
}

// normalizeAudience trims one trailing slash and lower-cases the scheme and
// host of URL-shaped audiences: the only differences RFC 3986 §6.2.2 calls
// equivalent that providers actually produce. Nothing looser (no prefix
// match), so a token for https://h/mcp-admin never passes for https://h/mcp.
func normalizeAudience(a string) string {
	a = strings.TrimSuffix(a, "/")
	scheme, rest, ok := strings.Cut(a, "://")
	if !ok || scheme == "" || strings.ContainsAny(scheme, "/?#") {
		return a
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	return strings.ToLower(scheme) + "://" + strings.ToLower(rest[:end]) + rest[end:]
}
