package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// protocolVersion is the MCP era every server is driven in: both mcp-go and the go-sdk
// serve it with a session opened by initialize.
const protocolVersion = "2025-11-25"

// callBody is the request mix: one greet_user call per request, as a client using
// the tool would send it. Ids are unique within the session, as JSON-RPC requires of
// requests in flight together (the go-sdk answers a reused one with 400).
func callBody(id uint64) string {
	return `{"jsonrpc":"2.0","id":` + strconv.FormatUint(id, 10) + `,"method":"tools/call","params":{"name":"greet_user","arguments":{"name":"Ada"}}}`
}

const wantGreeting = "Hi Ada, welcome to greeting-server!"

// openSession initializes an MCP session with token and checks that a greet_user call
// answers with the greeting, so the load that follows measures real tool calls.
func openSession(p *process, token string) (string, error) {
	post := func(body, session string) (*http.Response, []byte, error) {
		req, err := http.NewRequest(http.MethodPost, p.resource, strings.NewReader(body))
		if err != nil {
			return nil, nil, err
		}
		setHeaders(req.Header, token, session)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}
	resp, body, err := post(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"`+protocolVersion+
		`","capabilities":{},"clientInfo":{"name":"mcpgen-bench","version":"1"}}}`, "")
	if err != nil {
		return "", fmt.Errorf("initialize: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("initialize: status %d: %s", resp.StatusCode, body)
	}
	session := resp.Header.Get("Mcp-Session-Id")
	if resp, body, err = post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`, session); err != nil || resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("notifications/initialized: %v %v %s", err, statusOf(resp), body)
	}
	if resp, body, err = post(callBody(2), session); err != nil || resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(wantGreeting)) {
		return "", fmt.Errorf("greet_user: %v %v %s", err, statusOf(resp), body)
	}
	return session, nil
}

// checkForgedToken sends a call with a token no issuer signed and expects want: 401
// from the servers with auth (a benchmark of a server that lets everyone in would
// measure the wrong thing), 200 from the one whose token check was removed (proof the
// patch took).
func checkForgedToken(p *process, session string, want int) error {
	req, _ := http.NewRequest(http.MethodPost, p.resource, strings.NewReader(callBody(3)))
	setHeaders(req.Header, "forged.token.value", session)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("a call with a forged token got %d, want %d", resp.StatusCode, want)
	}
	return nil
}

func statusOf(resp *http.Response) any {
	if resp == nil {
		return "no response"
	}
	return resp.StatusCode
}

func setHeaders(h http.Header, token, session string) {
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json, text/event-stream")
	h.Set("MCP-Protocol-Version", protocolVersion)
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	if session != "" {
		h.Set("Mcp-Session-Id", session)
	}
}

// result is one measured point.
type result struct {
	requests   uint64
	throughput float64 // successful requests per second
	p50, p99   time.Duration
	success    float64
	codes      map[string]int
	errors     []string
	rss        int64
	cpuPerReq  time.Duration // server CPU time during the attack / requests
	exhausted  bool          // ended before its duration because the distinct tokens ran out
}

// attack drives p with vegeta for d at a fixed concurrency (as many workers and
// connections as concurrency, no rate limit: a closed loop). tokens are used in
// order; with one token every request repeats it (warm cache), with many each request
// gets the next (distinct tokens) and the attack ends early if they run out.
func attack(p *process, session string, tokens []string, concurrency int, d time.Duration) result {
	var next atomic.Uint64
	targeter := func(t *vegeta.Target) error {
		i := next.Add(1) - 1
		if len(tokens) > 1 && i >= uint64(len(tokens)) {
			return vegeta.ErrNoTargets
		}
		t.Method = http.MethodPost
		t.URL = p.resource
		t.Body = []byte(callBody(1000 + i))
		t.Header = make(http.Header, 5)
		setHeaders(t.Header, tokens[i%uint64(len(tokens))], session)
		return nil
	}
	atk := vegeta.NewAttacker(
		vegeta.Workers(uint64(concurrency)),
		vegeta.MaxWorkers(uint64(concurrency)),
		vegeta.Connections(concurrency),
		vegeta.MaxConnections(concurrency),
		vegeta.KeepAlive(true),
		vegeta.Timeout(30*time.Second),
		vegeta.MaxBody(0), // drain, do not keep, response bodies
	)
	var m vegeta.Metrics
	exhausted := false
	for res := range atk.Attack(targeter, vegeta.Rate{}, d, "bench") {
		if res.Error == vegeta.ErrNoTargets.Error() {
			exhausted = true // the pool of distinct tokens ran out: the attack ends here
			continue
		}
		m.Add(res)
	}
	m.Close()
	return result{
		exhausted:  exhausted,
		requests:   m.Requests,
		throughput: m.Throughput,
		p50:        m.Latencies.P50,
		p99:        m.Latencies.P99,
		success:    m.Success,
		codes:      m.StatusCodes,
		errors:     m.Errors,
	}
}
