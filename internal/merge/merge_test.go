package merge

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update
)

var labels = Labels{Yours: "yours", Theirs: "mcpgen v2"}

// lines joins its arguments as lines, each ending with "\n".
func lines(l ...string) string {
	if len(l) == 0 {
		return ""
	}
	return strings.Join(l, "\n") + "\n"
}

func TestMerge(t *testing.T) {
	for _, tc := range []struct {
		name                string
		base, yours, theirs string
		want                string
		conflicts           int
	}{
		{"nobody changed", lines("a", "b"), lines("a", "b"), lines("a", "b"), lines("a", "b"), 0},
		{"only yours", lines("a", "b", "c"), lines("a", "B", "c"), lines("a", "b", "c"), lines("a", "B", "c"), 0},
		{"only theirs", lines("a", "b", "c"), lines("a", "b", "c"), lines("a", "b", "C"), lines("a", "b", "C"), 0},
		{"apart", lines("1", "2", "3", "4", "5", "6"), lines("one", "2", "3", "4", "5", "6"), lines("1", "2", "3", "4", "5", "six"),
			lines("one", "2", "3", "4", "5", "six"), 0},
		{"same change", lines("a", "b", "c"), lines("a", "X", "c"), lines("a", "X", "c"), lines("a", "X", "c"), 0},
		{"both add the same line at the end", lines("a"), lines("a", "b"), lines("a", "b"), lines("a", "b"), 0},
		{"yours inserts, theirs deletes elsewhere", lines("a", "b", "c", "d", "e"), lines("a", "new", "b", "c", "d", "e"), lines("a", "b", "c", "e"),
			lines("a", "new", "b", "c", "e"), 0},
		{"same line changed differently", lines("a", "b", "c"), lines("a", "mine", "c"), lines("a", "theirs", "c"),
			lines("a", "<<<<<<< yours", "mine", "=======", "theirs", ">>>>>>> mcpgen v2", "c"), 1},
		{"touching changes conflict", lines("a", "b", "c", "d"), lines("a", "B", "c", "d"), lines("a", "b", "C", "d"),
			lines("a", "<<<<<<< yours", "B", "c", "=======", "b", "C", ">>>>>>> mcpgen v2", "d"), 1},
		{"both insert at the end", lines("a"), lines("a", "mine"), lines("a", "theirs"),
			lines("a", "<<<<<<< yours", "mine", "=======", "theirs", ">>>>>>> mcpgen v2"), 1},
		{"common lines stay outside markers", lines("a", "b", "c"), lines("a", "x", "y", "z", "c"), lines("a", "x", "Y", "z", "c"),
			lines("a", "x", "<<<<<<< yours", "y", "=======", "Y", ">>>>>>> mcpgen v2", "z", "c"), 1},
		{"deleted by yours, changed by theirs", lines("a", "b", "c"), lines("a", "c"), lines("a", "B", "c"),
			lines("a", "<<<<<<< yours", "=======", "B", ">>>>>>> mcpgen v2", "c"), 1},
		{"two conflicts", lines("1", "2", "3", "4", "5", "6", "7"), lines("x", "2", "3", "4", "5", "6", "y"), lines("X", "2", "3", "4", "5", "6", "Y"),
			lines("<<<<<<< yours", "x", "=======", "X", ">>>>>>> mcpgen v2", "2", "3", "4", "5", "6", "<<<<<<< yours", "y", "=======", "Y", ">>>>>>> mcpgen v2"), 2},
		{"no final newline on one side", "a\n1\nb", "a\n1\nb\n", "A\n1\nb", "A\n1\nb\n", 0},
		{"conflict without final newlines", "a", "b", "c", lines("<<<<<<< yours", "b", "=======", "c", ">>>>>>> mcpgen v2"), 1},
		{"empty base, both add", "", lines("x"), lines("y"), lines("<<<<<<< yours", "x", "=======", "y", ">>>>>>> mcpgen v2"), 1},
		{"CRLF lines are lines", "a\r\n1\r\nb\r\n", "a\r\n1\r\nB\r\n", "A\r\n1\r\nb\r\n", "A\r\n1\r\nB\r\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Merge([]byte(tc.base), []byte(tc.yours), []byte(tc.theirs), labels)
			if string(got.Data) != tc.want || got.Conflicts != tc.conflicts {
				t.Errorf("Merge = %q with %d conflicts, want %q with %d", got.Data, got.Conflicts, tc.want, tc.conflicts)
			}
			if HasConflictMarkers(got.Data) != (tc.conflicts > 0) {
				t.Errorf("HasConflictMarkers = %v with %d conflicts", !(tc.conflicts > 0), tc.conflicts)
			}
		})
	}
}

