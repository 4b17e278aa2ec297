package httpserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/internal/logcapture"
)

// waitFor polls cond; the generous limit only guards against a hang, it is
// not a speed assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestNew(t *testing.T) {
	h := http.NewServeMux()
	srv := New("127.0.0.1:3002", h)
	if srv.Addr != "127.0.0.1:3002" {
		t.Errorf("Addr %q", srv.Addr)
	}
	if srv.Handler != http.Handler(h) {
		t.Errorf("Handler not the one given")
	}
	for name, got := range map[string]time.Duration{
		"ReadHeaderTimeout": srv.ReadHeaderTimeout,
		"ReadTimeout":       srv.ReadTimeout,
		"IdleTimeout":       srv.IdleTimeout,
	} {
		if got <= 0 {
			t.Errorf("%s unset: a zero value means no limit", name)
		}
	}
	if srv.WriteTimeout != 0 {
		t.Errorf("WriteTimeout %v would cut SSE streams", srv.WriteTimeout)
	}
	if srv.MaxHeaderBytes != 64<<10 {
		t.Errorf("MaxHeaderBytes %d", srv.MaxHeaderBytes)
	}
}

// TestServeDrains: on cancel, the listener closes at once while a slow
// in-flight request still completes, and Serve then returns nil.
func TestServeDrains(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	srv := New("", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		_, _ = io.WriteString(w, "done")
	}))
	ln := listen(t)
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, srv, ln, time.Minute, quietLogger()) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	<-started
	cancel()

	waitFor(t, "new connections to be refused", func() bool {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return errors.Is(err, syscall.ECONNREFUSED)
		}
		c.Close()
		return false
	})
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v with a request in flight", err)
	case r := <-got:
		t.Fatalf("in-flight request ended early: %+v", r)
	default:
	}
	close(release)
	if r := <-got; r.err != nil || r.body != "done" {
		t.Errorf("in-flight request: %q, %v", r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve after a clean drain: %v", err)
	}
}

// TestServeDeadline: a request that outlives the drain deadline (like an SSE
// stream) is cut off, its context is cancelled, and Serve reports it.
func TestServeDeadline(t *testing.T) {
	started := make(chan struct{})
	handlerDone := make(chan struct{})
	srv := New("", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.(http.Flusher).Flush()
		close(started)
		<-r.Context().Done()
		close(handlerDone)
	}))
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, srv, ln, 50*time.Millisecond, quietLogger()) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	<-started
	cancel()
	err = <-served
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "still running") {
		t.Errorf("Serve = %v, want a drain deadline error", err)
	}
	select {
	case <-handlerDone:
	case <-time.After(10 * time.Second):
		t.Fatal("handler context not cancelled after the forced close")
	}
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Errorf("stream ended cleanly; want the connection cut")
	}
}

