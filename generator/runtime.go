package generator

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"

	"golang.org/x/mod/modfile"

	"github.com/mcpgen/mcpgen"
)

// DevelVersion is the runtime version a generated project requires when mcpgen runs from
// a source checkout: a placeholder that the `replace` directive makes irrelevant.
const DevelVersion = "v0.0.0-00010101000000-000000000000"

// RuntimeDirEnv names the environment variable that points generated projects at a
// runtime checkout instead of the one mcpgen was built from.
const RuntimeDirEnv = "MCPGEN_RUNTIME_DIR"

// CurrentRuntime says which runtime a project generated now should require. A released
// mcpgen requires its own version. A development build (version "(devel)") requires
// DevelVersion and replaces the module with a local checkout: $MCPGEN_RUNTIME_DIR, else
// the checkout mcpgen was built from, if it is still there.
func CurrentRuntime() (RuntimeRef, error) {
	if info, ok := debug.ReadBuildInfo(); ok {
		if v := info.Main.Version; info.Main.Path == RuntimeModule && v != "" && v != "(devel)" {
			return RuntimeRef{Version: v}, nil
		}
	}
	if dir := os.Getenv(RuntimeDirEnv); dir != "" {
		abs, err := checkoutDir(dir)
		if err != nil {
			return RuntimeRef{}, fmt.Errorf("%s=%s: %w", RuntimeDirEnv, dir, err)
		}
		return RuntimeRef{Version: DevelVersion, ReplaceDir: abs}, nil
	}
	if dir := mcpgen.SourceDir(); dir != "" {
		if abs, err := checkoutDir(dir); err == nil {
			return RuntimeRef{Version: DevelVersion, ReplaceDir: abs}, nil
		}
	}
	return RuntimeRef{}, fmt.Errorf("this mcpgen is a development build and its source checkout was not found: set %s to an mcpgen checkout", RuntimeDirEnv)
}

// checkoutDir returns dir as an absolute path if it holds the mcpgen module.
func checkoutDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(filepath.Join(abs, "go.mod"))
	if err != nil {
		return "", errors.New("no go.mod there, so it is not an mcpgen checkout")
	}
	if path := modfile.ModulePath(data); path != RuntimeModule {
		return "", fmt.Errorf("its go.mod is module %q, not %s, so it is not an mcpgen checkout", path, RuntimeModule)
	}
	return abs, nil
}

// WithCheckout returns rt building against the mcpgen checkout in dir: go.mod replaces
// the runtime with it, so a development build whose own checkout is gone still works,
// and a release build keeps its version on the require line.
func (rt RuntimeRef) WithCheckout(dir string) (RuntimeRef, error) {
	abs, err := checkoutDir(dir)
	if err != nil {
		return rt, err
	}
	if rt.Version == "" {
		rt.Version = DevelVersion
	}
	rt.ReplaceDir = abs
	return rt, nil
}
