package e2e

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/internal/harness"
	"github.com/mcpgen/mcpgen/internal/redistest"
	"github.com/mcpgen/mcpgen/runtime/authtest"
)

// replica is one generated server process of a scale-out test.
type replica struct {
	server
	metricsURL string
	proc       *harness.Process
}

// startReplica runs bin as one replica behind an imagined load balancer: every replica
// has the same public URL (resource), its own port, and env on top.
func startReplica(t *testing.T, bin, resource string, iss *authtest.Issuer, env ...string) *replica {
	t.Helper()
	port := harness.FreePort(t)
	metricsPort := harness.FreePort(t)
	r := &replica{
		server:     server{URL: "http://127.0.0.1:" + strconv.Itoa(port), MCPURL: "http://127.0.0.1:" + strconv.Itoa(port) + "/mcp", Issuer: iss},
		metricsURL: "http://127.0.0.1:" + strconv.Itoa(metricsPort) + "/metrics",
	}
	cmd := exec.Command(bin)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(),
		"HOST=127.0.0.1",
		"PORT="+strconv.Itoa(port),
		"MCP_RESOURCE_URL="+resource,
		"METRICS_ADDR=127.0.0.1:"+strconv.Itoa(metricsPort),
	)
	cmd.Env = append(cmd.Env, env...)
	r.proc = harness.Start(t, "replica on port "+strconv.Itoa(port), cmd)
	r.log = r.proc.Log
	r.proc.WaitReady(t, r.URL+"/ready")
	return r
}

func buildServer(t *testing.T, iss *authtest.Issuer) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return harness.GenerateServer(t, root, serverName,
		"--provider", "generic", "--issuer", iss.URL, "--jwks-url", iss.JWKSURL)
}

// TestReplicasShareRateLimit runs two generated server processes against one real
// redis-server, as two replicas behind a load balancer would run, and spends one
// caller's budget across both: the limit holds for the pair, not per replica.
func TestReplicasShareRateLimit(t *testing.T) {
	rs := redistest.Start(t)
	const resource = "https://mcp.example.com/mcp" // the load balancer's URL
	iss := authtest.NewIssuer(t, authtest.WithAudience(resource))
	bin := buildServer(t, iss)
	// Replicas share the session key, so a session goes on on either of them.
	env := []string{"REDIS_URL=" + rs.URL, "RATE_LIMIT_PER_MINUTE=4", "MCP_SESSION_KEY=e2e-session-key-shared-by-both-replicas"}
	a := startReplica(t, bin, resource, iss, env...)
	b := startReplica(t, bin, resource, iss, env...)
	token := iss.Mint(authtest.Claims{"sub": "shared-user", "client_id": "app", "scope": "usr:read"})

	// The session starts on one replica and goes on on both: request 1 of 4.
	session := a.initialize(t, token)
	for i, r := range []*replica{b, a, b} {
		if res := r.callInSession(t, token, session); res.StatusCode != http.StatusOK {
			t.Fatalf("request %d (within the shared budget of 4): status %d, want 200", i+2, res.StatusCode)
		}
	}
	// Another caller who learns the session id cannot use it on either replica.
	intruder := iss.Mint(authtest.Claims{"sub": "intruder", "client_id": "app", "scope": "usr:read"})
	for name, r := range map[string]*replica{"first": a, "second": b} {
		if res := r.callInSession(t, intruder, session); res.StatusCode != http.StatusNotFound {
			t.Errorf("another caller in the session on the %s replica: status %d, want 404", name, res.StatusCode)
		}
	}
	for name, r := range map[string]*replica{"first": a, "second": b} {
		res := r.callInSession(t, token, session)
		if res.StatusCode != http.StatusTooManyRequests {
			t.Errorf("%s replica, budget spent on both: status %d, want 429", name, res.StatusCode)
			continue
		}
		if res.Header.Get("Retry-After") == "" || res.Header.Get("RateLimit-Policy") != `"principal";q=4;w=60` {
			t.Errorf("%s replica: 429 without Retry-After/RateLimit-Policy: %v", name, res.Header)
		}
	}
	// Each replica counted its own refusal in its metrics.
	for _, r := range []*replica{a, b} {
		// The refusal is counted just after the client has its answer: poll briefly.
		var m string
		for range 100 {
			if m = scrape(t, r.metricsURL); strings.Contains(m, `mcp_requests_total{status="429",tool="none"} 1`) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if !strings.Contains(m, `mcp_rate_limited_total{policy="principal"} 1`) ||
			!strings.Contains(m, `mcp_requests_total{status="429",tool="none"} 1`) ||
			!strings.Contains(m, `mcp_requests_total{status="200",tool="greet_user"}`) {
			t.Errorf("metrics of %s lack the calls and the refusal:\n%s", r.URL, grepLines(m, "mcp_"))
		}
	}
}

// TestSIGTERMEndsStreams: an open event stream must not hold shutdown until
// SHUTDOWN_TIMEOUT. The harness sends SIGTERM and allows 15s, far less than the 60s
// deadline set here, and fails on anything but a clean exit.
func TestSIGTERMEndsStreams(t *testing.T) {
	const resource = "https://mcp.example.com/mcp"
	iss := authtest.NewIssuer(t, authtest.WithAudience(resource))
	r := startReplica(t, buildServer(t, iss), resource, iss, "SHUTDOWN_TIMEOUT=60s")

	req, err := http.NewRequest(http.MethodGet, r.MCPURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+iss.Mint(authtest.Claims{"scope": "usr:read"}))
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("GET stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	streamEnded := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, bufio.NewReader(res.Body))
		close(streamEnded)
	}()

	r.proc.Stop(t)
	select {
	case <-streamEnded:
	case <-time.After(5 * time.Second): // the process is gone; this only guards a hang
		t.Error("the event stream stayed open after the server stopped")
	}
	if log := r.log.String(); !strings.Contains(log, `"msg":"stopped"`) || strings.Contains(log, "deadline passed") {
		t.Errorf("shutdown was not a clean drain; log:\n%s", log)
	}
}

// initialize starts a 2025-11-25 session with a raw request and returns its id.
func (s *server) initialize(t *testing.T, token string) string {
	t.Helper()
	res := s.post(t, token, "", `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}`)
	id := res.Header.Get("Mcp-Session-Id")
	if res.StatusCode != http.StatusOK || id == "" {
		t.Fatalf("initialize on %s: status %d, session %q", s.URL, res.StatusCode, id)
	}
	return id
}

// callInSession calls greet_user in a 2025-11-25 session.
func (s *server) callInSession(t *testing.T, token, session string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.MCPURL, strings.NewReader(toolsCall("greet_user")))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Mcp-Session-Id", session)
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func grepLines(s, prefix string) string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
