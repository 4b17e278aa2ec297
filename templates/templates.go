// Package templates holds the text/template files mcpgen renders into a new project.
//
// Layout: project/ mirrors the generated project, one template per generated file, named
// after it plus ".tmpl" (project/internal/config/config.go.tmpl renders
// internal/config/config.go); tool/ holds the files rendered once per tool
// (tool/tool.go.tmpl, or tool/<name>.go.tmpl for a tool with its own template, such as
// the greet_user example); provider/ holds, per provider preset, the README section
// (<name>.md.tmpl) and the tests with tokens shaped like that provider's
// (<name>_test.go.tmpl); partials/ holds shared {{define}} blocks. The generator builds
// the data these templates see, so they hold no provider or naming logic of their own.
package templates

import (
	"embed"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"text/template"
)

// FS holds every template. The all: prefix keeps dotfiles such as .gitignore.
//
//go:embed all:project all:tool provider partials
var FS embed.FS

// Funcs is the one FuncMap every template may use. Keep it small: anything smarter than
// quoting belongs in the generator's data model.
var Funcs = template.FuncMap{
	// quote writes a Go (and YAML/JSON-compatible) double-quoted string literal.
	"quote": strconv.Quote,
	// join joins strings with a separator.
	"join": func(sep string, elems []string) string { return strings.Join(elems, sep) },
	// goStrings writes a []string composite literal body: "a", "b".
	"goStrings": GoStrings,
}

// GoStrings writes the body of a []string composite literal: "a", "b".
func GoStrings(elems []string) string {
	quoted := make([]string, len(elems))
	for i, e := range elems {
		quoted[i] = strconv.Quote(e)
	}
	return strings.Join(quoted, ", ")
}

// Parse returns every template in FS, parsed once, each named by its path in FS
// ("project/main.go.tmpl"), with the partials defined for all of them.
var Parse = sync.OnceValues(parse)

func parse() (*template.Template, error) {
	root := template.New("").Funcs(Funcs).Option("missingkey=error")
	err := fs.WalkDir(FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".tmpl") {
			return err
		}
		src, err := FS.ReadFile(path)
		if err != nil {
			return err
		}
		if _, err := root.New(path).Parse(string(src)); err != nil {
			return fmt.Errorf("parse template %s: %w", path, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return root, nil
}
