// Package examples_test runs the examples that live in modules of their own, so that
// `go test ./...` at the root proves every example of protecting an existing server.
package examples_test

import (
	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update

	"os"
	"os/exec"
	"testing"
)

// TestGoSDKExample vets and tests the official Go SDK example (its own module, so the SDK
// stays out of mcpgen's dependencies): the runtime's conformance suite against it.
func TestGoSDKExample(t *testing.T) {
	for _, args := range [][]string{{"vet", "./..."}, {"test", "-count=1", "./..."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = "gosdk"
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s in gosdk: %v\n%s", args[0], err, out)
		}
	}
}
