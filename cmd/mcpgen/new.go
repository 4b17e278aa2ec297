package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mcpgen/mcpgen/generator"
)

// newOptions holds the flags of `mcpgen new`; their names are part of the CLI contract.
type newOptions struct {
	dir        string
	module     string
	provider   string
	issuer     string
	jwksURL    string
	resource   string
	scopes     []string
	filterList bool
	port       int
	yes        bool
	force      bool
	dryRun     bool
	runtimeDir string
	params     map[string]*string // preset parameters (generator.PresetParams), by name
}

func newNewCommand(a *app) *cobra.Command {
	o := &newOptions{}
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Scaffold a new OAuth-protected MCP server project",
		Long: `Scaffold a Go project for an MCP server that serves Streamable HTTP at /mcp and accepts
only OAuth 2.1 bearer tokens issued for it by your authorization server.

Values come from flags first. In a terminal, mcpgen asks for the ones that are missing;
--yes never asks and uses defaults instead (module NAME, port 3002, resource
http://localhost:PORT/mcp; provider scalekit when --issuer is given). With --yes and
neither --provider nor --issuer, the project trusts the local development authorization
server of 'mcpgen dev' (provider dev), so it can be run and called at once; point it at
a real provider before deploying. NAME has no default; without a terminal, --issuer
must be given unless --yes or --provider dev. The target directory (./NAME unless --dir) must not exist
or be empty unless --force; --dry-run lists the files and writes nothing.

The issuer, resource URL, JWKS URL and port given here become the project's defaults
(in its config, .env.example and README): the generated server reads its settings from
the environment (or a .env file) at start, so they can change without generating again.`,
		Example: `  # answer questions in the terminal
  mcpgen new greeting-server

  # no questions, no account: a server for the local dev authorization server
  mcpgen new greeting-server --yes && cd greeting-server && mcpgen dev

  # no questions: Scalekit environment now, everything else default
  mcpgen new greeting-server --yes --issuer https://YOUR-ENV.scalekit.dev

  # any OAuth 2.1 authorization server issuing JWT access tokens
  mcpgen new billing --yes --provider generic --issuer https://auth.example.com \
    --jwks-url https://auth.example.com/.well-known/jwks.json \
    --module github.com/acme/billing --resource https://billing.example.com/mcp \
    --scopes invoices:read,invoices:write --port 8080

  # list what would be written, write nothing
  mcpgen new greeting-server --yes --issuer https://YOUR-ENV.scalekit.dev --dry-run`,
		Args: atMostOneName("new"),
		// NAME is free text: offer no file names.
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(a, cmd, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", "", "output directory (default ./NAME); must not exist or be empty unless --force")
	f.StringVar(&o.module, "module", "", "Go module path of the generated project (default NAME)")
	f.StringVar(&o.provider, "provider", "", "authorization provider preset: "+strings.Join(generator.Providers, " | ")+" (default "+generator.DefaultProvider+"; with --yes and no --issuer: dev)")
	f.StringVar(&o.issuer, "issuer", "", "authorization server issuer URL (scalekit: your environment URL)")
	f.StringVar(&o.jwksURL, "jwks-url", "", "JWKS URL (default: the provider's, else discovered from the issuer's metadata at start)")
	o.params = map[string]*string{}
	for _, q := range generator.PresetParams() {
		o.params[q.Flag] = f.String(q.Flag, "", q.Usage)
	}
	f.StringVar(&o.resource, "resource", "", "canonical URL of the MCP endpoint (default http://localhost:PORT/mcp)")
	f.StringSliceVar(&o.scopes, "scopes", nil, "extra baseline scopes for scopes_supported, comma-separated")
	f.BoolVar(&o.filterList, "filter-tools-list", false, "tools/list shows each caller only the tools its token can call (default: every tool)")
	f.IntVar(&o.port, "port", 0, "port the server listens on (default 3002)")
	f.BoolVarP(&o.yes, "yes", "y", false, "never prompt; use defaults for everything not given")
	f.BoolVar(&o.force, "force", false, "allow a non-empty target directory (files with generated names are replaced)")
	f.BoolVar(&o.dryRun, "dry-run", false, "list the files that would be written, write nothing")
	f.StringVar(&o.runtimeDir, "runtime-dir", "", "mcpgen checkout the generated go.mod replaces the runtime with (default: this build's, or $MCPGEN_RUNTIME_DIR)")
	f.SortFlags = false

	_ = cmd.RegisterFlagCompletionFunc("provider", cobra.FixedCompletions(generator.Providers, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagDirname("dir")
	_ = cmd.MarkFlagDirname("runtime-dir")
	return cmd
}

// run builds the Spec, then renders and writes it (or lists it for --dry-run).
func (o *newOptions) run(a *app, cmd *cobra.Command, args []string) error {
	spec, err := o.buildSpec(a, cmd.Flags(), args)
	if err != nil {
		return err
	}
	return o.generate(a, cmd.OutOrStdout(), spec)
}

// buildSpec builds a valid Spec from flags ∪ answers ∪ defaults. Every value is checked
// before anything is asked, and the whole Spec before anything is rendered.
func (o *newOptions) buildSpec(a *app, flags *pflag.FlagSet, args []string) (generator.Spec, error) {
	spec := generator.Spec{
		Module:      o.module,
		Provider:    o.provider,
		Issuer:      o.issuer,
		JWKSURL:     o.jwksURL,
		ResourceURL: o.resource,
		Scopes:      generator.BaselineScopes(generator.CleanScopes(o.scopes)),
		// tools/list filtering is chosen here only (mcpgen.yaml records it).
		FilterToolsList: o.filterList,
	}
	for name, v := range o.params {
		if flags.Changed(name) {
			q, _ := generator.LookupParam(name)
			spec.SetParam(name, q.Normalize(*v))
		}
	}
	if len(args) == 1 {
		spec.Name = args[0]
	}
	if flags.Changed("port") {
		spec.Port = o.port
	}
	// A generator field is given when its flag (the same name) is.
	nameGiven := spec.Name != ""
	given := func(field string) bool { return field == "name" && nameGiven || flags.Changed(field) }
	// Bad flag values fail before any question is asked, so an answer is never wasted.
	if probs := spec.GivenProblems(given); len(probs) > 0 {
		var errs []error
		for _, p := range probs {
			errs = append(errs, fmt.Errorf("invalid %s: %s", newFlag(p.Field), p.Message))
		}
		return spec, asUsage(errors.Join(errs...))
	}
	// For the same reason a conflicting target is reported before any question when
	// the directory is already known.
	if dir := o.targetDir(spec.Name); dir != "" {
		if err := generator.CheckTarget(displayDir(dir), o.force); err != nil {
			return spec, err
		}
	}

	var p Prompter
	if !o.yes {
		p = a.prompter()
	}
	switch {
	case p != nil:
		for q := range generator.ProjectQuestions(&spec, given, nameFromDir(o.dir)) {
			if err := ask(p, q); err != nil {
				return spec, err
			}
		}
	case !o.yes:
		if missing := spec.Missing(); len(missing) > 0 {
			return spec, usagef("missing %s: pass it on the command line, as in 'mcpgen new greeting-server --issuer URL', or run in a terminal to be asked (--yes fills in every other value)", strings.Join(mapStrings(missing, newFlag), " and "))
		}
	}
	if spec.Name == "" {
		return spec, usagef("missing NAME; pass the project name as in 'mcpgen new greeting-server --yes --issuer URL'")
	}
	if spec.Provider == "" && spec.Issuer == "" && o.yes {
		// Nothing says which authorization server to trust: the local one of `mcpgen
		// dev`, so the first command a newcomer runs leads to a server they can call.
		spec.Provider = generator.ProviderDev
	}
	if spec.Provider == "" {
		spec.Provider = generator.DefaultProvider
	}
	// The issuer has no default: a server that trusts no issuer cannot start.
	if preset, _ := generator.LookupPreset(spec.Provider); spec.Issuer == "" && !preset.DerivesIssuer() {
		return spec, usagef("missing --issuer: the generated server accepts only tokens from that issuer (%s)", generator.IssuerHint(spec.Provider))
	}

	rt, err := o.runtimeRef(a)
	if err != nil {
		return spec, err
	}
	spec.Runtime = rt
	spec.ApplyDefaults()
	return spec, inFlags(spec.Validate(), newFlag)
}

// newFlag names the flag of `mcpgen new` that sets a generator field ("module" → --module).
func newFlag(field string) string {
	if field == "name" {
		return "NAME"
	}
	return "--" + field
}

// generate renders spec and writes it to the target directory, or only lists the files
// for --dry-run, then says what happened.
func (o *newOptions) generate(a *app, out io.Writer, spec generator.Spec) error {
	// Checked (again) before rendering: the name may have come from a prompt, and a
	// conflict must be reported the same way with --dry-run as without.
	dir := o.targetDir(spec.Name)
	if err := generator.CheckTarget(displayDir(dir), o.force); err != nil {
		return err
	}
	files, err := a.render(spec)
	if err != nil {
		return fmt.Errorf("render project %s: %w", spec.Name, err)
	}
	// Only --force can replace files; say which, before (--dry-run) or after writing.
	var replaced []string
	if o.force {
		if replaced, err = generator.Overwrites(dir, files); err != nil {
			return err
		}
	}
	if o.dryRun {
		printPlan(out, dir, files, replaced)
		return nil
	}
	// The pristine copies go with the project: they are the base `mcpgen upgrade` merges
	// the user's edits from.
	if err := generator.Write(dir, generator.WithBase(files), generator.WriteOptions{Force: o.force}); err != nil {
		if _, ok := errors.AsType[*generator.ConflictError](err); ok {
			return err // already says how to fix it
		}
		return fmt.Errorf("write project to %s: %w", displayDir(dir), err)
	}
	printNextSteps(out, dir, spec, len(files), replaced)
	return nil
}

// targetDir is --dir, else ./NAME ("" while neither is known).
func (o *newOptions) targetDir(name string) string {
	if o.dir != "" {
		return o.dir
	}
	return name
}

// nameFromDir suggests the last element of --dir as the project name, when it is one.
func nameFromDir(dir string) string {
	if dir == "" {
		return ""
	}
	name := filepath.Base(filepath.Clean(dir))
	if generator.ValidateName(name) != nil {
		return ""
	}
	return name
}

// runtimeRef says which runtime the generated go.mod builds against: this build's
// (generator.CurrentRuntime, which honours MCPGEN_RUNTIME_DIR), with --runtime-dir
// overriding the replace directory.
func (o *newOptions) runtimeRef(a *app) (generator.RuntimeRef, error) {
	rt, err := a.currentRuntime()
	if o.runtimeDir == "" {
		if err != nil {
			return rt, fmt.Errorf("find the mcpgen runtime for go.mod: %w (or pass --runtime-dir)", err)
		}
		return rt, nil
	}
	if rt, err = rt.WithCheckout(o.runtimeDir); err != nil {
		return rt, usagef("invalid --runtime-dir %s: %w", o.runtimeDir, err)
	}
	return rt, nil
}
