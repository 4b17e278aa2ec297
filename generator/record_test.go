package generator

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestOwner(t *testing.T) {
	for p, want := range map[string]Ownership{
		"main.go":                         CoOwned,
		"main_test.go":                    CoOwned,
		"README.md":                       CoOwned,
		"Dockerfile":                      CoOwned,
		".env.example":                    CoOwned,
		"internal/config/config.go":       CoOwned,
		"internal/middleware/x.go":        CoOwned,
		"internal/tools/helpers_test.go":  CoOwned,
		"internal/tools/registry.go":      Generated,
		"internal/tools/weather.go":       UserOwned,
		"internal/tools/weather_test.go":  UserOwned,
		"go.mod":                          ModuleFile,
		"go.sum":                          ModuleFile,
		"mcpgen.yaml":                     ManifestOwned,
		"internal/tools/nested/deeper.go": CoOwned,
	} {
		if got := Owner(p); got != want {
			t.Errorf("Owner(%s) = %v, want %v", p, got, want)
		}
	}
	if recorded(BasePath("main.go")) || recorded(ManifestFile) || recorded("internal/tools/weather.go") || !recorded("go.sum") {
		t.Error("recorded: the copies, the manifest and the user's files are not recorded; go.sum is")
	}
}

// TestGoldenRecord: the record in each golden manifest is the checksum of each file
// mcpgen owns or shares, and of nothing else.
func TestGoldenRecord(t *testing.T) {
	for _, dir := range []string{goldenDir, goldenWeatherDir, goldenFilesDir} {
		tree := readTree(t, dir)
		m, err := ParseManifest(tree[ManifestFile])
		if err != nil {
			t.Fatal(err)
		}
		got := recordFrom(m).SHA256
		for _, p := range slices.Sorted(maps.Keys(tree)) {
			want, ok := got[p]
			delete(got, p)
			switch {
			case recorded(p) && !ok:
				t.Errorf("%s: %s is not recorded", dir, p)
			case !recorded(p) && ok:
				t.Errorf("%s: %s is recorded, but it is not mcpgen's", dir, p)
			case ok && want != sha256Hex(tree[p]):
				t.Errorf("%s: %s recorded as %s, is %s", dir, p, want, sha256Hex(tree[p]))
			}
		}
		if len(got) > 0 {
			t.Errorf("%s: records files it does not have: %v", dir, got)
		}
	}
}

// writeProject writes files (with their pristine copies, as mcpgen new does) to a
// new directory and returns it.
func writeProject(t *testing.T, files []File) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "p")
	if err := Write(dir, WithBase(files), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestUpdateKeepsTheRecord: new, then add scope and add tool written with Update, gives
// the project new gives with the scope and tool, pristine copies and record included,
// while the user's edits to the README stay out of its pristine copy.
func TestUpdateKeepsTheRecord(t *testing.T) {
	files, err := Render(greetingSpec())
	if err != nil {
		t.Fatal(err)
	}
	dir := writeProject(t, files)
	readme := filepath.Join(dir, ReadmeFile)
	edited := strings.Replace(string(fileData(files, ReadmeFile)), "## Where things are", "## Where things are\n\nMy own note.", 1)
	mustWrite(t, readme, edited)

	scope := Scope{Name: "files:admin", Description: "All files", Implies: []string{"usr:read"}}
	add, err := AddScope(os.DirFS(dir), scope)
	if err != nil {
		t.Fatal(err)
	}
	if err := Update(dir, add.Changes); err != nil {
		t.Fatal(err)
	}
	a, err := AddTool(os.DirFS(dir), weatherTool())
	if err != nil {
		t.Fatal(err)
	}
	if err := Update(dir, a.Changes); err != nil {
		t.Fatal(err)
	}

	s := greetingSpec()
	s.Scopes = append(s.Scopes, scope)
	s.Tools = append(s.Tools, weatherTool())
	want, err := Render(s)
	if err != nil {
		t.Fatal(err)
	}
	got := readTree(t, dir)
	for _, f := range WithBase(want) {
		if f.Path == ReadmeFile {
			if !strings.Contains(string(got[f.Path]), "My own note.") || !strings.Contains(string(got[f.Path]), "| `weather` |") {
				t.Errorf("README lost the user's note or did not get the new tool's row:\n%s", got[f.Path])
			}
		} else if !bytes.Equal(got[f.Path], f.Data) {
			t.Errorf("%s differs from what new writes for the grown project:\n%s", f.Path, firstDiff(f.Data, got[f.Path]))
		}
		delete(got, f.Path)
	}
	if len(got) > 0 {
		t.Errorf("extra files: %v", slices.Sorted(maps.Keys(got)))
	}
}

// TestAddKeepsAnOlderRecord: add records only what it writes; the record of a file it
// does not write (from an older mcpgen, say) stays, so upgrade still merges from it.
func TestAddKeepsAnOlderRecord(t *testing.T) {
	files, err := Render(greetingSpec())
	if err != nil {
		t.Fatal(err)
	}
	old := append([]byte("// an older template\n"), fileData(files, "main.go")...)
	for i := range files {
		if files[i].Path == "main.go" {
			files[i].Data = old
		}
	}
	m, _ := ParseManifest(fileData(files, ManifestFile))
	m.Generated = recordOf(files)
	manifest, err := setRecord(fileData(files, ManifestFile), m.Generated)
	if err != nil {
		t.Fatal(err)
	}
	for i := range files {
		if files[i].Path == ManifestFile {
			files[i].Data = manifest
		}
	}
	dir := writeProject(t, files)
	a, err := AddTool(os.DirFS(dir), weatherTool())
	if err != nil {
		t.Fatal(err)
	}
	if err := Update(dir, a.Changes); err != nil {
		t.Fatal(err)
	}
	rec, err := ReadRecord(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if base, ok := rec.Base(os.DirFS(dir), "main.go"); !ok || !bytes.Equal(base, old) {
		t.Errorf("main.go's base = %q (valid %v), want the older template's", base, ok)
	}
	if _, ok := rec.Base(os.DirFS(dir), RegistryFile); !ok {
		t.Error("the regenerated registry is not recorded")
	}
}

func TestSetRecord(t *testing.T) {
	data := []byte("# c\nname: x\ngenerated:\n  - path: a\n    sha256: \"1\"\n")
	got, err := setRecord(data, []RecordedFile{{Path: "b", SHA256: "ff"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "# c\nname: x\ngenerated:\n  - path: b\n    sha256: ff\n"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, _ := setRecord(data, nil); string(got) != "# c\nname: x\n" {
		t.Errorf("empty record: got %q", got)
	}
}
