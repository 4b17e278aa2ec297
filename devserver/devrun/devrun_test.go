package devrun

import (
	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update

	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/devserver"
)

// writeProject writes a project directory with the given mcpgen.yaml body (after the
// fields every manifest has) and returns it.
func writeProject(t *testing.T, manifest string) string {
	t.Helper()
	dir := t.TempDir()
	body := "name: app\nmodule: example.com/app\n" + manifest + `tools:
  - name: greet_user
    scopes: [usr:read]
`
	if err := os.WriteFile(filepath.Join(dir, "mcpgen.yaml"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestOpen(t *testing.T) {
	dev := "provider: dev\nissuer: http://127.0.0.1:4001\njwks_url: http://127.0.0.1:4001/jwks\nresource: http://127.0.0.1:4000/mcp\nport: 4000\n"
	scalekit := "provider: scalekit\nissuer: https://env.example.com\nresource: https://mcp.example.com/mcp\nport: 3002\n"
	for _, tt := range []struct {
		name                   string
		manifest               string
		opts                   Options
		resource, issuer, addr string
		port                   int
	}{
		{"dev project as generated", dev, Options{}, "http://127.0.0.1:4000/mcp", "http://127.0.0.1:4001", "127.0.0.1:4001", 4000},
		{"another port: the defaults for it", dev, Options{Port: 5000}, "http://localhost:5000/mcp", "http://127.0.0.1:5001", "127.0.0.1:5001", 5000},
		{"--as-addr wins", dev, Options{ASAddr: "127.0.0.1:6000"}, "http://127.0.0.1:4000/mcp", "http://127.0.0.1:6000", "127.0.0.1:6000", 4000},
		{"real provider: local resource, dev issuer", scalekit, Options{}, "http://localhost:3002/mcp", "http://127.0.0.1:3003", "127.0.0.1:3003", 3002},
		{"LOCALHOST is loopback", scalekit, Options{ASAddr: "LOCALHOST:3005"}, "http://localhost:3002/mcp", "http://LOCALHOST:3005", "LOCALHOST:3005", 3002},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Dir = writeProject(t, tt.manifest)
			p, err := Open(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if p.Resource != tt.resource || p.Issuer != tt.issuer || p.Addr != tt.addr || p.Port != tt.port {
				t.Errorf("resource %s, issuer %s, addr %s, port %d; want %s, %s, %s, %d", p.Resource, p.Issuer, p.Addr, p.Port, tt.resource, tt.issuer, tt.addr, tt.port)
			}
			if p.Name != "app" || !slices.Equal(p.Tools, []string{"greet_user"}) || !slices.Contains(p.Scopes, "usr:read") {
				t.Errorf("name %s, tools %v, scopes %v", p.Name, p.Tools, p.Scopes)
			}
			if p.StateDir != filepath.Join(tt.opts.Dir, devserver.StateDir) {
				t.Errorf("state dir %s", p.StateDir)
			}
		})
	}
}

// What cannot work is a usage error naming the flag to change, found before anything
// starts.
func TestOpenRefuses(t *testing.T) {
	dir := writeProject(t, "provider: scalekit\nissuer: https://env.example.com\nresource: http://localhost:3002/mcp\nport: 3002\n")
	for _, tt := range []struct {
		opts Options
		want string
	}{
		{Options{Dir: t.TempDir()}, "no mcpgen.yaml in "},
		{Options{Dir: dir, Port: 70000}, "invalid --port"},
		{Options{Dir: dir, ASAddr: "0.0.0.0:3003"}, `invalid --as-addr: dev issuer "http://0.0.0.0:3003" is not loopback`},
		{Options{Dir: dir, ASAddr: "evil.localhost:3003"}, "is not loopback"},
		{Options{Dir: dir, ASAddr: "127.0.0.1:3002"}, "cannot both use port 3002"},
	} {
		_, err := Open(tt.opts)
		if !errors.As(err, new(*UsageError)) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%+v) = %v, want a UsageError containing %q", tt.opts, err, tt.want)
		}
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "mcpgen.yaml"), []byte("name: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{Dir: bad}); err == nil || errors.As(err, new(*UsageError)) {
		t.Errorf("a broken manifest: %v, want an error that is not a usage error", err)
	}
}

// The environment mcpgen dev gives the server must override every setting a project's
// .env could use to trust another authorization server (the real environment wins over
// .env in generated servers), and keep the server on loopback.
func TestEnvOverridesProviderSettings(t *testing.T) {
	t.Setenv("ALLOWED_ORIGINS", "") // restored after the test; unset during it, so .env counts
	os.Unsetenv("ALLOWED_ORIGINS")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("ALLOWED_ORIGINS=https://app.example.com\nAUTH_TOKEN_FORMAT=opaque\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &Project{Dir: dir, Port: 4100, Resource: "http://localhost:4100/mcp", Issuer: "http://127.0.0.1:4101"}
	env := p.Env()
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
	line := p.RunCommand()
	for _, v := range env {
		if !strings.Contains(line, v+" ") {
			t.Errorf("--no-server command lacks %s:\n%s", v, line)
		}
	}
	if !strings.HasSuffix(line, " go run .") {
		t.Errorf("--no-server command = %s", line)
	}
}
