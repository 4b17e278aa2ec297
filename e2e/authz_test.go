package e2e

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpgen/mcpgen/internal/harness"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// writeFileWithStepUp is the user's write_file: writing under shared/ needs files:share
// on top of the tool's files:write, decided from the arguments at run time.
const writeFileWithStepUp = `package tools

import (
	"context"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mcpgen/mcpgen/runtime/auth"
)

type WriteFileArgs struct {
	Path string ` + "`json:\"path\"`" + `
}

func WriteFileTool() mcp.Tool {
	return mcp.NewTool("write_file", mcp.WithDescription("Writes a file."), mcp.WithInputSchema[WriteFileArgs]())
}

func WriteFile(ctx context.Context, _ mcp.CallToolRequest, args WriteFileArgs) (*mcp.CallToolResult, error) {
	if strings.HasPrefix(args.Path, "shared/") {
		if err := auth.RequireScopes(ctx, "files:share"); err != nil {
			return nil, err
		}
	}
	return mcp.NewToolResultText("wrote " + args.Path), nil
}
`

// TestAuthorizationPolicy grows a generated server the way the README's Authorization
// section does (scopes with implications and a baseline, a step-up scope, a claim rule,
// a public tool, filtered tool lists, a handler that steps up at run time), builds and
// runs it, and checks each rule with real tokens over HTTP and with mcp-go's client.
func TestAuthorizationPolicy(t *testing.T) {
	srv := startProject(t, []string{"--filter-tools-list"}, func(cli, project string) {
		for _, args := range [][]string{
			{"scope", "files:read", "--baseline", "--description", "Read files"},
			{"scope", "files:write", "--implies", "files:read", "--description", "Create and change files"},
			{"scope", "files:share", "--description", "Write to shared folders"},
			{"scope", "files:admin", "--implies", "files:write", "--implies", "files:share", "--description", "Manage every file"},
			{"tool", "list_files", "--scope", "files:read", "--description", "Lists files.", "--read-only"},
			{"tool", "write_file", "--scope", "files:write", "--description", "Writes a file.", "--arg", "path:string:required"},
			{"tool", "purge_files", "--scope", "files:admin", "--require-claim", "permissions=files:purge", "--description", "Purges files.", "--destructive"},
			{"tool", "status", "--public", "--description", "Says whether the service is up.", "--read-only"},
		} {
			harness.Run(t, project, nil, cli, append([]string{"add"}, append(args, "--yes")...)...)
		}
		if err := os.WriteFile(filepath.Join(project, "internal", "tools", "write_file.go"), []byte(writeFileWithStepUp), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	call := func(tool, args string) string {
		return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + tool + `","arguments":` + args + `}}`
	}
	withClaims := func(scope string, more authtest.Claims) string {
		claims := authtest.Claims{"scope": scope}
		maps.Copy(claims, more)
		return srv.Issuer.Mint(claims)
	}

	t.Run("baseline", func(t *testing.T) {
		// The metadata and a protected call without a token ask for the baseline
		// (usr:read of greet_user, files:read), never for the step-up scopes.
		var doc struct {
			ScopesSupported []string `json:"scopes_supported"`
		}
		if err := json.NewDecoder(get(t, srv.URL+"/.well-known/oauth-protected-resource/mcp").Body).Decode(&doc); err != nil {
			t.Fatal(err)
		}
		if want := []string{"files:read", "usr:read"}; !slices.Equal(doc.ScopesSupported, want) {
			t.Errorf("scopes_supported = %v, want the baseline %v", doc.ScopesSupported, want)
		}
		res := inSession(t, srv, srv.token("files:read"), call("write_file", `{"path":"a.txt"}`))
		wantChallenge(t, res, http.StatusForbidden, `error="insufficient_scope"`, `scope="files:write"`)
		if res := inSession(t, srv, srv.token("files:read"), call("list_files", `{}`)); res.StatusCode != http.StatusOK {
			t.Errorf("list_files with the baseline: status %d, want 200", res.StatusCode)
		}
	})
	t.Run("hierarchy", func(t *testing.T) {
		admin := srv.token("files:admin")
		for _, tool := range []string{"list_files", "write_file"} {
			if res := inSession(t, srv, admin, call(tool, `{"path":"shared/a.txt"}`)); res.StatusCode != http.StatusOK {
				t.Errorf("%s with files:admin (implies it): status %d, want 200", tool, res.StatusCode)
			}
		}
		res := inSession(t, srv, srv.token("files:share"), call("list_files", `{}`))
		wantChallenge(t, res, http.StatusForbidden, `scope="files:read"`)
	})
	t.Run("runtime step-up", func(t *testing.T) {
		res := inSession(t, srv, srv.token("files:write"), call("write_file", `{"path":"shared/plan.txt"}`))
		wantChallenge(t, res, http.StatusForbidden, `error="insufficient_scope"`, "files:share", "files:write")
		if res := inSession(t, srv, srv.token("files:write"), call("write_file", `{"path":"mine/plan.txt"}`)); res.StatusCode != http.StatusOK {
			t.Errorf("write_file outside shared/: status %d, want 200", res.StatusCode)
		}
		if body := readBody(t, inSession(t, srv, srv.token("files:write files:share"), call("write_file", `{"path":"shared/plan.txt"}`))); !strings.Contains(body, "wrote shared/plan.txt") {
			t.Errorf("write_file after stepping up = %s", body)
		}
		if log := srv.log.String(); !strings.Contains(log, "step_up") || !strings.Contains(log, "files:share") {
			t.Errorf("the audit log does not record the step-up:\n%s", log)
		}
	})
	t.Run("claim rule", func(t *testing.T) {
		res := inSession(t, srv, srv.token("files:admin"), call("purge_files", `{}`))
		if res.StatusCode != http.StatusForbidden || res.Header.Get("WWW-Authenticate") != "" || !strings.Contains(readBody(t, res), "access_denied") {
			t.Errorf("purge_files without the permission: status %d, WWW-Authenticate %q; want 403 access_denied without a challenge", res.StatusCode, res.Header.Get("WWW-Authenticate"))
		}
		ok := withClaims("files:admin", authtest.Claims{"permissions": []string{"files:purge"}})
		if res := inSession(t, srv, ok, call("purge_files", `{}`)); res.StatusCode != http.StatusOK {
			t.Errorf("purge_files with files:admin and the permission: status %d, want 200", res.StatusCode)
		}
		// The permission alone is no scope.
		perm := withClaims("files:read", authtest.Claims{"permissions": []string{"files:purge", "files:admin"}})
		wantChallenge(t, inSession(t, srv, perm, call("purge_files", `{}`)), http.StatusForbidden, `scope="files:admin"`)
	})
	t.Run("public tool", func(t *testing.T) {
		res := inSession(t, srv, "", call("list_files", `{}`))
		wantChallenge(t, res, http.StatusUnauthorized, `scope="files:read"`)
		if res := inSession(t, srv, "", call("status", `{}`)); res.StatusCode != http.StatusOK {
			t.Errorf("status without a token: %d, want 200", res.StatusCode)
		}
		if res := srv.post(t, "not-a-token", "", call("status", `{}`)); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("status with an invalid token: %d, want 401 (a token sent must be valid)", res.StatusCode)
		}
	})
	for _, version := range []string{"2025-11-25", mcp.LATEST_PROTOCOL_VERSION} {
		t.Run("mcp client "+version, func(t *testing.T) {
			listed := func(c *client.Client, ctx context.Context) []string {
				list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
				if err != nil {
					t.Fatalf("tools/list: %v", err)
				}
				var names []string
				for _, tool := range list.Tools {
					names = append(names, tool.Name)
				}
				slices.Sort(names)
				return names
			}
			ctx, c, _ := dial(t, srv.MCPURL, "", version)
			if got := listed(c, ctx); !slices.Equal(got, []string{"status"}) {
				t.Errorf("anonymous tools/list = %v, want [status]", got)
			}
			if _, err := c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "status"}}); err != nil {
				t.Errorf("anonymous status: %v", err)
			}
			if _, err := c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "list_files", Arguments: map[string]any{}}}); !client.IsAuthorizationRequiredError(err) {
				t.Errorf("anonymous list_files: err = %v, want authorization required (401)", err)
			}
			ctx, c, _ = connect(t, srv, "files:write", version)
			if got := listed(c, ctx); !slices.Equal(got, []string{"list_files", "status", "write_file"}) {
				t.Errorf("tools/list with files:write = %v, want [list_files status write_file]", got)
			}
		})
	}
}

// inSession initializes a 2025-11-25 session with token ("" for none) and posts body in
// it, as a client does: mcp-go answers calls outside a session with 404.
func inSession(t *testing.T, srv *server, token, body string) *http.Response {
	t.Helper()
	init := srv.post(t, token, "", `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}`)
	session := init.Header.Get("Mcp-Session-Id")
	if init.StatusCode != http.StatusOK || session == "" {
		t.Fatalf("initialize: status %d, session %q", init.StatusCode, session)
	}
	req, err := http.NewRequest(http.MethodPost, srv.MCPURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Session-Id", session)
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}
