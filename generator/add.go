package generator

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/mcpgen/mcpgen/runtime/auth"
)

// ErrNotProject reports a directory without mcpgen.yaml: not a project mcpgen generated.
var ErrNotProject = errors.New("not an mcpgen project")

// ReadmeFile is the project's README. The user owns it, except the tool table between
// the mcpgen:tools markers, which `mcpgen add tool` regenerates.
const ReadmeFile = "README.md"

// The markers around the README's tool table. The start marker line may carry a comment
// after "mcpgen:tools"; the end marker is the whole line.
const (
	toolsMarkerStart = "<!-- mcpgen:tools"
	toolsMarkerEnd   = "<!-- /mcpgen:tools -->"
)

// Addition is everything adding a tool, resource, prompt or scope changes in a project,
// computed before anything is written: apply it with Update(dir, a.Changes).
type Addition struct {
	Tool     Tool     // the tool as added (AddTool), its scopes resolved
	Resource Resource // the resource as added (AddResource), its scopes resolved
	Prompt   Prompt   // the prompt as added (AddPrompt), its scopes resolved
	Scope    Scope    // the scope as added (AddScope)
	Spec     Spec     // the project after the addition, as recorded in the new mcpgen.yaml
	Changes  []Change // new user-owned files, regenerated registry and manifest, README tables; sorted
	// NewScopes are the scopes the addition needs that the project did not know: they
	// are declared baseline (what an undeclared scope means) and advertised.
	NewScopes []string
	// BaselineDefault says the tool, resource or prompt was given no scopes, so it
	// requires the project's baseline scopes (its Scopes say which).
	BaselineDefault bool
	// Notes says what was left alone that the user may want to do by hand (a README
	// without the tool table markers, a main.go that does not use tools.Policy).
	Notes []string
}

// AddTool computes the addition of t to the project whose files fsys holds (usually
// os.DirFS of its directory). It reads, never writes: the new user-owned tool source and
// test, the registry and mcpgen.yaml regenerated from the manifest plus t, and the
// README's tables between their markers. Everything else (main.go, the user's tool
// files, the rest of the README) is left as it is. A tool that is not public and names
// no scopes requires the project's baseline scopes.
//
// It refuses, changing nothing: a directory that is not a project (ErrNotProject), an
// invalid tool (*SpecError), a tool whose name, Go names or files collide with what the
// project has, a project without baseline scopes for a tool without scopes, and a
// registry edited by hand (ErrEdited). Applying the result to a project generated with
// Render gives what Render gives for the project with t.
func AddTool(fsys fs.FS, t Tool) (*Addition, error) {
	spec, read, err := openProject(fsys)
	if err != nil {
		return nil, err
	}
	if err := ValidateTool(t); err != nil {
		return nil, err
	}
	if err := checkFits(spec.Tools, t); err != nil {
		return nil, err
	}
	a := &Addition{Spec: spec}
	if !t.Public {
		if t.Scopes, err = a.scopesFor(spec, fmt.Sprintf("tool %q", t.Name), t.Scopes); err != nil {
			return nil, err
		}
	}
	a.Tool = t
	a.Spec.Tools = append(slices.Clip(spec.Tools), t)
	src, test := ToolFiles(t.Name)
	if err := a.addFiles(fsys, read, fmt.Sprintf("tool %q", t.Name), "`"+t.Name+"`", src, test); err != nil {
		return nil, err
	}
	return a, nil
}

// addFiles completes the addition of subject (`tool "x"`), whose user-owned files are
// src and test, to a.Spec: it renders the project, creates the two files (refusing to
// overwrite the user's), regenerates what mcpgen owns (see regenerate) and checks that
// package tools still compiles as far as names go. row starts the subject's README
// table row, for the note when the README has no markers.
func (a *Addition) addFiles(fsys fs.FS, read map[string][]byte, subject, row, src, test string) error {
	a.Spec.declareToolScopes()
	rendered, err := renderByPath(a.Spec)
	if err != nil {
		return fmt.Errorf("render the project with %s: %w", subject, err)
	}
	for _, p := range []string{src, test} {
		if err := mustNotExist(fsys, p, subject); err != nil {
			return err
		}
		a.Changes = append(a.Changes, Change{File: rendered[p], Create: true})
	}
	readmeNote := fmt.Sprintf("add the row yourself: %s", tableRow(rendered[ReadmeFile].Data, row))
	if err := a.regenerate(fsys, rendered, read, readmeNote); err != nil {
		return err
	}
	if err := checkDeclarations(fsys, a.Changes, subject); err != nil {
		return err
	}
	slices.SortFunc(a.Changes, func(x, y Change) int { return strings.Compare(x.Path, y.Path) })
	return nil
}

