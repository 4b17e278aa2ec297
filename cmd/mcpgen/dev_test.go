package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The environment mcpgen dev gives the server must override every setting a project's
// .env could use to trust another authorization server (the real environment wins over
// .env in generated servers), and keep the server on loopback.
func TestDevEnvOverridesProviderSettings(t *testing.T) {
	t.Setenv("ALLOWED_ORIGINS", "") // restored after the test; unset during it, so .env counts
	os.Unsetenv("ALLOWED_ORIGINS")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("ALLOWED_ORIGINS=https://app.example.com\nAUTH_TOKEN_FORMAT=opaque\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := devProject{dir: dir, port: 4100, resource: "http://localhost:4100/mcp", issuer: "http://127.0.0.1:4101"}
	env := devEnv(p)
	for _, want := range []string{
		"HOST=127.0.0.1", "PORT=4100",
		"MCP_RESOURCE_URL=http://localhost:4100/mcp", "AUTH_AUDIENCE=http://localhost:4100/mcp",
		"AUTH_ISSUER=http://127.0.0.1:4101", "AUTH_JWKS_URL=http://127.0.0.1:4101/jwks",
		"AUTH_AUTHORIZATION_SERVERS=http://127.0.0.1:4101", "AUTH_TOKEN_FORMAT=jwt",
		"SK_ENV_URL=", "EXPECTED_AUDIENCE=", "PROTECTED_RESOURCE_METADATA=",
		"ALLOWED_ORIGINS=https://app.example.com,http://localhost:6274,http://127.0.0.1:6274",
	} {
		if !slices.Contains(env, want) {
			t.Errorf("dev env lacks %s:\n%s", want, strings.Join(env, "\n"))
		}
	}
	// --no-server prints the command to run the server: it needs the same overrides, or a
	// project whose .env is set up for its real provider (AUTH_AUDIENCE, opaque tokens,
	// another HOST or PORT) refuses the dev tokens or advertises the wrong server.
	line := noServerCommand(p)
	for _, v := range env {
		if !strings.Contains(line, v+" ") {
			t.Errorf("--no-server command lacks %s:\n%s", v, line)
		}
	}
	if !strings.HasSuffix(line, " go run .") {
		t.Errorf("--no-server command = %s", line)
	}
}
