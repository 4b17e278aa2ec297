package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// buildInfo is what `mcpgen version` reports, read from the binary itself so it is right
// for `go install …@vX`, release builds and source checkouts alike, with no ldflags.
type buildInfo struct {
	Version   string // module version, or "(devel)" for a build from a checkout
	Revision  string // vcs.revision, when the build recorded it
	Modified  bool   // vcs.modified: the checkout had uncommitted changes
	GoVersion string
	Platform  string
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: "(devel)", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if v := info.Main.Version; v != "" {
		b.Version = v
	}
	if info.GoVersion != "" {
		b.GoVersion = info.GoVersion
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// shortVersion is the one-word version for `mcpgen --version`.
func shortVersion() string {
	b := readBuildInfo()
	if b.Revision == "" {
		return b.Version
	}
	rev := b.Revision
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if b.Modified {
		rev += "-dirty"
	}
	return b.Version + " (" + rev + ")"
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the mcpgen version and the Go version it was built with",
		Long: `Print the mcpgen version (the module version, or "(devel)" for a build from a
source checkout, plus the commit when the build recorded it) and the Go toolchain.`,
		Example: `  mcpgen version`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := readBuildInfo()
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "mcpgen %s\n", b.Version)
			if b.Revision != "" {
				mod := ""
				if b.Modified {
					mod = " (modified)"
				}
				fmt.Fprintf(w, "commit %s%s\n", b.Revision, mod)
			}
			fmt.Fprintf(w, "go     %s %s\n", b.GoVersion, b.Platform)
			return nil
		},
	}
}
