package generator

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// goSumTemplate is the verbatim go.sum every generated project gets.
const goSumTemplate = "../templates/project/go.sum.tmpl"

// TestGoSumTidy checks that a generated project is tidy: `go mod tidy` changes neither
// its go.mod (the requirement list in modules.go) nor its go.sum (go.sum.tmpl). It needs
// the Go module proxy (or a warm module cache). With -update it rewrites go.sum.tmpl
// from tidy's output.
func TestGoSumTidy(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	spec := greetingSpec()
	spec.Runtime.ReplaceDir = root // the copy lives in a temp dir: point at this checkout
	files, err := Render(spec)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	dir := t.TempDir()
	if err := Write(dir, files, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "mod", "tidy")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	gotSum := readFile(t, filepath.Join(dir, "go.sum"))
	if *update {
		if err := os.WriteFile(goSumTemplate, gotSum, 0o644); err != nil {
			t.Fatal(err)
		}
	} else if !bytes.Equal(gotSum, fileData(files, "go.sum")) {
		t.Errorf("go mod tidy changed go.sum: run go test ./generator -run TestGoSumTidy -update\n%s",
			firstDiff(fileData(files, "go.sum"), gotSum))
	}
	if gotMod := readFile(t, filepath.Join(dir, "go.mod")); !bytes.Equal(gotMod, fileData(files, "go.mod")) {
		t.Errorf("go mod tidy changed go.mod: update projectModules in generator/modules.go to match:\n%s",
			firstDiff(fileData(files, "go.mod"), gotMod))
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fileData returns the content of the rendered file at path, or nil.
func fileData(files []File, path string) []byte {
	for _, f := range files {
		if f.Path == path {
			return f.Data
		}
	}
	return nil
}
