package main

import (
	"bytes"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// upgradeProject copies the project an earlier mcpgen generated (and its user edited)
// to a temporary directory.
func upgradeProject(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "weather-server")
	if err := os.CopyFS(dir, os.DirFS("../../testdata/upgrade/weather-server")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// tree reads every file under dir.
func tree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files[p], err = fs.ReadFile(os.DirFS(dir), p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func runMcpgen(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// reportLine matches a line of the upgrade report.
var reportLine = regexp.MustCompile(`(?m)^  (replaced|merged|conflict|added|kept) +(\S+)(  \((.*)\))?$`)

// TestUpgradeCommand: --dry-run reports and diffs without writing; upgrade reports each
// file of the project, leaves the user's tool files alone and exits 0.
func TestUpgradeCommand(t *testing.T) {
	dir := upgradeProject(t)
	before := tree(t, dir)
	code, stdout, stderr := runMcpgen(t, "upgrade", "--dir", dir, "--dry-run")
	if code != exitOK || stderr != "" {
		t.Fatalf("--dry-run: exit %d, stderr %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "would upgrade "+dir+" from mcpgen (devel) to mcpgen (devel):\n") {
		t.Errorf("--dry-run report:\n%s", stdout)
	}
	if !maps.EqualFunc(tree(t, dir), before, bytes.Equal) {
		t.Fatal("--dry-run changed the project")
	}

	code, stdout, stderr = runMcpgen(t, "upgrade", "--dir", dir)
	t.Logf("mcpgen upgrade:\n%s", stdout)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	reported := map[string]string{}
	for _, m := range reportLine.FindAllStringSubmatch(stdout, -1) {
		reported[m[2]] = m[1]
	}
	for _, p := range []string{"main.go", "README.md", "Makefile", "go.mod", "mcpgen.yaml", "internal/tools/registry.go", "internal/tools/weather.go"} {
		if _, ok := reported[p]; !ok {
			t.Errorf("the report does not list %s", p)
		}
	}
	for _, p := range []string{"internal/tools/weather.go", "internal/tools/weather_test.go", "internal/tools/greet_user.go"} {
		if reported[p] != "kept" || !bytes.Equal(tree(t, dir)[p], before[p]) {
			t.Errorf("%s is the user's: reported %s", p, reported[p])
		}
	}
	for p, o := range reported {
		if o == "conflict" {
			t.Errorf("%s: conflict", p)
		}
	}
	code, stdout, _ = runMcpgen(t, "upgrade", "--dir", dir)
	if code != exitOK || !strings.Contains(stdout, "the project is current") {
		t.Errorf("a second upgrade: exit %d\n%s", code, stdout)
	}
}

// TestUpgradeCommandConflict: a file the user edited whose pristine copy is gone can
// only be merged two ways: its differences conflict. Without --yes (and no terminal to
// ask) nothing is written and the error names the file and --yes; with --yes the
// markers are written, listed, and the exit status is 1.
func TestUpgradeCommandConflict(t *testing.T) {
	dir := upgradeProject(t)
	if err := os.Remove(filepath.Join(dir, ".mcpgen/base/Makefile")); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)
	code, _, stderr := runMcpgen(t, "upgrade", "--dir", dir)
	if code != exitError || !strings.Contains(stderr, "Makefile would get conflict markers, so nothing was written: pass --yes") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	if !maps.EqualFunc(tree(t, dir), before, bytes.Equal) {
		t.Fatal("a refused upgrade changed the project")
	}

	code, stdout, stderr := runMcpgen(t, "upgrade", "--dir", dir, "--yes")
	if code != exitError || !strings.Contains(stderr, "upgraded with conflicts in Makefile: resolve each <<<<<<< yours") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	if !regexp.MustCompile(`(?m)^  conflict +Makefile  \(no pristine copy`).MatchString(stdout) {
		t.Errorf("the report does not list the conflict:\n%s", stdout)
	}
	makefile := string(tree(t, dir)["Makefile"])
	for _, want := range []string{"<<<<<<< yours\n", "deploy: docker\n", "=======\n", ">>>>>>> mcpgen (devel)\n"} {
		if !strings.Contains(makefile, want) {
			t.Errorf("Makefile lacks %q:\n%s", want, makefile)
		}
	}
}
