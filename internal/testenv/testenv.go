// Package testenv decides what a test does when the machine lacks something it needs
// besides Go and npm, such as redis-server. `go test ./...` must pass on a fresh
// machine with Go and npm only (DESIGN.md, Tests), so such a test skips there, saying
// how to install what is missing. Under CI (the environment variable CI set, as CI
// services and .ci/run set it) everything must be present and every test run, so the
// same test fails instead: a skip there would hide that it never ran.
package testenv

import (
	"errors"
	"os"
	"os/exec"
	"testing"
)

// LookPath returns the path of program on PATH. When it is not there, t is skipped,
// or failed under CI, saying to run install (the command that installs it).
func LookPath(t testing.TB, program, install string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if decide(err, os.Getenv("CI")) != run {
		Unavailable(t, program+" is not on PATH", "install it with `"+install+"`")
	}
	return path
}

// Unavailable skips t, or fails it under CI, because something it needs is missing:
// what says which (such as "redis-server is not on PATH"), fix how to get it.
func Unavailable(t testing.TB, what, fix string) {
	t.Helper()
	switch decide(errors.New(what), os.Getenv("CI")) {
	case fail:
		t.Fatalf("%s: %s (CI is set, so nothing may be missing)", what, fix)
	default:
		t.Skipf("%s: %s; skipped (with CI set, this fails)", what, fix)
	}
}

// outcome is what a test does about one thing it needs.
type outcome int

const (
	run  outcome = iota // it is there
	skip                // missing on a developer's machine
	fail                // missing under CI
)

// decide is the rule. missing is the error of looking for what the test needs (nil:
// found); ci is the value of the CI environment variable, set when not empty.
func decide(missing error, ci string) outcome {
	switch {
	case missing == nil:
		return run
	case ci != "":
		return fail
	default:
		return skip
	}
}
