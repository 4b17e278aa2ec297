package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mcpgen/mcpgen/generator"
)

// addResourceOptions holds the flags of `mcpgen add resource`.
type addResourceOptions struct {
	dir         string
	uri         string
	uriTemplate string
	description string
	mimeType    string
	scopes      []string
	yes         bool
	dryRun      bool
}

func newAddResourceCommand(a *app) *cobra.Command {
	o := &addResourceOptions{}
	cmd := &cobra.Command{
		Use:   "resource NAME",
		Short: "Add a resource (a URI, or a URI template) to the project, bound to the scopes reading it needs",
		Long: `Add an MCP resource to the project in this directory (or the nearest parent with an
mcpgen.yaml, or --dir): a static resource at --uri, or a resource template (--uri-template,
RFC 6570) whose every matching URI is read by one handler. Pass exactly one of the two.
mcpgen writes internal/tools/resource_NAME.go with a handler stub, and its test: both are
yours to edit, and mcpgen never overwrites them. It regenerates internal/tools/registry.go
(which registers the resource and binds it to the scopes a token needs to read it),
mcpgen.yaml and the tables in README.md between its mcpgen:tools markers; nothing else is
touched.

--uri is an absolute URI with a scheme (docs://guide, file:///notes.txt). --uri-template
must have at least one {expression} (weather://cities/{city}). --mime-type says what the
content is (default text/plain). Without --scope the resource requires the project's
baseline scopes; a scope the project does not know becomes a baseline scope (declare a
step-up scope first with 'mcpgen add scope'). A resources/read without the scopes gets
403 insufficient_scope naming them.

Everything is computed and checked first and then written all or nothing: a refused or
failed run leaves the project exactly as it was. mcpgen refuses a resource whose name or
URI exists, a name whose Go names or file would collide with existing code, and a
registry that was edited by hand. In a terminal, mcpgen asks for what the flags leave
out. Without one, NAME, --uri or --uri-template, --description and --scope must be
given, unless --yes adds the resource with what was given.`,
		Example: `  # a static resource
  mcpgen add resource guide --uri docs://guide --description "The user guide." \
    --mime-type text/markdown --scope docs:read

  # a resource template: every weather://cities/... URI
  mcpgen add resource city_weather --uri-template "weather://cities/{city}" \
    --description "Current weather of a city." --mime-type application/json --scope weather:read`,
		Args:              atMostOneName("add resource"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(a, cmd, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.uri, "uri", "", "URI of a static resource, such as docs://guide")
	f.StringVar(&o.uriTemplate, "uri-template", "", "RFC 6570 URI template of a resource template, such as weather://cities/{city}")
	f.StringVar(&o.description, "description", "", "what the resource holds (one line)")
	f.StringVar(&o.mimeType, "mime-type", generator.DefaultMIMEType, "MIME type of the content")
	f.StringSliceVar(&o.scopes, "scope", nil, "OAuth scope a token needs to read the resource; repeat (or separate with commas) for several")
	addCommonFlags(f, &o.yes, &o.dir, &o.dryRun, "resource")
	_ = cmd.MarkFlagDirname("dir")
	return cmd
}

// addCommonFlags defines --yes, --dir and --dry-run as every `add` command has them.
func addCommonFlags(f *pflag.FlagSet, yes *bool, dir *string, dryRun *bool, kind string) {
	f.BoolVarP(yes, "yes", "y", false, "never prompt; add the "+kind+" with what the flags give")
	f.StringVar(dir, "dir", "", "project directory (default: this directory or the nearest parent with an mcpgen.yaml)")
	f.BoolVar(dryRun, "dry-run", false, "list the files that would change, write nothing")
	f.SortFlags = false
}

func (o *addResourceOptions) run(a *app, cmd *cobra.Command, args []string) error {
	r, err := o.resourceFromFlags(args, cmd.Flags())
	if err != nil {
		return err
	}
	dir, spec, err := openProject(o.dir, "add resource")
	if err != nil {
		return err
	}
	if err := spec.CheckNewResource(r); err != nil {
		return err
	}
	given := func(field string) bool {
		if field == "uri" {
			return r.URI != "" || r.URITemplate != ""
		}
		return cmd.Flags().Changed(resourceFlag(field)[2:])
	}
	flag := func(field string) string {
		if field == "uri" {
			return "--uri or --uri-template"
		}
		return resourceFlag(field)
	}
	if err := askMissing(a, o.yes, generator.ResourceQuestions(spec, &r, given), func() error {
		return requireGiven(r.Name, given, []string{"uri", "description", "scopes"}, flag,
			`mcpgen add resource guide --uri docs://guide --description "The user guide." --scope docs:read`)
	}); err != nil {
		return err
	}
	if r.Name == "" {
		return usagef("missing NAME; pass the resource name as in 'mcpgen add resource guide --uri docs://guide --yes'")
	}
	add, err := generator.AddResource(os.DirFS(dir), r)
	if err != nil {
		return inFlags(err, resourceFlag)
	}
	src, _ := generator.ResourceFiles(r.Name)
	return writeAddition(cmd.OutOrStdout(), dir, "resource "+r.Name, add.Changes, o.dryRun,
		func(out io.Writer, dryRun bool) {
			printItemAddition(out, dir, add, dryRun, "resource", add.Resource.Name, src, add.Resource.Scopes)
		})
}

// resourceFromFlags builds the resource from NAME and the flags, refusing bad values
// before any question is asked.
func (o *addResourceOptions) resourceFromFlags(args []string, flags *pflag.FlagSet) (generator.Resource, error) {
	r := generator.Resource{
		URI:         strings.TrimSpace(o.uri),
		URITemplate: strings.TrimSpace(o.uriTemplate),
		Description: strings.TrimSpace(o.description),
		MIMEType:    strings.TrimSpace(o.mimeType),
		Scopes:      generator.CleanScopes(o.scopes),
	}
	var errs []error
	if len(args) == 1 {
		r.Name = args[0]
	}
	errs = append(errs, scopeFlagProblem(flags, o.scopes, "resource"))
	for _, name := range []string{"uri", "uri-template"} {
		if flags.Changed(name) && strings.TrimSpace(flags.Lookup(name).Value.String()) == "" {
			errs = append(errs, fmt.Errorf("invalid --%s: it is empty", name))
		}
	}
	// The rest with the generator's own rules, leaving out what may still be asked.
	errs = append(errs, flagProblems(generator.ValidateResource(r), resourceFlag, func(p generator.Problem) bool {
		return p.Field == "name" && len(args) == 0 || p.Field == "uri" && r.URI == "" && r.URITemplate == ""
	}))
	return r, asUsage(errors.Join(errs...))
}

// resourceFlag names the flag of `mcpgen add resource` that sets a field of
// generator.Resource.
func resourceFlag(field string) string {
	switch field {
	case "name":
		return "NAME"
	case "scopes":
		return "--scope"
	}
	return "--" + field
}

// addPromptOptions holds the flags of `mcpgen add prompt`.
type addPromptOptions struct {
	dir         string
	description string
	args        []string
	scopes      []string
	yes         bool
	dryRun      bool
}

func newAddPromptCommand(a *app) *cobra.Command {
	o := &addPromptOptions{}
	cmd := &cobra.Command{
		Use:   "prompt NAME",
		Short: "Add a prompt to the project, bound to the scopes getting it needs",
		Long: `Add an MCP prompt to the project in this directory (or the nearest parent with an
mcpgen.yaml, or --dir). mcpgen writes internal/tools/prompt_NAME.go with a handler stub,
and its test: both are yours to edit, and mcpgen never overwrites them. It regenerates
internal/tools/registry.go (which registers the prompt and binds it to the scopes a
token needs to get it), mcpgen.yaml and the tables in README.md between its
mcpgen:tools markers; nothing else is touched.

--arg is name[:required][:description] (prompt arguments are strings); repeat it for
each argument. Without --scope the prompt requires the project's baseline scopes; a
prompts/get without the scopes gets 403 insufficient_scope naming them.

Everything is computed and checked first and then written all or nothing, as for
'mcpgen add tool'. In a terminal, mcpgen asks for what the flags leave out. Without one,
NAME, --description and --scope must be given, unless --yes adds the prompt with what
was given.`,
		Example: `  mcpgen add prompt summarize --description "Summarizes a text." \
    --arg text:required:"Text to summarize" --arg tone --scope prompts:read`,
		Args:              atMostOneName("add prompt"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(a, cmd, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.description, "description", "", "what the prompt is for (one line)")
	f.StringArrayVar(&o.args, "arg", nil, `argument as name[:required][:description], e.g. text:required:"Text to summarize"; repeat for several`)
	f.StringSliceVar(&o.scopes, "scope", nil, "OAuth scope a token needs to get the prompt; repeat (or separate with commas) for several")
	addCommonFlags(f, &o.yes, &o.dir, &o.dryRun, "prompt")
	_ = cmd.RegisterFlagCompletionFunc("arg", cobra.NoFileCompletions)
	_ = cmd.MarkFlagDirname("dir")
	return cmd
}

func (o *addPromptOptions) run(a *app, cmd *cobra.Command, args []string) error {
	pr, err := o.promptFromFlags(args, cmd.Flags())
	if err != nil {
		return err
	}
	dir, spec, err := openProject(o.dir, "add prompt")
	if err != nil {
		return err
	}
	if pr.Name != "" {
		if err := spec.CheckNewPrompt(pr.Name); err != nil {
			return err
		}
	}
	given := func(field string) bool { return cmd.Flags().Changed(promptFlag(field)[2:]) }
	if err := askMissing(a, o.yes, generator.PromptQuestions(spec, &pr, given), func() error {
		return requireGiven(pr.Name, given, []string{"description", "scopes"}, promptFlag,
			`mcpgen add prompt summarize --description "Summarizes a text." --scope prompts:read`)
	}); err != nil {
		return err
	}
	if pr.Name == "" {
		return usagef("missing NAME; pass the prompt name as in 'mcpgen add prompt summarize --yes'")
	}
	add, err := generator.AddPrompt(os.DirFS(dir), pr)
	if err != nil {
		return inFlags(err, promptFlag)
	}
	src, _ := generator.PromptFiles(pr.Name)
	return writeAddition(cmd.OutOrStdout(), dir, "prompt "+pr.Name, add.Changes, o.dryRun,
		func(out io.Writer, dryRun bool) {
			printItemAddition(out, dir, add, dryRun, "prompt", add.Prompt.Name, src, add.Prompt.Scopes)
		})
}

// promptFromFlags builds the prompt from NAME and the flags, refusing bad values before
// any question is asked.
func (o *addPromptOptions) promptFromFlags(args []string, flags *pflag.FlagSet) (generator.Prompt, error) {
	p := generator.Prompt{
		Description: strings.TrimSpace(o.description),
		Scopes:      generator.CleanScopes(o.scopes),
	}
	var errs []error
	if len(args) == 1 {
		p.Name = args[0]
	}
	errs = append(errs, scopeFlagProblem(flags, o.scopes, "prompt"))
	for _, v := range o.args {
		arg, err := generator.ParsePromptArg(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("invalid --arg %q: %w; write name[:required][:description], as in text:required:\"Text to summarize\"", v, err))
			continue
		}
		p.Args = append(p.Args, arg)
	}
	errs = append(errs, flagProblems(generator.ValidatePrompt(p), promptFlag, func(pr generator.Problem) bool {
		return pr.Field == "name" && len(args) == 0
	}))
	return p, asUsage(errors.Join(errs...))
}

// promptFlag names the flag of `mcpgen add prompt` that sets a field of generator.Prompt.
func promptFlag(field string) string {
	switch field {
	case "name":
		return "NAME"
	case "scopes":
		return "--scope"
	case "args":
		return "--arg"
	}
	return "--" + field
}

// scopeFlagProblem refuses an empty --scope, which would otherwise vanish and leave
// what is added (kind) without the scope the user meant to require.
func scopeFlagProblem(flags *pflag.FlagSet, scopes []string, kind string) error {
	if flags.Changed("scope") && (len(scopes) == 0 || slices.ContainsFunc(scopes, func(s string) bool { return strings.TrimSpace(s) == "" })) {
		return fmt.Errorf("invalid --scope: a scope must not be empty; name the scope, or leave out --scope to require the project's baseline scopes for the %s", kind)
	}
	return nil
}

// requireGiven fails, naming the flags to pass, when nobody can be asked and NAME or
// one of fields (each named by flag) is missing; example is a complete command.
func requireGiven(name string, given func(string) bool, fields []string, flag func(string) string, example string) error {
	var missing []string
	if name == "" {
		missing = append(missing, "NAME")
	}
	for _, f := range fields {
		if !given(f) {
			missing = append(missing, flag(f))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return usagef(`missing %s: pass them on the command line, as in '%s', or run in a terminal to be asked (--yes adds it with what was given)`, andList(missing), example)
}
