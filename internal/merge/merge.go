// Package merge compares and merges text files line by line: the three-way merge
// `mcpgen upgrade` uses to carry a user's edits of a generated file onto the file's new
// version, and the unified diff its --dry-run prints.
//
// Both rest on one line diff: the longest common subsequence of the two files' lines,
// after their common prefix and suffix are set aside. The merge is diff3: the edits
// that turn the base into each side are lined up on the base; where only one side
// edited, its edit is taken; where both edited the same or touching lines differently,
// the region becomes a conflict, written between git-style markers. Nothing either side
// changed is ever dropped.
package merge

import (
	"bytes"
	"slices"
)

// hunk is one edit of a line diff: lines a[A0:A1] of the first file become b[B0:B1] of
// the second. A0 == A1 is an insertion, B0 == B1 a deletion.
type hunk struct{ A0, A1, B0, B1 int }

// splitLines splits data into lines, each with its "\n" (the last may have none).
func splitLines(data []byte) [][]byte {
	var lines [][]byte
	for line := range bytes.Lines(data) {
		lines = append(lines, line)
	}
	return lines
}

// maxCells bounds the table of the common-subsequence search; beyond it the differing
// middle of two files is one hunk, which is still a correct (if coarse) diff.
const maxCells = 1 << 24

// commonEnds counts the lines a and b start with alike (pre) and, after those, end
// with alike (suf).
func commonEnds(a, b [][]byte) (pre, suf int) {
	for pre < len(a) && pre < len(b) && bytes.Equal(a[pre], b[pre]) {
		pre++
	}
	for suf < len(a)-pre && suf < len(b)-pre && bytes.Equal(a[len(a)-1-suf], b[len(b)-1-suf]) {
		suf++
	}
	return pre, suf
}

// diff returns the hunks that turn a into b, in order.
func diff(a, b [][]byte) []hunk {
	pre, suf := commonEnds(a, b)
	am, bm := a[pre:len(a)-suf], b[pre:len(b)-suf]
	n, m := len(am), len(bm)
	if n == 0 && m == 0 {
		return nil
	}
	if n == 0 || m == 0 || (n+1)*(m+1) > maxCells {
		return []hunk{{pre, pre + n, pre, pre + m}}
	}
	// lcs[i*(m+1)+j] is the length of the longest common subsequence of am[i:], bm[j:].
	lcs := make([]int32, (n+1)*(m+1))
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if bytes.Equal(am[i], bm[j]) {
				lcs[i*(m+1)+j] = lcs[(i+1)*(m+1)+j+1] + 1
			} else {
				lcs[i*(m+1)+j] = max(lcs[(i+1)*(m+1)+j], lcs[i*(m+1)+j+1])
			}
		}
	}
	var hunks []hunk
	open := false
	i, j := 0, 0
	for i < n || j < m {
		if i < n && j < m && bytes.Equal(am[i], bm[j]) && lcs[i*(m+1)+j] == lcs[(i+1)*(m+1)+j+1]+1 {
			open = false
			i, j = i+1, j+1
			continue
		}
		if !open {
			hunks = append(hunks, hunk{pre + i, pre + i, pre + j, pre + j})
			open = true
		}
		h := &hunks[len(hunks)-1]
		if j >= m || (i < n && lcs[(i+1)*(m+1)+j] >= lcs[i*(m+1)+j+1]) {
			i++
			h.A1 = pre + i
		} else {
			j++
			h.B1 = pre + j
		}
	}
	return hunks
}

// Labels name the two sides of a conflict in its markers.
type Labels struct {
	Yours  string // after "<<<<<<< ": the user's file
	Theirs string // after ">>>>>>> ": the new version
}

// Result is a three-way merge.
type Result struct {
	Data      []byte
	Conflicts int // regions both sides changed differently, each between markers
}