// AddResource computes the addition of the resource r (static, or a template) to the
// project whose files fsys holds, as AddTool does for a tool: the new user-owned
// resource_<name>.go and its test, the registry and mcpgen.yaml regenerated, and the
// README's tables. A resource without scopes requires the project's baseline scopes;
// one without a MIME type is DefaultMIMEType.
//
// It refuses, changing nothing: a directory that is not a project (ErrNotProject), an
// invalid resource (*SpecError), a resource whose name, URI or template, Go names or
// files collide with what the project has, a project without baseline scopes for a
// resource without scopes, and a registry edited by hand (ErrEdited).
func AddResource(fsys fs.FS, r Resource) (*Addition, error) {
	spec, read, err := openProject(fsys)
	if err != nil {
		return nil, err
	}
	if r.MIMEType == "" {
		r.MIMEType = DefaultMIMEType
	}
	if err := ValidateResource(r); err != nil {
		return nil, err
	}
	if err := spec.CheckNewResource(r); err != nil {
		return nil, err
	}
	a := &Addition{Spec: spec}
	r.Scopes, err = a.scopesFor(spec, fmt.Sprintf("resource %q", r.Name), r.Scopes)
	if err != nil {
		return nil, err
	}
	a.Resource = r
	a.Spec = spec.withResource(r)
	src, test := ResourceFiles(r.Name)
	if err := a.addFiles(fsys, read, fmt.Sprintf("resource %q", r.Name), "`"+tableCell(r.Key())+"`", src, test); err != nil {
		return nil, err
	}
	a.noteUnfiltered(fsys, "auth.FilterResourceLists(hooks, tools.Policy)", "resources/list and resources/templates/list")
	return a, nil
}

// noteUnfiltered notes a project that filters lists (filter_tools_list) whose main.go,
// written before resources and prompts, lacks wiring (the call that filters lists): the
// lists show every caller everything. Enforcement does not depend on it.
func (a *Addition) noteUnfiltered(fsys fs.FS, wiring, lists string) {
	if !a.Spec.FilterToolsList {
		return
	}
	name, _, _ := strings.Cut(wiring, "(")
	if main, err := fs.ReadFile(fsys, mainFile); err == nil && !bytes.Contains(main, []byte(name)) {
		a.Notes = append(a.Notes, fmt.Sprintf("%s does not call %s, so %s show every caller everything (reading and getting are still checked): add it in newMCPHandler, as mcpgen new writes it today", mainFile, wiring, lists))
	}
}

// AddPrompt computes the addition of the prompt p to the project whose files fsys
// holds, as AddResource does for a resource (files prompt_<name>.go and its test).
func AddPrompt(fsys fs.FS, p Prompt) (*Addition, error) {
	spec, read, err := openProject(fsys)
	if err != nil {
		return nil, err
	}
	if err := ValidatePrompt(p); err != nil {
		return nil, err
	}
	if err := spec.CheckNewPrompt(p.Name); err != nil {
		return nil, err
	}
	a := &Addition{Spec: spec}
	p.Scopes, err = a.scopesFor(spec, fmt.Sprintf("prompt %q", p.Name), p.Scopes)
	if err != nil {
		return nil, err
	}
	a.Prompt = p
	a.Spec = spec.withPrompt(p)
	src, test := PromptFiles(p.Name)
	if err := a.addFiles(fsys, read, fmt.Sprintf("prompt %q", p.Name), "`"+p.Name+"`", src, test); err != nil {
		return nil, err
	}
	a.noteUnfiltered(fsys, "server.WithPromptFilter(auth.PromptFilter(tools.Policy))", "prompts/list")
	return a, nil
}

