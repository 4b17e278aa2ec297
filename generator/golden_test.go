package generator

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/internal/golden"
)

// update rewrites the golden files and go.sum.tmpl from the current output.
var update = golden.Update

// goldenDir is the golden greeting server, relative to this package.
const goldenDir = "../testdata/golden/greeting-server"

// GreetingSpec is the canonical greeting server the golden tree is rendered from. Its
// runtime points at this checkout with a relative path, so the golden is the same on
// every machine and builds against the runtime next to it.
func greetingSpec() Spec {
	s := Spec{
		Name:     "greeting-server",
		Module:   "example.com/greeting-server",
		Provider: ProviderScalekit,
		Issuer:   "https://example.scalekit.dev",
		Runtime:  RuntimeRef{Version: DevelVersion, ReplaceDir: "../../.."},
	}
	s.ApplyDefaults()
	return s
}

// goldenFilesDir is the project of filesSpec.
const goldenFilesDir = "../testdata/golden/files-server"

// filesSpec is a project with a scope hierarchy (files:admin implies files:write
// implies files:read), a baseline scope and step-up scopes, a claim rule, a public
// tool and a filtered tools/list.
func filesSpec() Spec {
	s := Spec{
		Name:     "files-server",
		Module:   "example.com/files-server",
		Provider: ProviderGeneric,
		Issuer:   "https://auth.example.com",
		JWKSURL:  "https://auth.example.com/.well-known/jwks.json",
		Scopes: []Scope{
			{Name: "files:read", Description: "Read files", Baseline: true},
			{Name: "files:write", Description: "Create and change files", Implies: []string{"files:read"}},
			{Name: "files:admin", Description: "Manage every file, purges included", Implies: []string{"files:write"}},
		},
		FilterToolsList: true,
		Tools: []Tool{
			{Name: "list_files", Description: "Lists the files in a folder.", Scopes: []string{"files:read"},
				Args: []Arg{{Name: "folder", Type: "string", Description: "Folder to list"}}, ReadOnly: true},
			{Name: "write_file", Description: "Writes a file.", Scopes: []string{"files:write"},
				Args: []Arg{{Name: "path", Type: "string", Required: true}, {Name: "content", Type: "string", Required: true}}},
			{Name: "purge_files", Description: "Deletes every file of a folder.", Scopes: []string{"files:admin"},
				RequireClaims: []ClaimRule{{Claim: "permissions", Values: []string{"files:purge"}}},
				Args:          []Arg{{Name: "folder", Type: "string", Required: true}}, Destructive: true},
			{Name: "status", Description: "Says whether the file service is up.", Public: true, ReadOnly: true},
		},
		Runtime: RuntimeRef{Version: DevelVersion, ReplaceDir: "../../.."},
	}
	s.ApplyDefaults()
	return s
}

func TestGoldenFiles(t *testing.T) {
	files, err := Render(filesSpec())
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	checkGolden(t, goldenFilesDir, files)
}

func TestGolden(t *testing.T) {
	files, err := Render(greetingSpec())
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	checkGolden(t, goldenDir, files)
}

// checkGolden compares files with the golden tree in dir, byte for byte and file for
// file, or rewrites the tree from files under -update.
func checkGolden(t *testing.T, dir string, files []File) {
	t.Helper()
	if *update {
		writeGolden(t, dir, files)
		return
	}
	want := readTree(t, dir)
	for _, f := range files {
		if strings.HasPrefix(f.Path, BaseDir+"/") {
			continue // the pristine copies are the project's files: TestGoldenRecord checks them
		}
		w, ok := want[f.Path]
		if !ok {
			t.Errorf("%s: rendered but not in the golden tree %s (run go test ./generator -update)", f.Path, dir)
			continue
		}
		delete(want, f.Path)
		if !bytes.Equal(f.Data, w) {
			t.Errorf("%s differs from the golden file in %s (run go test ./generator -update to accept):\n%s", f.Path, dir, firstDiff(w, f.Data))
		}
	}
	for path := range want {
		t.Errorf("%s: in the golden tree %s but no longer rendered (run go test ./generator -update)", path, dir)
	}
}

// writeGolden replaces the golden tree in dir with files, removing stale files.
func writeGolden(t *testing.T, dir string, files []File) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	files = slices.DeleteFunc(slices.Clone(files), func(f File) bool { return strings.HasPrefix(f.Path, BaseDir+"/") })
	if err := Write(dir, files, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
}

// readTree reads every file under dir, keyed by slash path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	tree := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		tree[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatalf("read golden tree: %v", err)
	}
	return tree
}

// firstDiff shows the first differing line with a little context.
func firstDiff(want, got []byte) string {
	wl := strings.Split(string(want), "\n")
	gl := strings.Split(string(got), "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g || i >= len(wl) || i >= len(gl) {
			return fmt.Sprintf("line %d:\n  golden:   %q\n  rendered: %q", i+1, w, g)
		}
	}
	return "(files differ only in line endings)"
}
