package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckCommand: exit 1 with the problem and its fix for a project behind this
// mcpgen, 0 (edits listed as notes) once upgraded, 1 outside a project, 2 for a usage
// error, and 1 for a registry edited by hand.
func TestCheckCommand(t *testing.T) {
	dir := upgradeProject(t)
	code, stdout, stderr := runMcpgen(t, "check", "--dir", dir)
	if code != exitError || !strings.Contains(stdout, "behind this mcpgen") || !strings.Contains(stdout, "  fix: run mcpgen upgrade") ||
		!strings.Contains(stderr, "problem(s), each with its fix above") {
		t.Errorf("behind: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := runMcpgen(t, "upgrade", "--dir", dir); code != exitOK {
		t.Fatalf("upgrade: exit %d: %s", code, stderr)
	}
	code, stdout, _ = runMcpgen(t, "check", "--dir", dir)
	if code != exitOK || !strings.HasPrefix(stdout, dir+": ok\n") || !strings.Contains(stdout, "note: main.go: edited by you") {
		t.Errorf("upgraded: exit %d\n%s", code, stdout)
	}

	registry := filepath.Join(dir, "internal/tools/registry.go")
	data, err := os.ReadFile(registry)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(registry, append(data, "// mine\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = runMcpgen(t, "check", "--dir", dir)
	if code != exitError || !strings.Contains(stdout, "problem: internal/tools/registry.go: edited by hand") || !strings.Contains(stdout, "fix: move your code") {
		t.Errorf("edited registry: exit %d\n%s", code, stdout)
	}

	if code, _, stderr := runMcpgen(t, "check", "--dir", t.TempDir()); code != exitError || !strings.Contains(stderr, "not an mcpgen project") {
		t.Errorf("not a project: exit %d: %s", code, stderr)
	}
	if code, _, _ := runMcpgen(t, "check", "extra"); code != exitUsage {
		t.Errorf("an argument: exit %d, want %d", code, exitUsage)
	}
}