// scopesFor returns the scopes subject needs: scopes, or, when there are none, the
// baseline scopes of spec (BaselineDefault). It records in a the scopes spec does not
// know yet (NewScopes).
func (a *Addition) scopesFor(spec Spec, subject string, scopes []string) ([]string, error) {
	if len(scopes) == 0 {
		baseline := spec.Policy().Baseline
		if len(baseline) == 0 {
			return nil, fmt.Errorf("%s names no scope and the project has no baseline scope to require: pass --scope, or declare a baseline scope first (mcpgen add scope NAME --baseline)", subject)
		}
		scopes = slices.Clone(baseline)
		a.BaselineDefault = true
	}
	known := spec.AllScopes()
	for _, sc := range sortedUnique(scopes) {
		if !slices.Contains(known, sc) {
			a.NewScopes = append(a.NewScopes, sc)
		}
	}
	return scopes, nil
}

// AddScope computes the addition of the scope d to the project whose files fsys holds:
// mcpgen.yaml with d declared, and the registry and the README's tables regenerated
// (each only when it changes: a step-up scope no tool needs yet and that implies
// nothing is not in the policy). It reads, never writes.
//
// It refuses, changing nothing: a directory that is not a project (ErrNotProject), a
// scope the project already has, an invalid scope, an implied scope the project does
// not know or a cycle of implications (*SpecError), and a registry edited by hand
// (ErrEdited).
func AddScope(fsys fs.FS, d Scope) (*Addition, error) {
	spec, read, err := openProject(fsys)
	if err != nil {
		return nil, err
	}
	if err := spec.CheckNewScopeName(d.Name); err != nil {
		return nil, &SpecError{Subject: "scope", Problems: []Problem{{Field: "name", Message: err.Error()}}}
	}
	d.Implies = CleanScopes(d.Implies)
	a := &Addition{Scope: d, Spec: spec.withScope(d)}
	if err := a.Spec.Validate(); err != nil {
		if se, ok := errors.AsType[*SpecError](err); ok {
			se.Subject = "scope"
		}
		return nil, err
	}
	rendered, err := renderByPath(a.Spec)
	if err != nil {
		return nil, fmt.Errorf("render the project with scope %s: %w", d.Name, err)
	}
	if err := a.regenerate(fsys, rendered, read, "the scope is recorded in "+ManifestFile); err != nil {
		return nil, err
	}
	slices.SortFunc(a.Changes, func(x, y Change) int { return strings.Compare(x.Path, y.Path) })
	return a, nil
}

// CheckNewScopeName checks name as the name of a scope to declare in the project s: a
// valid scope the project does not have yet.
func (s Spec) CheckNewScopeName(name string) error {
	if err := ValidateScope(name); err != nil {
		return err
	}
	if _, ok := s.Scope(name); ok {
		return fmt.Errorf("scope %s already exists (see %s); choose another name", name, ManifestFile)
	}
	return nil
}

// withScope is s with d declared after its other scopes.
func (s Spec) withScope(d Scope) Spec {
	s.Scopes = append(slices.Clip(s.Scopes), d)
	return s
}

// renderByPath renders s, keyed by path.
func renderByPath(s Spec) (map[string]File, error) {
	files, err := Render(s)
	if err != nil {
		return nil, err
	}
	byPath := map[string]File{}
	for _, f := range files {
		byPath[f.Path] = f
	}
	return byPath, nil
}

// regenerate adds to a the files mcpgen owns that the addition changes: the registry and
// manifest, whose bytes read openProject checked (Update requires them still in
// place), and the README's tables; readmeNote says what to do when the README has no
// markers. It notes a main.go that does not hand tools.Policy to the runtime.
func (a *Addition) regenerate(fsys fs.FS, rendered map[string]File, read map[string][]byte, readmeNote string) error {
	for _, p := range []string{RegistryFile, ManifestFile} {
		if !bytes.Equal(rendered[p].Data, read[p]) {
			a.Changes = append(a.Changes, replace(fsys, rendered[p], read[p]))
		}
	}
	if c, note, err := updateReadme(fsys, rendered[ReadmeFile], readmeNote); err != nil {
		return err
	} else if note != "" {
		a.Notes = append(a.Notes, note)
	} else if c != nil {
		a.Changes = append(a.Changes, *c)
	}
	if main, err := fs.ReadFile(fsys, mainFile); err == nil && !bytes.Contains(main, []byte("tools.Policy")) {
		a.Notes = append(a.Notes, fmt.Sprintf("%s does not use tools.Policy, so the server enforces only the scopes of each tool (no implications, baseline, claim rules, public tools or tools/list filtering): in %s, set protect.Options.Scopes to tools.Policy and drop ScopesSupported, as mcpgen new writes it today", mainFile, mainFile))
	}
	return nil
}

