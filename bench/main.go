// Command bench compares, on one machine in one run, the request throughput, latency
// and memory of (a) the generated greeting server (testdata/golden/greeting-server,
// auth on, verified-token cache on), (b) the same server with its auth middleware
// removed (the ceiling), and (c) the same greet_user server written on the official
// Go SDK with auth.RequireBearerToken and a golang-jwt/keyfunc verifier. It also
// measures the generated server's cold start (process start to /ready 200, JWKS
// loaded) and the time of `mcpgen new`, and writes a markdown report.
//
// Run it from this directory:
//
//	go run . [-duration 5s] [-conc 4,16,64] [-rounds 3] [-out results.md]
//	go run . -smoke          # a seconds-long pass that proves the harness works
//
// It is a separate module so the load generator (vegeta) and the peer SDK never enter
// the product's go.mod. See docs/PERFORMANCE.md for the method and the last results.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

type config struct {
	duration, warmup time.Duration
	conc             []int
	rounds           int
	tokens           int
	starts, news     int
	out              string
	repo             string
	profileDir       string
	alg              string
}

func main() {
	var cfg config
	var conc string
	smoke := flag.Bool("smoke", false, "run a few-second pass (short attacks, one concurrency) to check the harness")
	flag.DurationVar(&cfg.duration, "duration", 5*time.Second, "length of each measured attack")
	flag.DurationVar(&cfg.warmup, "warmup", time.Second, "unmeasured load before each attack (connections, session, warm token)")
	flag.StringVar(&conc, "conc", "4,16,64", "comma-separated concurrencies (workers = keep-alive connections)")
	flag.IntVar(&cfg.rounds, "rounds", 3, "times the whole matrix runs, interleaved; the table shows medians")
	flag.IntVar(&cfg.tokens, "tokens", 30000, "distinct tokens minted for the distinct-token mix (RS256: ~1 ms each)")
	flag.StringVar(&cfg.alg, "alg", "RS256", "signing algorithm of the issuer's key and every token: RS256, ES256 or EdDSA")
	flag.IntVar(&cfg.starts, "starts", 10, "cold starts measured")
	flag.IntVar(&cfg.news, "news", 10, "`mcpgen new` runs measured")
	flag.StringVar(&cfg.out, "out", "results.md", "markdown report to write")
	flag.StringVar(&cfg.repo, "repo", "..", "the mcpgen checkout")
	flag.StringVar(&cfg.profileDir, "profile", "", "if set, save a CPU profile of (a) and (b) during each attack of round 1 into this directory")
	flag.Parse()
	if *smoke {
		cfg.duration, cfg.warmup, conc, cfg.rounds, cfg.tokens, cfg.starts, cfg.news = 500*time.Millisecond, 200*time.Millisecond, "2", 1, 200, 2, 2
	}
	for _, f := range strings.Split(conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench: -conc %q: want positive integers separated by commas\n", conc)
			os.Exit(2)
		}
		cfg.conc = append(cfg.conc, n)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

type mix struct {
	name     string
	distinct bool
}

var mixes = []mix{{"warm (same token)", false}, {"distinct token per request", true}}

type point struct {
	mix    string
	conc   int
	server string
}

func run(cfg config) error {
	repo, err := filepath.Abs(cfg.repo)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(repo, "testdata", "golden", "greeting-server", "go.mod")); err != nil {
		return fmt.Errorf("-repo %s is not an mcpgen checkout: %w", repo, err)
	}
	benchDir, err := os.Getwd()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "mcpgen-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	machine := describeMachine()
	logf("machine: %s", machine.summary())
	logf("building the three servers and mcpgen")
	servers, mcpgenBin, err := buildServers(repo, benchDir, work)
	if err != nil {
		return err
	}
	iss, err := newIssuer(cfg.alg)
	if err != nil {
		return err
	}
	defer iss.close()

	// Every process gets a fresh port; AUTH_AUDIENCE pins the accepted audience so one
	// pool of tokens serves them all.
	logf("minting %d %s tokens", cfg.tokens, cfg.alg)
	pool, err := iss.mintMany(benchAudience, cfg.tokens)
	if err != nil {
		return err
	}
	warm, err := iss.mint(benchAudience, -1)
	if err != nil {
		return err
	}

	results := map[point][]result{}
	for round := 1; round <= cfg.rounds; round++ {
		for _, c := range cfg.conc {
			for _, mx := range mixes {
				for _, s := range servers {
					if (s.id == "b" || s.id == "d") && mx.distinct {
						// (b) and (d) verify no token: one run serves both mixes.
						continue
					}
					tokens := []string{warm}
					if mx.distinct {
						tokens = pool
					}
					profile := ""
					if cfg.profileDir != "" && round == 1 && s.id != "c" {
						profile = filepath.Join(cfg.profileDir, fmt.Sprintf("%s-%s-c%d.pprof", s.id, strings.Fields(mx.name)[0], c))
					}
					r, err := measure(s, iss, warm, tokens, c, cfg, profile)
					if err != nil {
						return fmt.Errorf("round %d, %s, %s, concurrency %d: %w", round, s.label, mx.name, c, err)
					}
					note := ""
					if r.exhausted {
						note = fmt.Sprintf("  (token pool used up after %d requests)", r.requests)
					}
					logf("round %d  c=%-3d  %-27s  %-27s %8.0f req/s  p50 %-9v p99 %-9v cpu/req %-7v rss %5.1f MiB  ok %.1f%%%s",
						round, c, mx.name, s.label, r.throughput, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond),
						r.cpuPerReq.Round(time.Microsecond), mib(r.rss), 100*r.success, note)
					results[point{mx.name, c, s.id}] = append(results[point{mx.name, c, s.id}], r)
				}
			}
		}
	}

	logf("cold start of (a), %d times", cfg.starts)
	var starts []time.Duration
	for range cfg.starts {
		p, err := start(servers[0], iss)
		if err != nil {
			return err
		}
		starts = append(starts, p.ready)
		p.stop()
	}
	logf("mcpgen new, %d times", cfg.news)
	news, err := timeNew(mcpgenBin, work, cfg.news)
	if err != nil {
		return err
	}

	report := renderReport(cfg, machine, servers, results, starts, news)
	fmt.Print(report)
	if err := os.WriteFile(cfg.out, []byte(report), 0o644); err != nil {
		return fmt.Errorf("write -out %s: %w", cfg.out, err)
	}
	logf("wrote %s", cfg.out)
	return nil
}

