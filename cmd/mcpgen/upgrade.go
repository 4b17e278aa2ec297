package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mcpgen/mcpgen/generator"
	"github.com/mcpgen/mcpgen/internal/merge"
)

// upgradeOptions holds the flags of `mcpgen upgrade`.
type upgradeOptions struct {
	dir    string
	dryRun bool
	yes    bool
}

func newUpgradeCommand(a *app) *cobra.Command {
	o := &upgradeOptions{}
	cmd := &cobra.Command{
		Use:   "upgrade",
		Short: "Bring the project to this mcpgen: new templates merged with your edits",
		Long: `Bring the project in this directory (or the nearest parent with an mcpgen.yaml, or
--dir) to this version of mcpgen. mcpgen renders the project again from mcpgen.yaml with
its current templates and, file by file:

  replaced  a file you did not change gets the new version
  merged    a file you changed gets the new version with your edits carried over
            (a three-way merge from the pristine copy in .mcpgen/base/)
  conflict  you and mcpgen changed the same lines: both versions are written between
            <<<<<<< yours / ======= / >>>>>>> mcpgen VERSION markers for you to resolve
  added     a file new in this version of mcpgen
  kept      a file left as it is: already current, or yours (tool files are never
            touched)

go.mod keeps your requirements and replaces; mcpgen's requirements are raised (the
mcpgen runtime to this version) and go.sum gets the new lines. mcpgen.yaml and
.mcpgen/base/ then record the new versions.

Everything is computed first and written all or nothing. When there are conflicts,
mcpgen asks before writing them (in a terminal), or writes them only with --yes, and
exits with status 1 until they are resolved. --dry-run prints the report and a unified
diff of every change, and writes nothing. Commit (or stash) your work first, so
'git diff' shows what the upgrade did.`,
		Example: `  # see what would change
  mcpgen upgrade --dry-run

  # upgrade, then check the result
  mcpgen upgrade && go build ./... && go test ./... && mcpgen check`,
		Args:              cobra.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(a, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.dryRun, "dry-run", false, "print the report and a unified diff of every change, write nothing")
	f.BoolVarP(&o.yes, "yes", "y", false, "never prompt; write files with conflict markers when there are conflicts")
	f.StringVar(&o.dir, "dir", "", "project directory (default: this directory or the nearest parent with an mcpgen.yaml)")
	f.SortFlags = false
	_ = cmd.MarkFlagDirname("dir")
	return cmd
}

func (o *upgradeOptions) run(a *app, out io.Writer) error {
	dir, rt, err := projectAndRuntime(a, o.dir)
	if err != nil {
		return err
	}
	u, err := generator.PlanUpgrade(os.DirFS(dir), rt)
	if err != nil {
		return projectError(o.dir, dir, "upgrade", err)
	}
	printUpgrade(out, dir, u, o.dryRun)
	if !slices.ContainsFunc(u.Files, func(f generator.FileOutcome) bool { return f.Outcome != generator.Kept }) {
		// Only the record may be behind (a file brought up to date by hand): keep it.
		if !o.dryRun {
			if err := generator.Update(dir, u.Changes); err != nil {
				return fmt.Errorf("upgrade %s: %w; the project was left as it was", displayDir(dir), err)
			}
		}
		fmt.Fprintln(out, "the project is current: no file to change")
		return nil
	}
	if o.dryRun {
		printUpgradeDiff(out, u)
		fmt.Fprintln(out, "dry run: nothing was written")
		return nil
	}
	if len(u.Conflicts) > 0 && !o.yes {
		p := a.prompter()
		if p == nil {
			return fmt.Errorf("%s would get conflict markers, so nothing was written: pass --yes to write them and resolve them by hand, or see the changes with --dry-run", andList(u.Conflicts))
		}
		ok, err := p.Confirm(fmt.Sprintf("Write %s with conflict markers for you to resolve?", andList(u.Conflicts)), false, "nothing is written if you answer no")
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(out, "nothing was written")
			return nil
		}
	}
	if err := generator.Update(dir, u.Changes); err != nil {
		return fmt.Errorf("upgrade %s: %w; the project was left as it was", displayDir(dir), err)
	}
	if len(u.Conflicts) > 0 {
		return fmt.Errorf("upgraded with conflicts in %s: resolve each <<<<<<< yours … >>>>>>> region (keep what you need of both), then run go build ./... && go test ./... and mcpgen check", andList(u.Conflicts))
	}
	fmt.Fprintf(out, "\nnext: go build ./... && go test ./..., review the changes (git diff) and commit them\n")
	return nil
}

// printUpgrade writes the report: each file with its outcome.
func printUpgrade(w io.Writer, dir string, u *generator.Upgrade, dryRun bool) {
	would := ""
	if dryRun {
		would = "would "
	}
	fmt.Fprintf(w, "%supgrade %s from mcpgen %s to mcpgen %s:\n", would, displayDir(dir), generator.DisplayVersion(u.From), generator.DisplayVersion(u.To))
	for _, f := range u.Files {
		note := ""
		if f.Note != "" {
			note = "  (" + f.Note + ")"
		}
		fmt.Fprintf(w, "  %-9s %s%s\n", f.Outcome, f.Path, note)
	}
}

// printUpgradeDiff writes the unified diff of every file the upgrade writes.
func printUpgradeDiff(w io.Writer, u *generator.Upgrade) {
	for _, c := range u.Changes {
		if c.RecordOnly {
			continue
		}
		from := "a/" + c.Path
		if c.Create {
			from = "/dev/null"
		}
		if d := merge.Unified(from, "b/"+c.Path, c.Old, c.Data); d != "" {
			fmt.Fprint(w, "\n"+strings.TrimSuffix(d, "\n")+"\n")
		}
	}
	fmt.Fprintf(w, "\n(and the pristine copies of the new versions in %s/)\n", generator.BaseDir)
}

// projectAndRuntime finds the project of upgrade or check (see projectDir) and the
// runtime this mcpgen generates for.
func projectAndRuntime(a *app, flagDir string) (string, generator.RuntimeRef, error) {
	dir, err := projectDir(flagDir)
	if err != nil {
		return "", generator.RuntimeRef{}, err
	}
	rt, err := a.currentRuntime()
	if err != nil {
		return "", rt, fmt.Errorf("find the mcpgen runtime: %w", err)
	}
	return dir, rt, nil
}
