package generator

import (
	"errors"
	"fmt"
	"mime"
	"net/url"
	"slices"
	"strings"

	"github.com/yosida95/uritemplate/v3"
)

// Resource is one MCP resource of the generated server: a static resource at URI, or a
// resource template (URITemplate, RFC 6570) whose URIs are read by one handler. Exactly
// one of URI and URITemplate is set. Reading it needs Scopes (auth.ScopePolicy.Resources
// and ResourceTemplates).
type Resource struct {
	Name        string   `yaml:"name"`
	URI         string   `yaml:"uri,omitempty"`
	URITemplate string   `yaml:"uri_template,omitempty"`
	Description string   `yaml:"description,omitempty"`
	MIMEType    string   `yaml:"mime_type"`
	Scopes      []string `yaml:"scopes,omitempty"`
}

// Prompt is one MCP prompt of the generated server. Getting it needs Scopes
// (auth.ScopePolicy.Prompts).
type Prompt struct {
	Name        string      `yaml:"name"`
	Description string      `yaml:"description,omitempty"`
	Args        []PromptArg `yaml:"args,omitempty"`
	Scopes      []string    `yaml:"scopes,omitempty"`
}

// PromptArg is one argument of a prompt. Prompt arguments are strings (MCP).
type PromptArg struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description,omitempty"`
	Required    bool   `yaml:"required,omitempty"`
}

// DefaultMIMEType is the MIME type of a resource that names none.
const DefaultMIMEType = "text/plain"

// Key is what the policy and the server know r by: its URI, or its template.
func (r Resource) Key() string {
	if r.URITemplate != "" {
		return r.URITemplate
	}
	return r.URI
}

// The files of resources and prompts live in package tools next to the tools, each
// kind with a prefix: one package holds every handler the registry binds (so the
// registry needs no imports of the user's code), and the prefix keeps a resource and a
// tool of the same name apart on disk and in `ls`.
const (
	resourcePrefix = "resource_"
	promptPrefix   = "prompt_"
)

// ResourceFiles returns the paths of the user-owned source and test file of a resource.
func ResourceFiles(name string) (src, test string) {
	stem := toolsPkg + resourcePrefix + fileStem(name)
	return stem + ".go", stem + "_test.go"
}

// PromptFiles returns the paths of the user-owned source and test file of a prompt.
func PromptFiles(name string) (src, test string) {
	stem := toolsPkg + promptPrefix + fileStem(name)
	return stem + ".go", stem + "_test.go"
}

// resourceIdents are the package-level Go names the files of a resource declare; they
// share package tools with the tools.
func resourceIdents(name string) []string {
	g := goName(name)
	return []string{g + "Resource", "Read" + g, "TestRead" + g}
}

// promptIdents are the package-level Go names the files of a prompt declare.
func promptIdents(name string) []string {
	g := goName(name)
	return []string{g + "Prompt", "Get" + g + "Prompt", "TestGet" + g + "Prompt"}
}

// ValidateResourceName checks the name of a resource: the rule of tool names, which
// also yields Go names and files.
func ValidateResourceName(name string) error { return validateItemName("resource", name) }

// ValidatePromptName checks the name of a prompt (see ValidateResourceName).
func ValidatePromptName(name string) error { return validateItemName("prompt", name) }

func validateItemName(kind, name string) error {
	if err := ValidateToolName(name); err != nil {
		return errors.New(strings.Replace(err.Error(), "tool name", kind+" name", 1))
	}
	return nil
}

