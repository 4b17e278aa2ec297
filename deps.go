// Package mcpgen is the root of the mcpgen module. It holds no logic: it exists so the
// generator can read this module's own go.mod, because the dependency versions pinned
// (and tested) here are exactly the versions every generated project requires.
package mcpgen

import (
	_ "embed"
	"path/filepath"
	"runtime"
)

// GoMod is this module's go.mod, embedded at build time.
//
//go:embed go.mod
var GoMod []byte

// ModulePath is the import path of this module, which generated projects require for
// the runtime packages.
const ModulePath = "github.com/mcpgen/mcpgen"

// SourceDir returns the directory this file was compiled from, or "" when the build does
// not record it. In a source checkout it is the checkout's root, which lets a development
// build of mcpgen point generated projects at the runtime packages next to it.
func SourceDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return ""
	}
	return filepath.Dir(file)
}
