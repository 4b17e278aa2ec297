package main

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update
)

func TestMain(m *testing.M) {
	// The scripts run this test binary as "mcpgen": the real main, in a child process
	// with its own stdin (not a terminal), working directory and environment.
	testscript.Main(m, map[string]func(){
		"mcpgen": main,
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":       cmdExits,
			"snapshot":    cmdSnapshot,
			"cmpmanifest": cmdCmpManifest,
		},
		Setup: func(env *testscript.Env) error {
			// $GOLDEN lets scripts compare what the CLI writes with the golden trees.
			golden, err := filepath.Abs("../../testdata/golden")
			env.Setenv("GOLDEN", golden)
			return err
		},
	})
}

// cmdExits is the script command `exits CODE PROGRAM [ARGS...]`: it runs the program like
// exec and fails unless it exits with exactly CODE, because the exit codes (0 ok, 1
// error, 2 usage) are part of the CLI contract and `! exec` only checks for non-zero.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad exit code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// cmdCmpManifest is the script command `cmpmanifest FILE WANT`: it compares two
// mcpgen.yaml files without their records (the generated list), whose checksums depend
// on where the runtime checkout is (go.mod's replace line).
func cmdCmpManifest(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: cmpmanifest FILE WANT")
	}
	got, want := withoutRecord([]byte(ts.ReadFile(args[0]))), withoutRecord([]byte(ts.ReadFile(args[1])))
	if !bytes.Equal(got, want) {
		ts.Fatalf("%s and %s differ (records aside):\n%s\n---\n%s", args[0], args[1], got, want)
	}
}

// withoutRecord is mcpgen.yaml up to its record.
func withoutRecord(manifest []byte) []byte {
	before, _, _ := bytes.Cut(manifest, []byte("\ngenerated:"))
	return before
}
