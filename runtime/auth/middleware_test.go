package auth_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/mcpgen/mcpgen/runtime/auth"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// tamperPayload swaps a token's payload for other claims, keeping the
// original header and signature.
func tamperPayload(tok string, claims map[string]any) string {
	parts := strings.Split(tok, ".")
	raw, _ := json.Marshal(claims)
	parts[1] = b64(string(raw))
	return strings.Join(parts, ".")
}

// tamperSignature flips one character in the middle of the signature (the
// last character may only carry padding bits).
func tamperSignature(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 10
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

func hs256WithPublicKey(t *testing.T, iss *authtest.Issuer) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(iss.PublicKey().(*rsa.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": iss.URL, "aud": testResource, "sub": "attacker", "scope": "mcp usr:read admin",
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
	})
	tok.Header["kid"] = iss.KeyID()
	s, err := tok.SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestMiddlewareRejections runs every rejection path (and the acceptances
// that sit right next to them) through the middleware and checks status,
// each challenge parameter, the JSON body, the logged reason, and that the
// token appears nowhere in the response or the logs.
func TestMiddlewareRejections(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	other := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	now := time.Now()
	full := authtest.Claims{"scope": "mcp usr:read admin"}
	with := func(extra authtest.Claims) authtest.Claims {
		c := authtest.Claims{"scope": "mcp usr:read admin"}
		maps.Copy(c, extra)
		return c
	}
	const allScopes = "admin mcp usr:read"

	type tc struct {
		name    string
		method  string // default POST
		target  string // default /mcp
		body    string // default tools/list (POST only)
		header  http.Header
		token   string // sent as "Bearer <token>" unless header is set
		mutate  func(*auth.MiddlewareConfig)
		keys    func(t *testing.T) auth.KeySet // default: iss.KeySet()
		status  int
		errCode string // error= in the challenge; "" = no error params
		scope   string // scope= in the challenge; "" = absent
		reason  string // reason= in the log line
		rpc     bool   // body is a JSON-RPC error, not an OAuth error
	}
	tests := []tc{
		{name: "valid token", token: iss.Mint(full), status: 200},
		{name: "lower-case scheme accepted", header: http.Header{"Authorization": {"bearer " + iss.Mint(full)}}, status: 200},
		{name: "upper-case scheme accepted", header: http.Header{"Authorization": {"BEARER " + iss.Mint(full)}}, status: 200},
		{name: "GET needs only required scopes", method: "GET", token: iss.Mint(authtest.Claims{"scope": "mcp"}), status: 200},
		{name: "expired within leeway accepted", token: iss.Mint(with(authtest.Claims{"exp": now.Add(-10 * time.Second), "iat": now.Add(-time.Minute)})), status: 200},
		{name: "aud trailing slash and host case tolerated", token: iss.Mint(with(authtest.Claims{"aud": "https://MCP.Example.com/mcp/"})), status: 200},
		{name: "aud array containing resource", token: iss.Mint(with(authtest.Claims{"aud": []string{"https://other.example", testResource}})), status: 200},
		{name: "unknown tool needs only required scopes", body: toolCall("no_such_tool"), token: iss.Mint(authtest.Claims{"scope": "mcp"}), status: 200},
		{name: "tool with its scope", body: toolCall("greet_user"), token: iss.Mint(authtest.Claims{"scope": "mcp usr:read"}), status: 200},
		{name: "scp array and scopes merged", body: toolCall("admin_tool"), token: iss.Mint(authtest.Claims{"scp": []string{"mcp", "admin"}, "scopes": []string{"usr:read"}}), status: 200},
		// permissions lists what the user may do, not what this client was granted: a
		// client that asked for nothing beyond mcp cannot call the admin tool with it.
		{name: "permissions do not grant scopes", body: toolCall("admin_tool"), token: iss.Mint(authtest.Claims{"scope": "mcp usr:read", "permissions": []string{"admin"}, "roles": []string{"admin"}}), status: 403, errCode: "insufficient_scope", scope: "admin mcp usr:read", reason: "insufficient_scope"},

		{name: "no authorization header", status: 401, scope: allScopes, reason: "no_token"},
		{name: "token in query only", target: "/mcp?access_token=" + iss.Mint(full), status: 401, scope: allScopes, reason: "no_token"},
		{name: "token in form body only", body: "access_token=" + iss.Mint(full), status: 401, scope: allScopes, reason: "no_token"},
		{name: "basic scheme", header: http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}, status: 401, scope: allScopes, reason: "other_scheme"},
		{name: "two authorization headers", header: http.Header{"Authorization": {"Bearer " + iss.Mint(full), "Bearer " + iss.Mint(full)}}, status: 400, errCode: "invalid_request", scope: allScopes, reason: "several_authorization_headers"},
		{name: "empty token", header: http.Header{"Authorization": {"Bearer "}}, status: 400, errCode: "invalid_request", scope: allScopes, reason: "empty_token"},
		{name: "scheme only", header: http.Header{"Authorization": {"Bearer"}}, status: 400, errCode: "invalid_request", scope: allScopes, reason: "empty_token"},
		{name: "extra parts after token", header: http.Header{"Authorization": {"Bearer " + iss.Mint(full) + " extra"}}, status: 400, errCode: "invalid_request", scope: allScopes, reason: "malformed_token"},
		{name: "non token68 characters", header: http.Header{"Authorization": {"Bearer abc,def"}}, status: 400, errCode: "invalid_request", scope: allScopes, reason: "malformed_token"},
		{name: "empty authorization header", header: http.Header{"Authorization": {""}}, status: 400, errCode: "invalid_request", scope: allScopes, reason: "empty_authorization_header"},

		{name: "alg none", token: b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(`{"iss":"`+iss.URL+`","aud":"`+testResource+`","exp":9999999999,"scope":"mcp"}`) + ".", status: 401, errCode: "invalid_token", scope: allScopes, reason: "alg_not_allowed"},
		{name: "HS256 signed with the RSA public key bytes", token: hs256WithPublicKey(t, iss), status: 401, errCode: "invalid_token", scope: allScopes, reason: "alg_not_allowed"},
		{name: "expired", token: iss.Mint(with(authtest.Claims{"exp": now.Add(-time.Hour), "iat": now.Add(-2 * time.Hour)})), status: 401, errCode: "invalid_token", scope: allScopes, reason: "expired"},
		{name: "not yet valid", token: iss.Mint(with(authtest.Claims{"nbf": now.Add(time.Hour)})), status: 401, errCode: "invalid_token", scope: allScopes, reason: "not_yet_valid"},
		{name: "future iat", token: iss.Mint(with(authtest.Claims{"iat": now.Add(time.Hour)})), status: 401, errCode: "invalid_token", scope: allScopes, reason: "iat_in_future"},
		{name: "wrong iss", token: iss.Mint(with(authtest.Claims{"iss": "https://evil.example"})), status: 401, errCode: "invalid_token", scope: allScopes, reason: "wrong_issuer"},
		{name: "iss differing only by trailing slash", token: iss.Mint(with(authtest.Claims{"iss": iss.URL + "/"})), status: 401, errCode: "invalid_token", scope: allScopes, reason: "wrong_issuer"},
		{name: "missing iss", token: iss.Mint(with(authtest.Claims{"iss": authtest.Omit})), status: 401, errCode: "invalid_token", scope: allScopes, reason: "missing_iss"},
		{name: "wrong aud", token: iss.Mint(with(authtest.Claims{"aud": "https://other.example.com/mcp"})), status: 401, errCode: "invalid_token", scope: allScopes, reason: "wrong_audience"},
		{name: "aud prefix is not a match", token: iss.Mint(with(authtest.Claims{"aud": testResource + "-admin"})), status: 401, errCode: "invalid_token", scope: allScopes, reason: "wrong_audience"},
		{name: "aud path case differs", token: iss.Mint(with(authtest.Claims{"aud": "https://mcp.example.com/MCP"})), status: 401, errCode: "invalid_token", scope: allScopes, reason: "wrong_audience"},
		{name: "empty aud array", token: iss.Mint(with(authtest.Claims{"aud": []string{}})), status: 401, errCode: "invalid_token", scope: allScopes, reason: "wrong_audience"},
		{name: "missing aud", token: iss.Mint(with(authtest.Claims{"aud": authtest.Omit})), status: 401, errCode: "invalid_token", scope: allScopes, reason: "missing_aud"},
		{name: "missing exp", token: iss.Mint(with(authtest.Claims{"exp": authtest.Omit})), status: 401, errCode: "invalid_token", scope: allScopes, reason: "missing_exp"},
		{name: "unknown kid", token: iss.MintWithHeader(map[string]any{"kid": "no-such-key"}, full), status: 401, errCode: "invalid_token", scope: allScopes, reason: "unknown_kid"},
		{name: "kid of another key", token: other.MintWithHeader(map[string]any{"kid": iss.KeyID()}, with(authtest.Claims{"iss": iss.URL})), status: 401, errCode: "invalid_token", scope: allScopes, reason: "bad_signature"},
		{name: "token of another issuer", token: other.Mint(full), status: 401, errCode: "invalid_token", scope: allScopes, reason: "unknown_kid"},
		{name: "tampered payload", token: tamperPayload(iss.Mint(authtest.Claims{"scope": "mcp"}), map[string]any{"iss": iss.URL, "aud": testResource, "sub": "user-123", "exp": now.Add(time.Hour).Unix(), "scope": "mcp usr:read admin"}), status: 401, errCode: "invalid_token", scope: allScopes, reason: "bad_signature"},
		{name: "tampered signature", token: tamperSignature(iss.Mint(full)), status: 401, errCode: "invalid_token", scope: allScopes, reason: "bad_signature"},
		{name: "bad crit", token: iss.MintWithHeader(map[string]any{"crit": []string{"exp"}}, full), status: 401, errCode: "invalid_token", scope: allScopes, reason: "crit"},
		{name: "empty crit", token: iss.MintWithHeader(map[string]any{"crit": []string{}}, full), status: 401, errCode: "invalid_token", scope: allScopes, reason: "crit"},
		{name: "alg header differs from the JWK alg", token: iss.MintWithHeader(map[string]any{"alg": "PS256"}, full), status: 401, errCode: "invalid_token", scope: allScopes, reason: "key_mismatch"},
		{name: "5-part JWE", token: b64(`{"alg":"RSA-OAEP","enc":"A256GCM"}`) + ".a2V5.aXY.Y2lwaGVy.dGFn", status: 401, errCode: "invalid_token", scope: allScopes, reason: "jwe"},
		{name: "two parts", token: b64(`{"alg":"RS256"}`) + "." + b64(`{}`), status: 401, errCode: "invalid_token", scope: allScopes, reason: "malformed"},
		{name: "padded base64", token: b64(`{"alg":"RS256"}`) + "." + b64(`{}`) + ".c2ln=", status: 401, errCode: "invalid_token", scope: allScopes, reason: "malformed"},
		{name: "header not an object", token: b64(`["alg"]`) + "." + b64(`{}`) + ".c2ln", status: 401, errCode: "invalid_token", scope: allScopes, reason: "malformed"},
		{name: "payload not JSON", token: strings.Split(iss.Mint(full), ".")[0] + "." + b64("not json") + ".c2ln", status: 401, errCode: "invalid_token", scope: allScopes, reason: "malformed"},
		{name: "oversized", token: iss.Mint(with(authtest.Claims{"pad": strings.Repeat("x", 9000)})), status: 401, errCode: "invalid_token", scope: allScopes, reason: "token_too_large"},
		{name: "exp of the wrong type", token: iss.Mint(with(authtest.Claims{"exp": "tomorrow"})), status: 401, errCode: "invalid_token", scope: allScopes, reason: "claim_type"},
		{name: "nbf of the wrong type", token: iss.Mint(with(authtest.Claims{"nbf": true})), status: 401, errCode: "invalid_token", scope: allScopes, reason: "claim_type"},
		{name: "aud of the wrong type", token: iss.Mint(with(authtest.Claims{"aud": 42})), status: 401, errCode: "invalid_token", scope: allScopes, reason: "claim_type"},
		{name: "aud array with a number", token: iss.Mint(with(authtest.Claims{"aud": []any{testResource, 7}})), status: 401, errCode: "invalid_token", scope: allScopes, reason: "claim_type"},
		{name: "iss of the wrong type", token: iss.Mint(with(authtest.Claims{"iss": []string{iss.URL}})), status: 401, errCode: "invalid_token", scope: allScopes, reason: "claim_type"},
		{name: "sub of the wrong type", token: iss.Mint(with(authtest.Claims{"sub": 12345})), status: 401, errCode: "invalid_token", scope: allScopes, reason: "claim_type"},
		{name: "scope of the wrong type grants nothing", token: iss.Mint(authtest.Claims{"scope": []string{"mcp"}}), status: 403, errCode: "insufficient_scope", scope: "mcp", reason: "insufficient_scope"},

		{name: "missing required scope", method: "GET", token: iss.Mint(authtest.Claims{"scope": "usr:read"}), status: 403, errCode: "insufficient_scope", scope: "mcp", reason: "insufficient_scope"},
		{name: "insufficient scope for a tool", body: toolCall("greet_user"), token: iss.Mint(authtest.Claims{"scope": "mcp"}), status: 403, errCode: "insufficient_scope", scope: "mcp usr:read", reason: "insufficient_scope"},
		{name: "insufficient scope for a tool in a batch", body: "[" + toolsList + "," + toolCall("greet_user") + "," + toolCall("admin_tool") + "]", token: iss.Mint(authtest.Claims{"scope": "mcp usr:read"}), status: 403, errCode: "insufficient_scope", scope: "admin mcp usr:read", reason: "insufficient_scope"},
		{name: "tool name matched case-insensitively as key like mcp-go", body: `{"jsonrpc":"2.0","id":1,"METHOD":"tools/call","Params":{"NAME":"greet_user"}}`, token: iss.Mint(authtest.Claims{"scope": "mcp"}), status: 403, errCode: "insufficient_scope", scope: "mcp usr:read", reason: "insufficient_scope"},
		{name: "duplicate name key: last wins like mcp-go", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"no_such_tool","name":"greet_user"}}`, token: iss.Mint(authtest.Claims{"scope": "mcp"}), status: 403, errCode: "insufficient_scope", scope: "mcp usr:read", reason: "insufficient_scope"},

		{name: "header and body Mcp-Method mismatch", body: toolCall("greet_user"), header: http.Header{"Authorization": {"Bearer " + iss.Mint(full)}, "Mcp-Method": {"tools/list"}}, status: 400, rpc: true},
		{name: "header and body Mcp-Name mismatch", body: toolCall("admin_tool"), header: http.Header{"Authorization": {"Bearer " + iss.Mint(authtest.Claims{"scope": "mcp usr:read"})}, "Mcp-Method": {"tools/call"}, "Mcp-Name": {"greet_user"}}, status: 400, rpc: true},
		{name: "matching Mcp headers accepted", body: toolCall("greet_user"), header: http.Header{"Authorization": {"Bearer " + iss.Mint(full)}, "Mcp-Method": {"tools/call"}, "Mcp-Name": {"greet_user"}}, status: 200},
		{name: "base64 Mcp-Name accepted", body: toolCall("greet_user"), header: http.Header{"Authorization": {"Bearer " + iss.Mint(full)}, "Mcp-Method": {"tools/call"}, "Mcp-Name": {"=?base64?Z3JlZXRfdXNlcg==?="}}, status: 200},
		{name: "body not JSON", body: `{"jsonrpc":"2.0",`, token: iss.Mint(full), status: 400, rpc: true},
		{name: "empty batch", body: `[]`, token: iss.Mint(full), status: 400, rpc: true},
		{name: "batch element not an object", body: `[` + toolsList + `, 3]`, token: iss.Mint(full), status: 400, rpc: true},
		{name: "method of the wrong type", body: `{"jsonrpc":"2.0","id":1,"method":7}`, token: iss.Mint(full), status: 400, rpc: true},
		{name: "tool name of the wrong type", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":["greet_user"]}}`, token: iss.Mint(full), status: 400, rpc: true},
		{name: "JWKS not loaded", token: iss.Mint(full), keys: neverLoadedJWKS, status: 503, errCode: "temporarily_unavailable", reason: "keys_unavailable"},
		{name: "body too large", body: toolCall(strings.Repeat("x", 2000)), token: iss.Mint(full), mutate: func(c *auth.MiddlewareConfig) { c.MaxBodyBytes = 1024 }, status: 413, rpc: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := iss.KeySet()
			if tt.keys != nil {
				keys = tt.keys(t)
			}
			e := newEnv(t, keys, iss, tt.mutate)
			method, target, body := tt.method, tt.target, tt.body
			if method == "" {
				method = "POST"
			}
			if target == "" {
				target = "/mcp"
			}
			if body == "" && method == "POST" {
				body = toolsList
			}
			header := tt.header
			if header == nil && tt.token != "" {
				header = bearer(tt.token)
			}
			w := e.do(method, target, body, header)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s; logs %s", w.Code, tt.status, w.Body.String(), e.logs.String())
			}
			secret := tt.token
			if secret == "" && header != nil {
				secret = strings.TrimPrefix(header.Get("Authorization"), "Bearer ")
			}
			if len(secret) > 20 {
				for name, vs := range w.Header() {
					if strings.Contains(strings.Join(vs, " "), secret) {
						t.Errorf("header %s echoes the token", name)
					}
				}
				if strings.Contains(w.Body.String(), secret) {
					t.Error("body echoes the token")
				}
				if strings.Contains(e.logs.String(), secret) || strings.Contains(e.logs.String(), strings.Split(secret, ".")[0]+".") {
					t.Error("logs contain the token")
				}
			}
			if tt.status == 200 {
				if e.seen == nil {
					t.Fatal("protected handler did not run")
				}
				if e.body != body && method == "POST" {
					t.Errorf("next handler read body %q, want %q", e.body, body)
				}
				if w.Header().Get("WWW-Authenticate") != "" {
					t.Error("success carries a challenge")
				}
				return
			}
			if e.seen != nil {
				t.Fatal("protected handler ran for a rejected request")
			}
			if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
			if tt.status == http.StatusServiceUnavailable {
				if w.Header().Get("Retry-After") == "" {
					t.Error("503 without Retry-After")
				}
				if len(w.Header().Values("WWW-Authenticate")) != 0 {
					t.Error("503 carries a challenge: the token was not judged")
				}
				if b := decodeErrBody(t, w); b.Error != tt.errCode || b.Description == "" {
					t.Errorf("body = %+v", b)
				}
				if !strings.Contains(e.logs.String(), "reason="+tt.reason) {
					t.Errorf("logs %q lack reason=%s", e.logs.String(), tt.reason)
				}
				return
			}
			if tt.rpc {
				var rb struct {
					JSONRPC string `json:"jsonrpc"`
					ID      any    `json:"id"`
					Error   struct {
						Code    int    `json:"code"`
						Message string `json:"message"`
					} `json:"error"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &rb); err != nil || rb.JSONRPC != "2.0" || rb.Error.Code == 0 || rb.Error.Message == "" {
					t.Errorf("body %q is not a JSON-RPC error (%v)", w.Body.String(), err)
				}
				if ct := w.Header().Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q", ct)
				}
				return
			}
			ch := w.Header().Values("WWW-Authenticate")
			if len(ch) != 1 {
				t.Fatalf("got %d WWW-Authenticate headers, want 1", len(ch))
			}
			params := parseChallenge(t, ch[0])
			want := map[string]bool{"resource_metadata": true}
			if params["resource_metadata"] != testMetadataURL {
				t.Errorf("resource_metadata = %q, want %q", params["resource_metadata"], testMetadataURL)
			}
			if tt.scope != "" {
				want["scope"] = true
				if params["scope"] != tt.scope {
					t.Errorf("scope = %q, want %q", params["scope"], tt.scope)
				}
			}
			if tt.errCode != "" {
				want["error"], want["error_description"] = true, true
				if params["error"] != tt.errCode {
					t.Errorf("error = %q, want %q", params["error"], tt.errCode)
				}
				if params["error_description"] == "" {
					t.Error("error_description is empty")
				}
			}
			for k := range params {
				if !want[k] {
					t.Errorf("unexpected challenge parameter %s=%q in %q", k, params[k], ch[0])
				}
			}
			for k := range want {
				if _, ok := params[k]; !ok {
					t.Errorf("challenge %q lacks %s", ch[0], k)
				}
			}
			b := decodeErrBody(t, w)
			wantErr := tt.errCode
			if wantErr == "" {
				wantErr = "unauthorized"
			}
			if b.Error != wantErr {
				t.Errorf("body error = %q, want %q", b.Error, wantErr)
			}
			if b.Description == "" || (tt.errCode != "" && b.Description != params["error_description"]) {
				t.Errorf("body description %q, challenge description %q", b.Description, params["error_description"])
			}
			if !strings.Contains(e.logs.String(), "reason="+tt.reason) {
				t.Errorf("logs %q lack reason=%s", e.logs.String(), tt.reason)
			}
		})
	}
}

// neverLoadedJWKS is a remote JWKS whose host has answered 503 since start.
func neverLoadedJWKS(t *testing.T) auth.KeySet {
	down := authtest.NewIssuer(t)
	down.SetJWKSAvailable(false)
	ks := remoteJWKS(t, down.JWKSURL, auth.JWKSOptions{})
	if ks.Ready() {
		t.Fatal("JWKS ready although its host is down")
	}
	return ks
}

// TestMiddlewareKeysNotLoaded: a JWKS that never loaded is a server-side
// condition: 503 temporarily_unavailable with Retry-After, not 401 or 500.
func TestMiddlewareKeysNotLoaded(t *testing.T) {
	iss := authtest.NewIssuer(t, authtest.WithAudience(testResource))
	iss.SetJWKSAvailable(false)
	ctx := t.Context()
	logs := &logBuffer{}
	ks, err := auth.NewRemoteJWKS(ctx, iss.JWKSURL, auth.JWKSOptions{Logger: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	if ks.Ready() {
		t.Fatal("Ready() = true with the JWKS down since start")
	}
	e := newEnv(t, ks, iss, nil)
	w := e.do("POST", "/mcp", toolsList, bearer(iss.Mint(authtest.Claims{"scope": "mcp"})))
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503; body %s", w.Code, w.Body.String())
	}
	if ra := w.Header().Get("Retry-After"); ra == "" {
		t.Error("no Retry-After")
	}
	if b := decodeErrBody(t, w); b.Error != "temporarily_unavailable" || b.Description == "" {
		t.Errorf("body = %+v", b)
	}
	if !strings.Contains(e.logs.String(), "reason=keys_unavailable") {
		t.Errorf("logs %q lack the reason", e.logs.String())
	}
	// A request without a token is still a plain 401 challenge.
	if w := e.do("POST", "/mcp", toolsList, nil); w.Code != http.StatusUnauthorized {
		t.Errorf("no token while keys are missing: status %d, want 401", w.Code)
	}
}

func TestMiddlewarePrincipal(t *testing.T) {
	e := newEnv(t, nil, nil, nil)
	tok := e.iss.Mint(authtest.Claims{"scope": "usr:read mcp", "scp": "extra", "azp": "ignored", "oid": "org-9", "sub": "u-1"})
	if w := e.do("POST", "/mcp", toolCall("greet_user"), bearer(tok)); w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body.String())
	}
	p := e.seen
	if p.Subject != "u-1" || p.ClientID != "client-123" || p.Organization != "org-9" || p.Issuer != e.iss.URL {
		t.Errorf("principal = %+v", p)
	}
	if got := strings.Join(p.Scopes, " "); got != "extra mcp usr:read" {
		t.Errorf("scopes = %q", got)
	}
	if len(p.Audience) != 1 || p.Audience[0] != testResource {
		t.Errorf("audience = %v", p.Audience)
	}
	if time.Until(p.ExpiresAt) < 4*time.Minute || time.Since(p.IssuedAt) > time.Minute {
		t.Errorf("times exp=%v iat=%v", p.ExpiresAt, p.IssuedAt)
	}
	if p.Claims["oid"] != "org-9" {
		t.Errorf("raw claims = %v", p.Claims)
	}
}

func TestMiddlewareConfigErrors(t *testing.T) {
	iss := authtest.NewIssuer(t)
	v := iss.Validator()
	for name, cfg := range map[string]auth.MiddlewareConfig{
		"no validator":        {ResourceMetadataURL: testMetadataURL},
		"relative metadata":   {Validator: v, ResourceMetadataURL: "/.well-known/oauth-protected-resource"},
		"no metadata":         {Validator: v},
		"bad scope":           {Validator: v, ResourceMetadataURL: testMetadataURL, Scopes: auth.ScopePolicy{Required: []string{"a b"}}},
		"bad tool scope":      {Validator: v, ResourceMetadataURL: testMetadataURL, Scopes: auth.ScopePolicy{Tools: map[string][]string{"t": {`x"y`}}}},
		"negative body limit": {Validator: v, ResourceMetadataURL: testMetadataURL, MaxBodyBytes: -1},
	} {
		if _, err := auth.Middleware(cfg); err == nil {
			t.Errorf("%s: Middleware accepted the config", name)
		}
	}
}

func TestMiddlewareChallengeScopesOverride(t *testing.T) {
	e := newEnv(t, nil, nil, func(c *auth.MiddlewareConfig) { c.ChallengeScopes = []string{"usr:read", "mcp", "usr:read"} })
	w := e.do("GET", "/mcp", "", nil)
	if got := parseChallenge(t, w.Header().Get("WWW-Authenticate"))["scope"]; got != "mcp usr:read" {
		t.Errorf("scope = %q, want %q", got, "mcp usr:read")
	}
	e = newEnv(t, nil, nil, func(c *auth.MiddlewareConfig) { c.ChallengeScopes = []string{}; c.Scopes = auth.ScopePolicy{} })
	w = e.do("GET", "/mcp", "", nil)
	if got := w.Header().Get("WWW-Authenticate"); got != `Bearer resource_metadata="`+testMetadataURL+`"` {
		t.Errorf("challenge = %q", got)
	}
}

// funcValidator is a custom TokenValidator.
type funcValidator func() (*auth.Principal, error)

func (f funcValidator) Validate(context.Context, string) (*auth.Principal, error) { return f() }

// TestMiddlewareCustomValidatorNever500: whatever a custom validator
// returns, the middleware answers 401 (or the validator's own 4xx/503), never
// 500, never the internal error text, and never calls next without a
// principal.
func TestMiddlewareCustomValidatorNever500(t *testing.T) {
	for name, tt := range map[string]struct {
		f      funcValidator
		status int
	}{
		"foreign error":         {func() (*auth.Principal, error) { return nil, context.DeadlineExceeded }, 401},
		"nil principal, no err": {func() (*auth.Principal, error) { return nil, nil }, 401},
		"status 500 Error": {func() (*auth.Principal, error) {
			return nil, &auth.Error{Status: 500, Code: "server_error", Err: context.DeadlineExceeded}
		}, 401},
		"status 0 Error": {func() (*auth.Principal, error) { return nil, &auth.Error{Err: context.DeadlineExceeded} }, 401},
		"own 403": {func() (*auth.Principal, error) {
			return nil, &auth.Error{Status: 403, Code: "insufficient_scope", Description: "x"}
		}, 403},
		"own 503": {func() (*auth.Principal, error) {
			return nil, &auth.Error{Status: 503, Code: "temporarily_unavailable", Description: "x"}
		}, 503},
	} {
		mw, err := auth.Middleware(auth.MiddlewareConfig{Validator: tt.f, ResourceMetadataURL: testMetadataURL, Logger: (&logBuffer{}).logger()})
		if err != nil {
			t.Fatal(err)
		}
		called := false
		e := &env{h: mw(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })), logs: &logBuffer{}}
		w := e.do("GET", "/mcp", "", bearer("abc.def.ghi"))
		if w.Code != tt.status || called {
			t.Errorf("%s: status %d (next called: %v), want %d", name, w.Code, called, tt.status)
		}
		if strings.Contains(w.Body.String(), "deadline") || strings.Contains(w.Header().Get("WWW-Authenticate"), "deadline") {
			t.Errorf("%s: internal error text leaked", name)
		}
	}
}

