package auth

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
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

// FuzzIntrospectionResponse: whatever body an introspection endpoint answers with,
// decoding and judging it never panics: only an active answer for this resource is
// accepted, with scope-tokens only; everything else is refused with a 401 *Error or a
// decoding error (which the Introspector answers with 503). The HTTP exchange around it
// is tested in introspection_test.go.
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
	i, err := NewIntrospector(IntrospectionConfig{Endpoint: "https://as.example.com/introspect", ClientID: "rs", ClientSecret: "secret",
		Audiences: []string{"https://aud"}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, answer string) {
		claims, err := decodeIntrospection([]byte(answer))
		if err != nil {
			return // the Introspector answers 503: the server, not the token, is at fault
		}
		p, err := i.judgeAnswer(claims)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status != http.StatusUnauthorized || p != nil {
				t.Fatalf("answer %q: rejection %v is not a 401 *Error", answer, err)
			}
			return
		}
		if claims["active"] != true {
			t.Fatalf("answer %q accepted, but it is not an active answer", answer)
		}
		for _, s := range p.Scopes {
			if !isScopeToken(s) {
				t.Fatalf("answer %q: granted %q, not a scope-token", answer, s)
			}
		}
	})
}
