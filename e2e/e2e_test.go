// Package e2e tests mcpgen the way a user meets it: build the CLI, generate a server with
// it, build and start that server as a process, and talk to it over loopback with
// mcp-go's client in both protocol eras and with raw HTTP for the auth edge cases. Tokens
// come from runtime/authtest, whose issuer also serves the JWKS the server fetches.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpgen/mcpgen/internal/harness"
	"github.com/mcpgen/mcpgen/internal/logcapture"
	"github.com/mcpgen/mcpgen/runtime/authtest"

	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update
)

const serverName = "e2e-server"

// server is a generated server running as a child process.
type server struct {
	URL    string // http://127.0.0.1:port
	MCPURL string
	Issuer *authtest.Issuer
	log    *logcapture.Buffer
}

func TestGeneratedServer(t *testing.T) {
	srv := startGeneratedServer(t)

	t.Run("mcp client", func(t *testing.T) {
		for _, version := range []string{"2025-11-25", mcp.LATEST_PROTOCOL_VERSION} {
			t.Run(version, func(t *testing.T) { testMCPClient(t, srv, version) })
		}
	})
	t.Run("no token", func(t *testing.T) {
		res := srv.post(t, "", "", toolsCall("greet_user"))
		wantChallenge(t, res, http.StatusUnauthorized,
			`Bearer `,
			`resource_metadata="`+srv.URL+`/.well-known/oauth-protected-resource/mcp"`,
			`scope="usr:read"`)
	})
	t.Run("wrong audience", func(t *testing.T) {
		token := srv.Issuer.Mint(authtest.Claims{"aud": "https://other.example.com/mcp", "scope": "usr:read"})
		wantChallenge(t, srv.post(t, token, "", toolsCall("greet_user")), http.StatusUnauthorized, `error="invalid_token"`)
	})
	t.Run("expired token", func(t *testing.T) {
		token := srv.Issuer.Mint(authtest.Claims{"exp": time.Now().Add(-time.Hour).Unix(), "scope": "usr:read"})
		wantChallenge(t, srv.post(t, token, "", toolsCall("greet_user")), http.StatusUnauthorized, `error="invalid_token"`)
	})
	t.Run("missing scope", func(t *testing.T) {
		token := srv.Issuer.Mint(authtest.Claims{"scope": "profile"})
		wantChallenge(t, srv.post(t, token, "", toolsCall("greet_user")), http.StatusForbidden,
			`error="insufficient_scope"`, `usr:read`)
	})
	t.Run("foreign origin", func(t *testing.T) {
		res := srv.post(t, srv.token("usr:read"), "https://evil.example", toolsCall("greet_user"))
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("status = %d, want 403", res.StatusCode)
		}
	})
	t.Run("preflight before auth", func(t *testing.T) {
		// A browser on the server's own origin asks first, without a token: the answer
		// must come from the CORS layer, not a 401 from auth.
		req, err := http.NewRequest(http.MethodOptions, srv.MCPURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", srv.URL)
		req.Header.Set("Access-Control-Request-Method", http.MethodPost)
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != srv.URL {
			t.Errorf("preflight = %d, Access-Control-Allow-Origin %q; want 204 and %s",
				res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"), srv.URL)
		}
	})
	t.Run("own origin", func(t *testing.T) {
		initialize := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}`
		res := srv.post(t, srv.token("usr:read"), srv.URL, initialize)
		if res.StatusCode != http.StatusOK {
			t.Errorf("status = %d, want 200 for the server's own origin", res.StatusCode)
		}
		if got := res.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(got, "WWW-Authenticate") {
			t.Errorf("Access-Control-Expose-Headers = %q, want WWW-Authenticate exposed", got)
		}
	})
	t.Run("metadata", func(t *testing.T) {
		for _, path := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"} {
			testMetadata(t, srv, path)
		}
	})
	t.Run("health", func(t *testing.T) {
		res := get(t, srv.URL+"/health")
		if body := readBody(t, res); res.StatusCode != http.StatusOK || body != `{"status":"healthy"}` {
			t.Errorf("GET /health = %d %s", res.StatusCode, body)
		}
	})
	t.Run("tokens are not logged", func(t *testing.T) {
		token := srv.token("usr:read")
		srv.post(t, token, "", toolsCall("greet_user"))
		srv.post(t, token+"x", "", toolsCall("greet_user"))
		sig := token[strings.LastIndex(token, ".")+1:]
		if log := srv.log.String(); strings.Contains(log, sig) {
			t.Errorf("the server log contains a token:\n%s", log)
		}
	})
}

// connect starts an mcp-go client for protocol version with a token carrying scope, and
// initializes (2025-11-25) or discovers (2026-07-28). The client closes when the test ends.
func connect(t *testing.T, srv *server, scope, version string) (context.Context, *client.Client, *mcp.InitializeResult) {
	t.Helper()
	return dial(t, srv.MCPURL, srv.token(scope), version)
}

// dial connects mcp-go's client to mcpURL with token ("": none) in the given protocol era.
func dial(t *testing.T, mcpURL, token, version string) (context.Context, *client.Client, *mcp.InitializeResult) {
	t.Helper()
	var opts []transport.StreamableHTTPCOption
	if token != "" {
		opts = append(opts, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	}
	trans, err := transport.NewStreamableHTTP(mcpURL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(trans, client.WithProtocolVersion(version))
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	if err := c.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	init, err := c.Initialize(ctx, mcp.InitializeRequest{})
	if err != nil {
		t.Fatalf("initialize/discover: %v", err)
	}
	return ctx, c, init
}

func testMCPClient(t *testing.T, srv *server, version string) {
	ctx, c, init := connect(t, srv, "usr:read", version)
	if init.ProtocolVersion != version {
		t.Fatalf("negotiated %s, want %s", init.ProtocolVersion, version)
	}
	if init.ServerInfo.Name != serverName {
		t.Errorf("server name = %q, want %q", init.ServerInfo.Name, serverName)
	}
	harness.CheckGreeting(ctx, t, c, serverName)
}

func testMetadata(t *testing.T, srv *server, path string) {
	res := get(t, srv.URL+path)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", path, res.StatusCode)
	}
	var doc map[string]any
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	want := map[string]any{
		"resource":                 srv.MCPURL,
		"authorization_servers":    []any{srv.Issuer.URL},
		"scopes_supported":         []any{"usr:read"},
		"bearer_methods_supported": []any{"header"},
	}
	for k, v := range want {
		if got, _ := json.Marshal(doc[k]); !bytes.Equal(got, mustJSON(t, v)) {
			t.Errorf("GET %s: %s = %s, want %s", path, k, got, mustJSON(t, v))
		}
	}
}

// startGeneratedServer builds the CLI, generates a project with it, adds a tool for each
// of addTools (the arguments of `mcpgen add tool`), builds the project and runs it until
// the test ends.
func startGeneratedServer(t *testing.T, addTools ...[]string) *server {
	t.Helper()
	return startProject(t, nil, func(cli, project string) {
		for _, args := range addTools {
			// Run inside the project, as users do: add tool finds it through mcpgen.yaml.
			harness.Run(t, project, nil, cli, append([]string{"add", "tool"}, args...)...)
		}
	})
}

// startProject generates a project with `mcpgen new` and newArgs (besides the issuer),
// lets setup change it as a user would (mcpgen commands run inside it, edits of the files
// the user owns), then builds it and runs it until the test ends.
func startProject(t *testing.T, newArgs []string, setup func(cli, project string)) *server {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	port := harness.FreePort(t)
	srv := &server{URL: "http://127.0.0.1:" + strconv.Itoa(port)}
	srv.MCPURL = srv.URL + "/mcp"
	srv.Issuer = authtest.NewIssuer(t, authtest.WithAudience(srv.MCPURL))

	cli, project := harness.GenerateProject(t, root, serverName, append([]string{
		"--provider", "generic", "--issuer", srv.Issuer.URL, "--jwks-url", srv.Issuer.JWKSURL}, newArgs...)...)
	if setup != nil {
		setup(cli, project)
	}
	bin := harness.BuildServer(t, project)

	cmd := exec.Command(bin)
	cmd.Dir = t.TempDir() // no .env here: settings come from the environment only
	cmd.Env = append(os.Environ(),
		"HOST=127.0.0.1",
		"PORT="+strconv.Itoa(port),
		"MCP_RESOURCE_URL="+srv.MCPURL,
	)
	proc := harness.Start(t, "generated server", cmd)
	srv.log = proc.Log
	proc.WaitReady(t, srv.URL+"/ready")
	return srv
}

func (s *server) token(scope string) string {
	return s.Issuer.Mint(authtest.Claims{"scope": scope})
}

// post sends a raw JSON-RPC request to the MCP endpoint.
func (s *server) post(t *testing.T, token, origin, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.MCPURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func toolsCall(name string) string {
	return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + name + `","arguments":{"name":"Ada"}}}`
}

func wantChallenge(t *testing.T, res *http.Response, status int, parts ...string) {
	t.Helper()
	if res.StatusCode != status {
		t.Errorf("status = %d, want %d", res.StatusCode, status)
	}
	challenge := res.Header.Get("WWW-Authenticate")
	for _, p := range parts {
		if !strings.Contains(challenge, p) {
			t.Errorf("WWW-Authenticate = %q, want it to contain %q", challenge, p)
		}
	}
}

func get(t *testing.T, url string) *http.Response {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func readBody(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
