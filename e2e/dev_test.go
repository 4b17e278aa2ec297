package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpgen/mcpgen/internal/harness"
)

// TestDevDefaults is the newcomer's path: `mcpgen new NAME --yes` (no provider, no
// issuer), then `mcpgen dev`, then real clients: the printed token, client_credentials
// for the dev client, dynamic registration and authorization code with PKCE through the
// consent page, each calling greet_user with mcp-go's client; `mcpgen dev token`;
// `mcpgen doctor` on the running server; and a clean stop on SIGTERM.
func TestDevDefaults(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	cli := filepath.Join(tmp, "mcpgen")
	harness.Run(t, root, nil, "go", "build", "-o", cli, "./cmd/mcpgen")
	project := filepath.Join(tmp, "dev-server")
	harness.Run(t, tmp, []string{"MCPGEN_RUNTIME_DIR=" + root}, cli, "new", "dev-server", "--yes", "--dir", project)

	dev := harness.StartDev(t, cli, project, os.Environ())
	proc, banner, mcpURL, issuer := dev.Process, dev.Banner, dev.MCPURL, dev.Issuer
	for _, want := range []string{"DEVELOPMENT ONLY", "MCP server      " + mcpURL, "authorization   " + issuer,
		"mcpgen doctor " + mcpURL, "npx @modelcontextprotocol/inspector --cli " + mcpURL} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	token := match(t, banner, `export TOKEN=(\S+)`)
	secret := match(t, banner, `client_id mcpgen-dev, client_secret (\S+)`)

	t.Run("printed token", func(t *testing.T) { greet(t, mcpURL, token, "2025-11-25") })

	t.Run("client_credentials", func(t *testing.T) {
		tok := tokenRequest(t, issuer+"/token", url.Values{"grant_type": {"client_credentials"}, "resource": {mcpURL}, "scope": {"usr:read"}}, "mcpgen-dev", secret)
		greet(t, mcpURL, tok, mcp.LATEST_PROTOCOL_VERSION)
	})

	t.Run("registration and authorization code with PKCE", func(t *testing.T) {
		// Discover as a client does: the challenge names the metadata, which names the
		// authorization server, whose metadata names the endpoints.
		res, err := http.Post(mcpURL, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		prmURL := match(t, res.Header.Get("WWW-Authenticate"), `resource_metadata="([^"]+)"`)
		var prm struct {
			AuthorizationServers []string `json:"authorization_servers"`
		}
		getJSONInto(t, prmURL, &prm)
		var as struct {
			Authorization string `json:"authorization_endpoint"`
			Token         string `json:"token_endpoint"`
			Registration  string `json:"registration_endpoint"`
		}
		getJSONInto(t, prm.AuthorizationServers[0]+"/.well-known/oauth-authorization-server", &as)

		codes := make(chan url.Values, 1)
		callback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			codes <- r.URL.Query()
			io.WriteString(w, "you can close this window")
		}))
		defer callback.Close()
		redirectURI := callback.URL + "/callback"

		body, _ := json.Marshal(map[string]any{"client_name": "e2e", "redirect_uris": []string{redirectURI}, "token_endpoint_auth_method": "none"})
		res, err = http.Post(as.Registration, "application/json", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		var reg struct {
			ClientID string `json:"client_id"`
		}
		_ = json.NewDecoder(res.Body).Decode(&reg)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated || reg.ClientID == "" {
			t.Fatalf("register: %d %+v", res.StatusCode, reg)
		}

		verifier := strings.Repeat("e2e-verifier-", 4)
		sum := sha256.Sum256([]byte(verifier))
		authz := as.Authorization + "?" + url.Values{
			"response_type": {"code"}, "client_id": {reg.ClientID}, "redirect_uri": {redirectURI},
			"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
			"scope": {"usr:read"}, "resource": {mcpURL}, "state": {"e2e-state"},
		}.Encode()
		page := readBody(t, get(t, authz))
		if !strings.Contains(page, "usr:read") || !strings.Contains(page, "Development only") {
			t.Errorf("consent page does not show the scope and the warning:\n%s", page)
		}
		approve := html.UnescapeString(match(t, page, `id="approve" href="([^"]+)"`))
		get(t, issuer+approve) // follows the redirect to the callback
		var q url.Values
		select {
		case q = <-codes:
		case <-time.After(10 * time.Second):
			t.Fatal("the consent redirect never reached the callback")
		}
		if q.Get("state") != "e2e-state" || q.Get("iss") != issuer {
			t.Errorf("callback query %v", q)
		}
		tok := tokenRequest(t, as.Token, url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")},
			"redirect_uri": {redirectURI}, "client_id": {reg.ClientID}, "code_verifier": {verifier}, "resource": {mcpURL}}, "", "")
		greet(t, mcpURL, tok, "2025-11-25")
	})

	t.Run("dev token", func(t *testing.T) {
		cmd := exec.Command(cli, "dev", "token", "--dir", project, "--scope", "usr:read", "--ttl", "5m")
		tok, err := cmd.Output()
		if err != nil {
			t.Fatalf("dev token: %v", err)
		}
		greet(t, mcpURL, strings.TrimSpace(string(tok)), mcp.LATEST_PROTOCOL_VERSION)
		cmd = exec.Command(cli, "dev", "token", "--dir", project, "--scope", "admin")
		if err := cmd.Run(); exitCode(err) != 2 {
			t.Errorf("dev token --scope admin: %v, want exit 2", err)
		}
	})

	t.Run("doctor", func(t *testing.T) {
		cmd := exec.Command(cli, "doctor", mcpURL, "--token", token, "--json")
		raw, err := cmd.Output()
		var report struct {
			OK     bool     `json:"ok"`
			Tools  []string `json:"tools"`
			Checks []struct{ ID, Status string }
		}
		if jerr := json.Unmarshal(raw, &report); err != nil || jerr != nil || !report.OK || len(report.Tools) != 1 {
			t.Fatalf("doctor on the dev server: %v %v\n%s", err, jerr, raw)
		}
		if strings.Contains(string(raw), token) {
			t.Error("doctor printed the token")
		}
		// The same server reached through another URL than its resource: a real
		// wrong-resource case, reported with the setting that fixes it.
		other := "http://127.0.0.1:" + strconv.Itoa(dev.Port) + "/mcp"
		cmd = exec.Command(cli, "doctor", other)
		text, err := cmd.Output()
		if exitCode(err) != 1 || !strings.Contains(string(text), "✗ metadata resource matches the URL") || !strings.Contains(string(text), "MCP_RESOURCE_URL="+other) {
			t.Errorf("doctor %s: %v\n%s", other, err, text)
		}
	})

	t.Run("doctor on a misconfigured server", func(t *testing.T) {
		// The binary mcpgen dev built, advertising the authorization server with a
		// trailing slash: its metadata names another issuer, which clients refuse.
		p3 := harness.FreePort(t)
		srv := exec.Command(filepath.Join(project, ".mcpgen", "dev", "server"))
		srv.Dir = t.TempDir()
		srv.Env = append(os.Environ(), "HOST=127.0.0.1", "PORT="+strconv.Itoa(p3),
			"MCP_RESOURCE_URL=http://localhost:"+strconv.Itoa(p3)+"/mcp",
			"AUTH_ISSUER="+issuer, "AUTH_JWKS_URL="+issuer+"/jwks", "AUTH_AUTHORIZATION_SERVERS="+issuer+"/")
		harness.Start(t, "misconfigured server", srv).WaitReady(t, "http://127.0.0.1:"+strconv.Itoa(p3)+"/ready")
		text, err := exec.Command(cli, "doctor", "http://localhost:"+strconv.Itoa(p3)+"/mcp").Output()
		if exitCode(err) != 1 || !strings.Contains(string(text), "✗ authorization server issuer matches") || !strings.Contains(string(text), "AUTH_ISSUER="+issuer) {
			t.Errorf("doctor: %v\n%s", err, text)
		}
	})

	// SIGTERM stops the server and the authorization server, and mcpgen dev exits 0
	// (Stop fails the test otherwise).
	proc.Stop(t)
	if !strings.Contains(proc.Log.String(), `"msg":"stopped"`) {
		t.Errorf("the server did not shut down gracefully; log:\n%s", proc.Log)
	}
	for _, addr := range []string{"127.0.0.1:" + strconv.Itoa(dev.Port), "127.0.0.1:" + strconv.Itoa(dev.ASPort)} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after mcpgen dev stopped", addr)
		}
	}
}

func match(t *testing.T, s, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %s in:\n%s", re, s)
	}
	return m[1]
}

func getJSONInto(t *testing.T, u string, v any) {
	t.Helper()
	res := get(t, u)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// tokenRequest posts to the token endpoint and returns the access token.
func tokenRequest(t *testing.T, endpoint string, form url.Values, user, pass string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.NewDecoder(res.Body).Decode(&body)
	if res.StatusCode != http.StatusOK || body.AccessToken == "" || body.TokenType != "Bearer" {
		t.Fatalf("token request: %d %s %s", res.StatusCode, body.Error, body.Description)
	}
	return body.AccessToken
}

// greet calls greet_user with mcp-go's client in the given protocol era.
func greet(t *testing.T, mcpURL, token, version string) {
	t.Helper()
	ctx, c, _ := dial(t, mcpURL, token, version)
	res, err := c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "greet_user", Arguments: map[string]any{"name": "Ada"}}})
	if err != nil {
		t.Fatalf("tools/call: %v", err)
	}
	if len(res.Content) != 1 || mcp.GetTextFromContent(res.Content[0]) != "Hi Ada, welcome to dev-server!" {
		t.Errorf("greet_user = %+v", res.Content)
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}