func TestRun(t *testing.T) {
	var logs logcapture.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	srv := New("127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- Run(ctx, srv, 0, logger) }()

	// The chosen port is only known from the "listening" line.
	var addr string
	waitFor(t, "the listening line", func() bool {
		for l := range strings.SplitSeq(logs.String(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "listening" {
				addr, _ = m["addr"].(string)
				return true
			}
		}
		return false
	})
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" {
		t.Errorf("body %q", b)
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("Run = %v", err)
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Errorf("no stopped line:\n%s", logs.String())
	}
}

func TestRunPortInUse(t *testing.T) {
	ln := listen(t)
	defer ln.Close()
	addr := ln.Addr().String()
	err := Run(context.Background(), New(addr, http.NotFoundHandler()), time.Second, quietLogger())
	if err == nil {
		t.Fatal("Run on a busy port succeeded")
	}
	if !errors.Is(err, syscall.EADDRINUSE) || !strings.HasPrefix(err.Error(), "listen on "+addr+": ") || strings.Count(err.Error(), addr) != 1 {
		t.Errorf("error %q: want it to name %s once and wrap EADDRINUSE", err, addr)
	}
	if err := Run(context.Background(), New("127.0.0.1:bogus", http.NotFoundHandler()), time.Second, quietLogger()); err == nil || !strings.Contains(err.Error(), "127.0.0.1:bogus") {
		t.Errorf("bad address: %v", err)
	}
}

// TestReadTimeoutSparesStreams holds net/http to what ReadTimeout's comment
// relies on: once the body is read, a stream may outlive ReadTimeout with its
// context intact, over HTTP/1.1 and, with TLS, over HTTP/2.
func TestReadTimeoutSparesStreams(t *testing.T) {
	// Generous enough for a TLS handshake under -race, which ReadTimeout
	// also bounds; the subtests run in parallel to keep the wait short.
	const readTimeout = 300 * time.Millisecond
	cert, tlsClient := testCert(t)
	for _, proto := range []string{"HTTP/1.1", "HTTP/2.0"} {
		for _, method := range []string{"GET", "POST"} {
			t.Run(proto+" "+method, func(t *testing.T) {
				t.Parallel()
				ctxErr := make(chan error, 1)
				srv := New("", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Proto != proto {
						t.Errorf("served over %s, want %s", r.Proto, proto)
					}
					_, _ = io.ReadAll(r.Body)
					w.Header().Set("Content-Type", "text/event-stream")
					_, _ = io.WriteString(w, "data: 1\n\n")
					w.(http.Flusher).Flush()
					time.Sleep(3 * readTimeout)
					ctxErr <- r.Context().Err()
					_, _ = io.WriteString(w, "data: 2\n\n")
				}))
				srv.ReadTimeout = readTimeout
				scheme, client := "http", http.DefaultClient
				if proto == "HTTP/2.0" {
					srv.TLSConfig = &tls.Config{Certificates: cert}
					scheme, client = "https", tlsClient
				}
				ln := listen(t)
				ctx, cancel := context.WithCancel(context.Background())
				served := make(chan error, 1)
				go func() { served <- Serve(ctx, srv, ln, time.Minute, quietLogger()) }()
				defer func() { client.CloseIdleConnections(); cancel(); <-served }()

				req, _ := http.NewRequest(method, scheme+"://"+ln.Addr().String()+"/mcp", strings.NewReader(`{"jsonrpc":"2.0"}`))
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				if err != nil || string(b) != "data: 1\n\ndata: 2\n\n" {
					t.Errorf("stream %q, %v", b, err)
				}
				if err := <-ctxErr; err != nil {
					t.Errorf("request context ended during the stream: %v", err)
				}
			})
		}
	}
}

// testCert makes a self-signed ECDSA certificate for 127.0.0.1 (quick to
// handshake even under -race) and a client that trusts it and speaks HTTP/2.
func testCert(t *testing.T) ([]tls.Certificate, *http.Client) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	return []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}}, &http.Client{Transport: tr}
}

func TestServeTLS(t *testing.T) {
	cert, client := testCert(t)
	body, res := serveOneTLS(t, &tls.Config{Certificates: cert}, client, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Proto)
	}))
	if res.TLS == nil || body != "HTTP/2.0" {
		t.Errorf("served %q, TLS %v", body, res.TLS != nil)
	}
}

// serveOneTLS serves h with cfg on loopback, makes one GET with client and
// shuts down cleanly.
func serveOneTLS(t *testing.T, cfg *tls.Config, client *http.Client, h http.Handler) (string, *http.Response) {
	t.Helper()
	srv := New("", h)
	srv.TLSConfig = cfg
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, srv, ln, time.Minute, quietLogger()) }()
	resp, err := client.Get("https://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// An HTTP/2 server waits up to a second for the client to acknowledge
	// GOAWAY on an idle connection; closing it first keeps the test quick.
	client.CloseIdleConnections()
	cancel()
	if err := <-served; err != nil {
		t.Errorf("Serve = %v", err)
	}
	return string(b), resp
}

// TestSlowClients: a client trickling its headers or body is cut off by the
// read deadlines (shortened here), and oversized headers get 431.
func TestSlowClients(t *testing.T) {
	bodyErr := make(chan error, 1)
	srv := New("", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		bodyErr <- err
	}))
	srv.ReadHeaderTimeout = 100 * time.Millisecond
	srv.ReadTimeout = 200 * time.Millisecond
	ln := listen(t)
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, srv, ln, time.Minute, quietLogger()) }()
	defer func() { cancel(); <-served }()

	t.Run("slow headers", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = io.WriteString(c, "POST /mcp HTTP/1.1\r\nHost: x\r\n")
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadAll(c); err != nil {
			t.Errorf("connection not closed by the server: %v", err)
		}
	})
	t.Run("slow body", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = io.WriteString(c, "POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
		select {
		case err := <-bodyErr:
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("body read error %v, want a deadline", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("slow body never timed out")
		}
	})
	t.Run("huge headers", func(t *testing.T) {
		req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
		req.Header.Set("X-Big", strings.Repeat("a", 2*MaxHeaderBytes))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("status %d, want 431", resp.StatusCode)
		}
	})
}
