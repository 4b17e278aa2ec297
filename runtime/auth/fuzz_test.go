package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/MicahParks/jwkset"
	"github.com/mark3labs/mcp-go/mcp"
)

// FuzzExtractBearerToken: any Authorization header value either yields a
// non-empty token68 token that round-trips, or an *Error that is a 400
// invalid_request or a 401 without error code. Never a panic.
func FuzzExtractBearerToken(f *testing.F) {
	for _, s := range []string{
		"Bearer abc.def.ghi", "bearer abc", "BEARER a-b_c~d+e/f==", "Bearer", "Bearer ", "Bearer  two-spaces",
		"Basic dXNlcjpwYXNz", "Bearer a b", "Bearer a\tb", "Bearer abc=def", "Bearer ===", "Digest x=\"y\"",
		"Bearer\tabc", " Bearer abc ", "Bearer \x00", "Bearer é", "Bearer a,b", "", "Bearer a=b=", "Bear er",
	} {
		f.Add(s, false)
	}
	f.Add("Bearer abc", true)
	f.Fuzz(func(t *testing.T, value string, twice bool) {
		h := http.Header{"Authorization": {value}}
		if twice {
			h["Authorization"] = append(h["Authorization"], value)
		}
		tok, err := ExtractBearerToken(h)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error", err)
			}
			switch {
			case e.Status == http.StatusBadRequest && e.Code == CodeInvalidRequest:
			case e.Status == http.StatusUnauthorized && e.Code == "" && errors.Is(err, ErrNoToken):
			default:
				t.Fatalf("unexpected error status %d code %q", e.Status, e.Code)
			}
			if tok != "" {
				t.Fatal("token returned with an error")
			}
			if e.Description == "" {
				t.Fatal("rejection without a description")
			}
			return
		}
		if twice {
			t.Fatal("two Authorization headers accepted")
		}
		if !isToken68(tok) {
			t.Fatalf("token %q is not token68", tok)
		}
		if !strings.HasSuffix(strings.TrimRight(value, " \t"), tok) {
			t.Fatalf("token %q is not the end of the header %q", tok, value)
		}
		again, err := ExtractBearerToken(http.Header{"Authorization": {"Bearer " + tok}})
		if err != nil || again != tok {
			t.Fatalf("round trip of %q: %q, %v", tok, again, err)
		}
	})
}

// FuzzPreParse: the pre-parser never panics, every rejection is a 401
// invalid_token, and anything it accepts is three base64url parts with a
// header JSON object that has a string alg and no crit.
func FuzzPreParse(f *testing.F) {
	hdr := func(s string) string { return b64url(s) }
	for _, s := range []string{
		hdr(`{"alg":"RS256","kid":"k","typ":"at+jwt"}`) + "." + hdr(`{"sub":"x"}`) + ".c2ln",
		hdr(`{"alg":"none"}`) + "." + hdr(`{}`) + ".",
		hdr(`{"alg":"RS256","crit":["exp"]}`) + "." + hdr(`{}`) + ".c2ln",
		hdr(`{"alg":"RS256","crit":null}`) + "." + hdr(`{}`) + ".c2ln",
		hdr(`{"alg":"RSA-OAEP","enc":"A256GCM"}`) + ".a.b.c.d",
		hdr(`{"alg":5}`) + "." + hdr(`{}`) + ".c2ln",
		hdr(`{"alg":"RS256","kid":7}`) + "." + hdr(`{}`) + ".c2ln",
		hdr(`{"alg":"RS256","alg":"none"}`) + "." + hdr(`{}`) + ".c2ln",
		hdr(`[]`) + "." + hdr(`{}`) + ".c2ln",
		hdr(`null`) + "." + hdr(`{}`) + ".c2ln",
		"a.b.c", "..", "a..c", "a.b", "a.b.c.d", "a.b.c=", "+.+.+", strings.Repeat("A", 9000),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		h, err := preParse(tok, DefaultMaxTokenBytes)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status != http.StatusUnauthorized || e.Code != CodeInvalidToken || e.Reason == "" {
				t.Fatalf("rejection %v is not a 401 invalid_token *Error", err)
			}
			return
		}
		if len(tok) > DefaultMaxTokenBytes || strings.Count(tok, ".") != 2 || h.Alg == "" {
			t.Fatalf("accepted %q (header %+v)", tok, h)
		}
		raw, err := b64urlDecode(strings.Split(tok, ".")[0])
		if err != nil {
			t.Fatalf("accepted a header that is not base64url: %v", err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("accepted a header that is not a JSON object: %v", err)
		}
		if _, ok := m["crit"]; ok {
			t.Fatal("accepted a crit header")
		}
	})
}

