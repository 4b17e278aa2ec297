package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/mcpgen/mcpgen/generator"
)

// checkOptions holds the flags of `mcpgen check`.
type checkOptions struct {
	dir string
}

func newCheckCommand(a *app) *cobra.Command {
	o := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the project for CI: registry, manifest and metadata agree, and it is current",
		Long: `Check the project in this directory (or the nearest parent with an mcpgen.yaml, or
--dir) and change nothing. It fails (exit status 1) when:

  - mcpgen.yaml cannot be read or does not describe a valid project;
  - internal/tools/registry.go is missing, was edited by hand (its checksum seal), or
    binds tools to other scopes than mcpgen.yaml says;
  - the metadata would not advertise what mcpgen.yaml declares (main.go does not use
    tools.Policy);
  - a file still has conflict markers from mcpgen upgrade, or the record of what mcpgen
    wrote (mcpgen.yaml's generated list, .mcpgen/base/) is missing or altered;
  - the project is behind this mcpgen: generated with an older version, or this
    version's templates generate a file differently (run mcpgen upgrade).

Each problem says what to run or restore. Your edits of the files you share with
mcpgen (main.go, README.md, Makefile, …) are listed as notes and do not fail the check:
editing them is what they are for, and mcpgen upgrade merges them.

Exit status: 0 when there is no problem (notes may be printed), 1 when there is one
(or the directory is not a project), 2 for a usage error. In CI, install the mcpgen
version the project was upgraded to, then run mcpgen check.`,
		Example: `  # in CI, from the project's directory
  go install github.com/mcpgen/mcpgen/cmd/mcpgen@VERSION && mcpgen check`,
		Args:              cobra.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(a, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&o.dir, "dir", "", "project directory (default: this directory or the nearest parent with an mcpgen.yaml)")
	_ = cmd.MarkFlagDirname("dir")
	return cmd
}

func (o *checkOptions) run(a *app, out io.Writer) error {
	dir, rt, err := projectAndRuntime(a, o.dir)
	if err != nil {
		return err
	}
	findings, err := generator.Check(os.DirFS(dir), rt)
	if err != nil {
		return projectError(o.dir, dir, "check", err)
	}
	problems := printFindings(out, dir, findings)
	if problems > 0 {
		return fmt.Errorf("check %s: %d problem(s), each with its fix above", displayDir(dir), problems)
	}
	return nil
}

// printFindings lists the findings, problems first, and returns how many problems.
func printFindings(w io.Writer, dir string, findings []generator.Finding) int {
	problems := 0
	for _, f := range findings {
		if f.Problem {
			problems++
		}
	}
	if problems == 0 {
		fmt.Fprintf(w, "%s: ok\n", displayDir(dir))
	}
	for _, problem := range []bool{true, false} {
		for _, f := range findings {
			if f.Problem != problem {
				continue
			}
			kind := "note"
			if problem {
				kind = "problem"
			}
			fmt.Fprintf(w, "%s: %s: %s\n", kind, f.File, f.Message)
			if f.Fix != "" {
				fmt.Fprintf(w, "  fix: %s\n", f.Fix)
			}
		}
	}
	return problems
}
