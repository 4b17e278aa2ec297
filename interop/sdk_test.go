package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// sdkLine is one line the TypeScript client prints: an HTTP exchange of its flow, a
// milestone, or the final result.
type sdkLine struct {
	Step                 string       `json:"step"`
	Method               string       `json:"method"`
	URL                  string       `json:"url"`
	Status               int          `json:"status"`
	Challenge            string       `json:"challenge"`
	Resource             string       `json:"resource"`
	AuthorizationServers []string     `json:"authorization_servers"`
	GrantedScope         *string      `json:"granted_scope"`
	AccessToken          *tokenClaims `json:"access_token"`
	Error                string       `json:"error"`
	ProtocolVersion      string       `json:"protocol_version"`
	Tools                []string     `json:"tools"`

	Result  string `json:"result"`
	Text    string `json:"text"`
	Message string `json:"message"`
}

// tokenClaims is what the client saw inside the access token it was issued.
type tokenClaims struct {
	Typ      string `json:"typ"`
	Alg      string `json:"alg"`
	Iss      string `json:"iss"`
	Aud      any    `json:"aud"`
	Scope    string `json:"scope"`
	ClientID string `json:"client_id"`
}

// runSDKClient runs sdk-client.mjs for one client and returns its lines; each is logged.
func runSDKClient(t *testing.T, w *world, clientID, expect string) []sdkLine {
	t.Helper()
	return runNodeFlow(t, w.peers, "sdk-client.mjs", "ts-sdk "+clientID, w.server.Log.String, describe, []string{
		"MCP_URL=" + w.MCPURL,
		"AS_ISSUER=" + w.as.Issuer,
		"CLIENT_ID=" + clientID,
		"CLIENT_SECRET=" + w.secrets[clientID],
		"SCOPE=usr:read", // what greet_user needs; the authorization server decides what is granted
		"EXPECT=" + expect,
	})
}

// runNodeFlow runs one of the Node clients with env added and returns the JSON lines it
// printed; each is logged under label as describe renders it. On failure it shows
// stderr and serverLog().
func runNodeFlow[L any](t *testing.T, p *peers, script, label string, serverLog func() string, describe func(L) string, env []string) []L {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := p.command(ctx, script)
	cmd.Env = append(cmd.Env, env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if jwtLike.Match(out) {
		t.Errorf("%s printed something shaped like a JWT: tokens must never be printed", script)
	}
	var lines []L
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var l L
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			t.Logf("%s: %s", label, sc.Text())
			continue
		}
		t.Logf("%s: %s", label, describe(l))
		lines = append(lines, l)
	}
	if err != nil {
		t.Errorf("%s: %v\nstderr:\n%s\nserver log:\n%s", script, err, stderr.String(), serverLog())
	}
	return lines
}

// jwtLike matches a JWS compact serialisation (base64url of `{"` twice, dot-separated).
var jwtLike = regexp.MustCompile(`eyJ[\w-]+\.eyJ[\w-]+`)

// describe renders one line of the flow for the test log.
func describe(l sdkLine) string {
	switch {
	case l.Result != "":
		return "result: " + l.Result + " " + l.Text + l.Message
	case l.Step == "connected":
		return "connected, protocol version " + l.ProtocolVersion
	case l.Step == "tools listed":
		return "tools listed: " + strings.Join(l.Tools, ", ")
	}
	s := fmt.Sprintf("%s: %s %s → %d", l.Step, l.Method, l.URL, l.Status)
	if l.Challenge != "" {
		s += " WWW-Authenticate: " + l.Challenge
	}
	if l.Step == "resource metadata" && l.Resource != "" {
		s += " resource=" + l.Resource + " authorization_servers=" + strings.Join(l.AuthorizationServers, ",")
	}
	if l.AccessToken != nil {
		c := l.AccessToken
		s += fmt.Sprintf(" granted scope=%q; access token: typ=%s alg=%s iss=%s aud=%v scope=%q client_id=%s",
			deref(l.GrantedScope), c.Typ, c.Alg, c.Iss, c.Aud, c.Scope, c.ClientID)
	}
	if l.Error != "" {
		s += " error: " + l.Error
	}
	return s
}

// check is one expected step of a flow of lines L: the first line at or after the
// previous match for which ok holds.
type check[L any] struct {
	what string
	ok   func(L) bool
}

// flowCheck is a step of the client credentials flows.
type flowCheck = check[sdkLine]

// wantFlow checks that lines contain the checks in order.
func wantFlow[L any](t *testing.T, lines []L, checks ...check[L]) {
	t.Helper()
	i := 0
	for _, c := range checks {
		for i < len(lines) && !c.ok(lines[i]) {
			i++
		}
		if i == len(lines) {
			t.Errorf("flow step missing (in order): %s", c.what)
			return
		}
		i++
	}
}

