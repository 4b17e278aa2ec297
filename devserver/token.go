package devserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenRequest says what to put in a minted access token.
type TokenRequest struct {
	Subject  string
	ClientID string
	Scopes   []string
	TTL      time.Duration // default: the server's TokenTTL
}

// Mint signs an access token for the configured resource (RFC 9068: typ at+jwt; iss,
// aud, sub, client_id, scope, iat, exp, jti).
func Mint(key Key, issuer, resource string, req TokenRequest, now time.Time) (string, error) {
	if req.TTL <= 0 {
		req.TTL = DefaultTokenTTL
	}
	claims := jwt.MapClaims{
		"iss":       issuer,
		"aud":       resource,
		"sub":       req.Subject,
		"client_id": req.ClientID,
		"iat":       now.Unix(),
		"nbf":       now.Unix(),
		"exp":       now.Add(req.TTL).Unix(),
		"jti":       randomToken(16),
	}
	if len(req.Scopes) > 0 {
		claims["scope"] = strings.Join(req.Scopes, " ")
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["kid"] = key.ID
	tok.Header["typ"] = "at+jwt"
	s, err := tok.SignedString(key.Signer)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return s, nil
}

// Mint signs an access token with the server's key, issuer and resource.
func (s *Server) Mint(req TokenRequest) (string, error) {
	if req.TTL <= 0 {
		req.TTL = s.cfg.TokenTTL
	}
	return Mint(s.cfg.Key, s.cfg.Issuer, s.cfg.Resource, req, s.cfg.Now())
}

// tokenResponse is the RFC 6749 §5.1 success body.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// verifierRE is an RFC 7636 §4.1 code verifier.
var verifierRE = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// serveToken is the token endpoint: client_credentials, authorization_code with PKCE,
// refresh_token.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if !allowMethods(w, r, http.MethodPost) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRegistrationBytes)
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	c, basic, msg := s.authenticate(r)
	if msg != "" {
		if basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="mcpgen dev"`)
		}
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", msg)
		return
	}
	form := r.PostForm
	grantType := form.Get("grant_type")
	if grantType != "" && !slices.Contains(c.GrantTypes, grantType) && !(grantType == "refresh_token" && slices.Contains(c.GrantTypes, "authorization_code")) {
		writeOAuthError(w, http.StatusBadRequest, "unauthorized_client", fmt.Sprintf("client %s may not use the %s grant", c.ID, grantType))
		return
	}
	if msg := s.checkResources(form["resource"]); msg != "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_target", msg)
		return
	}
	switch grantType {
	case "client_credentials":
		s.clientCredentials(w, c, form.Get("scope"))
	case "authorization_code":
		s.authorizationCode(w, c, form.Get("code"), form.Get("redirect_uri"), form.Get("code_verifier"))
	case "refresh_token":
		s.refreshToken(w, c, form.Get("refresh_token"), form.Get("scope"))
	case "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "grant_type is missing")
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "use client_credentials, authorization_code or refresh_token")
	}
}

func (s *Server) clientCredentials(w http.ResponseWriter, c Client, scope string) {
	scopes, msg := s.grantScopes(scope)
	if msg != "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_scope", msg)
		return
	}
	s.issue(w, &grant{clientID: c.ID, subject: c.ID, scopes: scopes}, false)
}

func (s *Server) authorizationCode(w http.ResponseWriter, c Client, code, redirectURI, verifier string) {
	now := s.cfg.Now()
	s.mu.Lock()
	g, ok := s.spend(s.codes, code, now) // single use, even when the request below fails
	s.mu.Unlock()
	switch {
	case code == "" || !ok || now.After(g.expires):
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "the authorization code is unknown, used or expired")
	case g.clientID != c.ID:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "the authorization code was issued to another client")
	case redirectURI != "" && redirectURI != g.redirectURI:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri must equal the one of the authorization request")
	case !verifierRE.MatchString(verifier):
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier is missing or malformed (43 to 128 characters of A-Z a-z 0-9 - . _ ~)")
	case !pkceMatches(verifier, g.codeChallenge):
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge (S256)")
	default:
		s.issue(w, g, true)
	}
}

// pkceMatches checks BASE64URL(SHA256(verifier)) == challenge (RFC 7636 §4.6, S256).
func pkceMatches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

func (s *Server) refreshToken(w http.ResponseWriter, c Client, token, scope string) {
	now := s.cfg.Now()
	s.mu.Lock()
	g, ok := s.spend(s.refresh, token, now) // rotated: a refresh token works once
	s.mu.Unlock()
	if token == "" || !ok || now.After(g.expires) || g.clientID != c.ID {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "the refresh token is unknown, used, expired or issued to another client")
		return
	}
	if scope != "" {
		narrowed := strings.Fields(scope)
		for _, sc := range narrowed {
			if !slices.Contains(g.scopes, sc) {
				writeOAuthError(w, http.StatusBadRequest, "invalid_scope", "a refresh cannot add scope "+strconv.Quote(sc))
				return
			}
		}
		g = &grant{clientID: g.clientID, subject: g.subject, scopes: narrowed, family: g.family}
	}
	s.issue(w, g, true)
}

// issue mints an access token for g and answers the token request, with a refresh
// token when withRefresh.
func (s *Server) issue(w http.ResponseWriter, g *grant, withRefresh bool) {
	tok, err := s.Mint(TokenRequest{Subject: g.subject, ClientID: g.clientID, Scopes: g.scopes})
	if err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "server_error", "could not sign the token")
		return
	}
	resp := tokenResponse{
		AccessToken: tok, TokenType: "Bearer",
		ExpiresIn: int64(s.cfg.TokenTTL / time.Second), Scope: strings.Join(g.scopes, " "),
	}
	if withRefresh {
		resp.RefreshToken = randomToken(32)
		now := s.cfg.Now()
		s.mu.Lock()
		s.expire(now)
		s.refresh[resp.RefreshToken] = &grant{clientID: g.clientID, subject: g.subject, scopes: g.scopes, expires: now.Add(refreshTTL), family: g.family}
		s.mu.Unlock()
	}
	writeJSON(w, http.StatusOK, resp)
}