// mainFile is the generated project's main.go: the user's, never rewritten.
const mainFile = "main.go"

// OpenProject reads the Spec of the project in fsys from its mcpgen.yaml and checks that
// a tool can be added to it (the manifest is valid, the registry was not edited by hand
// and binds the same tools to the same scopes as the manifest says), so a command can
// refuse before asking any question. AddTool calls it first.
func OpenProject(fsys fs.FS) (Spec, error) {
	spec, _, err := openProject(fsys)
	return spec, err
}

// openProject is OpenProject, also returning the manifest and registry bytes it read and
// checked, by path.
func openProject(fsys fs.FS) (Spec, map[string][]byte, error) {
	spec, manifest, err := readProject(fsys)
	if err != nil {
		return Spec{}, nil, err
	}
	registry, err := checkRegistry(fsys, spec)
	if err != nil {
		return Spec{}, nil, err
	}
	return spec, map[string][]byte{ManifestFile: manifest, RegistryFile: registry}, nil
}

// FindProject returns the nearest directory from dir upwards that holds an mcpgen.yaml
// (as go finds go.mod), and whether there is one.
func FindProject(dir string) (string, bool) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ManifestFile)); err == nil {
			return d, true
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

// ParseArg parses an argument written name:type[:required|:optional][:description], as
// `mcpgen add tool --arg` takes it. The description is the rest of the value, colons
// included; surrounding double quotes are removed, so the quotes in
// 'city:string:required:"City name"' may be kept or left to the shell.
func ParseArg(v string) (Arg, error) {
	name, rest, ok := strings.Cut(v, ":")
	if !ok || rest == "" {
		return Arg{}, errors.New(`no type; write name:type[:required][:description], as in city:string:required:"City name"`)
	}
	a := Arg{Name: strings.TrimSpace(name)}
	a.Type, rest, _ = strings.Cut(rest, ":")
	a.Type = strings.TrimSpace(a.Type)
	if mod, desc, _ := strings.Cut(rest, ":"); mod == "required" || mod == "optional" {
		a.Required = mod == "required"
		rest = desc
	}
	a.Description = unquote(strings.TrimSpace(rest))
	if err := ValidateArgName(a.Name); err != nil {
		return a, err
	}
	if err := ValidateArgType(a.Type); err != nil {
		return a, err
	}
	return a, nil
}

// unquote removes the double quotes around s, as Go or (when that fails) as plain text.
func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
		return s[1 : len(s)-1]
	}
	return s
}

// CheckNewToolName checks name as the name of a tool to add to the project s: a valid
// MCP tool name that no tool has, whose Go names and files collide with nothing.
func (s Spec) CheckNewToolName(name string) error {
	if err := ValidateToolName(name); err != nil {
		return err
	}
	return checkFits(s.Tools, Tool{Name: name})
}

// readProject reads the project's Spec from its manifest and checks it, so a broken
// mcpgen.yaml is reported as such and not as a problem with the tool being added.
func readProject(fsys fs.FS) (Spec, []byte, error) {
	data, err := fs.ReadFile(fsys, ManifestFile)
	if errors.Is(err, fs.ErrNotExist) {
		return Spec{}, nil, fmt.Errorf("%w: no %s here", ErrNotProject, ManifestFile)
	}
	if err != nil {
		return Spec{}, nil, fmt.Errorf("read %s: %w", ManifestFile, err)
	}
	m, err := ParseManifest(data)
	if err != nil {
		return Spec{}, nil, err
	}
	spec := m.Spec(RuntimeRef{Version: m.MCPGen})
	if err := spec.Validate(); err != nil {
		// Not wrapped: the problems are in the file, not in this command's flags, so
		// this must not read (or exit) as a usage error.
		// Each problem is named by its key in the file.
		if se, ok := errors.AsType[*SpecError](err); ok {
			err = errors.New(se.Describe(func(field string) string { return strings.ReplaceAll(field, "-", "_") }))
		}
		return Spec{}, nil, fmt.Errorf("%s does not describe a valid project (was it edited by hand?): %s", ManifestFile, strings.TrimPrefix(err.Error(), "invalid project settings: "))
	}
	return spec, data, nil
}