// discoveryFlow is the part of both clients' flows before they hold a token: the
// challenge, the protected resource metadata and the authorization server metadata.
func discoveryFlow(w *world) []flowCheck {
	prm := w.URL + "/.well-known/oauth-protected-resource/mcp"
	return []flowCheck{
		{"401 with resource_metadata on the first MCP request, without a token", func(l sdkLine) bool {
			return l.Step == "mcp POST initialize" && l.Status == 401 &&
				strings.Contains(l.Challenge, `resource_metadata="`+prm+`"`) && strings.Contains(l.Challenge, `scope="usr:read"`)
		}},
		{"protected resource metadata naming this server and the authorization server", func(l sdkLine) bool {
			return l.Step == "resource metadata" && l.URL == prm && l.Status == 200 && l.Resource == w.MCPURL &&
				len(l.AuthorizationServers) == 1 && l.AuthorizationServers[0] == w.as.Issuer
		}},
		{"authorization server metadata", func(l sdkLine) bool {
			return l.Step == "authorization server metadata" && l.Status == 200 && strings.HasPrefix(l.URL, w.as.Issuer+"/.well-known/")
		}},
	}
}

// tokenStep expects a JWT access token (RFC 9068) for this server, with or without usr:read.
func tokenStep(w *world, clientID string, withRead bool) flowCheck {
	return flowCheck{"token for " + clientID + ": typ at+jwt, aud = the MCP URL", func(l sdkLine) bool {
		if l.Step != "token" || l.Status != 200 || l.AccessToken == nil {
			return false
		}
		c := l.AccessToken
		return c.Typ == "at+jwt" && c.Iss == w.as.Issuer && c.ClientID == clientID && audIs(c.Aud, w.MCPURL) &&
			hasScope(c.Scope, "usr:read") == withRead
	}}
}

func testSDKReader(t *testing.T, w *world) {
	lines := runSDKClient(t, w, readerClient, "greeting")
	checks := append(discoveryFlow(w),
		tokenStep(w, readerClient, true),
		flowCheck{"initialize with the token", func(l sdkLine) bool { return l.Step == "mcp POST initialize" && l.Status == 200 }},
		flowCheck{"tools/list shows greet_user", func(l sdkLine) bool {
			return l.Step == "tools listed" && len(l.Tools) == 1 && l.Tools[0] == "greet_user"
		}},
		flowCheck{"tools/call greet_user answered 200", func(l sdkLine) bool { return l.Step == "mcp POST tools/call" && l.Status == 200 }},
		flowCheck{"the greeting", func(l sdkLine) bool {
			return l.Result == "greeting" && l.Text == "Hi Ada, welcome to "+serverName+"!"
		}},
	)
	wantFlow(t, lines, checks...)
	for _, l := range lines {
		if l.Step == "mcp POST tools/call" && l.Status != 200 {
			t.Errorf("reader's tools/call answered %d: %s", l.Status, l.Challenge)
		}
	}
}

func testSDKLimited(t *testing.T, w *world) {
	lines := runSDKClient(t, w, limitedClient, "insufficient_scope")
	insufficient := func(l sdkLine) bool {
		return l.Step == "mcp POST tools/call" && l.Status == 403 &&
			strings.Contains(l.Challenge, `error="insufficient_scope"`) && strings.Contains(l.Challenge, `scope="usr:read"`) &&
			strings.Contains(l.Challenge, `resource_metadata="`+w.URL+`/.well-known/oauth-protected-resource/mcp"`)
	}
	checks := append(discoveryFlow(w),
		tokenStep(w, limitedClient, false),
		flowCheck{"initialize with the token", func(l sdkLine) bool { return l.Step == "mcp POST initialize" && l.Status == 200 }},
		flowCheck{"tools/call greet_user refused: 403 insufficient_scope naming usr:read", insufficient},
		// The SDK steps up once: it asks the authorization server again, which still
		// does not grant usr:read, and the server refuses again.
		tokenStep(w, limitedClient, false),
		flowCheck{"tools/call refused again after the step-up", insufficient},
		flowCheck{"the client gives up with 403", func(l sdkLine) bool { return l.Result == "http error" }},
	)
	wantFlow(t, lines, checks...)
	for _, l := range lines {
		if l.Result == "greeting" || (l.Step == "mcp POST tools/call" && l.Status == 200) {
			t.Errorf("the client without usr:read was greeted: %+v", l)
		}
	}
}

func audIs(aud any, want string) bool {
	switch a := aud.(type) {
	case string:
		return a == want
	case []any:
		for _, v := range a {
			if v == want {
				return true
			}
		}
	}
	return false
}

func hasScope(scopes, want string) bool {
	return slices.Contains(strings.Fields(scopes), want)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