// FuzzParseRPC: body inspection never panics, and a body it accepts is
// valid JSON whose messages all have string methods.
func FuzzParseRPC(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet_user","arguments":{"name":"Ada"}}}`,
		`[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x"}}]`,
		`{"METHOD":"tools/call","PARAMS":{"Name":"a","name":"b"}}`, `[]`, `[1]`, `{"method":1}`, `null`, ``, ` `,
		`{"method":"tools/call","params":null}`, `{"method":"tools/call","params":[]}`, `{"method":"resources/read","params":{"uri":"file:///x"}}`,
		`{"method":"tools/call","params":{"name":"a","arguments":"x"}}`, "{\"method\":\"tools/call\",\"params\":{\"name\":\"\xff\"}}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		calls, berr := parseRPC([]byte(body))
		if berr != nil {
			if berr.status != http.StatusBadRequest || berr.message == "" {
				t.Fatalf("bad rejection %+v", berr)
			}
			return
		}
		if !json.Valid([]byte(body)) || len(calls) == 0 {
			t.Fatalf("accepted %q", body)
		}
		// The middleware must read the same method and tool name as
		// mcp-go, which decodes each message into these shapes.
		var elems []json.RawMessage
		if err := json.Unmarshal([]byte(body), &elems); err != nil {
			elems = []json.RawMessage{json.RawMessage(body)}
		}
		if len(elems) != len(calls) {
			t.Fatalf("%d calls for %d messages", len(calls), len(elems))
		}
		for i, raw := range elems {
			var base struct {
				JSONRPC string        `json:"jsonrpc"`
				Method  mcp.MCPMethod `json:"method"`
				ID      any           `json:"id,omitempty"`
				Result  any           `json:"result,omitempty"`
			}
			if err := json.Unmarshal(raw, &base); err == nil && string(base.Method) != calls[i].method {
				t.Fatalf("method %q, mcp-go reads %q", calls[i].method, base.Method)
			}
			if calls[i].method != string(mcp.MethodToolsCall) {
				continue
			}
			var req mcp.CallToolRequest
			if err := json.Unmarshal(raw, &req); err == nil && req.Params.Name != calls[i].name {
				t.Fatalf("tool %q, mcp-go reads %q", calls[i].name, req.Params.Name)
			}
		}
	})
}

// FuzzValidate: arbitrary tokens never panic the whole validation path
// (pre-parse, golang-jwt, key lookup, claims) and are never accepted.
func FuzzValidate(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	jwk, err := jwkset.NewJWKFromKey(&key.PublicKey, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: "k1", ALG: "ES256"}})
	if err != nil {
		f.Fatal(err)
	}
	raw, _ := json.Marshal(map[string]any{"keys": []any{jwk.Marshal()}})
	ks, err := NewStaticJWKS(raw)
	if err != nil {
		f.Fatal(err)
	}
	v, err := NewValidator(ValidatorConfig{Issuers: []string{"https://iss"}, Audiences: []string{"https://aud"}}, ks)
	if err != nil {
		f.Fatal(err)
	}
	h := b64url(`{"alg":"ES256","kid":"k1"}`)
	for _, p := range []string{`{"iss":"https://iss","aud":"https://aud","exp":9999999999}`, `{"exp":"x"}`, `{"aud":[1,2]}`, `[]`, `{"exp":1e400}`, `{"iat":-1e30,"exp":1e30}`} {
		f.Add(h + "." + b64url(p) + "." + b64url(strings.Repeat("s", 64)))
	}
	f.Add(b64url(`{"alg":"ES256"}`) + "." + b64url(`{}`) + ".AAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		p, err := v.Validate(context.Background(), tok)
		if err == nil || p != nil {
			t.Fatalf("accepted a fuzzed token %q", tok)
		}
		var e *Error
		if !errors.As(err, &e) || e.Status != http.StatusUnauthorized || e.Description == "" {
			t.Fatalf("rejection %v is not a 401 *Error with a description", err)
		}
	})
}
