package merge

import (
	"bytes"
	"fmt"
)

// context is how many unchanged lines a unified diff shows around each change.
const context = 3

// Unified is the unified diff (as diff -u writes it, 3 lines of context) that turns a,
// named aName, into b, named bName; "" when they are equal.
func Unified(aName, bName string, a, b []byte) string {
	al, bl := splitLines(a), splitLines(b)
	hunks := diff(al, bl)
	if len(hunks) == 0 {
		return ""
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", aName, bName)
	for len(hunks) > 0 {
		// A group is the hunks whose contexts overlap.
		n := 1
		for n < len(hunks) && hunks[n].A0-hunks[n-1].A1 <= 2*context {
			n++
		}
		group := hunks[:n]
		hunks = hunks[n:]
		first, last := group[0], group[n-1]
		a0, b0 := max(first.A0-context, 0), max(first.B0-context, 0)
		a1, b1 := min(last.A1+context, len(al)), min(last.B1+context, len(bl))
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", span(a0, a1), span(b0, b1))
		p := a0
		for _, h := range group {
			for _, l := range al[p:h.A0] {
				writeLine(&out, ' ', l)
			}
			for _, l := range al[h.A0:h.A1] {
				writeLine(&out, '-', l)
			}
			for _, l := range bl[h.B0:h.B1] {
				writeLine(&out, '+', l)
			}
			p = h.A1
		}
		for _, l := range al[p:a1] {
			writeLine(&out, ' ', l)
		}
	}
	return out.String()
}

// span is a hunk header's range: the first line (1-based) and the count, with the
// line before an empty range as its start.
func span(start, end int) string {
	switch n := end - start; n {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	default:
		return fmt.Sprintf("%d,%d", start+1, n)
	}
}

func writeLine(out *bytes.Buffer, prefix byte, line []byte) {
	out.WriteByte(prefix)
	out.Write(line)
	if !bytes.HasSuffix(line, []byte("\n")) {
		out.WriteString("\n\\ No newline at end of file\n")
	}
}
