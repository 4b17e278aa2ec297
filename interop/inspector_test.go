package interop

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// testInspector drives the MCP Inspector's CLI with a token from the authorization
// server, in both protocol eras it offers, through the recording proxy so the era
// actually spoken is checked, not assumed.
func testInspector(t *testing.T, w *world) {
	token, err := w.as.token(readerClient, w.secrets[readerClient], "usr:read", w.MCPURL)
	if err != nil {
		t.Fatal(err)
	}
	auth := "Authorization: Bearer " + token
	for _, era := range []struct{ name, version string }{
		{"legacy", "2025-11-25"},
		{"modern", "2026-07-28"},
	} {
		t.Run(era.name, func(t *testing.T) {
			var list struct {
				Result struct {
					Tools []struct {
						Name        string         `json:"name"`
						InputSchema map[string]any `json:"inputSchema"`
					} `json:"tools"`
				} `json:"result"`
			}
			inspect(t, w, &list, token, "--method", "tools/list", "--protocol-era", era.name, "--header", auth)
			if len(list.Result.Tools) != 1 || list.Result.Tools[0].Name != "greet_user" {
				t.Errorf("tools/list = %+v, want greet_user only", list.Result.Tools)
			}

			var call struct {
				Result struct {
					Content []struct {
						Type string `json:"type"`
						Text string `json:"text"`
					} `json:"content"`
					IsError bool `json:"isError"`
				} `json:"result"`
			}
			inspect(t, w, &call, token, "--method", "tools/call", "--tool-name", "greet_user", "--tool-arg", "name=Ada",
				"--protocol-era", era.name, "--header", auth)
			want := "Hi Ada, welcome to " + serverName + "!"
			if c := call.Result.Content; call.Result.IsError || len(c) != 1 || c[0].Type != "text" || c[0].Text != want {
				t.Errorf("tools/call greet_user = %+v, want the text %q", call.Result, want)
			}

			versions := w.recorder.protocolVersions()
			t.Logf("inspector %s: MCP-Protocol-Version sent: %s", era.name, strings.Join(slices.Compact(slices.Clone(versions)), ", "))
			if len(versions) == 0 || slices.ContainsFunc(versions, func(v string) bool { return v != era.version }) {
				t.Errorf("inspector %s era sent MCP-Protocol-Version %v, want only %s", era.name, versions, era.version)
			}
		})
	}

	t.Run("without a token", func(t *testing.T) {
		// --stored-auth-only: a CI run must not wait for a person to log in. The
		// Inspector has to see the 401 for what it is.
		out, code := runInspector(t, w, "--method", "tools/list", "--stored-auth-only")
		t.Logf("inspector without a token: exit %d: %s", code, out)
		var res struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if code == 0 || json.Unmarshal([]byte(out), &res) != nil || res.Error.Code != "auth_required" {
			t.Errorf("inspector without a token: exit %d, output %s; want a failure with code auth_required", code, out)
		}
	})
}

// inspect runs the Inspector CLI against the recording proxy and decodes its JSON result.
func inspect(t *testing.T, w *world, result any, token string, args ...string) {
	t.Helper()
	out, code := runInspector(t, w, args...)
	out = redact(out, token)
	t.Logf("inspector %s: %s", args[1], out)
	if code != 0 {
		t.Fatalf("inspector %s: exit %d: %s\nserver log:\n%s", strings.Join(redactArgs(args, token), " "), code, out, w.server.Log)
	}
	if err := json.Unmarshal([]byte(out), result); err != nil {
		t.Fatalf("inspector %s: output is not the JSON result: %v\n%s", args[1], err, out)
	}
}

// runInspector runs `inspector --cli URL --transport http --format json ARGS...` and
// returns its output (stdout, or stderr when stdout is empty) and exit code.
func runInspector(t *testing.T, w *world, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := w.peers.command(ctx, w.peers.bin("inspector"),
		append([]string{"--cli", w.recorder.URL, "--transport", "http", "--format", "json"}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	code := 0
	if err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("run inspector: %v", err)
		}
		code = exit.ExitCode()
	}
	s := strings.TrimSpace(string(out))
	if s == "" {
		s = strings.TrimSpace(stderr.String())
	}
	return s, code
}

// redactArgs returns args with the token hidden, for error messages.
func redactArgs(args []string, token string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = redact(a, token)
	}
	return out
}
