package doctor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Status is the outcome of one check.
type Status string

// Outcomes of a check. Only StatusFail makes a report fail: a warning names something
// some clients will trip over, a skipped check could not run because an earlier one
// failed.
const (
	StatusPass Status = "pass"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
	StatusSkip Status = "skip"
)

// Check is one step of the discovery chain and what was found there.
type Check struct {
	ID     string `json:"id"`               // stable, for CI: "challenge", "prm-resource", ...
	Title  string `json:"title"`            // what was checked, in words
	Status Status `json:"status"`           // pass, warn, fail or skip
	Detail string `json:"detail,omitempty"` // what was found
	Fix    string `json:"fix,omitempty"`    // how to fix a failure or warning
}

// Report is the outcome of a doctor run.
type Report struct {
	URL    string   `json:"url"`
	OK     bool     `json:"ok"` // no check failed
	Checks []Check  `json:"checks"`
	Tools  []string `json:"tools,omitempty"` // listed with --token
	// BaselineScopes are what a client asks for at first connection: the 401
	// challenge's scope, else the metadata's scopes_supported.
	BaselineScopes []string `json:"baseline_scopes,omitempty"`
	// StepUpScopes are scopes beyond the baseline that 403 insufficient_scope answers
	// named (with --token; the doctor calls no tool, so these are the ones listing
	// tools needed).
	StepUpScopes []string `json:"step_up_scopes,omitempty"`
	// TokenSent says whether the token was sent to the server: only to the resource it
	// is for, unless Options.SendTokenAnyway.
	TokenSent bool `json:"token_sent"`
}

// Failed returns the checks that failed.
func (r *Report) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Status == StatusFail {
			out = append(out, c)
		}
	}
	return out
}

// Check returns the check with id, or false when the run did not reach it.
func (r *Report) Check(id string) (Check, bool) {
	for _, c := range r.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return Check{}, false
}

func (r *Report) add(c Check) {
	r.Checks = append(r.Checks, c)
	if c.Status == StatusFail {
		r.OK = false
	}
}

var marks = map[Status]string{StatusPass: "✓", StatusWarn: "!", StatusFail: "✗", StatusSkip: "-"}

// WriteText prints the report for a person: one line per check, the fix under each
// failure or warning, and a summary. Every string of the report goes through
// printable, here and nowhere else: details, fixes and tool names quote what the
// server and the token say, and a hostile server must not write to the terminal.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "mcpgen doctor %s\n\n", printable(r.URL))
	counts := map[Status]int{}
	for _, c := range r.Checks {
		counts[c.Status]++
		fmt.Fprintf(&b, "%s %s", marks[c.Status], printable(c.Title))
		if c.Detail != "" {
			fmt.Fprintf(&b, ": %s", printable(c.Detail))
		}
		b.WriteString("\n")
		if c.Fix != "" && (c.Status == StatusFail || c.Status == StatusWarn) {
			fmt.Fprintf(&b, "    fix: %s\n", printable(c.Fix))
		}
	}
	if len(r.Tools) > 0 || len(r.BaselineScopes) > 0 || len(r.StepUpScopes) > 0 {
		b.WriteString("\n")
	}
	if len(r.Tools) > 0 {
		fmt.Fprintf(&b, "tools: %s\n", printable(strings.Join(r.Tools, ", ")))
	}
	if len(r.BaselineScopes) > 0 {
		fmt.Fprintf(&b, "baseline scopes: %s\n", printable(strings.Join(r.BaselineScopes, " ")))
	}
	if len(r.StepUpScopes) > 0 {
		fmt.Fprintf(&b, "step-up scopes: %s\n", printable(strings.Join(r.StepUpScopes, " ")))
	}
	fmt.Fprintf(&b, "\n%d passed, %d failed, %d warnings, %d skipped\n",
		counts[StatusPass], counts[StatusFail], counts[StatusWarn], counts[StatusSkip])
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON prints the report as one JSON document, for CI. encoding/json escapes C0
// controls (ESC included) and replaces invalid UTF-8, but writes DEL, C1 controls and
// bidi controls as they are: those are escaped as \uXXXX too, so the document is as
// safe to print as the text report and decodes to the same strings.
func (r *Report) WriteJSON(w io.Writer) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return err
	}
	// Outside its strings a JSON document is ASCII (its C0 controls are the
	// indentation's newlines), so every rune escaped here is inside a string, where
	// \uXXXX means the same rune.
	var out strings.Builder
	for _, c := range buf.String() {
		if c >= 0x7f && isControl(c) {
			fmt.Fprintf(&out, `\u%04x`, c)
		} else {
			out.WriteRune(c)
		}
	}
	_, err := io.WriteString(w, out.String())
	return err
}

// printable returns s with every control character escaped, Go style (\x1b, \u202e):
// C0 (newline included: a check is one line), DEL, C1 (whose CSI a terminal may read
// as ESC [), the bidi controls that reorder what is shown, and bytes that are not
// UTF-8. Other text, non-ASCII letters and symbols included, is kept.
func printable(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		c, size := utf8.DecodeRuneInString(s)
		switch {
		case c == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case c < 0x80 && isControl(c):
			fmt.Fprintf(&b, `\x%02x`, c)
		case isControl(c):
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteString(s[:size])
		}
		s = s[size:]
	}
	return b.String()
}

// isControl reports whether c can change how a terminal shows what follows it: C0,
// DEL, C1, and the Unicode bidi embedding, override and isolate controls and marks.
func isControl(c rune) bool {
	switch {
	case c < 0x20, c >= 0x7f && c <= 0x9f:
		return true
	case c >= 0x202a && c <= 0x202e, c >= 0x2066 && c <= 0x2069:
		return true
	case c == 0x200e, c == 0x200f, c == 0x061c: // LRM, RLM, ALM
		return true
	}
	return false
}