// TestMiddlewareOnAuthenticated: the hook sees the principal of every valid
// token before the body is read and the scopes are checked, so a per-caller
// limit counts requests later refused with 403; returning false ends the
// request with the hook's answer; invalid tokens never reach it.
func TestMiddlewareOnAuthenticated(t *testing.T) {
	var seen []string
	admit := true
	e := newEnv(t, nil, nil, func(c *auth.MiddlewareConfig) {
		c.OnAuthenticated = func(w http.ResponseWriter, r *http.Request, p *auth.Principal) bool {
			seen = append(seen, p.Subject)
			if !admit {
				w.WriteHeader(http.StatusTooManyRequests)
			}
			return admit
		}
	})
	lacking := e.iss.Mint(authtest.Claims{"sub": "alice", "scope": "mcp"})
	if w := e.do(http.MethodPost, "/mcp", toolCall("greet_user"), bearer(lacking)); w.Code != http.StatusForbidden {
		t.Fatalf("token without usr:read: status %d, want 403", w.Code)
	}
	if w := e.do(http.MethodPost, "/mcp", toolCall("greet_user"), bearer("not-a-jwt")); w.Code != http.StatusUnauthorized {
		t.Fatalf("invalid token: status %d, want 401", w.Code)
	}
	if len(seen) != 1 || seen[0] != "alice" {
		t.Fatalf("hook saw %v, want [alice] (the 403 request only)", seen)
	}

	admit = false
	full := e.iss.Mint(authtest.Claims{"sub": "bob", "scope": "mcp usr:read"})
	w := e.do(http.MethodPost, "/mcp", toolCall("greet_user"), bearer(full))
	if w.Code != http.StatusTooManyRequests || e.seen != nil || e.body != "" {
		t.Errorf("refused by the hook: status %d, handler saw %v, body %q; want 429 and no handler call", w.Code, e.seen, e.body)
	}
}