// Merge merges yours and theirs, two descendants of base, line by line (diff3). Lines
// only one side changed take that side's version; regions both changed the same way
// take it once; regions both changed differently (or where their edits touch) are
// written as
//
//	<<<<<<< l.Yours
//	yours
//	=======
//	theirs
//	>>>>>>> l.Theirs
//
// with the lines both versions share at the start and end of the region left outside
// the markers. Merging with yours equal to base gives theirs, and with theirs equal to
// base gives yours, byte for byte.
func Merge(base, yours, theirs []byte, l Labels) Result {
	o, a, b := splitLines(base), splitLines(yours), splitLines(theirs)
	ha, hb := diff(o, a), diff(o, b)
	var out [][]byte
	conflicts := 0
	pos := 0 // next base line to copy
	for len(ha) > 0 || len(hb) > 0 {
		// A region starts at the first hunk of either side and takes in every hunk of
		// either side that overlaps or touches it.
		var ca, cb []hunk
		start, end := 0, 0
		if len(hb) == 0 || (len(ha) > 0 && ha[0].A0 <= hb[0].A0) {
			start, end, ca, ha = ha[0].A0, ha[0].A1, ha[:1], ha[1:]
		} else {
			start, end, cb, hb = hb[0].A0, hb[0].A1, hb[:1], hb[1:]
		}
		for grown := true; grown; {
			switch grown = true; {
			case len(ha) > 0 && ha[0].A0 <= end:
				end = max(end, ha[0].A1)
				ca, ha = append(ca, ha[0]), ha[1:]
			case len(hb) > 0 && hb[0].A0 <= end:
				end = max(end, hb[0].A1)
				cb, hb = append(cb, hb[0]), hb[1:]
			default:
				grown = false
			}
		}
		out = append(out, o[pos:start]...)
		pos = end
		va, vb := version(o, a, ca, start, end), version(o, b, cb, start, end)
		switch {
		case len(cb) == 0:
			out = append(out, va...)
		case len(ca) == 0:
			out = append(out, vb...)
		case equalLines(va, vb):
			out = append(out, va...)
		default:
			conflicts++
			out = append(out, conflict(va, vb, l)...)
		}
	}
	out = append(out, o[pos:]...)
	return Result{Data: bytes.Join(out, nil), Conflicts: conflicts}
}

// version is what a side (lines side, reached from base by hunks) has in place of
// base[start:end].
func version(base, side [][]byte, hunks []hunk, start, end int) [][]byte {
	var v [][]byte
	p := start
	for _, h := range hunks {
		v = append(v, base[p:h.A0]...)
		v = append(v, side[h.B0:h.B1]...)
		p = h.A1
	}
	return append(v, base[p:end]...)
}

// conflict writes a and b between markers, leaving the lines they start and end with
// alike outside.
func conflict(a, b [][]byte, l Labels) [][]byte {
	pre, suf := commonEnds(a, b)
	out := slices.Clone(a[:pre])
	out = append(out, []byte("<<<<<<< "+l.Yours+"\n"))
	out = append(out, terminated(a[pre:len(a)-suf])...)
	out = append(out, []byte("=======\n"))
	out = append(out, terminated(b[pre:len(b)-suf])...)
	out = append(out, []byte(">>>>>>> "+l.Theirs+"\n"))
	return append(out, a[len(a)-suf:]...)
}

// terminated is lines with a newline after the last one, so a marker starts a line.
func terminated(lines [][]byte) [][]byte {
	if n := len(lines); n > 0 && !bytes.HasSuffix(lines[n-1], []byte("\n")) {
		lines = append(slices.Clip(lines[:n-1]), append(slices.Clip(lines[n-1]), '\n'))
	}
	return lines
}

func equalLines(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, bytes.Equal)
}

// HasConflictMarkers says whether data has a line that starts a conflict region as
// Merge writes one.
func HasConflictMarkers(data []byte) bool {
	return bytes.HasPrefix(data, []byte("<<<<<<< ")) || bytes.Contains(data, []byte("\n<<<<<<< "))
}
