// Package harness runs mcpgen and what it generates as real processes on loopback, for
// the tests that meet mcpgen the way a user does: e2e (mcp-go's client and raw HTTP) and
// interop (other people's clients and a real authorization server). It builds the CLI
// from this checkout, generates a project with it, builds that project, and starts,
// watches and stops child processes so a test never leaves one behind.
package harness

import (
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/internal/logcapture"
)

// GenerateServer builds the mcpgen CLI from the module at root, runs
// `mcpgen new name --yes --dir DIR args...` in a temporary directory (with the checkout as
// runtime, so nothing needs publishing), builds the generated project with a read-only
// module graph and returns the server binary.
func GenerateServer(t testing.TB, root, name string, args ...string) string {
	t.Helper()
	_, project := GenerateProject(t, root, name, args...)
	return BuildServer(t, project)
}

// GenerateProject is the first half of GenerateServer: it builds the CLI and generates
// the project, returning both paths, so a test can run more mcpgen commands in the
// project (mcpgen add tool) before BuildServer.
func GenerateProject(t testing.TB, root, name string, args ...string) (cli, project string) {
	t.Helper()
	recordInputs(t, root)
	tmp := t.TempDir()
	cli = filepath.Join(tmp, "mcpgen")
	Run(t, root, nil, "go", "build", "-o", cli, "./cmd/mcpgen")
	project = filepath.Join(tmp, name)
	start := time.Now()
	Run(t, tmp, []string{"MCPGEN_RUNTIME_DIR=" + root}, cli,
		append([]string{"new", name, "--yes", "--dir", project}, args...)...)
	t.Logf("mcpgen new took %v", time.Since(start))
	return cli, project
}

// BuildServer builds the project at dir with a read-only module graph (its go.mod and
// go.sum must be complete as generated) and returns the binary.
func BuildServer(t testing.TB, project string) string {
	t.Helper()
	bin := filepath.Join(filepath.Dir(project), "server")
	Run(t, project, []string{"GOFLAGS=-mod=readonly"}, "go", "build", "-o", bin, ".")
	return bin
}

// recordInputs stats every file of the checkout. The go command caches a test's result
// keyed by the files the test itself opens or stats; the CLI build, the generation and
// the server build happen in child processes it cannot see, so without this a change to
// runtime/ or templates/ would replay a stale cached pass.
func recordInputs(t testing.TB, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatalf("record the checkout's files as test inputs: %v", err)
	}
}

// Run runs a command in dir and fails the test with its output if it fails.
func Run(t testing.TB, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOWORK=off"), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// Process is a child process started by Start. Its stdout and stderr go to Log.
type Process struct {
	Name string
	Log  *logcapture.Buffer
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited
	err  error         // the exit status; read after done is closed
}

// Start starts cmd, collecting its output in the returned Process's Log, and stops it
// when the test ends (see Stop). name is how failures refer to it.
func Start(t testing.TB, name string, cmd *exec.Cmd) *Process {
	t.Helper()
	p := &Process{Name: name, Log: &logcapture.Buffer{}, cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.Log, p.Log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.Stop(t) })
	return p
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM and expects a clean exit within 15 seconds; a process that exits
// with an error, or has to be killed, fails the test with its log. Stopping twice is
// harmless.
func (p *Process) Stop(t testing.TB) {
	t.Helper()
	if p.Exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("%s exited with %v after SIGTERM; log:\n%s", p.Name, p.err, p.Log)
		}
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%s did not stop within 15s of SIGTERM; log:\n%s", p.Name, p.Log)
	}
}

// WaitFor polls the process's log until ready returns true, failing the test when the
// process exits first or timeout passes. It returns what ready last saw.
func (p *Process) WaitFor(t testing.TB, timeout time.Duration, ready func(log string) bool) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		log := p.Log.String()
		switch {
		case ready(log):
			return log
		case p.Exited():
			t.Fatalf("%s exited (%v) before it was ready; log:\n%s", p.Name, p.err, log)
		case time.Now().After(deadline):
			t.Fatalf("%s not ready after %v; log:\n%s", p.Name, timeout, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitReady polls url (a generated server's /ready, which answers 200 once the issuer's
// keys are loaded) until it answers 200, failing the test when the process exits first
// or 20 seconds pass.
func (p *Process) WaitReady(t testing.TB, url string) {
	t.Helper()
	p.WaitFor(t, 20*time.Second, func(string) bool {
		res, err := http.Get(url)
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
