package generator

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/templates"
)

// policyCode matches Go that decides what to trust: URL parsing, IP or loopback checks,
// issuer-suffix and pattern logic. It belongs to the runtime, never to a template.
var policyCode = regexp.MustCompile(`url\.Parse|net\.ParseIP|IsLoopback|loopback\.|regexp\.|strings\.(HasPrefix|HasSuffix|TrimSuffix|CutSuffix)|"/keys"|/resources/|sts\.windows\.net`)

// TestTemplatesHoldNoPolicy: no template renders a trust decision into a project.
func TestTemplatesHoldNoPolicy(t *testing.T) {
	err := fs.WalkDir(templates.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go.tmpl") {
			return err
		}
		data, err := fs.ReadFile(templates.FS, path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			if m := policyCode.FindString(line); m != "" && !strings.HasPrefix(strings.TrimSpace(line), "//") {
				t.Errorf("%s:%d: %q is policy; move it into a runtime package", path, i+1, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRuntimeFixReachesGoldenServer changes one trust rule in a copy of the runtime
// (plain http to localhost no longer allowed for MCP_RESOURCE_URL) and builds the golden
// greeting server, unchanged, against it: the server follows the new rule, so a fix in
// runtime/ reaches generated servers with `go get -u` and no template change.
func TestRuntimeFixReachesGoldenServer(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	runtimeCopy := filepath.Join(tmp, "mcpgen")
	for _, f := range []string{"go.mod", "go.sum"} {
		copyFile(t, filepath.Join(root, f), filepath.Join(runtimeCopy, f))
	}
	for _, dir := range []string{"runtime", filepath.Join("internal", "devissuer")} {
		copyTree(t, filepath.Join(root, dir), filepath.Join(runtimeCopy, dir))
	}
	rule := filepath.Join(runtimeCopy, "runtime", "settings", "settings.go")
	replaceIn(t, rule, "loopback.IsSecureURL(u)", `loopback.IsSecureURL(u) && u.Scheme == "https"`)

	project := filepath.Join(tmp, "greeting-server")
	copyTree(t, goldenDir, project)
	replaceIn(t, filepath.Join(project, "go.mod"), "=> ../../..", "=> "+runtimeCopy)

	cmd := exec.Command("go", "test", "-count=1", "./internal/config/")
	cmd.Dir = project
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), `MCP_RESOURCE_URL="http://localhost:3002/mcp" must use https`) {
		t.Fatalf("with the stricter runtime rule, the golden server's defaults should be refused; go test: %v\n%s", err, out)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		copyFile(t, path, filepath.Join(dst, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func replaceIn(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(data), old) != 1 {
		t.Fatalf("%s: want exactly one %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}
