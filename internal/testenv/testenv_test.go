package testenv

import (
	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update

	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"testing"
)

func TestDecide(t *testing.T) {
	_, notFound := exec.LookPath("mcpgen-no-such-program")
	if notFound == nil {
		t.Fatal("mcpgen-no-such-program was found on PATH")
	}
	tests := []struct {
		name    string
		missing error
		ci      string
		want    outcome
	}{
		{"found, developer machine", nil, "", run},
		{"found, CI", nil, "true", run},
		{"not on PATH, developer machine", notFound, "", skip},
		{"not on PATH, CI", notFound, "true", fail},
		{"not on PATH, CI=1", notFound, "1", fail},
		{"other failure, CI", errors.New("npm registry unreachable"), "true", fail},
	}
	for _, tt := range tests {
		if got := decide(tt.missing, tt.ci); got != tt.want {
			t.Errorf("%s: decide(%v, %q) = %v, want %v", tt.name, tt.missing, tt.ci, got, tt.want)
		}
	}
}

// The CI variable of the environment decides between skip and fail: run LookPath for a
// missing program in a subtest that records the outcome.
func TestLookPathMissing(t *testing.T) {
	for _, tt := range []struct {
		ci         string
		skip, fail bool
	}{{"", true, false}, {"true", false, true}} {
		t.Setenv("CI", tt.ci)
		rec := &recorder{TB: t}
		done := make(chan struct{})
		go func() { // Skip and Fatal end the goroutine, as they end a test
			defer close(done)
			LookPath(rec, "mcpgen-no-such-program", "apt-get install mcpgen-no-such-program")
		}()
		<-done
		if rec.skipped != tt.skip || rec.failed != tt.fail {
			t.Errorf("CI=%q: skipped %v, failed %v; want %v, %v", tt.ci, rec.skipped, rec.failed, tt.skip, tt.fail)
		}
		if want := "mcpgen-no-such-program is not on PATH: install it with `apt-get install mcpgen-no-such-program`"; len(rec.msg) < len(want) || rec.msg[:len(want)] != want {
			t.Errorf("CI=%q: message %q, want it to start with %q", tt.ci, rec.msg, want)
		}
	}
	if p := LookPath(t, "go", "https://go.dev/dl"); p == "" {
		t.Error("LookPath(go) returned no path")
	}
}

// recorder stands in for a test so LookPath's Skipf and Fatalf can be observed.
type recorder struct {
	testing.TB
	msg             string
	skipped, failed bool
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}