// checkFits refuses a tool the project already has, or one whose Go names or files would
// collide with an existing tool's.
func checkFits(existing []Tool, t Tool) error {
	idents, files := map[string]string{}, map[string]string{}
	for _, e := range existing {
		if e.Name == t.Name {
			return fmt.Errorf("tool %q already exists (see %s); choose another name, or edit %s to change it", t.Name, ManifestFile, toolsPkg+fileStem(t.Name)+".go")
		}
		_ = checkToolNames(e, idents, files) // the project's own tools were checked when added
	}
	return checkToolNames(t, idents, files)
}

// checkRegistry refuses a generated registry that is missing or was edited by hand:
// regenerating it would silently drop the edit. It also refuses a registry whose tools
// and scopes differ from the manifest's: mcpgen.yaml was edited by hand, and
// regenerating would apply that edit (dropping a tool, or changing who may call it) as a
// side effect of adding another tool.
func checkRegistry(fsys fs.FS, spec Spec) ([]byte, error) {
	data, err := fs.ReadFile(fsys, RegistryFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is missing: restore it (for example with git checkout %s) and run the command again", RegistryFile, RegistryFile)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", RegistryFile, err)
	}
	// A checkout with CRLF line endings (git's autocrlf on Windows) is not an edit.
	if err := VerifyChecksum(data); err != nil && VerifyChecksum(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))) != nil {
		return nil, fmt.Errorf("%s was edited by hand (%w), so mcpgen will not regenerate it and lose the edit: move your code into a tool's own file (or main.go), restore the generated file (for example with git checkout %s), then run the command again", RegistryFile, err, RegistryFile)
	}
	registered, legacy, err := registryPolicy(data)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", RegistryFile, err)
	}
	recorded := spec.Policy()
	if legacy {
		// A registry from before tools.Policy records the tools' scopes only.
		recorded = auth.ScopePolicy{Tools: recorded.Tools}
	}
	if mine, theirs := policyDiff(recorded, registered); mine != "" {
		return nil, fmt.Errorf("%s and %s disagree about the tools and their scopes (%s says %s, %s says %s): was %s edited by hand? Restore it (for example with git checkout %s), then run the command again",
			ManifestFile, RegistryFile, ManifestFile, mine, RegistryFile, theirs, ManifestFile, ManifestFile)
	}
	return data, nil
}

// registryPolicy reads the Policy literal of a generated registry, or, in a registry
// generated before Policy existed (legacy), the Scopes map literal as the policy's Tools.
func registryPolicy(src []byte) (p auth.ScopePolicy, legacy bool, err error) {
	f, err := parser.ParseFile(token.NewFileSet(), RegistryFile, src, parser.SkipObjectResolution)
	if err != nil {
		return p, false, err
	}
	vars := map[string]*ast.CompositeLit{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if len(vs.Names) != 1 || len(vs.Values) != 1 {
				continue
			}
			if lit, ok := vs.Values[0].(*ast.CompositeLit); ok {
				vars[vs.Names[0].Name] = lit
			}
		}
	}
	if lit, ok := vars["Policy"]; ok {
		p, err = policyLiteral(lit)
		return p, false, err
	}
	if lit, ok := vars["Scopes"]; ok {
		p.Tools, err = scopesLiteral(lit)
		return p, true, err
	}
	return p, false, errors.New("no Policy literal")
}

