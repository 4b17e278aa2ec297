package auth

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
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
	// A memo holding the header of a valid token, as after its verification: it
	// must change no answer (its segment's tokens pre-parse as without it).
	memo := &headerMemo{}
	valid := hdr(`{"alg":"RS256","kid":"k1","typ":"at+jwt"}`)
	vh, err := parseHeader(valid)
	if err != nil {
		f.Fatal(err)
	}
	memo.add(valid, vh)
	f.Add(valid + ".e30.c2ln")
	f.Add(valid + ".e30")
	f.Add(valid + ".e=30.c2ln")
	f.Fuzz(func(t *testing.T, tok string) {
		h, err := preParse(tok, DefaultMaxTokenBytes, nil)
		if hm, errm := preParse(tok, DefaultMaxTokenBytes, memo); hm != h || (err == nil) != (errm == nil) || err != nil && err.Error() != errm.Error() {
			t.Fatalf("with the memo: %+v, %v; without: %+v, %v", hm, errm, h, err)
		}
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

// FuzzParseRPC: body inspection never panics; it reads exactly what
// encoding/json decodes from the same bytes into the shapes the middleware
// decoded before its single-pass reader (parseRPCReference), refusals
// included; a body it accepts is valid JSON; and wherever mcp-go's own request
// structs decode a message, they hold the same method and the same tool name,
// prompt name or resource URI, so the check and the dispatch never disagree.
func FuzzParseRPC(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet_user","arguments":{"name":"Ada"}}}`,
		`[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x"}}]`,
		`{"METHOD":"tools/call","PARAMS":{"Name":"a","name":"b"}}`, `[]`, `[1]`, `{"method":1}`, `null`, ``, ` `,
		`{"method":"tools/call","params":null}`, `{"method":"tools/call","params":[]}`, `{"method":"resources/read","params":{"uri":"file:///x"}}`,
		`{"method":"tools/call","params":{"name":"a","arguments":"x"}}`, "{\"method\":\"tools/call\",\"params\":{\"name\":\"\xff\"}}",
		`{"params":{"name":"a"},"method":"tools/call","method":null}`, `{"method":"tools/call","params":{"name":"a"},"params":null}`,
		`{"\u006dethod":"tools/call","param\u017f":{"n\u0041me":"a\u00e9\ud800"}}`, `{"method":"prompts/get","params":{"name":null,"name":"p"}}`,
		`[{"method":"tools/call","params":{"name":"a"}} , null]`, `{"method":"tools/call","params":{"name":1}}`, `{"method":"tools/call","params":"x"}`,
		`{"method":"resources/read","params":{"URI":"a","uri":"b","arguments":{"uri":"c"}}}`, ` [ ] `, `{"method":"tools/call"} x`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		calls, berr := parseRPC([]byte(body))
		want, werr := parseRPCReference([]byte(body))
		if (berr == nil) != (werr == nil) || berr != nil && *berr != *werr || !slices.Equal(calls, want) {
			t.Fatalf("parseRPC(%q) = %+v, %+v; encoding/json reads %+v, %+v", body, calls, berr, want, werr)
		}
		if berr != nil {
			if berr.status != http.StatusBadRequest || berr.message == "" {
				t.Fatalf("bad rejection %+v", berr)
			}
			return
		}
		if !json.Valid([]byte(body)) || len(calls) == 0 {
			t.Fatalf("accepted %q", body)
		}
		// The middleware must read the same method and name as mcp-go, which
		// decodes each message into these shapes (server/request_handler.go).
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
			name, decoded := "", false
			switch mcp.MCPMethod(calls[i].method) {
			case mcp.MethodToolsCall:
				var req mcp.CallToolRequest
				decoded, name = json.Unmarshal(raw, &req) == nil, req.Params.Name
			case mcp.MethodPromptsGet:
				var req mcp.GetPromptRequest
				decoded, name = json.Unmarshal(raw, &req) == nil, req.Params.Name
			case mcp.MethodResourcesRead:
				var req mcp.ReadResourceRequest
				decoded, name = json.Unmarshal(raw, &req) == nil, req.Params.URI
			}
			if decoded && name != calls[i].name {
				t.Fatalf("%s names %q, mcp-go reads %q", calls[i].method, calls[i].name, name)
			}
		}
	})
}

// parseRPCReference is the reader parseRPC replaced: encoding/json decoding the
// message into the fields mcp-go decodes, then params again into a struct with
// the one field the scope decision reads. FuzzParseRPC holds parseRPC to it.
func parseRPCReference(body []byte) ([]rpcCall, *bodyError) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, &bodyError{status: http.StatusBadRequest, rpcCode: rpcParseError, message: "request body is empty; expected a JSON-RPC message"}
	}
	if trimmed[0] != '[' {
		c, err := parseOneRPCReference(body)
		if err != nil {
			return nil, err
		}
		return []rpcCall{c}, nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(body, &elems); err != nil {
		return nil, &bodyError{status: http.StatusBadRequest, rpcCode: rpcParseError, message: "request body is not valid JSON"}
	}
	if len(elems) == 0 {
		return nil, &bodyError{status: http.StatusBadRequest, rpcCode: rpcInvalidRequest, message: "empty JSON-RPC batch"}
	}
	calls := make([]rpcCall, 0, len(elems))
	for _, e := range elems {
		c, err := parseOneRPCReference(e)
		if err != nil {
			return nil, err
		}
		calls = append(calls, c)
	}
	return calls, nil
}

func parseOneRPCReference(raw []byte) (rpcCall, *bodyError) {
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return rpcCall{}, &bodyError{status: http.StatusBadRequest, rpcCode: rpcInvalidRequest, message: "a JSON-RPC message must be a JSON object"}
	}
	var env struct {
		Method mcp.MCPMethod   `json:"method,omitempty"`
		Params json.RawMessage `json:"params"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return rpcCall{}, &bodyError{status: http.StatusBadRequest, rpcCode: rpcParseError, message: "request body is not a valid JSON-RPC message"}
	}
	c := rpcCall{method: string(env.Method)}
	if len(env.Params) == 0 {
		return c, nil
	}
	var p struct {
		Name string `json:"name"`
	}
	var q struct {
		URI string `json:"uri"`
	}
	var err error
	switch env.Method {
	case mcp.MethodToolsCall, mcp.MethodPromptsGet:
		err = json.Unmarshal(env.Params, &p)
		c.name = p.Name
	case mcp.MethodResourcesRead:
		err = json.Unmarshal(env.Params, &q)
		c.name = q.URI
	default:
		return c, nil
	}
	if err != nil {
		return rpcCall{}, &bodyError{status: http.StatusBadRequest, rpcCode: rpcInvalidParams, message: "invalid " + string(env.Method) + " params"}
	}
	c.hasName = true
	return c, nil
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

// BenchmarkParseRPC compares parseRPC with the encoding/json reader it replaced, on
// a tools/call body.
func BenchmarkParseRPC(b *testing.B) {
	body := []byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"greet_user","arguments":{"name":"Ada Lovelace"},"_meta":{"progressToken":7}}}`)
	for _, r := range []struct {
		name  string
		parse func([]byte) ([]rpcCall, *bodyError)
	}{{"single-pass", parseRPC}, {"encoding-json", parseRPCReference}} {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if calls, err := r.parse(body); err != nil || calls[0].name != "greet_user" {
					b.Fatal(calls, err)
				}
			}
		})
	}
}
