// Package redistest starts a real redis-server for tests: on a free loopback
// port, with persistence off, stopped when the test ends. When redis-server is
// not installed, a test that needs it skips with the command that installs it,
// or fails under CI (testenv's rule); .ci/run installs it.
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpgen/mcpgen/internal/testenv"
)

// installRedis installs redis-server on Debian and Ubuntu, as .ci/run does.
const installRedis = "apt-get install redis-server"

// Server is a running redis-server.
type Server struct {
	Addr string // 127.0.0.1:port
	URL  string // redis://127.0.0.1:port/0
	cmd  *exec.Cmd
	bin  string
	port int
}

func (s *Server) start() error {
	s.cmd = exec.Command(s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning")
	return s.cmd.Start()
}

// Restart starts a stopped server again on the same port, empty: what clients see
// when Redis comes back after an outage.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		t.Fatalf("restart redis-server: %v", err)
	}
	if err := s.waitReady(5 * time.Second); err != nil {
		t.Fatalf("restarted redis-server did not answer PING: %v", err)
	}
}

// Start runs redis-server on a free loopback port and waits until it answers
// PING. The server is killed when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := testenv.LookPath(t, "redis-server", installRedis)
	var last error
	for range 5 {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(port)}
		s.URL = "redis://" + s.Addr + "/0"
		s.bin, s.port = bin, port
		if err := s.start(); err != nil {
			t.Fatalf("start redis-server: %v", err)
		}
		if last = s.waitReady(5 * time.Second); last == nil {
			t.Cleanup(s.Stop)
			return s
		}
		s.Stop() // probably lost the port to someone else: try another
	}
	t.Fatalf("redis-server did not answer PING: %v", last)
	return nil
}

// Stop kills the server and waits for it to exit; calling it twice is fine.
func (s *Server) Stop() {
	if s.cmd.ProcessState != nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}

func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = ping(s.Addr); err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
