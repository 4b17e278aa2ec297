package interop

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/internal/testenv"
)

// minNode is the oldest Node the peers run on: the Inspector 2.x needs 22.19.
var minNode = [3]int{22, 19, 0}

// peers is the Node side of the test: testdata/interop with its pinned packages installed.
type peers struct {
	Dir      string            // testdata/interop
	Node     string            // the Node 22 binary the npm package "node" installed
	Versions map[string]string // package → pinned version, from package.json
	home     string            // scratch HOME for tools that keep state there
}

// installPeers finds the pinned peers under testdata/interop and runs `npm ci` first
// when node_modules is missing or holds other versions than package.json pins, so
// `go test ./...` works on a fresh clone with npm and the registry within reach. Without
// npm, or when npm cannot reach the registry, the test skips saying how to install the
// peers, and fails under CI (internal/testenv's rule).
func installPeers(t *testing.T) *peers {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "testdata", "interop"))
	if err != nil {
		t.Fatal(err)
	}
	p := &peers{Dir: dir, home: t.TempDir()}
	var manifest struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err == nil {
		err = json.Unmarshal(raw, &manifest)
	}
	if err != nil {
		t.Fatalf("read testdata/interop/package.json: %v", err)
	}
	p.Versions = manifest.Dependencies

	if stale := p.stale(); stale != "" {
		t.Logf("interop peers: %s; running npm ci in testdata/interop", stale)
		npm := testenv.LookPath(t, "npm", "apt-get install -y nodejs npm")
		start := time.Now()
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			if code := offline(out); code != "" {
				testenv.Unavailable(t, "npm ci in testdata/interop cannot reach the npm registry ("+code+")",
					"run it there once online, or point npm at a reachable registry")
			}
			t.Fatalf("npm ci in testdata/interop: %v\n%s", err, out)
		}
		t.Logf("npm ci took %v", time.Since(start).Round(time.Millisecond))
		if stale := p.stale(); stale != "" {
			t.Fatalf("after npm ci in testdata/interop: %s", stale)
		}
	}

	p.Node = filepath.Join(dir, "node_modules", ".bin", "node")
	out, err := exec.Command(p.Node, "--version").Output()
	if err != nil {
		t.Fatalf("%s --version: %v", p.Node, err)
	}
	version := strings.TrimSpace(string(out))
	if !atLeast(version, minNode) {
		t.Fatalf("node %s from testdata/interop is older than %d.%d.%d, which the peers need: pin a newer \"node\" in package.json",
			version, minNode[0], minNode[1], minNode[2])
	}
	return p
}

// offline returns the error code with which npm reports an unreachable registry in its
// output (no network, no DNS, a refused or timed-out connection), or "" for any other
// failure, which stays a failure.
func offline(npmOutput []byte) string {
	for _, code := range []string{"ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENETUNREACH", "EHOSTUNREACH"} {
		if strings.Contains(string(npmOutput), code) {
			return code
		}
	}
	return ""
}

// stale says why node_modules does not match package.json, or "" when it does.
func (p *peers) stale() string {
	for name, want := range p.Versions {
		var installed struct {
			Version string `json:"version"`
		}
		raw, err := os.ReadFile(filepath.Join(p.Dir, "node_modules", name, "package.json"))
		if err != nil {
			return name + " is missing"
		}
		if err := json.Unmarshal(raw, &installed); err != nil || installed.Version != want {
			return name + " is " + installed.Version + ", package.json pins " + want
		}
	}
	if _, err := os.Stat(filepath.Join(p.Dir, "node_modules", ".bin", "node")); err != nil {
		return "the node binary is missing"
	}
	return ""
}

// command runs one of the peers' scripts or binaries with Node 22 first on PATH (their
// shebangs say `env node`), a scratch HOME and no colours in their output.
// The context bounds its run; a process still running then is killed.
func (p *peers) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, p.Node, append([]string{name}, args...)...)
	cmd.Dir = p.Dir
	cmd.Env = append(os.Environ(),
		"PATH="+filepath.Join(p.Dir, "node_modules", ".bin")+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+p.home,
		"NO_COLOR=1",
		"FORCE_COLOR=0",
	)
	return cmd
}

// bin is the path of a package's executable under node_modules/.bin.
func (p *peers) bin(name string) string {
	return filepath.Join(p.Dir, "node_modules", ".bin", name)
}

// atLeast reports whether a `node --version` string (v22.23.3) is at least min.
func atLeast(version string, min [3]int) bool {
	parts := strings.SplitN(strings.TrimPrefix(version, "v"), ".", 3)
	if len(parts) != 3 {
		return false
	}
	for i, s := range parts {
		n, err := strconv.Atoi(s)
		if err != nil {
			return false
		}
		if n != min[i] {
			return n > min[i]
		}
	}
	return true
}

// Only an unreachable registry counts as missing: npm's other failures (a lockfile out
// of date, an install script refused) are the test's to report.
func TestOfflineNpmOutput(t *testing.T) {
	for out, want := range map[string]string{
		"npm error code ENOTFOUND\nnpm error network request to https://registry.npmjs.org/node failed": "ENOTFOUND",
		"npm error code EAI_AGAIN\nnpm error syscall getaddrinfo":                                       "EAI_AGAIN",
		"npm error code ETIMEDOUT": "ETIMEDOUT",
		"npm error code EUSAGE\nnpm error `npm ci` can only install packages when your package.json and package-lock.json are in sync": "",
		"npm error code E404\nnpm error 404 Not Found - GET https://registry.npmjs.org/nope":                                           "",
	} {
		if got := offline([]byte(out)); got != want {
			t.Errorf("offline(%q) = %q, want %q", out, got, want)
		}
	}
}
