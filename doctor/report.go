package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
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
// failure or warning, and a summary.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "mcpgen doctor %s\n\n", r.URL)
	counts := map[Status]int{}
	for _, c := range r.Checks {
		counts[c.Status]++
		fmt.Fprintf(&b, "%s %s", marks[c.Status], c.Title)
		if c.Detail != "" {
			fmt.Fprintf(&b, ": %s", c.Detail)
		}
		b.WriteString("\n")
		if c.Fix != "" && (c.Status == StatusFail || c.Status == StatusWarn) {
			fmt.Fprintf(&b, "    fix: %s\n", c.Fix)
		}
	}
	if len(r.Tools) > 0 {
		fmt.Fprintf(&b, "\ntools: %s\n", strings.Join(r.Tools, ", "))
	}
	fmt.Fprintf(&b, "\n%d passed, %d failed, %d warnings, %d skipped\n",
		counts[StatusPass], counts[StatusFail], counts[StatusWarn], counts[StatusSkip])
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON prints the report as one JSON document, for CI.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
