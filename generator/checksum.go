package generator

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// checksumMarker starts the line that seals a generated file. The checksum covers the
// whole file with the value on this line left empty, so `mcpgen add tool` can tell a
// registry it generated from one a person edited, and refuse to overwrite the edit.
const checksumMarker = "// mcpgen:checksum "

// ErrEdited reports a generated file that was changed by hand since mcpgen wrote it.
var ErrEdited = errors.New("file was edited by hand since mcpgen generated it")

func hasChecksum(src []byte) bool {
	_, _, ok := checksumLine(src)
	return ok
}

// checksumLine returns the byte range of the value on the checksum line.
func checksumLine(src []byte) (start, end int, ok bool) {
	i := bytes.Index(src, []byte("\n"+checksumMarker))
	if i < 0 {
		return 0, 0, false
	}
	start = i + 1 + len(checksumMarker)
	end = bytes.IndexByte(src[start:], '\n')
	if end < 0 {
		end = len(src) - start
	}
	return start, start + end, true
}

// sum hashes src with the checksum value removed.
func sum(src []byte, start, end int) string {
	h := sha256.New()
	h.Write(src[:start])
	h.Write(src[end:])
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// sealChecksum writes the checksum of src into its checksum line.
func sealChecksum(src []byte) []byte {
	start, end, _ := checksumLine(src)
	out := make([]byte, 0, len(src)+72)
	out = append(out, src[:start]...)
	out = append(out, sum(src, start, end)...)
	return append(out, src[end:]...)
}

// VerifyChecksum checks a file generated with a checksum line. It returns an error
// wrapping ErrEdited when the content no longer matches, and another error when the
// checksum line is missing.
func VerifyChecksum(src []byte) error {
	start, end, ok := checksumLine(src)
	if !ok {
		return fmt.Errorf("no %q line: %w", checksumMarker, ErrEdited)
	}
	if got, want := sum(src, start, end), string(src[start:end]); got != want {
		return fmt.Errorf("checksum %s does not match the content: %w", want, ErrEdited)
	}
	return nil
}
