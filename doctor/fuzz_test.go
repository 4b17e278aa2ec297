package doctor

import (
	"strings"
	"testing"
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
