package main

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mcpgen/mcpgen/generator"
)

// newAddCommand is `mcpgen add`, the parent of what can be added to a project, so every
// addition reads `mcpgen add KIND NAME`.
func newAddCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Add to an existing project (add tool|scope|resource|prompt NAME)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newAddToolCommand(a), newAddScopeCommand(a), newAddResourceCommand(a), newAddPromptCommand(a))
	return cmd
}

// addToolOptions holds the flags of `mcpgen add tool`.
type addToolOptions struct {
	dir         string
	description string
	scopes      []string
	args        []string
	readOnly    bool
	destructive bool
	claims      []string
	public      bool
	yes         bool
	dryRun      bool
}

func newAddToolCommand(a *app) *cobra.Command {
	o := &addToolOptions{}
	cmd := &cobra.Command{
		Use:   "tool NAME",
		Short: "Add a tool to the project, bound to the scopes it requires",
		Long: `Add an MCP tool to the project in this directory (or the nearest parent with an
mcpgen.yaml, or --dir). mcpgen writes internal/tools/NAME.go with a typed argument struct
and a handler stub, and its test: both are yours to edit, and mcpgen never overwrites
them. It regenerates internal/tools/registry.go (which binds each tool to the scopes a
token needs to call it, and lists the scopes in the metadata), mcpgen.yaml and the tool
table in README.md between its mcpgen:tools markers; nothing else is touched.

Everything is computed and checked first and then written all or nothing: a refused or
failed run leaves the project exactly as it was. mcpgen refuses a tool that exists, a
name whose Go names or file would collide with existing code, and a registry that was
edited by hand (it would lose the edit).

NAME follows MCP rules: letters, digits, '_', '-' and '.', 1 to 64 characters.
--arg is name:type[:required][:description], type one of string, number, integer,
boolean or an array of one such as []string; repeat it for each argument.

Without --scope the tool requires the project's baseline scopes. A scope the project
does not know becomes a baseline scope; declare a step-up scope or a hierarchy first
with 'mcpgen add scope'. --require-claim CLAIM=VALUE[,VALUE...] also requires a claim
of the caller's token to equal (or contain) one of the values, such as
permissions=files:purge, or organization=org_123 for the provider's organization
claim; repeat it for several rules, all of which must hold. --public makes a tool
anyone may call without a token; it takes no --scope or --require-claim.

In a terminal, mcpgen asks for what the flags leave out. Without one, NAME, --description
and --scope must be given, unless --yes adds the tool with what was given.`,
		Example: `  # answer questions in the terminal
  mcpgen add tool

  # no questions
  mcpgen add tool weather --description "Current weather for a city." \
    --scope weather:read --arg city:string:required:"City name" --read-only

  # several arguments and scopes, in another directory
  mcpgen add tool create_invoice --dir ./billing --description "Creates an invoice." \
    --scope invoices:write --scope usr:read --arg customer_id:string:required \
    --arg amount:number:required:"Amount in EUR" --arg lines:[]string --destructive

  # a step-up scope and an entitlement claim; a public tool
  mcpgen add tool purge_files --description "Deletes every file of a folder." \
    --scope files:admin --require-claim permissions=files:purge --destructive
  mcpgen add tool status --description "Says whether the service is up." --public --yes`,
		Args:              atMostOneName("add tool"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(a, cmd, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.description, "description", "", "what the tool does, for the model that calls it (one line)")
	f.StringSliceVar(&o.scopes, "scope", nil, "OAuth scope a token needs to call the tool; repeat (or separate with commas) for several")
	f.StringArrayVar(&o.args, "arg", nil, `argument as name:type[:required][:description], e.g. city:string:required:"City name"; repeat for several`)
	f.BoolVar(&o.readOnly, "read-only", false, "annotate the tool as read-only (it changes nothing)")
	f.BoolVar(&o.destructive, "destructive", false, "annotate the tool as destructive (it may delete or overwrite)")
	f.StringArrayVar(&o.claims, "require-claim", nil, "claim the caller's token must carry, as CLAIM=VALUE[,VALUE...] (one value is enough); repeat for several rules")
	f.BoolVar(&o.public, "public", false, "anyone may call the tool, without a token (no --scope, no --require-claim)")
	f.BoolVarP(&o.yes, "yes", "y", false, "never prompt; add the tool with what the flags give")
	f.StringVar(&o.dir, "dir", "", "project directory (default: this directory or the nearest parent with an mcpgen.yaml)")
	f.BoolVar(&o.dryRun, "dry-run", false, "list the files that would change, write nothing")
	f.SortFlags = false

	_ = cmd.RegisterFlagCompletionFunc("arg", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("require-claim", cobra.NoFileCompletions)
	_ = cmd.MarkFlagDirname("dir")
	return cmd
}

// run finds the project, builds the tool from flags and answers, computes the addition
// and writes it (or lists it for --dry-run).
func (o *addToolOptions) run(a *app, cmd *cobra.Command, args []string) error {
	tool, err := o.toolFromFlags(args, cmd.Flags().Changed("scope"))
	if err != nil {
		return err
	}
	// The project is checked before any question, so no answer is wasted on a directory
	// that is not a project or a registry that will be refused.
	dir, spec, err := openProject(o.dir, "add tool")
	if err != nil {
		return err
	}
	if tool.Name != "" {
		if err := spec.CheckNewToolName(tool.Name); err != nil {
			return err
		}
	}

	given := func(field string) bool { return cmd.Flags().Changed(strings.TrimPrefix(toolFlag(field), "--")) }
	if err := askMissing(a, o.yes, generator.ToolQuestions(spec, &tool, given),
		func() error { return o.requireNonInteractive(tool, cmd.Flags()) }); err != nil {
		return err
	}
	if tool.Name == "" {
		return usagef("missing NAME; pass the tool name as in 'mcpgen add tool weather --yes'")
	}

	// AddTool opens the project again on purpose: the answers may have taken minutes, and
	// what it reads now is what the write checks is still in place.
	add, err := generator.AddTool(os.DirFS(dir), tool)
	if err != nil {
		return err
	}
	return writeAddition(cmd.OutOrStdout(), dir, "tool "+tool.Name, add.Changes, o.dryRun,
		func(out io.Writer, dryRun bool) { printAddition(out, dir, add, dryRun) })
}

// askMissing asks the questions of an `add` command in a terminal; without one it calls
// require, which names the flags still missing; with --yes (yes) it does neither.
func askMissing(a *app, yes bool, questions iter.Seq[generator.Question], require func() error) error {
	if yes {
		return nil
	}
	p := a.prompter()
	if p == nil {
		return require()
	}
	for q := range questions {
		if err := ask(p, q); err != nil {
			return err
		}
	}
	return nil
}

// writeAddition writes the changes of an `add` command to the project in dir, all or
// nothing, and prints them with show; with dryRun it only prints them.
func writeAddition(out io.Writer, dir, what string, changes []generator.Change, dryRun bool, show func(out io.Writer, dryRun bool)) error {
	if dryRun {
		show(out, true)
		fmt.Fprintln(out, "dry run: nothing was written")
		return nil
	}
	if err := generator.Update(dir, changes); err != nil {
		return fmt.Errorf("add %s to %s: %w; the project was left as it was", what, displayDir(dir), err)
	}
	show(out, false)
	return nil
}

// toolFromFlags builds the tool from NAME and the flags, refusing bad values before any
// question is asked.
func (o *addToolOptions) toolFromFlags(args []string, scopeGiven bool) (generator.Tool, error) {
	t := generator.Tool{
		Description: strings.TrimSpace(o.description),
		Scopes:      generator.CleanScopes(o.scopes),
		ReadOnly:    o.readOnly,
		Destructive: o.destructive,
		Public:      o.public,
	}
	var errs []error
	// An empty --scope would otherwise vanish and leave a tool without the scope the
	// user meant to require.
	if scopeGiven && (len(o.scopes) == 0 || slices.ContainsFunc(o.scopes, func(s string) bool { return strings.TrimSpace(s) == "" })) {
		errs = append(errs, errors.New("invalid --scope: a scope must not be empty; name the scope, or leave out --scope to require the project's baseline scopes"))
	}
	for _, v := range o.claims {
		rule, err := generator.ParseClaimRule(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("invalid --require-claim %q: %w", v, err))
			continue
		}
		t.RequireClaims = append(t.RequireClaims, rule)
	}
	if len(args) == 1 {
		t.Name = args[0]
		if t.Name == "" {
			errs = append(errs, errors.New("invalid NAME: the tool name is empty"))
		}
	}
	for _, v := range o.args {
		arg, err := generator.ParseArg(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("invalid --arg %q: %w", v, err))
			continue
		}
		t.Args = append(t.Args, arg)
	}
	// The arguments that parsed are checked with the rest, so one run reports everything.
	errs = append(errs, givenToolProblems(t, len(args) == 1))
	return t, asUsage(errors.Join(errs...))
}

// givenToolProblems is what the generator's own ValidateTool says about t, leaving out
// the name unless it was given (it may still be asked for).
func givenToolProblems(t generator.Tool, nameGiven bool) error {
	return flagProblems(generator.ValidateTool(t), toolFlag, func(p generator.Problem) bool {
		return p.Field == "name" && (!nameGiven || t.Name == "")
	})
}

// flagProblems is what err, a *generator.SpecError, says, each problem as an error
// naming the flag of its field; skip leaves out problems of values still to be asked
// for. nil for any other error, or none left.
func flagProblems(err error, flag func(field string) string, skip func(generator.Problem) bool) error {
	se, ok := errors.AsType[*generator.SpecError](err)
	if !ok {
		return nil
	}
	var errs []error
	for _, p := range se.Problems {
		if !skip(p) {
			errs = append(errs, fmt.Errorf("invalid %s: %s", flag(p.Field), p.Message))
		}
	}
	return errors.Join(errs...)
}

// toolFlag names the flag of `mcpgen add tool` that sets a field of generator.Tool.
func toolFlag(field string) string {
	switch field {
	case "name":
		return "NAME"
	case "scopes":
		return "--scope"
	case "args":
		return "--arg"
	case "require-claims":
		return "--require-claim"
	}
	return "--" + field
}

// openProject finds the project of an `add` command (see projectDir) and reads it; the
// error says how to point the command at a project.
func openProject(flagDir, command string) (string, generator.Spec, error) {
	dir, err := projectDir(flagDir)
	if err != nil {
		return "", generator.Spec{}, err
	}
	spec, err := generator.OpenProject(os.DirFS(dir))
	if err != nil {
		return "", generator.Spec{}, projectError(flagDir, dir, command, err)
	}
	return dir, spec, nil
}

// projectDir is flagDir (--dir), else the nearest directory from here up that has an
// mcpgen.yaml (as go finds go.mod), else this directory, for the error to name.
func projectDir(flagDir string) (string, error) {
	if flagDir != "" {
		return flagDir, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find the project: %w", err)
	}
	if d, ok := generator.FindProject(wd); ok && d != wd {
		return d, nil
	}
	return ".", nil
}

// projectError explains why the project at dir (found from flagDir, --dir) cannot take
// what command adds.
func projectError(flagDir, dir, command string, err error) error {
	if !errors.Is(err, generator.ErrNotProject) {
		return fmt.Errorf("project %s: %w", displayDir(dir), err)
	}
	if flagDir != "" {
		return fmt.Errorf("%s is %w (it has no %s): pass --dir the directory of a project made by mcpgen new", displayDir(dir), generator.ErrNotProject, generator.ManifestFile)
	}
	wd, _ := os.Getwd()
	return fmt.Errorf("%s is %w (no %s in it or its parents): run mcpgen %s inside a project made by mcpgen new, or pass --dir PROJECT", wd, generator.ErrNotProject, generator.ManifestFile, command)
}

// requireNonInteractive fails, naming the flags to pass, when nobody can be asked and the
// values a tool should not be added without are missing.
func (o *addToolOptions) requireNonInteractive(t generator.Tool, flags *pflag.FlagSet) error {
	var missing []string
	if t.Name == "" {
		missing = append(missing, "NAME")
	}
	if !flags.Changed("description") {
		missing = append(missing, "--description")
	}
	if !flags.Changed("scope") && !t.Public {
		missing = append(missing, "--scope")
	}
	if len(missing) == 0 {
		return nil
	}
	return usagef(`missing %s: pass them on the command line, as in 'mcpgen add tool weather --description "Current weather." --scope weather:read', or run in a terminal to be asked (--yes adds the tool with what was given)`, andList(missing))
}

// andList joins items as "a, b and c".
func andList(items []string) string {
	list := strings.Join(items, ", ")
	if i := strings.LastIndex(list, ", "); i >= 0 {
		list = list[:i] + " and " + list[i+2:]
	}
	return list
}
