package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mcpgen/mcpgen/generator"
)

// addScopeOptions holds the flags of `mcpgen add scope`.
type addScopeOptions struct {
	dir         string
	description string
	implies     []string
	baseline    bool
	yes         bool
	dryRun      bool
}

func newAddScopeCommand(a *app) *cobra.Command {
	o := &addScopeOptions{}
	cmd := &cobra.Command{
		Use:   "scope NAME",
		Short: "Declare a scope of the project: baseline or step-up, and what it implies",
		Long: `Declare an OAuth scope in the project in this directory (or the nearest parent with an
mcpgen.yaml, or --dir). mcpgen records it in mcpgen.yaml and regenerates
internal/tools/registry.go (tools.Policy, which the runtime enforces) and the tables in
README.md between its mcpgen:tools markers; nothing else is touched.

A --baseline scope is what clients ask for at first connection: the 401 challenge and
scopes_supported name it. Any other scope is a step-up scope: a client asks for it when
a tool that needs it answers 403 insufficient_scope, so first tokens stay narrow.
--implies names a narrower scope the new one grants (repeat it, or separate with
commas): a token with the new scope may call the tools that need the implied scope, and
what that one implies in turn. An implied scope must already be known to the project
(declared, or needed by a tool): declare a hierarchy from the narrowest scope up. A
scope cannot imply itself, and offline_access is refused (it is the authorization
server's business, never a resource's).

Declare a scope before the tools that need it ('mcpgen add tool NAME --scope SCOPE'):
a scope first named by a tool is a baseline scope.

Everything is computed and checked first and then written all or nothing: a refused or
failed run leaves the project exactly as it was. In a terminal, mcpgen asks for what the
flags leave out. Without one, NAME and --description must be given, unless --yes
declares the scope with what was given.`,
		Example: `  # answer questions in the terminal
  mcpgen add scope

  # a hierarchy: files:admin implies files:write implies files:read (baseline)
  mcpgen add scope files:read --baseline --description "Read files" --yes
  mcpgen add scope files:write --implies files:read --description "Create and change files" --yes
  mcpgen add scope files:admin --implies files:write --description "Manage every file" --yes`,
		Args:              atMostOneName("add scope"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(a, cmd, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.description, "description", "", "what the scope allows (one line, for the README)")
	f.StringSliceVar(&o.implies, "implies", nil, "narrower scope this one grants; repeat (or separate with commas) for several")
	f.BoolVar(&o.baseline, "baseline", false, "clients ask for it at first connection (default: a step-up scope, asked for when a tool needs it)")
	f.BoolVarP(&o.yes, "yes", "y", false, "never prompt; declare the scope with what the flags give")
	f.StringVar(&o.dir, "dir", "", "project directory (default: this directory or the nearest parent with an mcpgen.yaml)")
	f.BoolVar(&o.dryRun, "dry-run", false, "list the files that would change, write nothing")
	f.SortFlags = false
	_ = cmd.RegisterFlagCompletionFunc("implies", cobra.NoFileCompletions)
	_ = cmd.MarkFlagDirname("dir")
	return cmd
}

// run finds the project, builds the scope from flags and answers, computes the
// addition and writes it (or lists it for --dry-run).
func (o *addScopeOptions) run(a *app, cmd *cobra.Command, args []string) error {
	d, err := o.scopeFromFlags(args, cmd.Flags())
	if err != nil {
		return err
	}
	dir, spec, err := openProject(o.dir, "add scope")
	if err != nil {
		return err
	}
	if d.Name != "" {
		if err := spec.CheckNewScopeName(d.Name); err != nil {
			return err
		}
	}

	given := func(field string) bool { return cmd.Flags().Changed(field) }
	if err := askMissing(a, o.yes, generator.ScopeQuestions(spec, &d, given), func() error {
		var missing []string
		if d.Name == "" {
			missing = append(missing, "NAME")
		}
		if !cmd.Flags().Changed("description") {
			missing = append(missing, "--description")
		}
		if len(missing) > 0 {
			return usagef(`missing %s: pass them on the command line, as in 'mcpgen add scope files:admin --implies files:write --description "Manage every file"', or run in a terminal to be asked (--yes declares the scope with what was given)`, andList(missing))
		}
		return nil
	}); err != nil {
		return err
	}
	if d.Name == "" {
		return usagef("missing NAME; pass the scope name as in 'mcpgen add scope files:admin --yes'")
	}

	add, err := generator.AddScope(os.DirFS(dir), d)
	if err != nil {
		return inFlags(err, scopeFlag)
	}
	return writeAddition(cmd.OutOrStdout(), dir, "scope "+d.Name, add.Changes, o.dryRun,
		func(out io.Writer, dryRun bool) { printScopeAddition(out, dir, add, dryRun) })
}

// scopeFromFlags builds the scope from NAME and the flags, refusing bad values before
// any question is asked.
func (o *addScopeOptions) scopeFromFlags(args []string, flags *pflag.FlagSet) (generator.Scope, error) {
	d := generator.Scope{
		Description: strings.TrimSpace(o.description),
		Implies:     generator.CleanScopes(o.implies),
		Baseline:    o.baseline,
	}
	var errs []error
	if len(args) == 1 {
		d.Name = strings.TrimSpace(args[0])
		if err := generator.ValidateScope(d.Name); err != nil {
			errs = append(errs, fmt.Errorf("invalid NAME: %w", err))
		}
	}
	if flags.Changed("implies") {
		for _, s := range o.implies {
			if err := generator.ValidateScope(strings.TrimSpace(s)); err != nil {
				errs = append(errs, fmt.Errorf("invalid --implies: %w", err))
			}
		}
		if len(o.implies) == 0 {
			errs = append(errs, errors.New("invalid --implies: a scope must not be empty"))
		}
	}
	if strings.ContainsAny(d.Description, "\n\r") {
		errs = append(errs, errors.New("invalid --description: the description must be one line"))
	}
	return d, asUsage(errors.Join(errs...))
}

// scopeFlag names the flag of `mcpgen add scope` that sets a field of generator.Scope;
// a problem of the policy as a whole (a cycle) comes from --implies.
func scopeFlag(field string) string {
	switch field {
	case "name":
		return "NAME"
	case "scopes":
		return "--implies"
	}
	return "--" + field
}
