package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mcpgen/mcpgen/generator"
)

// app carries what every command shares: the streams it was started with and the seams
// tests replace. Commands read and write only through it (or the cobra equivalents set
// from it), never os.Stdin/os.Stdout directly.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	// prompter returns the Prompter for interactive questions, or nil when the session
	// cannot prompt (stdin or the prompt output is not a terminal).
	prompter func() Prompter
	// currentRuntime says which mcpgen runtime generated projects build against.
	currentRuntime func() (generator.RuntimeRef, error)
	// render turns a validated Spec into files; tests wrap it to observe the Spec.
	render func(generator.Spec) ([]generator.File, error)
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	return &app{
		stdin:          stdin,
		stdout:         stdout,
		stderr:         stderr,
		prompter:       func() Prompter { return terminalPrompter(stdin, stdout, stderr) },
		currentRuntime: generator.CurrentRuntime,
		render:         generator.Render,
	}
}

// newRootCommand builds the mcpgen command tree. Each subcommand lives in a file named
// after it, with its own constructor, and shares state only through the app value.
func newRootCommand(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "mcpgen",
		Short: "Scaffold OAuth-protected MCP servers in Go",
		Long: `mcpgen scaffolds MCP (Model Context Protocol) servers in Go that serve Streamable
HTTP and accept only OAuth 2.1 bearer tokens issued for them. The generated project
imports mcpgen's runtime for token validation, protected resource metadata and the
HTTP plumbing, and contains readable wiring plus your tools.`,
		Example: `  # scaffold a server, answering questions in the terminal
  mcpgen new greeting-server

  # scaffold without questions: defaults for all but the issuer
  mcpgen new greeting-server --yes --issuer https://YOUR-ENV.scalekit.dev

  # list what would be written, write nothing
  mcpgen new greeting-server --yes --issuer https://YOUR-ENV.scalekit.dev --dry-run

  # grow the project by a tool, from inside it
  mcpgen add tool weather --description "Current weather for a city." \
    --scope weather:read --arg city:string:required:"City name"`,
		Version: shortVersion(),
		// Arbitrary args reach RunE so that an unknown command is reported as a usage
		// error (exit 2) with suggestions, rather than as cobra's plain error.
		Args:          cobra.ArbitraryArgs,
		RunE:          runRoot,
		SilenceErrors: true, // run prints errors once, with the exit code mapping
		SilenceUsage:  true, // a failing command should not bury its error under usage text
		// Find's own default, which SuggestionsFor alone does not apply.
		SuggestionsMinimumDistance: 2,
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetVersionTemplate("mcpgen {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return asUsage(err) })

	root.AddCommand(
		newNewCommand(a),
		newAddCommand(a),
		newUpgradeCommand(a),
		newCheckCommand(a),
		newDevCommand(a),
		newDoctorCommand(a),
		newVersionCommand(),
	)
	addCompletionCommand(root)
	markUsageErrors(root)
	return root
}

// atMostOneName is the argument check of a command that takes an optional NAME: more
// arguments usually mean a value with spaces that lost its quotes.
func atMostOneName(command string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) > 1 {
			return usagef("%s takes one NAME, got %d arguments (%s); quote values that contain spaces", command, len(args), strings.Join(args, " "))
		}
		return nil
	}
}

// runRoot prints help for a bare `mcpgen` and refuses anything else as an unknown command.
func runRoot(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return usagef("%s", msg)
}

// addCompletionCommand adds cobra's completion command now rather than lazily at
// Execute time, so it can carry examples like every other command.
func addCompletionCommand(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Example = `  # load completions into the current bash session
  source <(mcpgen completion bash)

  # install them for zsh
  mcpgen completion zsh > "${fpath[1]}/_mcpgen"`
		for _, sh := range c.Commands() {
			sh.Example = completionExamples[sh.Name()]
		}
	}
}

// completionExamples is the one-line way to load completions for each shell cobra supports.
var completionExamples = map[string]string{
	"bash":       "  source <(mcpgen completion bash)",
	"zsh":        "  mcpgen completion zsh > \"${fpath[1]}/_mcpgen\"",
	"fish":       "  mcpgen completion fish | source",
	"powershell": "  mcpgen completion powershell | Out-String | Invoke-Expression",
}
