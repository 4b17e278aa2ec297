package generator

import (
	"path"
	"strings"
)

// Ownership says who may change a file of a generated project, and so what mcpgen records
// of it (see record.go) and what `mcpgen upgrade` does with it.
type Ownership int

const (
	// CoOwned files come from mcpgen's templates and are the user's to edit (main.go,
	// README.md, Dockerfile, internal/config, ...): mcpgen records the bytes it wrote,
	// and upgrade merges its new render with the user's edits three ways.
	CoOwned Ownership = iota
	// UserOwned files are written once (by new or add) and are the user's from then on
	// (a tool's body and test): never recorded, never touched again.
	UserOwned
	// Generated files are mcpgen's alone (DO NOT EDIT, sealed with a checksum): recorded
	// and regenerated; an edit by hand is refused, never merged.
	Generated
	// ModuleFile is go.mod or go.sum: recorded; upgrade raises the requirements mcpgen
	// generated (golang.org/x/mod/modfile) and adds go.sum lines, keeping the user's own.
	ModuleFile
	// ManifestOwned is mcpgen.yaml: data mcpgen regenerates from itself, and the holder
	// of the record, so it is not recorded.
	ManifestOwned
)

// String names the ownership as reports show it.
func (o Ownership) String() string {
	switch o {
	case UserOwned:
		return "yours"
	case Generated:
		return "generated"
	case ModuleFile:
		return "module"
	case ManifestOwned:
		return "manifest"
	}
	return "shared"
}

// ownership classifies the files of a generated project: the first pattern (path.Match
// syntax, on the slash path) that matches decides, and a file no pattern matches is
// CoOwned. A new kind of user-owned file (a resource or prompt handler, say) is one line
// here, before the line of its directory if that one says otherwise.
var ownership = []struct {
	Pattern string
	Owner   Ownership
}{
	{ManifestFile, ManifestOwned},
	{"go.mod", ModuleFile},
	{"go.sum", ModuleFile},
	{RegistryFile, Generated},
	{toolsPkg + "helpers_test.go", CoOwned},
	{toolsPkg + "*", UserOwned}, // one source and one test per tool
}

// Owner classifies the project file at the slash path p.
func Owner(p string) Ownership {
	for _, o := range ownership {
		if ok, _ := path.Match(o.Pattern, p); ok {
			return o.Owner
		}
	}
	return CoOwned
}

// recorded says whether mcpgen keeps a record (checksum and pristine copy) of the file
// at p: every file it owns or co-owns except the manifest that holds the record, and
// nothing under BaseDir.
func recorded(p string) bool {
	if strings.HasPrefix(p, BaseDir+"/") {
		return false
	}
	switch Owner(p) {
	case CoOwned, Generated, ModuleFile:
		return true
	}
	return false
}
