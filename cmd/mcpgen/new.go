package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/mod/modfile"

	"github.com/mcpgen/mcpgen/generator"
)

// newOptions holds the flags of `mcpgen new`, named as in DESIGN.md.
type newOptions struct {
	dir        string
	module     string
	provider   string
	issuer     string
	jwksURL    string
	resource   string
	scopes     []string
	port       int
	yes        bool
	force      bool
	dryRun     bool
	runtimeDir string
	// Values provider presets need (generator.Preset.Params).
	tenant, domain, realm, region, userPool, clientID string
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
	f.StringVar(&o.provider, "provider", "", "authorization provider preset: "+strings.Join(generator.Providers, " | ")+" (default "+defaultProvider+"; with --yes and no --issuer: dev)")
	f.StringVar(&o.issuer, "issuer", "", "authorization server issuer URL (scalekit: your environment URL)")
	f.StringVar(&o.jwksURL, "jwks-url", "", "JWKS URL (default: the provider's, else discovered from the issuer's metadata at start)")
	f.StringVar(&o.tenant, "tenant", "", "entra: directory (tenant) ID, a GUID")
	f.StringVar(&o.domain, "domain", "", "auth0, okta, workos: your domain (acme.us.auth0.com); keycloak: its host")
	f.StringVar(&o.realm, "realm", "", "keycloak: realm name")
	f.StringVar(&o.userPool, "user-pool", "", "cognito: user pool ID (us-east-1_AbCdEf123)")
	f.StringVar(&o.region, "region", "", "cognito: AWS region (default: the user pool ID's prefix)")
	f.StringVar(&o.clientID, "client-id", "", "entra, cognito: application (client) ID tokens are issued to")
	f.StringVar(&o.resource, "resource", "", "canonical URL of the MCP endpoint (default http://localhost:PORT/mcp)")
	f.StringSliceVar(&o.scopes, "scopes", nil, "extra scopes_supported, comma-separated")
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
		Scopes:      cleanScopes(o.scopes),
		Tenant:      o.tenant,
		Domain:      o.domain,
		Realm:       o.realm,
		Region:      o.region,
		UserPool:    o.userPool,
		ClientID:    o.clientID,
	}
	if len(args) == 1 {
		spec.Name = args[0]
	}
	if flags.Changed("port") {
		spec.Port = o.port
	}
	// Bad flag values fail before any question is asked, so an answer is never wasted.
	if err := checkGiven(spec, flags); err != nil {
		return spec, err
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
		if err := askMissing(p, &spec, flags, nameFromDir(o.dir)); err != nil {
			return spec, err
		}
	case !o.yes:
		if err := requireNonInteractive(spec); err != nil {
			return spec, err
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
		spec.Provider = defaultProvider
	}
	if preset, _ := generator.LookupPreset(spec.Provider); spec.Issuer == "" && !preset.DerivesIssuer() {
		return spec, usagef("missing --issuer: the generated server accepts only tokens from that issuer (%s)", issuerHint(spec.Provider))
	}

	rt, err := o.runtimeRef(a)
	if err != nil {
		return spec, err
	}
	spec.Runtime = rt
	spec.ApplyDefaults()
	// A *generator.SpecError names the flag of every problem; run maps it to exit 2.
	return spec, spec.Validate()
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
	if err := generator.Write(dir, files, generator.WriteOptions{Force: o.force}); err != nil {
		var ce *generator.ConflictError
		if errors.As(err, &ce) {
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

// checkGiven validates the values given on the command line, one message per bad flag.
func checkGiven(s generator.Spec, flags *pflag.FlagSet) error {
	var errs []error
	check := func(given bool, flag string, err error) {
		if given && err != nil {
			errs = append(errs, fmt.Errorf("invalid %s: %w", flag, err))
		}
	}
	check(s.Name != "", "NAME", generator.ValidateName(s.Name))
	check(flags.Changed("module"), "--module", generator.ValidateModule(s.Module))
	check(flags.Changed("provider"), "--provider", generator.ValidateProvider(s.Provider))
	check(flags.Changed("issuer"), "--issuer", specProblem(s, "--issuer"))
	check(flags.Changed("jwks-url"), "--jwks-url", generator.ValidateURL(s.JWKSURL))
	check(flags.Changed("resource"), "--resource", specProblem(s, "--resource"))
	check(flags.Changed("port"), "--port", generator.ValidatePort(s.Port))
	if preset, ok := generator.LookupPreset(s.Provider); ok {
		for _, q := range preset.Params {
			check(flags.Changed(q.Flag), "--"+q.Flag, q.Validate(*q.Field(&s)))
		}
	}
	if flags.Changed("scopes") {
		for _, sc := range s.Scopes {
			check(true, "--scopes", generator.ValidateScope(sc))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return asUsage(errors.Join(errs...))
}

// defaultProvider is the preset used when neither --provider nor an answer names one.
// The generator has no default (Spec.Provider must be set); Scalekit is the provider
// mcpgen's users start from.
const defaultProvider = generator.ProviderScalekit

// The issuer has no default, not even under --yes. An empty issuer would be friendlier
// only at first sight: the generator refuses it (Spec.Validate reports --issuer, and the
// scalekit JWKS URL is derived from it), and a project generated without one cannot
// start until the user finds the right variable. Requiring --issuer keeps the CLI
// consistent with the generator and makes `go run .` work right after `new`; the value
// is only a default in .env.example, so changing it later needs no regeneration.

// issuerHint says what the issuer is for a provider, for messages and prompts.
func issuerHint(provider string) string {
	if provider == generator.ProviderScalekit {
		return "your Scalekit environment URL, such as https://YOUR-ENV.scalekit.dev"
	}
	example := "https://auth.example.com"
	if p, ok := generator.LookupPreset(provider); ok && p.IssuerExample != "" {
		example = p.IssuerExample
	}
	return "the exact iss of your access tokens, such as " + example
}

// specProblem returns what the generator's own Spec.Validate says about flag's value in
// s, or nil. Prompts and flags use it for values whose rules live only in Validate (an
// issuer or resource is an identifier URL: no query string), so the CLI never accepts a
// value that generation would refuse.
func specProblem(s generator.Spec, flag string) error {
	s.ApplyDefaults()
	return problemsOf(s.Validate(), flag)
}

// problemsOf returns the problems of a *generator.SpecError that name flag, joined into
// one error, or nil.
func problemsOf(err error, flag string) error {
	var se *generator.SpecError
	if !errors.As(err, &se) {
		return nil
	}
	var msgs []string
	for _, p := range se.Problems {
		if p.Flag == flag {
			msgs = append(msgs, p.Message)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}

// requireNonInteractive fails, naming the flags to pass, when values that have no
// sensible default are missing and nobody can be asked.
func requireNonInteractive(s generator.Spec) error {
	var missing []string
	if s.Name == "" {
		missing = append(missing, "NAME")
	}
	preset, _ := generator.LookupPreset(s.Provider)
	if s.Issuer == "" && !preset.DerivesIssuer() {
		missing = append(missing, "--issuer")
	}
	for _, q := range preset.Params {
		if *q.Field(&s) == "" && (!q.ForIssuer || s.Issuer == "") {
			missing = append(missing, "--"+q.Flag)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return usagef("missing %s: pass it on the command line, as in 'mcpgen new greeting-server --issuer URL', or run in a terminal to be asked (--yes fills in every other value)", strings.Join(missing, " and "))
}

// askMissing asks, in order, for every value no flag gave. Defaults shown are the
// generator's own (computed through ApplyDefaults), so prompts never disagree with it.
func askMissing(p Prompter, s *generator.Spec, flags *pflag.FlagSet, nameDefault string) error {
	var err error
	if s.Name == "" {
		s.Name, err = p.Input("Project name", nameDefault,
			"Lower-case letters, digits and dashes, starting with a letter. Also the directory and the server's name.",
			generator.ValidateName)
		if err != nil {
			return err
		}
	}
	if !flags.Changed("module") {
		s.Module, err = p.Input("Go module path", defaultOf(*s, func(d generator.Spec) string { return d.Module }),
			"The module path in go.mod, for example github.com/you/"+s.Name+".",
			generator.ValidateModule)
		if err != nil {
			return err
		}
	}
	if !flags.Changed("provider") {
		// A preset that cannot serve (google) is not offered; the help says why.
		var options, help []string
		for _, pr := range generator.Presets {
			if pr.Unsupported == "" {
				options = append(options, pr.Name)
			}
			help = append(help, pr.Name+": "+pr.Summary+".")
		}
		s.Provider, err = p.Select("Authorization provider", options, defaultProvider, strings.Join(help, " "))
		if err != nil {
			return err
		}
	}
	// Only what the preset needs is asked; the issuer and JWKS URL follow from it.
	preset, _ := generator.LookupPreset(s.Provider)
	for _, q := range preset.Params {
		field := q.Field(s)
		if flags.Changed(q.Flag) || (q.ForIssuer && flags.Changed("issuer")) {
			continue
		}
		*field, err = p.Input(q.Prompt, "", q.Help, q.Validate)
		if err != nil {
			return err
		}
	}
	if !flags.Changed("issuer") && !preset.DerivesIssuer() {
		msg := "Authorization server issuer URL"
		if s.Provider == generator.ProviderScalekit {
			msg = "Scalekit environment URL"
		}
		s.Issuer, err = p.Input(msg, "", "The issuer of the access tokens this server accepts: "+issuerHint(s.Provider)+".",
			func(v string) error { return fieldAnswer(*s, "--issuer", func(c *generator.Spec) { c.Issuer = v }) })
		if err != nil {
			return err
		}
	}
	// Presets know their JWKS URL; a generic server discovers it from the issuer's
	// metadata at start unless one is given here.
	if !flags.Changed("jwks-url") && s.Provider == generator.ProviderGeneric {
		s.JWKSURL, err = p.Input("JWKS URL (optional)", "",
			"Where the authorization server publishes its signing keys: jwks_uri in its metadata. Leave empty to discover it from the issuer's metadata when the server starts.",
			func(v string) error {
				if v == "" {
					return nil
				}
				return fieldAnswer(*s, "--jwks-url", func(c *generator.Spec) { c.JWKSURL = v })
			})
		if err != nil {
			return err
		}
	}
	// The port comes before the resource URL because the resource's default depends on it.
	if !flags.Changed("port") {
		def := strconv.Itoa(defaultOf(*s, func(d generator.Spec) int { return d.Port }))
		ans, err := p.Input("Port", def, "The port the server listens on (PORT).", validatePortText)
		if err != nil {
			return err
		}
		s.Port, _ = strconv.Atoi(ans) // validated above
	}
	if !flags.Changed("resource") {
		s.ResourceURL, err = p.Input("MCP endpoint URL (resource)", defaultOf(*s, func(d generator.Spec) string { return d.ResourceURL }),
			"The canonical public URL clients use for this server; tokens must carry it as audience (MCP_RESOURCE_URL).",
			func(v string) error {
				return fieldAnswer(*s, "--resource", func(c *generator.Spec) { c.ResourceURL = v })
			})
		if err != nil {
			return err
		}
	}
	if !flags.Changed("scopes") {
		ans, err := p.Input("Extra scopes (comma-separated, optional)", "",
			"Scopes listed in scopes_supported besides those your tools require (greet_user requires usr:read).",
			validateScopeList)
		if err != nil {
			return err
		}
		s.Scopes = cleanScopes(strings.Split(ans, ","))
	}
	return nil
}

// fieldAnswer checks one prompt answer with the generator's rules for flag: set puts the
// answer into a copy of s. An empty answer is refused here, as it would be by Validate.
func fieldAnswer(s generator.Spec, flag string, set func(*generator.Spec)) error {
	set(&s)
	return specProblem(s, flag)
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

// defaultOf returns the value the generator would default a field of s to.
func defaultOf[T any](s generator.Spec, field func(generator.Spec) T) T {
	s.ApplyDefaults()
	return field(s)
}

func validatePortText(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("port %q is not a number", s)
	}
	return generator.ValidatePort(n)
}

func validateScopeList(s string) error {
	for _, sc := range cleanScopes(strings.Split(s, ",")) {
		if err := generator.ValidateScope(sc); err != nil {
			return err
		}
	}
	return nil
}

// cleanScopes trims each scope and drops empty ones and repeats, keeping the order.
func cleanScopes(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
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
	dir, err := filepath.Abs(o.runtimeDir)
	if err != nil {
		return rt, usagef("invalid --runtime-dir %s: %w", o.runtimeDir, err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return rt, usagef("invalid --runtime-dir %s: no go.mod there; point it at an mcpgen checkout", o.runtimeDir)
	}
	if path := modfile.ModulePath(data); path != generator.RuntimeModule {
		return rt, usagef("invalid --runtime-dir %s: its go.mod is module %q, not %s; point it at an mcpgen checkout", o.runtimeDir, path, generator.RuntimeModule)
	}
	// The flag gives the replace directory, so a development build whose own checkout
	// is gone still works; a release build keeps its version on the require line.
	if rt.Version == "" {
		rt.Version = generator.DevelVersion
	}
	rt.ReplaceDir = dir
	return rt, nil
}

// printPlan lists every file --dry-run would write, with its size, marking those that
// --force would replace.
func printPlan(w io.Writer, dir string, files []generator.File, replaced []string) {
	total := 0
	width := 1
	for _, f := range files {
		total += len(f.Data)
		width = max(width, len(strconv.Itoa(len(f.Data))))
	}
	fmt.Fprintf(w, "would write %d files (%d bytes) to %s:\n", len(files), total, displayDir(dir))
	for _, f := range files {
		note := ""
		if slices.Contains(replaced, f.Path) {
			note = "  (replaces the existing file)"
		}
		fmt.Fprintf(w, "  %*d  %s%s\n", width, len(f.Data), f.Path, note)
	}
	fmt.Fprintln(w, "dry run: nothing was written")
}

// printNextSteps tells the user what was written and how to test and run it.
func printNextSteps(w io.Writer, dir string, s generator.Spec, n int, replaced []string) {
	fmt.Fprintf(w, "created %s in %s (%d files)\n", s.Name, displayDir(dir), n)
	if len(replaced) > 0 {
		fmt.Fprintf(w, "replaced existing files (--force): %s\n", strings.Join(replaced, ", "))
	}
	fmt.Fprintf(w, "\nnext steps:\n")
	if s.Provider == generator.ProviderDev {
		printDevNextSteps(w, dir, s)
		return
	}
	fmt.Fprintf(w, "  cd %s\n", shellQuote(dir))
	fmt.Fprintf(w, "  go test ./...   # auth and tool tests against an in-process token issuer\n")
	fmt.Fprintf(w, "  go run .        # serves %s\n", s.ResourceURL)
	fmt.Fprintf(w, "\nthe server reads its settings from the environment or a .env file at start\n")
	fmt.Fprintf(w, "(cp .env.example .env); once deployed, set MCP_RESOURCE_URL to its public URL\n")
	if s.Provider == generator.ProviderScalekit {
		fmt.Fprintf(w, "and PROTECTED_RESOURCE_METADATA to the metadata JSON from your Scalekit dashboard\n")
	}
	if p, ok := generator.LookupPreset(s.Provider); ok {
		fmt.Fprintf(w, "\nREADME.md, section \"Authorization server: %s\", lists the settings to make there\n", p.Title)
	}
}

// printDevNextSteps explains the dev preset: the server trusts `mcpgen dev`, which runs
// it and prints a token, and must be pointed at a real provider before deploying.
func printDevNextSteps(w io.Writer, dir string, s generator.Spec) {
	fmt.Fprintf(w, "  cd %s\n", shellQuote(dir))
	fmt.Fprintf(w, "  mcpgen dev      # local authorization server + this server on %s; prints a token\n", s.ResourceURL)
	fmt.Fprintf(w, "  go test ./...   # auth and tool tests against an in-process token issuer\n")
	fmt.Fprintf(w, "\nthe server trusts the development authorization server of mcpgen dev (%s):\n", s.Issuer)
	fmt.Fprintf(w, "for development only; before deploying, set AUTH_ISSUER, AUTH_JWKS_URL and\n")
	fmt.Fprintf(w, "MCP_RESOURCE_URL to your provider's values (or generate with its --provider preset)\n")
}

// displayDir shows a relative directory as ./dir so it reads as a path in messages.
func displayDir(dir string) string {
	if filepath.IsAbs(dir) || dir == "." || dir == ".." || strings.HasPrefix(dir, "./") || strings.HasPrefix(dir, "../") {
		return dir
	}
	return "./" + dir
}

// shellQuote quotes p for a POSIX shell when it needs it.
func shellQuote(p string) string {
	if p != "" && strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./") == "" {
		return p
	}
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}
