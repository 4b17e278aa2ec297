package generator

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var someFiles = []File{
	{Path: "go.mod", Data: []byte("module x\n"), Mode: 0o644},
	{Path: "internal/a/a.go", Data: []byte("package a\n"), Mode: 0o644},
	{Path: "internal/b/b.go", Data: []byte("package b\n"), Mode: 0o644},
}

func TestWriteCreatesDirectoryAndFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "project")
	if err := Write(dir, someFiles, WriteOptions{}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	tree := readTree(t, dir)
	if len(tree) != len(someFiles) {
		t.Errorf("wrote %d files, want %d: %v", len(tree), len(someFiles), tree)
	}
	for _, f := range someFiles {
		if string(tree[f.Path]) != string(f.Data) {
			t.Errorf("%s = %q, want %q", f.Path, tree[f.Path], f.Data)
		}
	}
	info, err := os.Stat(filepath.Join(dir, "go.mod"))
	if err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("go.mod mode = %v (%v), want 0644", info.Mode(), err)
	}
}

func TestWriteRefusesNonEmptyDirectory(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "notes.txt"), "mine")
	err := Write(dir, someFiles, WriteOptions{})
	if _, ok := errors.AsType[*ConflictError](err); !ok {
		t.Fatalf("err = %v, want *ConflictError", err)
	}
	if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "--force") || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("message %q should name the directory, its content and --force", err)
	}
	if tree := readTree(t, dir); len(tree) != 1 {
		t.Errorf("directory changed: %v", tree)
	}
}

func TestWriteForceOverwritesOnlyItsFiles(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "notes.txt"), "mine")
	mustWrite(t, filepath.Join(dir, "go.mod"), "old")
	if err := Write(dir, someFiles, WriteOptions{Force: true}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	tree := readTree(t, dir)
	if string(tree["notes.txt"]) != "mine" || string(tree["go.mod"]) != "module x\n" {
		t.Errorf("tree = %q", tree)
	}
}

// TestWriteChecksBeforeWriting: a target that cannot be written is found before any
// file is written, so nothing changes.
func TestWriteChecksBeforeWriting(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "go.mod"), "old")
	if err := os.MkdirAll(filepath.Join(dir, "internal", "b", "b.go"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := Write(dir, someFiles, WriteOptions{Force: true})
	if err == nil || !strings.Contains(err.Error(), "internal/b/b.go") {
		t.Fatalf("err = %v, want one naming internal/b/b.go", err)
	}
	tree := readTree(t, dir)
	if string(tree["go.mod"]) != "old" || len(tree) != 1 {
		t.Errorf("disk changed before the failure was found: %q", tree)
	}
}

// TestWriteRollsBackOnFailure: when writing fails midway (here: a file appears where a
// directory is about to be created, which no up-front check can rule out), everything this call created is removed and overwritten files return.
func TestWriteRollsBackOnFailure(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "go.mod"), "old")
	files := append([]File{}, someFiles...)
	files = append(files, File{Path: "z/late.go", Data: []byte("package z\n")})
	p, err := plan(dir, files, WriteOptions{Force: true})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	// Something else creates a file named like a directory the plan will create.
	mustWrite(t, filepath.Join(dir, "z"), "in the way")
	err = p.apply()
	if err == nil {
		t.Fatal("apply succeeded, want a failure")
	}
	if rbErr := p.rollback(); rbErr != nil {
		t.Fatalf("rollback: %v", rbErr)
	}
	tree := readTree(t, dir)
	if len(tree) != 2 || string(tree["go.mod"]) != "old" || string(tree["z"]) != "in the way" {
		t.Errorf("after rollback the tree is %q, want only the original files", tree)
	}
	if _, err := os.Stat(filepath.Join(dir, "internal")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("created directory internal survived the rollback: %v", err)
	}
}

func TestWriteRollsBackOverwrittenFiles(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "go.mod"), "old")
	p, err := plan(dir, someFiles, WriteOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.apply(); err != nil {
		t.Fatal(err)
	}
	if err := p.rollback(); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if tree := readTree(t, dir); len(tree) != 1 || string(tree["go.mod"]) != "old" {
		t.Errorf("after rollback the tree is %q, want go.mod=old only", tree)
	}
}

func TestOverwrites(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "internal", "b", "b.go"), "old")
	mustWrite(t, filepath.Join(dir, "go.mod"), "old")
	mustWrite(t, filepath.Join(dir, "notes.txt"), "mine")
	got, err := Overwrites(dir, someFiles)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"go.mod", "internal/b/b.go"}; !slices.Equal(got, want) {
		t.Errorf("Overwrites = %v, want %v", got, want)
	}
	if got, err := Overwrites(filepath.Join(dir, "missing"), someFiles); err != nil || len(got) != 0 {
		t.Errorf("Overwrites(missing dir) = %v, %v; want none", got, err)
	}
}

func TestWriteRefusesUnsafePaths(t *testing.T) {
	for _, p := range []string{"../escape", "/abs", "a/../../b", "", ".", `a\b`} {
		err := Write(t.TempDir(), []File{{Path: p}}, WriteOptions{})
		if err == nil {
			t.Errorf("Write(%q) succeeded", p)
		}
	}
	dup := []File{{Path: "a"}, {Path: "a"}}
	if err := Write(t.TempDir(), dup, WriteOptions{}); err == nil {
		t.Error("Write accepted a path listed twice")
	}
}

func TestWriteRefusesSymlinkedParent(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "internal")); err != nil {
		t.Fatal(err)
	}
	err := Write(dir, someFiles, WriteOptions{Force: true})
	if err == nil {
		t.Fatal("Write followed a symlinked directory")
	}
	if tree := readTree(t, outside); len(tree) != 0 {
		t.Errorf("wrote outside the target: %v", tree)
	}
}

func TestWriteUnwritableDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Log("running as root: permissions are not enforced, checking a file as parent instead")
		parent := filepath.Join(t.TempDir(), "file")
		mustWrite(t, parent, "x")
		if err := Write(filepath.Join(parent, "project"), someFiles, WriteOptions{}); err == nil {
			t.Fatal("Write under a regular file succeeded")
		}
		return
	}
	parent := t.TempDir()
	if err := os.Chmod(parent, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(parent, 0o755) })
	err := Write(filepath.Join(parent, "project"), someFiles, WriteOptions{})
	if err == nil || !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("err = %v, want a permission error", err)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("left %v behind", entries)
	}
}

func mustWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCheckTarget: the one check of a target directory, which `mcpgen new` runs before
// asking anything and Write runs again.
func TestCheckTarget(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "afile")
	full := filepath.Join(root, "full")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(full, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dir   string
		force bool
		want  string // "" for no error
	}{
		{filepath.Join(root, "missing"), false, ""},
		{root + "/empty-later", false, ""},
		{full, true, ""},
		{full, false, "target directory " + full + " exists and is not empty (it contains sub)"},
		{file, true, "target " + file + " exists and is not a directory; choose another --dir"},
		{filepath.Join(file, "x"), false, "cannot create target directory " + filepath.Join(file, "x") + ": a parent of it is a file"},
	}
	for _, tt := range tests {
		err := CheckTarget(tt.dir, tt.force)
		if tt.want == "" {
			if err != nil {
				t.Errorf("CheckTarget(%s, %v) = %v, want nil", tt.dir, tt.force, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CheckTarget(%s, %v) = %v, want %q", tt.dir, tt.force, err, tt.want)
		}
	}
	if _, ok := errors.AsType[*ConflictError](CheckTarget(full, false)); !ok {
		t.Error("a non-empty directory is not a *ConflictError")
	}
}
