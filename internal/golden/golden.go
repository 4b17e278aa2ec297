// Package golden defines the -update flag shared by every test package of this module.
//
// Golden files (generated projects, go.sum templates, ...) change only through
// `go test ./... -update`. The go command passes -update to every test binary it builds,
// and a binary that does not define the flag fails, so each test package imports this
// package (a blank import where it has no golden files of its own) and the one command
// works across the whole module.
package golden

import "flag"

// Update reports whether the test run was asked to rewrite golden files from the current
// output instead of comparing against them.
var Update = flag.Bool("update", false, "rewrite golden files from the current output")
