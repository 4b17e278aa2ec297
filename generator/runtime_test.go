package generator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Test binaries are development builds, so CurrentRuntime takes the checkout path.
func TestCurrentRuntimeUsesRuntimeDirEnv(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(RuntimeDirEnv, "..")
	rt, err := CurrentRuntime()
	if err != nil {
		t.Fatalf("CurrentRuntime: %v", err)
	}
	if rt.Version != DevelVersion || rt.ReplaceDir != root {
		t.Errorf("CurrentRuntime = %+v, want {%s %s}", rt, DevelVersion, root)
	}
}

func TestCurrentRuntimeFindsCheckout(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(RuntimeDirEnv, "")
	rt, err := CurrentRuntime()
	if err != nil {
		t.Fatalf("CurrentRuntime: %v", err)
	}
	if rt.ReplaceDir != root {
		t.Errorf("ReplaceDir = %q, want the checkout %q", rt.ReplaceDir, root)
	}
}

func TestCurrentRuntimeRefusesOtherModule(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(RuntimeDirEnv, dir)
	_, err := CurrentRuntime()
	if err == nil || !strings.Contains(err.Error(), RuntimeDirEnv) || !strings.Contains(err.Error(), "not an mcpgen checkout") {
		t.Errorf("err = %v, want it to name %s and say it is not an mcpgen checkout", err, RuntimeDirEnv)
	}
}

// TestWithCheckout: --runtime-dir's rule. A checkout of this module replaces the runtime
// (a release keeps its version); any other directory is refused, saying why.
func TestWithCheckout(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	rt, err := RuntimeRef{}.WithCheckout("..")
	if err != nil || rt != (RuntimeRef{Version: DevelVersion, ReplaceDir: root}) {
		t.Errorf("WithCheckout(..) = %+v, %v", rt, err)
	}
	if rt, _ := (RuntimeRef{Version: "v1.2.3"}).WithCheckout(".."); rt.Version != "v1.2.3" {
		t.Errorf("a release build lost its version: %+v", rt)
	}
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]string{
		other:                       `its go.mod is module "example.com/other", not github.com/mcpgen/mcpgen`,
		filepath.Join(other, "sub"): "no go.mod there",
	} {
		if _, err := (RuntimeRef{}).WithCheckout(dir); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("WithCheckout(%s) = %v, want %q", dir, err, want)
		}
	}
}
