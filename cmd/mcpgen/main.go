// Command mcpgen scaffolds OAuth-protected MCP servers and grows them one tool at a time.
//
// It is the outer layer of mcpgen: the commands here parse flags, show the questions the
// generator asks (generator.ProjectQuestions, ToolQuestions) through a Prompter, hand
// the resulting generator.Spec to the generator (which validates, renders and writes
// the project) and explain the outcome. Flag names live here: the generator names
// fields, and each command says which of its flags sets each field.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mcpgen/mcpgen/generator"
)

// Exit codes are part of the CLI contract; scripts branch on them.
const (
	exitOK    = 0
	exitError = 1 // the command was understood but failed (conflict, write error, …)
	exitUsage = 2 // the command line itself was wrong (flag, argument, value)
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes mcpgen with args and returns the process exit code. It touches no
// process-wide state (no os.Exit, no os.Args), so tests call it in-process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runApp(newApp(stdin, stdout, stderr), args)
}

// runApp is run with the app (and so its seams) supplied by the caller.
func runApp(a *app, args []string) int {
	stderr := a.stderr
	root := newRootCommand(a)
	root.SetArgs(args) // never let cobra read os.Args (test binaries have their own flags)
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	if cmd == nil {
		cmd = root
	}
	code := exitCode(err)
	// One "mcpgen: " line per problem, so errors that list several stay readable.
	for line := range strings.SplitSeq(err.Error(), "\n") {
		fmt.Fprintf(stderr, "mcpgen: %s\n", line)
	}
	if code == exitUsage {
		fmt.Fprintf(stderr, "run '%s --help' for usage\n", cmd.CommandPath())
	}
	return code
}

// exitCode maps an error returned by a command to the exit code of the CLI contract.
func exitCode(err error) int {
	var ue *usageError
	var se *generator.SpecError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue), errors.As(err, &se):
		// A Spec that fails validation was built from the user's flags or answers:
		// a usage error (commands restate its problems in flags, see inFlags).
		return exitUsage
	default:
		return exitError
	}
}

// usageError marks an error caused by the command line (unknown flag, wrong number of
// arguments, invalid or missing value); run maps it to exit code 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usageError with a formatted message; %w wraps as with fmt.Errorf.
func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// asUsage marks err as a usage error, keeping it unchanged otherwise (nil stays nil).
func asUsage(err error) error {
	var ue *usageError
	if err == nil || errors.As(err, &ue) {
		return err
	}
	return &usageError{err: err}
}

// markUsageErrors makes every argument-count error of cmd and its subcommands (cobra's
// own, such as completion's, included) a usage error, so exit code 2 does not depend on
// each command remembering to wrap its validator.
func markUsageErrors(cmd *cobra.Command) {
	if cmd.Args != nil {
		args := cmd.Args
		cmd.Args = func(c *cobra.Command, a []string) error { return asUsage(args(c, a)) }
	}
	for _, sub := range cmd.Commands() {
		markUsageErrors(sub)
	}
}

// inFlags restates a *generator.SpecError in err (which names generator fields) with the
// flags that set them, flag(field) naming each; a usage error. Other errors are
// returned unchanged.
func inFlags(err error, flag func(field string) string) error {
	var se *generator.SpecError
	if !errors.As(err, &se) {
		return err
	}
	return &usageError{err: errors.New(se.Describe(flag))}
}

// mapStrings applies f to every element of in.
func mapStrings(in []string, f func(string) string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = f(s)
	}
	return out
}
