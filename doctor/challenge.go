package doctor

import (
	"strings"
)

// challenge is one parsed WWW-Authenticate challenge (RFC 9110 §11.6.1).
type challenge struct {
	Scheme string
	Params map[string]string // names lower-cased
}

// parseChallenges parses a WWW-Authenticate value into its challenges. It is lenient
// in what it reads (a diagnostic tool must describe broken headers, not choke on them)
// and reports ok=false when the value is not well-formed, so the doctor can say so.
func parseChallenges(h string) (out []challenge, ok bool) {
	ok = true
	s := h
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return out, ok
		}
		scheme := readToken(&s)
		if scheme == "" {
			return out, false
		}
		c := challenge{Scheme: scheme, Params: map[string]string{}}
		for {
			rest := strings.TrimLeft(s, " \t")
			// token68 (e.g. Basic's base64) is not used by Bearer: skip it.
			name := readToken(&rest)
			rest = strings.TrimLeft(rest, " \t")
			if name == "" || !strings.HasPrefix(rest, "=") {
				break // the next challenge starts here, or the header ends
			}
			rest = strings.TrimLeft(rest[1:], " \t")
			var val string
			if strings.HasPrefix(rest, `"`) {
				v, r, good := readQuoted(rest)
				if !good {
					ok = false
				}
				val, rest = v, r
			} else {
				val = readToken(&rest)
			}
			c.Params[strings.ToLower(name)] = val
			s = strings.TrimLeft(rest, " \t")
			if !strings.HasPrefix(s, ",") {
				break
			}
			s = s[1:]
		}
		out = append(out, c)
	}
}

// readToken reads an RFC 9110 token from the front of *s.
func readToken(s *string) string {
	i := 0
	for i < len(*s) && isTokenChar((*s)[i]) {
		i++
	}
	tok := (*s)[:i]
	*s = (*s)[i:]
	return tok
}

func isTokenChar(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// readQuoted reads a quoted-string from the front of s (which starts with a quote) and
// returns its value and the rest; good is false for an unterminated string.
func readQuoted(s string) (val, rest string, good bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), "", false
}

// bearer returns the Bearer challenge among cs.
func bearer(cs []challenge) (challenge, bool) {
	for _, c := range cs {
		if strings.EqualFold(c.Scheme, "Bearer") {
			return c, true
		}
	}
	return challenge{}, false
}
