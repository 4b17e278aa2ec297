package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/internal/harness"
)

// authLine is one line of sdk-authcode.mjs: sdkLine's fields plus the facts of the
// registration, the consent page and the callback.
type authLine struct {
	sdkLine
	Issuer              string   `json:"issuer"`
	ClientIDIssued      bool     `json:"client_id_issued"`
	RedirectURIs        []string `json:"redirect_uris"`
	CodeChallengeMethod string   `json:"code_challenge_method"`
	CodeChallengeSent   bool     `json:"code_challenge_sent"`
	Scope               string   `json:"scope"`
	RedirectURI         string   `json:"redirect_uri"`
	StateSent           bool     `json:"state_sent"`
	ConsentShowsScope   bool     `json:"consent_shows_scope"`
	ApproveFound        bool     `json:"approve_found"`
	ToCallback          bool     `json:"to_callback"`
	CodeReceived        bool     `json:"code_received"`
	StateMatches        bool     `json:"state_matches"`
	Iss                 string   `json:"iss"`
	GrantType           string   `json:"grant_type"`
	CodeVerifierSent    bool     `json:"code_verifier_sent"`
}

func describeAuth(l authLine) string {
	switch l.Step {
	case "register":
		return fmt.Sprintf("register: POST %s → %d client_id issued=%v redirect_uris=%v", l.URL, l.Status, l.ClientIDIssued, l.RedirectURIs)
	case "authorize":
		return fmt.Sprintf("authorize: GET %s → %d code_challenge_method=%s scope=%q resource=%s redirect_uri=%s; consent shows scope=%v, approve link=%v",
			l.URL, l.Status, l.CodeChallengeMethod, l.Scope, l.Resource, l.RedirectURI, l.ConsentShowsScope, l.ApproveFound)
	case "approve":
		return fmt.Sprintf("approve: GET %s → %d, redirects to the loopback callback=%v", l.URL, l.Status, l.ToCallback)
	case "callback":
		return fmt.Sprintf("callback: code received=%v state matches=%v iss=%s", l.CodeReceived, l.StateMatches, l.Iss)
	case "token":
		return describe(l.sdkLine) + fmt.Sprintf(" (grant_type=%s, code_verifier sent=%v, resource=%s)", l.GrantType, l.CodeVerifierSent, l.Resource)
	}
	return describe(l.sdkLine)
}

// TestDevAuthorizationCode runs the TypeScript SDK's authorization code flow against
// `mcpgen dev` on a project generated with the defaults, as a desktop client would:
// no token and no client id at the start, discovery from the 401, dynamic client
// registration, the consent page approved over HTTP (no browser), the code exchanged
// with PKCE S256, then greet_user over Streamable HTTP.
func TestDevAuthorizationCode(t *testing.T) {
	start := time.Now()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	p := installPeers(t)
	const name = "dev-server"
	cli, project := harness.GenerateProject(t, root, name)
	dev := harness.StartDev(t, cli, project, withoutServerSettings(os.Environ()))
	proc, mcpURL, issuer := dev.Process, dev.MCPURL, dev.Issuer
	t.Logf("mcpgen dev up in %v: MCP server %s, authorization server %s", time.Since(start).Round(time.Millisecond), mcpURL, issuer)

	flowStart := time.Now()
	lines := runNodeFlow(t, p, "sdk-authcode.mjs", "ts-sdk authcode", proc.Log.String, describeAuth,
		[]string{"MCP_URL=" + mcpURL, "SCOPE=usr:read"})
	t.Logf("the SDK's authorization code flow took %v", time.Since(flowStart).Round(time.Millisecond))

	prm := strings.TrimSuffix(mcpURL, "/mcp") + "/.well-known/oauth-protected-resource/mcp"
	var redirectURI string // what the client registered
	wantFlow(t, lines,
		check[authLine]{"401 with resource_metadata on the first MCP request, without a token", func(l authLine) bool {
			return l.Step == "mcp POST initialize" && l.Status == 401 && strings.Contains(l.Challenge, `resource_metadata="`+prm+`"`)
		}},
		check[authLine]{"protected resource metadata naming this server and the dev authorization server", func(l authLine) bool {
			return l.Step == "resource metadata" && l.URL == prm && l.Status == 200 && l.Resource == mcpURL &&
				len(l.AuthorizationServers) == 1 && l.AuthorizationServers[0] == issuer
		}},
		check[authLine]{"authorization server metadata with the dev issuer", func(l authLine) bool {
			return l.Step == "authorization server metadata" && l.Status == 200 && l.Issuer == issuer
		}},
		check[authLine]{"dynamic client registration: 201, a client id, the loopback redirect URI", func(l authLine) bool {
			if l.Step != "register" || l.Status != 201 || !l.ClientIDIssued || len(l.RedirectURIs) != 1 {
				return false
			}
			redirectURI = l.RedirectURIs[0]
			return strings.HasPrefix(redirectURI, "http://127.0.0.1:")
		}},
		check[authLine]{"authorize: consent page for usr:read, PKCE S256, the resource, the registered redirect URI", func(l authLine) bool {
			return l.Step == "authorize" && l.Status == 200 && l.CodeChallengeMethod == "S256" && l.CodeChallengeSent &&
				l.Resource == mcpURL && l.RedirectURI == redirectURI && l.StateSent && hasScope(l.Scope, "usr:read") &&
				l.ConsentShowsScope && l.ApproveFound
		}},
		check[authLine]{"approve redirects to the loopback callback", func(l authLine) bool {
			return l.Step == "approve" && l.Status == 302 && l.ToCallback
		}},
		check[authLine]{"callback gets a code, the client's state and the issuer (RFC 9207)", func(l authLine) bool {
			return l.Step == "callback" && l.CodeReceived && l.StateMatches && l.Iss == issuer
		}},
		check[authLine]{"token: authorization_code with the code verifier and resource, a token for this server with usr:read", func(l authLine) bool {
			c := l.AccessToken
			return l.Step == "token" && l.Status == 200 && l.GrantType == "authorization_code" && l.CodeVerifierSent &&
				l.Resource == mcpURL && c != nil && c.Iss == issuer && audIs(c.Aud, mcpURL) && hasScope(c.Scope, "usr:read")
		}},
		check[authLine]{"initialize with the token", func(l authLine) bool { return l.Step == "mcp POST initialize" && l.Status == 200 }},
		check[authLine]{"tools/call greet_user answered 200", func(l authLine) bool { return l.Step == "mcp POST tools/call" && l.Status == 200 }},
		check[authLine]{"the greeting", func(l authLine) bool { return l.Result == "greeting" && l.Text == "Hi Ada, welcome to "+name+"!" }},
	)
	t.Logf("TestDevAuthorizationCode took %v", time.Since(start).Round(time.Millisecond))
}
