package auth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// claimsSeeds are claim sets shaped like the providers' and like attacks on them.
var claimsSeeds = []string{
	`{"iss":"https://iss","aud":"https://aud","sub":"u","scope":"a b"}`,
	`{"iss":"https://iss","aud":["x","https://aud/"],"scp":["a"],"roles":["admin"],"idtyp":"app"}`,
	`{"iss":"https://iss","client_id":"https://aud","scope":"https://aud/p/read openid"}`,
	`{"iss":"https://iss","aud":"https://aud","scope":"a\u00a0admin b\u0085c\td","scopes":["x y",1,null,""]}`,
	`{"iss":7,"aud":{},"sub":[],"scope":{},"token_use":"id"}`,
	`{"iss":"https://iss","aud":"https://aud","sub":"u","oid":"u","roles":"r","permissions":["p"]}`,
}

// FuzzClaims: whatever claims a correctly signed token carries, checking them never
// panics, refuses with a 401 *Error, or yields a principal whose every scope is an RFC
// 6749 scope-token read from a scope claim, sorted and unique, for an accepted issuer
// and audience.
func FuzzClaims(f *testing.F) {
	for _, s := range claimsSeeds {
		f.Add(s)
	}
	policies := map[string]claimsPolicy{}
	for name, c := range map[string]claimsConfig{
		"default": {issuers: []string{"https://iss"}, audiences: []string{"https://aud"}, requireIssuer: true},
		"entra-like": {issuers: []string{"https://iss"}, audiences: []string{"https://aud"}, requireIssuer: true,
			scopeClaims: []string{"scp"}, appScopeClaims: []string{"roles"},
			isAppOnly: func(c map[string]any) bool { return c["idtyp"] == "app" }},
		"cognito-like": {issuers: []string{"https://iss"}, audiences: []string{"https://aud"}, requireIssuer: true,
			scopeClaims: []string{"scope"}, audFromClient: true, scopePrefix: "https://aud/p/",
			required: map[string]string{"token_use": "access"}},
	} {
		p, problems := newClaimsPolicy(c, nil)
		if len(problems) > 0 {
			f.Fatalf("%s: %v", name, problems)
		}
		policies[name] = p
	}
	f.Fuzz(func(t *testing.T, raw string) {
		claims := jwt.MapClaims{}
		if json.Unmarshal([]byte(raw), &claims) != nil {
			return
		}
		for name, policy := range policies {
			p, err := policy.checkClaims(claims)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Status != http.StatusUnauthorized || e.Description == "" || p != nil {
					t.Fatalf("%s: rejection %v is not a 401 *Error with a description", name, err)
				}
				continue
			}
			if p.Issuer != "https://iss" {
				t.Fatalf("%s: accepted issuer %q", name, p.Issuer)
			}
			if !slices.IsSorted(p.Scopes) || len(slices.Compact(slices.Clone(p.Scopes))) != len(p.Scopes) {
				t.Fatalf("%s: scopes %q not sorted and unique", name, p.Scopes)
			}
			for _, s := range p.Scopes {
				if !isScopeToken(s) {
					t.Fatalf("%s: granted %q, not a scope-token", name, s)
				}
				if name == "default" && !slices.ContainsFunc(DefaultScopeClaims, func(c string) bool { return claimHolds(claims[c], s) }) {
					t.Fatalf("%s: granted %q, which no scope claim holds", name, s)
				}
				if name == "cognito-like" && !claimHolds(claims["scope"], policy.scopePrefix+s) {
					t.Fatalf("%s: granted %q without the prefixed scope", name, s)
				}
			}
		}
	})
}

// claimHolds reports whether a decoded claim is scope or a string or array holding it
// as a space-separated word or an entry.
func claimHolds(claim any, scope string) bool {
	switch v := claim.(type) {
	case string:
		return slices.Contains(strings.Split(v, " "), scope)
	case []any:
		return slices.Contains(v, any(scope))
	}
	return false
}

// FuzzIntrospectionResponse: whatever an introspection endpoint answers, the
// Introspector never panics and never answers 500: it accepts only an active answer
// for this resource, and refuses everything else with 401 or 503.
func FuzzIntrospectionResponse(f *testing.F) {
	for _, s := range []string{
		`{"active":true,"aud":"https://aud","scope":"a b","sub":"u","exp":9999999999}`,
		`{"active":"true","aud":"https://aud"}`,
		`{"active":true}`,
		`{"active":true,"aud":"https://aud","token_type":"refresh_token"}`,
		`{"active":true,"aud":["https://aud"],"exp":"soon","nbf":1e400}`,
		`{"active":false,"aud":"https://aud"}`,
		`[]`, ``, `{"active":true,"aud":"https://aud","scope":["a"],"iss":7}`,
	} {
		f.Add(s)
	}
	var body atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body.Load().(string)))
	}))
	f.Cleanup(srv.Close)
	i, err := NewIntrospector(IntrospectionConfig{Endpoint: srv.URL, ClientID: "rs", ClientSecret: "secret",
		Audiences: []string{"https://aud"}, CacheEntries: -1})
	if err != nil {
		f.Fatal(err)
	}
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, answer string) {
		body.Store(answer)
		p, err := i.Validate(context.Background(), "opaque-"+strconv.FormatInt(n.Add(1), 10))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (e.Status != http.StatusUnauthorized && e.Status != http.StatusServiceUnavailable) || p != nil {
				t.Fatalf("answer %q: rejection %v is not a 401 or 503 *Error", answer, err)
			}
			return
		}
		var claims map[string]any
		if json.Unmarshal([]byte(answer), &claims) != nil || claims["active"] != true {
			t.Fatalf("answer %q accepted, but it is not an active answer", answer)
		}
		for _, s := range p.Scopes {
			if !isScopeToken(s) {
				t.Fatalf("answer %q: granted %q, not a scope-token", answer, s)
			}
		}
	})
}