// benchAudience is the audience every token carries and every server is told to
// accept, so one pool of tokens serves all processes whatever port they get.
const benchAudience = "http://127.0.0.1/bench-mcp"

// measure starts a fresh process of s (empty cache, clean RSS high-water mark), opens
// a session, warms up with the warm token, attacks, and reads the peak RSS.
func measure(s server, iss *issuer, warm string, tokens []string, conc int, cfg config, profile string) (result, error) {
	p, err := start(s, iss)
	if err != nil {
		return result{}, err
	}
	defer p.stop()
	session, err := openSession(p, warm)
	if err != nil {
		return result{}, err
	}
	want := http.StatusUnauthorized
	if s.id == "b" || s.id == "d" {
		want = http.StatusOK
	}
	if err := checkForgedToken(p, session, want); err != nil {
		return result{}, err
	}
	if cfg.warmup > 0 {
		attack(p, session, []string{warm}, conc, cfg.warmup)
	}
	cpu0, err := p.cpuTime()
	if err != nil {
		return result{}, err
	}
	profiled := make(chan error, 1)
	if profile != "" {
		go func() { profiled <- p.saveProfile(profile, cfg.duration-time.Second) }()
	} else {
		profiled <- nil
	}
	r := attack(p, session, tokens, conc, cfg.duration)
	cpu1, err := p.cpuTime()
	if perr := <-profiled; perr != nil {
		return result{}, fmt.Errorf("profile: %w", perr)
	}
	if err != nil {
		return result{}, err
	}
	if r.requests > 0 {
		r.cpuPerReq = (cpu1 - cpu0) / time.Duration(r.requests)
	}
	if r.success < 0.999 {
		return result{}, fmt.Errorf("%.2f%% of requests failed: codes %v, errors %v", 100*(1-r.success), r.codes, r.errors)
	}
	if r.rss, err = p.peakRSS(); err != nil {
		return result{}, err
	}
	return r, nil
}

// timeNew runs `mcpgen new` n times into fresh directories, timing each from process
// start to exit.
func timeNew(bin, work string, n int) ([]time.Duration, error) {
	var out []time.Duration
	for i := range n {
		dir := filepath.Join(work, "new", strconv.Itoa(i))
		cmd := exec.Command(bin, "new", "bench-server", "--yes", "--dir", dir,
			"--provider", "generic", "--issuer", "https://auth.example.com", "--jwks-url", "https://auth.example.com/jwks")
		began := time.Now()
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("mcpgen new: %w\n%s", err, b)
		}
		out = append(out, time.Since(began))
	}
	return out, nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().UTC().Format("15:04:05")+" "+format+"\n", args...)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func median[T int64 | float64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// machineInfo is what the report says about where it ran.
type machineInfo struct {
	cpu                 string
	cores               int
	kernel, goVersion   string
	loadBefore, loadEnd string
}

func describeMachine() *machineInfo {
	m := &machineInfo{cores: runtime.NumCPU(), goVersion: runtime.Version(), cpu: "unknown CPU"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				m.cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = "Linux " + strings.TrimSpace(string(b))
	}
	m.loadBefore = loadavg()
	return m
}

func (m *machineInfo) summary() string {
	return fmt.Sprintf("%s, %d cores, %s, %s, load average %s", m.cpu, m.cores, m.kernel, m.goVersion, m.loadBefore)
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
