package devrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/mcpgen/mcpgen/devserver"
)

// AuthServer is the dev authorization server serving on its loopback listener.
type AuthServer struct {
	*devserver.Server
	Client devserver.Client // the pre-registered dev client, kept in the state directory
	http   *http.Server
}

// StartAuthServer loads (or creates) the signing key and dev client, records the state
// `mcpgen dev token` reads, and serves the authorization server on p.Addr.
func (p *Project) StartAuthServer() (*AuthServer, error) {
	key, err := devserver.LoadOrCreateKey(p.StateDir)
	if err != nil {
		return nil, err
	}
	client, err := devserver.DevClient(p.StateDir)
	if err != nil {
		return nil, err
	}
	s, err := devserver.New(devserver.Config{
		Issuer: p.Issuer, Resource: p.Resource, Scopes: p.Scopes,
		Key: key, Client: client, StateDir: p.StateDir,
	})
	if err != nil {
		return nil, err
	}
	ln, err := devserver.Listen(p.Addr)
	if err != nil {
		return nil, fmt.Errorf("%w (is mcpgen dev already running? pass --as-addr 127.0.0.1:OTHER)", err)
	}
	if err := devserver.SaveState(p.StateDir, devserver.State{
		Issuer: p.Issuer, Resource: p.Resource, Scopes: p.Scopes,
		ClientID: client.ID, ClientSecret: client.Secret,
	}); err != nil {
		ln.Close()
		return nil, err
	}
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return &AuthServer{Server: s, Client: client, http: hs}, nil
}

// Close stops the authorization server, giving requests in flight 5 seconds.
func (a *AuthServer) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = a.http.Shutdown(ctx)
}

// Build builds the project's server into the state directory, writing the compiler's
// output to log. Running the binary itself (rather than go run) lets signals reach the
// server, not the go command.
func (p *Project) Build(ctx context.Context, log io.Writer) (string, error) {
	bin, err := filepath.Abs(filepath.Join(p.StateDir, "server"))
	if err != nil {
		return "", err
	}
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	build.Dir = p.Dir
	build.Stdout, build.Stderr = log, log
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build the server in %s: %w (fix the errors above; go build . shows them too)", p.Dir, err)
	}
	return bin, nil
}

// Timing of a Server: how long it may take to be ready and to stop, and how often
// /ready is asked. Variables so tests need not wait as long.
var (
	readyTimeout = 60 * time.Second
	readyPoll    = 100 * time.Millisecond
	stopTimeout  = 15 * time.Second
)

// Server is the project's server, running.
type Server struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once it has exited
	err  error         // its exit status, once done is closed
}

// StartServer runs bin (from Build) in the project's directory with Env added to this
// process's environment and its output to log, and waits until its /ready answers 200,
// that is, until it has loaded the dev authorization server's keys. A server that exits
// first, or is not ready within 60 seconds, is an error (and is stopped).
func (p *Project) StartServer(ctx context.Context, bin string, log io.Writer) (*Server, error) {
	cmd := exec.Command(bin)
	cmd.Dir = p.Dir
	cmd.Env = append(os.Environ(), p.Env()...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &Server{cmd: cmd, done: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(ctx, fmt.Sprintf("http://127.0.0.1:%d/ready", p.Port)); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// waitReady polls ready until it answers 200.
func (s *Server) waitReady(ctx context.Context, ready string) error {
	deadline := time.After(readyTimeout)
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return fmt.Errorf("the server exited before it was ready (%v): see its output above", s.err)
		case <-deadline:
			return fmt.Errorf("the server was not ready on %s within %gs: see its output above", ready, readyTimeout.Seconds())
		case <-tick.C:
			resp, err := client.Get(ready)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return nil
				}
			}
		}
	}
}

// Done is closed when the server has exited, stopped or not.
func (s *Server) Done() <-chan struct{} { return s.done }

// Exited says why the server ended by itself, once Done is closed: it is meant to run
// until stopped, so even a clean exit is an error that ends `mcpgen dev`.
func (s *Server) Exited() error {
	<-s.done
	if s.err != nil {
		return fmt.Errorf("the server stopped: %w", s.err)
	}
	return errors.New("the server stopped")
}

// Stop sends SIGTERM and waits for the server to exit, killing it after 15 seconds. An
// exit by the signal or with status 0 is a clean stop; any other status is returned.
func (s *Server) Stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		var ee *exec.ExitError
		if s.err != nil && !(errors.As(s.err, &ee) && !ee.Exited()) {
			return fmt.Errorf("the server exited with %w", s.err)
		}
		return nil
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.done
		return fmt.Errorf("the server did not stop within %gs of SIGTERM and was killed", stopTimeout.Seconds())
	}
}