// FuzzMerge: a side equal to the base yields the other side, byte for byte; equal sides
// yield that side; and a clean merge keeps every line either side added.
func FuzzMerge(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nB\nc\n", "a\nb\nC\n")
	f.Add("", "x", "y\n")
	f.Add("a\n\nb\n}\n", "a\n}\n\nb\n}\n", "\n}\nb\n")
	f.Fuzz(func(t *testing.T, base, yours, theirs string) {
		b, y, th := []byte(base), []byte(yours), []byte(theirs)
		if got := Merge(b, b, th, labels); !bytes.Equal(got.Data, th) || got.Conflicts != 0 {
			t.Fatalf("Merge(base, base, theirs) = %q (%d conflicts), want theirs %q", got.Data, got.Conflicts, th)
		}
		if got := Merge(b, y, b, labels); !bytes.Equal(got.Data, y) || got.Conflicts != 0 {
			t.Fatalf("Merge(base, yours, base) = %q (%d conflicts), want yours %q", got.Data, got.Conflicts, y)
		}
		if got := Merge(b, y, y, labels); !bytes.Equal(got.Data, y) || got.Conflicts != 0 {
			t.Fatalf("Merge(base, yours, yours) = %q (%d conflicts), want yours %q", got.Data, got.Conflicts, y)
		}
		got := Merge(b, y, th, labels)
		if got.Conflicts > 0 && !HasConflictMarkers(got.Data) {
			t.Fatalf("%d conflicts but no markers in %q", got.Conflicts, got.Data)
		}
	})
}

// FuzzDiff: applying the hunks of diff(a, b) to a gives b.
func FuzzDiff(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nc\nd\n")
	f.Add("", "x\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		al, bl := splitLines([]byte(a)), splitLines([]byte(b))
		got := bytes.Join(version(al, bl, diff(al, bl), 0, len(al)), nil)
		if string(got) != b {
			t.Fatalf("applying diff(%q, %q) gives %q", a, b, got)
		}
	})
}

// TestUnified: the exact text of a diff with two hunks; patch(1), where installed,
// turns a into b with it.
func TestUnified(t *testing.T) {
	a := lines("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12")
	b := lines("1", "two", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13")
	want := `--- a/f
+++ b/f
@@ -1,5 +1,5 @@
 1
-2
+two
 3
 4
 5
@@ -10,3 +10,4 @@
 10
 11
 12
+13
`
	if got := Unified("a/f", "b/f", []byte(a), []byte(b)); got != want {
		t.Errorf("Unified:\n%s\nwant:\n%s", got, want)
	}
	if got := Unified("a", "b", []byte("x\n"), []byte("x\n")); got != "" {
		t.Errorf("equal files: %q", got)
	}
	if got := Unified("a", "b", []byte("x"), []byte("y\n")); got != "--- a\n+++ b\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+y\n" {
		t.Errorf("no final newline: %q", got)
	}
	patch, err := exec.LookPath("patch")
	if err != nil {
		return // the exact text above is the contract; patch only confirms it
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte(a), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(patch, file)
	cmd.Stdin = strings.NewReader(Unified("a/f", "b/f", []byte(a), []byte(b)))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("patch: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(file); string(got) != b {
		t.Errorf("patched file = %q, want %q", got, b)
	}
}
