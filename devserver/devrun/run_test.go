package devrun

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/devserver"
)

// fakeServerEnv makes the test binary act as a project's server (see fakeServer) when
// StartServer runs it.
const fakeServerEnv = "DEVRUN_FAKE_SERVER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeServerEnv); mode != "" {
		fakeServer(mode)
		return
	}
	os.Exit(m.Run())
}

// fakeServer behaves as a generated server does under mcpgen dev, or misbehaves as
// mode says: "ok" serves /ready and exits 0 on SIGTERM; "exit" exits 3 at once; "quit"
// is ready, then exits 0 by itself; "stubborn" is ready and ignores SIGTERM; "fail" is
// ready and exits 2 on SIGTERM. /ready answers 200 only with the dev environment.
func fakeServer(mode string) {
	if mode == "exit" {
		os.Exit(3)
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	if mode == "stubborn" {
		signal.Ignore(syscall.SIGTERM)
	}
	ln, err := net.Listen("tcp", os.Getenv("HOST")+":"+os.Getenv("PORT"))
	if err != nil {
		os.Exit(4)
	}
	go func() {
		_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/ready" || os.Getenv("AUTH_TOKEN_FORMAT") != "jwt" || os.Getenv("AUTH_ISSUER") == "" {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		}))
	}()
	if mode == "quit" {
		time.Sleep(300 * time.Millisecond)
		os.Exit(0)
	}
	<-term
	if mode == "fail" {
		os.Exit(2)
	}
	os.Exit(0)
}

// freeAddr returns a loopback host:port that was free a moment ago.
func freeAddr(t *testing.T) (string, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String(), l.Addr().(*net.TCPAddr).Port
}

func fakeProject(t *testing.T) *Project {
	t.Helper()
	_, port := freeAddr(t)
	addr, _ := freeAddr(t)
	dir := t.TempDir()
	return &Project{
		Dir: dir, Name: "app", Port: port, Resource: "http://localhost:" + strconv.Itoa(port) + "/mcp",
		Issuer: "http://" + addr, Addr: addr, Scopes: []string{"usr:read"}, StateDir: filepath.Join(dir, devserver.StateDir),
	}
}

func TestServerSupervision(t *testing.T) {
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	defer func(stop, poll time.Duration) { stopTimeout, readyPoll = stop, poll }(stopTimeout, readyPoll)
	stopTimeout, readyPoll = 500*time.Millisecond, 20*time.Millisecond
	start := func(t *testing.T, mode string) (*Server, error) {
		t.Helper()
		t.Setenv(fakeServerEnv, mode)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		return fakeProject(t).StartServer(ctx, bin, os.Stderr)
	}
	t.Run("ready, then stopped", func(t *testing.T) {
		srv, err := start(t, "ok")
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
		select {
		case <-srv.Done():
		default:
			t.Error("Done is open after Stop")
		}
	})
	t.Run("exits before it is ready", func(t *testing.T) {
		if _, err := start(t, "exit"); err == nil || !strings.Contains(err.Error(), "exited before it was ready (exit status 3)") {
			t.Errorf("StartServer = %v", err)
		}
	})
	t.Run("exits by itself", func(t *testing.T) {
		srv, err := start(t, "quit")
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-srv.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("Done not closed after the server exited")
		}
		if err := srv.Exited(); err == nil || err.Error() != "the server stopped" {
			t.Errorf("Exited = %v", err)
		}
	})
	t.Run("fails when stopped", func(t *testing.T) {
		srv, err := start(t, "fail")
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Stop(); err == nil || !strings.Contains(err.Error(), "the server exited with exit status 2") {
			t.Errorf("Stop = %v", err)
		}
	})
	t.Run("ignores SIGTERM", func(t *testing.T) {
		srv, err := start(t, "stubborn")
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Stop(); err == nil || !strings.Contains(err.Error(), "did not stop within 0.5s of SIGTERM and was killed") {
			t.Errorf("Stop = %v", err)
		}
	})
	t.Run("never ready", func(t *testing.T) {
		defer func(d time.Duration) { readyTimeout = d }(readyTimeout)
		readyTimeout = 300 * time.Millisecond
		t.Setenv(fakeServerEnv, "ok")
		p := fakeProject(t)
		p.Issuer = "" // AUTH_ISSUER empty: the fake server's /ready answers 503
		_, err := p.StartServer(context.Background(), bin, os.Stderr)
		if err == nil || !strings.Contains(err.Error(), "was not ready on http://127.0.0.1:"+strconv.Itoa(p.Port)+"/ready within 0.3s") {
			t.Errorf("StartServer = %v", err)
		}
	})
}

// The authorization server serves its metadata on the project's address, records the
// state `mcpgen dev token` reads, and is gone after Close; a second one on the same
// address says what to do.
func TestStartAuthServer(t *testing.T) {
	p := fakeProject(t)
	as, err := p.StartAuthServer()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(p.Issuer + devserver.MetadataPath)
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Issuer string `json:"issuer"`
	}
	err = json.NewDecoder(resp.Body).Decode(&meta)
	resp.Body.Close()
	if err != nil || meta.Issuer != p.Issuer {
		t.Errorf("metadata issuer %q, %v; want %s", meta.Issuer, err, p.Issuer)
	}
	st, err := devserver.LoadState(p.StateDir)
	if err != nil || st.Issuer != p.Issuer || st.Resource != p.Resource || st.ClientID != as.Client.ID || as.Client.ID == "" {
		t.Errorf("state %+v, %v; client %+v", st, err, as.Client)
	}
	if _, err := p.StartAuthServer(); err == nil || !strings.Contains(err.Error(), "is mcpgen dev already running? pass --as-addr") {
		t.Errorf("second StartAuthServer = %v", err)
	}
	as.Close()
	if _, err := http.Get(p.Issuer + devserver.MetadataPath); err == nil {
		t.Error("the authorization server still answers after Close")
	}
}