// policyLiteral decodes auth.ScopePolicy{Tools: ..., Resources: ...,
// ResourceTemplates: ..., Prompts: ..., Implies: ..., Baseline: ..., Rules: ...,
// Public: ..., FilterLists: ...} as the registry template writes it.
func policyLiteral(lit *ast.CompositeLit) (auth.ScopePolicy, error) {
	var p auth.ScopePolicy
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		key, ok2 := kv.Key.(*ast.Ident)
		if !ok || !ok2 {
			return p, errors.New("unexpected Policy field")
		}
		var err error
		switch key.Name {
		case "Tools":
			p.Tools, err = scopesMap(kv.Value)
		case "Resources":
			p.Resources, err = scopesMap(kv.Value)
		case "ResourceTemplates":
			p.ResourceTemplates, err = scopesMap(kv.Value)
		case "Prompts":
			p.Prompts, err = scopesMap(kv.Value)
		case "Implies":
			p.Implies, err = scopesMap(kv.Value)
		case "Baseline":
			p.Baseline, err = stringsLiteral(kv.Value)
		case "Public":
			p.Public, err = stringsLiteral(kv.Value)
		case "Rules":
			p.Rules, err = rulesLiteral(kv.Value)
		case "FilterLists":
			id, ok := kv.Value.(*ast.Ident)
			p.FilterLists = ok && id.Name == "true"
		default:
			err = fmt.Errorf("unexpected Policy field %s", key.Name)
		}
		if err != nil {
			return p, err
		}
	}
	return p, nil
}

func scopesMap(e ast.Expr) (map[string][]string, error) {
	lit, ok := e.(*ast.CompositeLit)
	if !ok {
		return nil, errors.New("unexpected map of scopes")
	}
	return scopesLiteral(lit)
}

// stringLiteral is the value of a Go string literal.
func stringLiteral(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}

// stringsLiteral decodes []string{"a", ...} (or {"a", ...} inside a map).
func stringsLiteral(e ast.Expr) ([]string, error) {
	lit, ok := e.(*ast.CompositeLit)
	if !ok {
		return nil, errors.New("unexpected list of strings")
	}
	list := []string{}
	for _, el := range lit.Elts {
		s, ok := stringLiteral(el)
		if !ok {
			return nil, errors.New("unexpected string in a list")
		}
		list = append(list, s)
	}
	return list, nil
}

// scopesLiteral decodes map[string][]string{"tool": {"scope", ...}, ...}, each list
// sorted.
func scopesLiteral(lit *ast.CompositeLit) (map[string][]string, error) {
	out := map[string][]string{}
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			return nil, errors.New("unexpected map entry")
		}
		name, ok := stringLiteral(kv.Key)
		if !ok {
			return nil, errors.New("unexpected map key")
		}
		list, err := stringsLiteral(kv.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = sortedUnique(list)
	}
	return out, nil
}

// rulesLiteral decodes map[string][]auth.ClaimRule{"tool": {{Claim: "c", Values: []string{"v"}}}}.
func rulesLiteral(e ast.Expr) (map[string][]auth.ClaimRule, error) {
	lit, ok := e.(*ast.CompositeLit)
	if !ok {
		return nil, errors.New("unexpected Rules")
	}
	out := map[string][]auth.ClaimRule{}
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		name, ok2 := stringLiteral(kv.Key)
		list, ok3 := kv.Value.(*ast.CompositeLit)
		if !ok || !ok2 || !ok3 {
			return nil, errors.New("unexpected Rules entry")
		}
		for _, re := range list.Elts {
			rl, ok := re.(*ast.CompositeLit)
			if !ok {
				return nil, fmt.Errorf("unexpected rule of tool %q", name)
			}
			var r auth.ClaimRule
			for _, f := range rl.Elts {
				fkv, ok := f.(*ast.KeyValueExpr)
				fk, ok2 := fkv.Key.(*ast.Ident)
				if !ok || !ok2 {
					return nil, fmt.Errorf("unexpected rule of tool %q", name)
				}
				var err error
				switch fk.Name {
				case "Claim":
					var ok bool
					if r.Claim, ok = stringLiteral(fkv.Value); !ok {
						err = errors.New("unexpected claim")
					}
				case "Values":
					r.Values, err = stringsLiteral(fkv.Value)
				default:
					err = fmt.Errorf("unexpected rule field %s", fk.Name)
				}
				if err != nil {
					return nil, fmt.Errorf("rule of tool %q: %w", name, err)
				}
			}
			out[name] = append(out[name], r)
		}
	}
	return out, nil
}