// ValidateResourceURI checks the URI of a static resource: an absolute URI with a
// scheme (file:///notes.txt, docs://guide), on one line, without a fragment.
func ValidateResourceURI(raw string) error {
	if raw == "" {
		return errors.New("a URI is required, such as docs://guide or file:///notes.txt")
	}
	if strings.ContainsAny(raw, " \t\r\n") {
		return fmt.Errorf("%q must not contain spaces", raw)
	}
	if strings.ContainsAny(raw, "{}") {
		return fmt.Errorf("%q looks like a URI template: pass it as --uri-template", raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a valid URI: %w", raw, errors.Unwrap(err))
	}
	if !u.IsAbs() {
		return fmt.Errorf("%q must be an absolute URI with a scheme, such as docs://guide or file:///notes.txt", raw)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("%q must not contain a fragment", raw)
	}
	return nil
}

// ValidateResourceTemplate checks a resource template: an RFC 6570 URI template, as
// the library mcp-go matches read URIs with parses it, with at least one expression,
// that expands to an absolute URI.
func ValidateResourceTemplate(raw string) error {
	_, err := parseResourceTemplate(raw)
	return err
}

func parseResourceTemplate(raw string) (*uritemplate.Template, error) {
	if raw == "" {
		return nil, errors.New("a URI template is required, such as weather://cities/{city}")
	}
	if strings.ContainsAny(raw, " \t\r\n") {
		return nil, fmt.Errorf("%q must not contain spaces", raw)
	}
	t, err := uritemplate.New(raw)
	if err != nil {
		return nil, fmt.Errorf("%q is not an RFC 6570 URI template: %w", raw, err)
	}
	if len(t.Varnames()) == 0 {
		return nil, fmt.Errorf("%q has no {expression}: pass a URI without expressions as --uri, or add one as in weather://cities/{city}", raw)
	}
	if err := ValidateResourceURI(exampleURI(t)); err != nil {
		return nil, fmt.Errorf("%q does not expand to an absolute URI with a scheme, such as weather://cities/{city}", raw)
	}
	return t, nil
}

// exampleValues are the values an example read of t uses: example-<variable>.
func exampleValues(t *uritemplate.Template) uritemplate.Values {
	vals := uritemplate.Values{}
	for _, name := range t.Varnames() {
		vals.Set(name, uritemplate.String("example-"+name))
	}
	return vals
}

// exampleURI is t expanded with exampleValues.
func exampleURI(t *uritemplate.Template) string {
	uri, err := t.Expand(exampleValues(t))
	if err != nil {
		return ""
	}
	return uri
}

// ValidateMIMEType checks a MIME type (RFC 2045, as mime.ParseMediaType reads it).
func ValidateMIMEType(t string) error {
	if _, _, err := mime.ParseMediaType(t); err != nil || !strings.Contains(t, "/") {
		return fmt.Errorf("%q is not a MIME type such as text/plain, text/markdown or application/json", t)
	}
	return nil
}

// ValidatePromptArgName checks the name of a prompt argument: as a tool argument's.
func ValidatePromptArgName(name string) error { return ValidateArgName(name) }

// ParsePromptArg parses a prompt argument written name[:required|:optional][:description],
// as `mcpgen add prompt --arg` takes it; the description is the rest, colons included.
func ParsePromptArg(v string) (PromptArg, error) {
	name, rest, _ := strings.Cut(v, ":")
	a := PromptArg{Name: strings.TrimSpace(name)}
	if mod, desc, _ := strings.Cut(rest, ":"); mod == "required" || mod == "optional" {
		a.Required = mod == "required"
		rest = desc
	}
	a.Description = unquote(strings.TrimSpace(rest))
	if err := ValidatePromptArgName(a.Name); err != nil {
		return a, err
	}
	return a, nil
}

// ValidateResource checks one resource on its own and returns a *SpecError naming the
// field of every problem ("name", "uri", "uri-template", "mime-type", "description",
// "scopes"), or nil. Whether it fits a project is AddResource's question.
func ValidateResource(r Resource) error {
	if probs := validateResources([]Resource{r}); len(probs) > 0 {
		return &SpecError{Subject: "resource", Problems: probs}
	}
	return nil
}

// ValidatePrompt checks one prompt on its own (fields "name", "description", "args",
// "scopes").
func ValidatePrompt(p Prompt) error {
	if probs := validatePrompts([]Prompt{p}); len(probs) > 0 {
		return &SpecError{Subject: "prompt", Problems: probs}
	}
	return nil
}

func validateResources(resources []Resource) []Problem {
	var probs []Problem
	add := func(field string, err error) {
		probs = append(probs, Problem{Field: field, Message: err.Error()})
	}
	names, keys := map[string]bool{}, map[string]string{}
	for _, r := range resources {
		if err := ValidateResourceName(r.Name); err != nil {
			add("name", err)
			continue
		}
		if names[r.Name] {
			add("name", fmt.Errorf("resource %q is declared twice", r.Name))
		}
		names[r.Name] = true
		switch {
		case r.URI != "" && r.URITemplate != "":
			add("uri", fmt.Errorf("resource %q has both a URI and a URI template: pass one of --uri and --uri-template", r.Name))
		case r.URI == "" && r.URITemplate == "":
			add("uri", fmt.Errorf("resource %q needs a URI (--uri) or a URI template (--uri-template)", r.Name))
		case r.URI != "":
			if err := ValidateResourceURI(r.URI); err != nil {
				add("uri", fmt.Errorf("resource %q: %w", r.Name, err))
			}
		default:
			if err := ValidateResourceTemplate(r.URITemplate); err != nil {
				add("uri-template", fmt.Errorf("resource %q: %w", r.Name, err))
			}
		}
		if k := r.Key(); k != "" {
			if other, dup := keys[k]; dup {
				field := "uri"
				if r.URITemplate != "" {
					field = "uri-template"
				}
				add(field, fmt.Errorf("resource %q has the URI of resource %q (%s); choose another", r.Name, other, k))
			}
			keys[k] = r.Name
		}
		if err := ValidateMIMEType(r.MIMEType); err != nil {
			add("mime-type", fmt.Errorf("resource %q: %w", r.Name, err))
		}
		if strings.ContainsAny(r.Description, "\n\r") {
			add("description", fmt.Errorf("resource %q: the description must be one line", r.Name))
		}
		for _, sc := range r.Scopes {
			if err := ValidateScope(sc); err != nil {
				add("scopes", fmt.Errorf("resource %q: %w", r.Name, err))
			}
		}
	}
	return probs
}

func validatePrompts(prompts []Prompt) []Problem {
	var probs []Problem
	add := func(field string, err error) {
		probs = append(probs, Problem{Field: field, Message: err.Error()})
	}
	names := map[string]bool{}
	for _, p := range prompts {
		if err := ValidatePromptName(p.Name); err != nil {
			add("name", err)
			continue
		}
		if names[p.Name] {
			add("name", fmt.Errorf("prompt %q is declared twice", p.Name))
		}
		names[p.Name] = true
		if strings.ContainsAny(p.Description, "\n\r") {
			add("description", fmt.Errorf("prompt %q: the description must be one line", p.Name))
		}
		seen := map[string]bool{}
		for _, a := range p.Args {
			var err error
			switch {
			case ValidatePromptArgName(a.Name) != nil:
				err = ValidatePromptArgName(a.Name)
			case seen[a.Name]:
				err = fmt.Errorf("argument %q is declared twice", a.Name)
			case strings.ContainsAny(a.Description, "\n\r"):
				err = fmt.Errorf("argument %q: the description must be one line", a.Name)
			}
			seen[a.Name] = true
			if err != nil {
				add("args", fmt.Errorf("prompt %q: %w", p.Name, err))
			}
		}
		for _, sc := range p.Scopes {
			if err := ValidateScope(sc); err != nil {
				add("scopes", fmt.Errorf("prompt %q: %w", p.Name, err))
			}
		}
	}
	return probs
}

// validateGoNames refuses tools, resources and prompts whose Go names or files collide:
// they all live in package tools.
func validateGoNames(s Spec) []Problem {
	idents, files := map[string]string{}, map[string]string{}
	for _, t := range s.Tools {
		_ = checkToolNames(t, idents, files) // validateTools reports these
	}
	var probs []Problem
	for _, r := range s.Resources {
		if ValidateResourceName(r.Name) != nil {
			continue // validateResources reports it
		}
		if err := claimResourceNames(r.Name, idents, files); err != nil {
			probs = append(probs, Problem{Field: "name", Message: err.Error()})
		}
	}
	for _, p := range s.Prompts {
		if ValidatePromptName(p.Name) != nil {
			continue // validatePrompts reports it
		}
		if err := claimPromptNames(p.Name, idents, files); err != nil {
			probs = append(probs, Problem{Field: "name", Message: err.Error()})
		}
	}
	return probs
}

// claimResourceNames claims the file and Go names of the resource called name (see
// claimNames).
func claimResourceNames(name string, idents, files map[string]string) error {
	return claimNames(fmt.Sprintf("resource %q", name), resourcePrefix+fileStem(name), resourceIdents(name), idents, files)
}

// claimPromptNames claims the file and Go names of the prompt called name.
func claimPromptNames(name string, idents, files map[string]string) error {
	return claimNames(fmt.Sprintf("prompt %q", name), promptPrefix+fileStem(name), promptIdents(name), idents, files)
}

// projectNames are the Go names and file stems the tools, resources and prompts of s
// claim in package tools, each with what claims it.
func projectNames(s Spec) (idents, files map[string]string) {
	idents, files = map[string]string{}, map[string]string{}
	for _, t := range s.Tools {
		_ = checkToolNames(t, idents, files) // checked when added
	}
	for _, r := range s.Resources {
		_ = claimResourceNames(r.Name, idents, files)
	}
	for _, p := range s.Prompts {
		_ = claimPromptNames(p.Name, idents, files)
	}
	return idents, files
}

// CheckNewResource checks r as a resource to add to the project s: a valid name, and a
// name, URI or template and Go names that no resource, tool or prompt of s has. Empty
// fields (questions may still fill them) are not checked; ValidateResource checks the
// rest.
func (s Spec) CheckNewResource(r Resource) error {
	if r.Name != "" {
		if err := ValidateResourceName(r.Name); err != nil {
			return err
		}
		for _, e := range s.Resources {
			if e.Name == r.Name {
				src, _ := ResourceFiles(r.Name)
				return fmt.Errorf("resource %q already exists (see %s); choose another name, or edit %s to change it", r.Name, ManifestFile, src)
			}
		}
		idents, files := projectNames(s)
		if err := claimResourceNames(r.Name, idents, files); err != nil {
			return err
		}
	}
	if k := r.Key(); k != "" {
		for _, e := range s.Resources {
			if e.Key() == k {
				return fmt.Errorf("resource %q already serves %s (see %s); choose another URI", e.Name, k, ManifestFile)
			}
		}
	}
	return nil
}

// CheckNewPrompt checks name as the name of a prompt to add to the project s.
func (s Spec) CheckNewPrompt(name string) error {
	if err := ValidatePromptName(name); err != nil {
		return err
	}
	for _, e := range s.Prompts {
		if e.Name == name {
			src, _ := PromptFiles(name)
			return fmt.Errorf("prompt %q already exists (see %s); choose another name, or edit %s to change it", name, ManifestFile, src)
		}
	}
	idents, files := projectNames(s)
	return claimPromptNames(name, idents, files)
}

// resource is a Spec resource plus what its templates need.
type resource struct {
	Resource
	GoName   string
	Template bool
	Scopes   []string
	// ExampleURI is a URI the generated test reads, and ExampleVars what the
	// template's variables are when reading it (static: the URI itself, none).
	ExampleURI  string
	ExampleVars []keyValue

	TableKey         string // the URI or template as Markdown code
	TableDescription string
	TableAccess      string
}

// prompt is a Spec prompt plus what its templates need.
type prompt struct {
	Prompt
	GoName       string
	Scopes       []string
	ArgNames     []string
	RequiredArgs []string   // in declaration order
	ExampleArgs  []keyValue // an example value for every argument

	TableArgs        string
	TableDescription string
	TableAccess      string
}

// keyValue is one name and its value.
type keyValue struct{ Key, Value string }

func newResource(r Resource) resource {
	m := resource{Resource: r, GoName: goName(r.Name), Template: r.URITemplate != "", Scopes: sortedUnique(r.Scopes)}
	m.ExampleURI = r.URI
	if t, err := uritemplate.New(r.URITemplate); m.Template && err == nil {
		m.ExampleURI = exampleURI(t)
		vals := t.Match(m.ExampleURI) // what mcp-go and the handler read back
		for _, name := range t.Varnames() {
			m.ExampleVars = append(m.ExampleVars, keyValue{name, strings.Join(vals.Get(name).V, ",")})
		}
	}
	m.TableKey = "`" + tableCell(r.Key()) + "`"
	m.TableDescription = tableCell(r.Description)
	m.TableAccess = scopeAccess(r.Scopes)
	return m
}

func newPrompt(p Prompt) prompt {
	m := prompt{Prompt: p, GoName: goName(p.Name), Scopes: sortedUnique(p.Scopes)}
	var args []string
	for _, a := range p.Args {
		m.ArgNames = append(m.ArgNames, a.Name)
		if a.Required {
			m.RequiredArgs = append(m.RequiredArgs, a.Name)
		}
		m.ExampleArgs = append(m.ExampleArgs, keyValue{a.Name, "example " + a.Name})
		arg := "`" + a.Name + "`"
		if a.Required {
			arg += " (required)"
		}
		args = append(args, arg)
	}
	m.TableArgs = "—"
	if len(args) > 0 {
		m.TableArgs = strings.Join(args, ", ")
	}
	m.TableDescription = tableCell(p.Description)
	m.TableAccess = scopeAccess(p.Scopes)
	return m
}

// scopeAccess says in Markdown what reading a resource or getting a prompt needs.
func scopeAccess(scopes []string) string {
	if access := codeList(sortedUnique(scopes), ", "); access != "" {
		return access
	}
	return "any token for this server"
}

// withResource is s with r added after its other resources.
func (s Spec) withResource(r Resource) Spec {
	s.Resources = append(slices.Clip(s.Resources), r)
	return s
}

// withPrompt is s with p added after its other prompts.
func (s Spec) withPrompt(p Prompt) Spec {
	s.Prompts = append(slices.Clip(s.Prompts), p)
	return s
}
