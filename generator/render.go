package generator

import (
	"bytes"
	"errors"
	"fmt"
	"go/format"
	"go/scanner"
	"io/fs"
	"path"
	"slices"
	"strings"
	"text/template"

	"github.com/mcpgen/mcpgen/templates"
)

// File is one generated file: a slash-separated path relative to the project root, its
// content and its permission bits.
type File struct {
	Path string
	Data []byte
	Mode fs.FileMode
}

const (
	projectDir  = "project/"
	toolDir     = "tool/"
	providerDir = "provider/"
	toolsPkg    = "internal/tools/"
	tmplExt     = ".tmpl"
)

// Render turns a validated Spec into the files of a new project, sorted by path. It is a
// pure function of the Spec (and of the templates and versions built into mcpgen): it
// reads no files, environment or network, so callers can write, diff or just list the
// result. Every .go file is gofmt'd; a template that produces invalid Go is an error
// naming the file and line.
func Render(s Spec) ([]File, error) {
	// mcpgen.yaml records every scope: one a tool needs that s does not declare is
	// baseline, and declared so, whether the tool came with `new` or `add tool`.
	s.declareToolScopes()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	deps, err := goModInfo(s.Runtime)
	if err != nil {
		return nil, err
	}
	tmpl, err := templates.Parse()
	if err != nil {
		return nil, err
	}
	data := newProject(s, deps)
	// The preset's README section is rendered first: the README template includes it.
	docs, err := execute(tmpl, providerDir+s.Provider+".md"+tmplExt, ReadmeFile, data)
	if err != nil {
		return nil, err
	}
	data.ProviderDocs = strings.TrimSpace(string(docs))
	r := renderer{tmpl: tmpl, data: renderData{project: data}}
	for _, t := range tmpl.Templates() {
		if name, ok := strings.CutPrefix(t.Name(), projectDir); ok && name != ManifestFile+tmplExt {
			r.render(strings.TrimSuffix(name, tmplExt), t.Name(), r.data)
		}
	}
	for _, tl := range data.Tools {
		r.renderTool(tl)
	}
	for _, res := range data.Resources {
		src, test := ResourceFiles(res.Name)
		r.renderPair(src, test, "resource", itemData{renderData: r.data, Resource: res})
	}
	for _, pr := range data.Prompts {
		src, test := PromptFiles(pr.Name)
		r.renderPair(src, test, "prompt", itemData{renderData: r.data, Prompt: pr})
	}
	if r.err != nil {
		return nil, r.err
	}
	// The manifest comes last: it records the checksum of every other file mcpgen owns.
	m := NewManifest(s)
	m.Generated = recordOf(r.files)
	manifest, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	r.data.Manifest = string(manifest)
	r.render(ManifestFile, projectDir+ManifestFile+tmplExt, r.data)
	if r.err != nil {
		return nil, r.err
	}
	if err := checkToolsPackage(r.files); err != nil {
		return nil, err
	}
	slices.SortFunc(r.files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return r.files, nil
}

// renderData is the template data: the project model plus the rendered manifest.
type renderData struct {
	project
	Manifest string
}

// toolData is what the per-tool templates see: the project and the tool at hand.
type toolData struct {
	renderData
	Tool tool
}

// itemData is what the templates of a resource or prompt see: the project and the
// resource or prompt at hand.
type itemData struct {
	renderData
	Resource resource
	Prompt   prompt
}

// renderer collects files and keeps the first error, so Render reads as a list of steps.
type renderer struct {
	tmpl  *template.Template
	data  renderData
	files []File
	err   error
}

func (r *renderer) render(outPath, tmplName string, data any) {
	if r.err != nil {
		return
	}
	out, err := execute(r.tmpl, tmplName, outPath, data)
	if err != nil {
		r.err = err
		return
	}
	r.files = append(r.files, File{Path: outPath, Data: out, Mode: 0o644})
}

// renderTool renders the user-owned source and test file of one tool. A tool with its own
// templates (tool/<stem>.go.tmpl) uses them; any other tool gets the generic stub.
func (r *renderer) renderTool(t tool) {
	data := toolData{renderData: r.data, Tool: t}
	for _, suffix := range []string{".go", "_test.go"} {
		name := toolDir + t.FileStem + suffix + tmplExt
		if r.tmpl.Lookup(name) == nil {
			name = toolDir + "tool" + suffix + tmplExt
		}
		r.render(toolsPkg+t.FileStem+suffix, name, data)
	}
}

// renderPair renders the user-owned source and test file of a resource or prompt from
// tool/<kind>.go.tmpl and tool/<kind>_test.go.tmpl.
func (r *renderer) renderPair(src, test, kind string, data itemData) {
	r.render(src, toolDir+kind+".go"+tmplExt, data)
	r.render(test, toolDir+kind+"_test.go"+tmplExt, data)
}

// execute runs one template and post-processes its output: gofmt for Go files, and the
// checksum seal for files that carry one.
func execute(tmpl *template.Template, name, outPath string, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", outPath, err)
	}
	out := buf.Bytes()
	if path.Ext(outPath) == ".go" {
		formatted, err := format.Source(out)
		if err != nil {
			return nil, fmt.Errorf("render %s from %s: invalid Go at %w", outPath, name, positionError(err))
		}
		out = formatted
	}
	if hasChecksum(out) {
		out = sealChecksum(out)
	}
	return out, nil
}

// checkToolsPackage refuses a render whose tools package declares a name twice, which
// tool names can cause in ways Validate does not foresee (a tool named after another
// tool's test function, say): better an error now than a project that does not compile.
func checkToolsPackage(files []File) error {
	var pkg []File
	for _, f := range files {
		if path.Dir(f.Path)+"/" == toolsPkg && path.Ext(f.Path) == ".go" {
			pkg = append(pkg, f)
		}
	}
	if err := duplicateDeclaration(pkg); err != nil {
		return fmt.Errorf("render %s: %w; choose other tool, resource or prompt names", toolsPkg, err)
	}
	return nil
}

// positionError turns a go/format error into "line N: message".
func positionError(err error) error {
	var list scanner.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		return fmt.Errorf("line %d: %s", list[0].Pos.Line, list[0].Msg)
	}
	return err
}

// RegistryFile is the generated file that binds tools to the server and their scopes.
// mcpgen owns it (with ManifestFile): `mcpgen add tool` regenerates both, after checking
// with VerifyChecksum that nobody edited the registry.
const RegistryFile = toolsPkg + "registry.go"

// ToolFiles returns the paths of the user-owned source and test file of a tool, as
// Render writes them.
func ToolFiles(toolName string) (src, test string) {
	stem := toolsPkg + fileStem(toolName)
	return stem + ".go", stem + "_test.go"
}