// policyDiff describes the parts of two policies that differ, each as the policy
// says it ("tools a [x], b []; baseline [x]"); both "" when they agree.
func policyDiff(a, b auth.ScopePolicy) (string, string) {
	var da, db []string
	part := func(name, x, y string) {
		if x != y {
			da, db = append(da, strings.TrimSpace(name+" "+x)), append(db, strings.TrimSpace(name+" "+y))
		}
	}
	part("", formatScopes(a.Tools), formatScopes(b.Tools))
	part("resources", formatScopes(a.Resources), formatScopes(b.Resources))
	part("resource templates", formatScopes(a.ResourceTemplates), formatScopes(b.ResourceTemplates))
	part("prompts", formatScopes(a.Prompts), formatScopes(b.Prompts))
	part("implies", formatScopes(a.Implies), formatScopes(b.Implies))
	part("baseline", fmt.Sprint(sortedUnique(a.Baseline)), fmt.Sprint(sortedUnique(b.Baseline)))
	part("claim rules", formatRules(a.Rules), formatRules(b.Rules))
	part("public", fmt.Sprint(sortedUnique(a.Public)), fmt.Sprint(sortedUnique(b.Public)))
	part("filter_tools_list", strconv.FormatBool(a.FilterLists), strconv.FormatBool(b.FilterLists))
	return strings.Join(da, "; "), strings.Join(db, "; ")
}

// formatScopes writes name → scopes for a message: a [x y], b [].
func formatScopes(m map[string][]string) string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %v", name, sortedUnique(m[name])))
	}
	return strings.Join(parts, ", ")
}

// formatRules writes tool → rules for a message: t [permissions in [a b]].
func formatRules(m map[string][]auth.ClaimRule) string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %v", name, m[name]))
	}
	return strings.Join(parts, ", ")
}

// mustNotExist refuses to create a file the user already has: tool, resource and
// prompt files are theirs. subject names what would be written (`tool "x"`).
func mustNotExist(fsys fs.FS, p, subject string) error {
	_, err := fs.Stat(fsys, p)
	switch {
	case err == nil:
		return fmt.Errorf("%s already exists and mcpgen never overwrites your files: rename or remove it, or choose another name for %s", p, subject)
	case errors.Is(err, fs.ErrNotExist):
		return nil
	default:
		return fmt.Errorf("check %s: %w", p, err)
	}
}

// replace is the change that puts f in place of the existing file at f.Path, whose
// content was old when read, keeping its permission bits.
func replace(fsys fs.FS, f File, old []byte) Change {
	if info, err := fs.Stat(fsys, f.Path); err == nil {
		f.Mode = info.Mode().Perm()
	}
	return Change{File: f, Old: old}
}

// updateReadme replaces the tables of the user's README (between the mcpgen:tools
// markers) with those of rendered, keeping everything outside the markers byte for
// byte. Without a README or its markers it changes nothing and says so in note,
// followed by missing (what to do by hand).
func updateReadme(fsys fs.FS, rendered File, missing string) (c *Change, note string, err error) {
	old, err := fs.ReadFile(fsys, ReadmeFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Sprintf("%s not found: no tool table to update", ReadmeFile), nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", ReadmeFile, err)
	}
	if _, _, ok := toolTable(old); !ok {
		return nil, fmt.Sprintf("%s has no %s … %s markers around a tool table, so it was left alone; %s",
			ReadmeFile, toolsMarkerStart+" -->", toolsMarkerEnd, missing), nil
	}
	if _, _, ok := toolTable(rendered.Data); !ok {
		return nil, "", fmt.Errorf("render %s: the template lost its tool table markers", ReadmeFile)
	}
	data, _ := spliceTables(old, rendered.Data)
	if bytes.Equal(data, old) {
		return nil, "", nil
	}
	ch := replace(fsys, File{Path: ReadmeFile, Data: data}, old)
	// The pristine copy gets the same new tables, so it stays what mcpgen's template
	// wrote, and the user's edits stay the difference between it and the README.
	if rec, err := ReadRecord(fsys); err == nil {
		if base, ok := rec.Base(fsys, ReadmeFile); ok {
			ch.Base, _ = spliceTables(base, rendered.Data)
		}
	}
	return &ch, "", nil
}

