package doctor

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseChallenges: any header value a server sends is parsed without panicking,
// and what comes out is consistent (schemes are tokens, parameter names lower case).
func FuzzParseChallenges(f *testing.F) {
	for _, seed := range []string{
		`Bearer resource_metadata="https://h/.well-known/oauth-protected-resource/mcp", scope="a b"`,
		`Basic realm="x", Bearer error="invalid_token", error_description="say \"hi\""`,
		`Bearer realm=OAuth, , ,`,
		`Bearer resource_metadata="unterminated`,
		`Negotiate abc==, Bearer`,
		`"Bearer"`,
		"Bearer x=\"\\",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, h string) {
		cs, _ := parseChallenges(h)
		for _, c := range cs {
			if c.Scheme == "" || strings.ContainsAny(c.Scheme, " \t,=\"") {
				t.Fatalf("scheme %q from %q", c.Scheme, h)
			}
			for name := range c.Params {
				if name != strings.ToLower(name) || name == "" {
					t.Fatalf("parameter name %q from %q", name, h)
				}
			}
		}
	})
}

// FuzzReportEscaping: whatever a server or token says, the text report shows it with no
// rune that drives a terminal, and the JSON report stays valid JSON, with none either,
// that decodes to what was said.
func FuzzReportEscaping(f *testing.F) {
	for _, seed := range []string{hostile, hostileInHeaders, "plain ✓ text …", "\xff\x9b[31m", "a\nb\tc\r", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := &Report{URL: s, Checks: []Check{{ID: "x", Title: s, Status: StatusFail, Detail: s, Fix: s}}, Tools: []string{s}}
		var text, js bytes.Buffer
		_ = r.WriteText(&text)
		if i := terminalControl(text.String()); i >= 0 || !utf8.Valid(text.Bytes()) {
			t.Fatalf("text report of %q: control at %d or invalid UTF-8: %q", s, i, text.String())
		}
		if err := r.WriteJSON(&js); err != nil {
			t.Fatal(err)
		}
		if i := terminalControl(js.String()); i >= 0 {
			t.Fatalf("JSON report of %q: control at %d", s, i)
		}
		var back Report
		if err := json.Unmarshal(js.Bytes(), &back); err != nil {
			t.Fatalf("JSON report of %q is not JSON: %v", s, err)
		}
		if utf8.ValidString(s) && back.Checks[0].Detail != s {
			t.Fatalf("JSON report of %q decodes to %q", s, back.Checks[0].Detail)
		}
	})
}
