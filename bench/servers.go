package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is one of the servers under test, built once into a binary.
type server struct {
	id    string // "a", "b", "c", "d"
	label string
	bin   string
}

// buildServers builds (a) the golden greeting server, (b) the same with the auth
// middleware taken out of its chain, (c) the go-sdk peer and (d) the bare mcp-go
// ceiling, plus the mcpgen CLI.
func buildServers(repo, benchDir, work string) (servers []server, mcpgenBin string, err error) {
	bin := filepath.Join(work, "bin")
	golden := filepath.Join(repo, "testdata", "golden", "greeting-server")

	withAuth := filepath.Join(work, "greeting-auth")
	if err := copyProject(golden, withAuth, repo); err != nil {
		return nil, "", err
	}
	noAuth := filepath.Join(work, "greeting-noauth")
	if err := copyProject(golden, noAuth, repo); err != nil {
		return nil, "", err
	}
	// Both copies can serve CPU profiles while the runner attacks them (-profile): a
	// file added to the copy, never to the product, listening only when asked to.
	for _, dir := range []string{withAuth, noAuth} {
		if err := os.WriteFile(filepath.Join(dir, "bench_pprof.go"), []byte(pprofFile), 0o644); err != nil {
			return nil, "", err
		}
	}
	// The ceiling: the very same server, whose token check accepts every token without
	// verifying it; everything else in the chain stays.
	if err := removeAuth(noAuth); err != nil {
		return nil, "", err
	}

	steps := []struct{ dir, out, pkg string }{
		{withAuth, filepath.Join(bin, "greeting-auth"), "."},
		{noAuth, filepath.Join(bin, "greeting-noauth"), "."},
		{benchDir, filepath.Join(bin, "gosdk-server"), "./cmd/gosdkserver"},
		{benchDir, filepath.Join(bin, "bare-server"), "./cmd/bareserver"},
		{repo, filepath.Join(bin, "mcpgen"), "./cmd/mcpgen"},
	}
	for _, s := range steps {
		cmd := exec.Command("go", "build", "-o", s.out, s.pkg)
		cmd.Dir = s.dir
		cmd.Env = append(os.Environ(), "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, "", fmt.Errorf("go build %s in %s: %w\n%s", s.pkg, s.dir, err, out)
		}
	}
	return []server{
		{"a", "generated (auth, cache on)", filepath.Join(bin, "greeting-auth")},
		{"b", "generated, auth removed", filepath.Join(bin, "greeting-noauth")},
		{"c", "go-sdk + RequireBearerToken", filepath.Join(bin, "gosdk-server")},
		{"d", "bare mcp-go, no middleware", filepath.Join(bin, "bare-server")},
	}, filepath.Join(bin, "mcpgen"), nil
}

// copyProject copies the golden project and points its replace directive at the
// checkout, so it builds against this runtime wherever the copy lives.
const pprofFile = `package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	if addr := os.Getenv("BENCH_PPROF_ADDR"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
}
`

func copyProject(src, dst, repo string) error {
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return replaceOnce(filepath.Join(dst, "go.mod"), "=> ../../..", "=> "+repo)
}

// removeAuth gives the server a token validator that accepts any token as a caller
// with every scope, without looking at it: the chain around it (request log, Origin
// policy, limits, metrics, per-tool scopes, annotation) stays as generated.
func removeAuth(dir string) error {
	if err := os.WriteFile(filepath.Join(dir, "bench_noauth.go"), []byte(noAuthFile), 0o644); err != nil {
		return err
	}
	// The field after Keys: gofmt aligns the block however the template's longest field
	// name dictates, so the line is found whatever its spacing.
	main := filepath.Join(dir, "main.go")
	data, err := os.ReadFile(main)
	if err != nil {
		return err
	}
	keysField := regexp.MustCompile(`(?m)^\t\tKeys:\s+keys,\n`)
	if n := len(keysField.FindAllIndex(data, -1)); n != 1 {
		return fmt.Errorf("patch %s: found the Keys field of protect.Options %d times, want once (did the template change?)", main, n)
	}
	return os.WriteFile(main, keysField.ReplaceAll(data, []byte("${0}\t\tValidator: benchAcceptAll{},\n")), 0o644)
}

const noAuthFile = `package main

import (
	"context"

	"github.com/mcpgen/mcpgen/runtime/auth"

	"example.com/greeting-server/internal/tools"
)

// benchAcceptAll is bench (b): every token is a caller with every scope, unverified.
type benchAcceptAll struct{}

func (benchAcceptAll) Validate(context.Context, string) (*auth.Principal, error) {
	return &auth.Principal{Subject: "bench", ClientID: "bench", Scopes: tools.Policy.All()}, nil
}
`

func replaceOnce(path, old, new string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if n := bytes.Count(data, []byte(old)); n != 1 {
		return fmt.Errorf("patch %s: found %q %d times, want once (did the template change?)", path, old, n)
	}
	return os.WriteFile(path, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644)
}

// process is a running server.
type process struct {
	cmd      *exec.Cmd
	base     string // http://127.0.0.1:port
	resource string // its MCP endpoint, also the tokens' audience
	ready    time.Duration
	pprof    string // host:port of its profiling listener
}

// start runs s on a free loopback port and waits for GET /ready to answer 200 (for the
// generated server: JWKS loaded). Logs go to /dev/null: all three servers pay for
// formatting their log lines, none for a terminal.
func start(s server, iss *issuer) (*process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	pprofPort, err := freePort()
	if err != nil {
		return nil, err
	}
	metricsPort, err := freePort()
	if err != nil {
		return nil, err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	p := &process{base: base, resource: base + "/mcp", pprof: "127.0.0.1:" + strconv.Itoa(pprofPort)}
	p.cmd = exec.Command(s.bin)
	p.cmd.Dir = filepath.Dir(s.bin)
	p.cmd.Env = append(os.Environ(),
		"HOST=127.0.0.1",
		"PORT="+strconv.Itoa(port),
		"MCP_RESOURCE_URL="+p.resource,
		"AUTH_ISSUER="+iss.url,
		"AUTH_JWKS_URL="+iss.jwksURL(),
		"AUTH_AUDIENCE="+benchAudience,
		"LOG_LEVEL=info",
		// Production settings: limits on, with the highest per-caller budget the settings
		// allow (a closed-loop load with one token is one caller: measure the server, not
		// its 429s), and metrics on.
		"RATE_LIMIT_PER_MINUTE=1000000",
		"METRICS_ADDR=127.0.0.1:"+strconv.Itoa(metricsPort),
		"BENCH_PPROF_ADDR="+p.pprof,
	)
	began := time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", s.bin, err)
	}
	client := &http.Client{Timeout: time.Second}
	deadline := began.Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := client.Get(base + "/ready")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				p.ready = time.Since(began)
				return p, nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	p.stop()
	return nil, fmt.Errorf("%s (%s) not ready within 10s", s.label, s.bin)
}

// saveProfile fetches a CPU profile of the next d from the process into path.
func (p *process) saveProfile(path string, d time.Duration) error {
	secs := max(1, int(d/time.Second))
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", p.pprof, secs))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof: status %d", resp.StatusCode)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// peakRSS is the process's high-water resident set (VmHWM), in bytes.
func (p *process) peakRSS() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

// cpuTime is the CPU time (user + system, all threads) the process has used so far,
// from /proc/<pid>/stat. Unlike throughput, CPU per request barely moves when other
// processes compete for the cores, so it is the steadier measure of what auth costs.
func (p *process) cpuTime() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, errors.New("unexpected /proc stat format")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every Linux
// architecture Go supports.
const clockTicks = 100

func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