// spliceTables is doc with the tables between its mcpgen:tools markers replaced by
// those of rendered, keeping everything else byte for byte (and doc's line endings);
// false when either has no markers.
func spliceTables(doc, rendered []byte) ([]byte, bool) {
	start, end, ok := toolTable(doc)
	rs, re, ok2 := toolTable(rendered)
	if !ok || !ok2 {
		return doc, false
	}
	table := rendered[rs:re]
	if bytes.HasSuffix(doc[:start], []byte("\r\n")) { // keep the user's line endings
		table = bytes.ReplaceAll(table, []byte("\n"), []byte("\r\n"))
	}
	return slices.Concat(doc[:start], table, doc[end:]), true
}

// toolTable finds the tool table in a README: the bytes after the start marker's line
// up to the start of the end marker's line. Both markers must appear exactly once, in
// that order, each on a line of its own.
func toolTable(doc []byte) (start, end int, ok bool) {
	starts, ends := 0, 0
	off := 0
	for line := range bytes.Lines(doc) {
		text := string(bytes.TrimSpace(line))
		switch {
		case strings.HasPrefix(text, toolsMarkerStart) && strings.HasSuffix(text, "-->"):
			starts++
			start = off + len(line)
		case text == toolsMarkerEnd:
			ends++
			end = off
		}
		off += len(line)
	}
	return start, end, starts == 1 && ends == 1 && start <= end
}

// tableRow is the README table row that starts with the cell first (a tool's
// "`name`"), taken from a rendered README.
func tableRow(readme []byte, first string) string {
	for line := range bytes.Lines(readme) {
		if bytes.HasPrefix(line, []byte("| "+first+" |")) {
			return strings.TrimSpace(string(line))
		}
	}
	return ""
}

// checkDeclarations parses package tools as it will be after changes (the user's files
// included) and refuses a package-level name declared twice: the project would no longer
// compile, for instance because the user already wrote a WeatherArgs type.
func checkDeclarations(fsys fs.FS, changes []Change, subject string) error {
	changed := map[string]bool{}
	for _, c := range changes {
		changed[c.Path] = true
	}
	// The project's files first, so the message blames the new file, not the user's.
	var files []File
	entries, err := fs.ReadDir(fsys, strings.TrimSuffix(toolsPkg, "/"))
	if err != nil {
		return fmt.Errorf("read %s: %w", toolsPkg, err)
	}
	for _, e := range entries {
		p := toolsPkg + e.Name()
		if !e.Type().IsRegular() || path.Ext(p) != ".go" || changed[p] {
			continue
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		files = append(files, File{Path: p, Data: data})
	}
	for _, c := range changes {
		if path.Dir(c.Path)+"/" == toolsPkg && path.Ext(c.Path) == ".go" {
			files = append(files, c.File)
		}
	}
	if dup := duplicateDeclaration(files); dup != nil {
		kind, _, _ := strings.Cut(subject, " ")
		return fmt.Errorf("%s cannot be added: %v; choose another %s name or rename yours", subject, dup, kind)
	}
	return nil
}

// duplicateDeclaration returns an error naming the first package-level identifier that
// two of files (Go files of one directory) declare, or nil. Files that do not parse are
// skipped: the compiler will name their problem better than we can.
func duplicateDeclaration(files []File) error {
	declared := map[string]string{} // package + "." + name -> file
	fset := token.NewFileSet()
	for _, file := range files {
		f, err := parser.ParseFile(fset, file.Path, file.Data, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, name := range topLevelNames(f) {
			key := f.Name.Name + "." + name
			if other, dup := declared[key]; dup {
				return fmt.Errorf("%s declares %s, which %s already declares", file.Path, name, other)
			}
			declared[key] = file.Path
		}
	}
	return nil
}

// topLevelNames lists the package-level names a file declares (not methods, not the
// blank identifier or init, which may repeat).
func topLevelNames(f *ast.File) []string {
	var names []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil && d.Name.Name != "init" {
				names = append(names, d.Name.Name)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					names = append(names, s.Name.Name)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.Name != "_" {
							names = append(names, n.Name)
						}
					}
				}
			}
		}
	}
	return names
}
