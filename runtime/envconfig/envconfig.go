// Package envconfig reads a generated server's settings from the environment,
// twelve-factor style, and reports every problem at once.
//
// A generated project's internal/config calls the typed getters ([Env.URL],
// [Env.List], [Env.Int], ...) for each setting and then [Env.Err] once: an
// operator who gets three settings wrong learns about all three from one
// failed start, each with how to fix it, instead of fixing them one restart
// at a time. Values come from the process environment, plus an optional .env
// file for local development; the real environment always wins, and the .env
// file never changes the process environment (so nothing else in the process,
// nor any child process, sees values it was not given).
//
// Problem messages may quote a bad value so the operator can see what is
// wrong, except where it could be a secret: URLs are shown with their
// password redacted, and .env parse errors name the file and line only.
package envconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"
)

// Env looks up settings and collects the problems found with them. The zero
// value is not usable; create one with [New] or [Load]. An Env is meant to be
// used by one goroutine while the configuration is read at start-up.
type Env struct {
	lookup   func(string) (string, bool)
	problems []string
}

// FromMap returns an Env reading vars instead of the process environment, as tests
// and tools that hold settings in a map need.
func FromMap(vars map[string]string) *Env {
	return New(func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	})
}

// New returns an Env reading values through lookup (os.LookupEnv in
// production; a map in tests). A nil lookup sees no variables.
func New(lookup func(string) (string, bool)) *Env {
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	return &Env{lookup: lookup}
}

// Load returns an Env over the process environment plus the variables of the
// .env file at dotenvPath, if that file exists ("" means no file). A variable
// present in the process environment wins over the file, even when set to the
// empty string, matching godotenv.Load; the process environment itself is
// never modified. A missing file is not an error; an unreadable or malformed
// one is, naming the file (and the line, when malformed) but never quoting
// its content, which may hold secrets.
func Load(dotenvPath string) (*Env, error) {
	file, err := readDotenv(dotenvPath)
	if err != nil {
		return nil, err
	}
	return New(func(name string) (string, bool) {
		if v, ok := os.LookupEnv(name); ok {
			return v, true
		}
		v, ok := file[name]
		return v, ok
	}), nil
}

// DotenvError reports a .env file that exists but cannot be used. Its message
// names the file and, for a syntax error, the first bad line; the parser's
// own message is kept out of it (reachable with errors.Unwrap) because it
// quotes the file's content, secrets included.
type DotenvError struct {
	Path string
	Line int    // 1-based line of the first bad line; 0 when unknown or not a syntax error
	Name string // the invalid variable name, when that is the problem
	Err  error

	parse, badName bool
}

// Error implements error.
func (e *DotenvError) Error() string {
	where := ""
	if e.Line > 0 {
		where = fmt.Sprintf(" line %d:", e.Line)
	}
	switch {
	case e.badName:
		return fmt.Sprintf("read env file %s:%s invalid variable name %q: use letters, digits and _ (NAME=value)", e.Path, where, clip(e.Name))
	case e.parse:
		return fmt.Sprintf("read env file %s:%s malformed: use NAME=value lines and close every quote", e.Path, where)
	case errors.Is(e.Err, fs.ErrPermission):
		return fmt.Sprintf("read env file %s: permission denied", e.Path)
	}
	if pe, ok := errors.AsType[*fs.PathError](e.Err); ok {
		return fmt.Sprintf("read env file %s: %v", e.Path, pe.Err)
	}
	return fmt.Sprintf("read env file %s: %v", e.Path, e.Err)
}

// Unwrap returns the underlying read or parse error.
func (e *DotenvError) Unwrap() error { return e.Err }

func readDotenv(path string) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &DotenvError{Path: path, Err: err}
	}
	vars, err := godotenv.UnmarshalBytes(raw)
	if err != nil {
		return nil, &DotenvError{Path: path, Line: badLine(raw), Err: err, parse: true}
	}
	// godotenv accepts names such as "API KEY" or "": almost certainly a
	// typo that would otherwise leave the intended variable silently unset.
	for name := range vars {
		if !validName(name) {
			return nil, &DotenvError{Path: path, Line: nameLine(raw, name), Name: name,
				Err: fmt.Errorf("invalid variable name %q", name), badName: true}
		}
	}
	return vars, nil
}

// validName accepts the portable environment variable names (POSIX: letters,
// digits and underscores, not starting with a digit) plus the dots godotenv
// allows.
func validName(name string) bool {
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		return false
	}
	for _, c := range []byte(name) {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// nameLine finds the line that defines name, or 0.
func nameLine(raw []byte, name string) int {
	for i, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimLeft(line, " \t")
		line = strings.TrimPrefix(line, "export ")
		if rest, ok := strings.CutPrefix(line, name); ok {
			rest = strings.TrimLeft(rest, " \t")
			if strings.HasPrefix(rest, "=") || strings.HasPrefix(rest, ":") {
				return i + 1
			}
		}
	}
	return 0
}

// badLine returns the line after the longest prefix of whole lines that
// parses: the first line the parser cannot get past. Scanning from the end
// finds it even when a quoted value spans lines, at one parse per line; files
// longer than maxLineSearch lines (nothing like a real .env) get 0 rather
// than a quadratic search.
func badLine(raw []byte) int {
	const maxLineSearch = 1000
	ends := []int{0}
	for i, c := range raw {
		if c == '\n' {
			ends = append(ends, i+1)
			if len(ends) > maxLineSearch+1 {
				return 0
			}
		}
	}
	if ends[len(ends)-1] != len(raw) {
		ends = append(ends, len(raw))
	}
	for k := len(ends) - 2; k >= 0; k-- {
		if _, err := godotenv.UnmarshalBytes(raw[:ends[k]]); err == nil {
			return k + 1
		}
	}
	return 0
}

// Lookup returns the raw value of name and whether it is set at all. It
// records no problem; the typed getters build on it.
func (e *Env) Lookup(name string) (string, bool) {
	return e.lookup(name)
}

// value returns the trimmed value of name; unset and blank are the same to
// every typed getter, so "PORT=" in a .env file means "use the default".
func (e *Env) value(name string) (string, bool) {
	v, ok := e.lookup(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

// String returns the value of name, or def when it is unset or blank.
func (e *Env) String(name, def string) string {
	if v, ok := e.value(name); ok {
		return v
	}
	return def
}

// Required returns the value of name, or records a problem and returns ""
// when it is unset or blank. hint says how to fix it, e.g. "set it to your
// authorization server's issuer URL"; the message becomes
// "NAME is required: hint".
func (e *Env) Required(name, hint string) string {
	if v, ok := e.value(name); ok {
		return v
	}
	if hint == "" {
		hint = "set it in the environment or in the .env file"
	}
	e.Problem("%s is required: %s", name, hint)
	return ""
}

// URL returns the value of name when it is an absolute http or https URL with
// a host and no credentials, def when it is unset or blank (def itself is not
// checked), else records a problem and returns "".
func (e *Env) URL(name, def string) string {
	v, ok := e.value(name)
	if !ok {
		return def
	}
	if err := checkURL(v); err != nil {
		e.Problem("%s %v: use an absolute http:// or https:// URL, e.g. https://example.com/path", name, err)
		return ""
	}
	return v
}

// checkURL explains what is wrong with v, showing it only when that is safe.
func checkURL(v string) error {
	u, err := url.Parse(v)
	if err != nil {
		return errors.New("is not a valid URL")
	}
	shown := strconv.Quote(u.Redacted())
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("is %s, which is not an http or https URL", shown)
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("is %s, which has no host", shown)
	case u.User != nil:
		return fmt.Errorf("is %s, which contains credentials (remove the user:password@ part)", shown)
	case u.Fragment != "" || strings.HasSuffix(v, "#"):
		return fmt.Errorf("is %s, which has a #fragment", shown)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("is %s, whose port is not between 1 and 65535", shown)
		}
	}
	return nil
}

// List returns the comma-separated value of name as a list, each item trimmed
// and empty items dropped; def when the variable is unset or holds no items.
func (e *Env) List(name string, def []string) []string {
	v, ok := e.value(name)
	if !ok {
		return def
	}
	var out []string
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	if len(out) == 0 {
		return def
	}
	return out
}

// URLs returns the comma-separated value of name as a list of URLs, each
// checked like [Env.URL]; def when the variable is unset or holds no items.
// Each bad item is a problem naming its position, and is left out: a list
// of bad items only is empty, never def, so a mistyped list never falls
// back to a default the operator meant to replace.
func (e *Env) URLs(name string, def []string) []string {
	list := e.List(name, nil)
	if list == nil {
		return def
	}
	out := make([]string, 0, len(list))
	for i, v := range list {
		if err := checkURL(v); err != nil {
			e.Problem("%s item %d %v: use absolute http:// or https:// URLs, comma-separated, e.g. https://a.example.com,https://b.example.com", name, i+1, err)
			continue
		}
		out = append(out, v)
	}
	return out
}

// Int returns the value of name as an integer in [min, max], def when it is
// unset or blank, else records a problem and returns def.
func (e *Env) Int(name string, def, min, max int) int {
	v, ok := e.value(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.Problem("%s=%q is not a whole number: use a number from %d to %d", name, clip(v), min, max)
		return def
	}
	if n < min || n > max {
		e.Problem("%s=%d is out of range: use a number from %d to %d", name, n, min, max)
		return def
	}
	return n
}

// Duration returns the value of name as a non-negative Go duration ("30s",
// "5m", "1h30m"), def when it is unset or blank, else records a problem and
// returns def. A bare number is refused rather than guessed at: "30" could
// mean seconds or milliseconds.
func (e *Env) Duration(name string, def time.Duration) time.Duration {
	v, ok := e.value(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		e.Problem("%s=%q is not a duration: use a number with a unit, such as 30s, 5m or 1h", name, clip(v))
		return def
	}
	if d < 0 {
		e.Problem("%s=%q is negative: use a duration of 0s or more", name, clip(v))
		return def
	}
	return d
}

// Bool returns the value of name as a boolean (true/false, 1/0, yes/no,
// on/off, any case), def when it is unset or blank, else records a problem
// and returns def.
func (e *Env) Bool(name string, def bool) bool {
	v, ok := e.value(name)
	if !ok {
		return def
	}
	switch strings.ToLower(v) {
	case "1", "t", "true", "yes", "y", "on":
		return true
	case "0", "f", "false", "no", "n", "off":
		return false
	}
	e.Problem("%s=%q is not a boolean: use true or false", name, clip(v))
	return def
}

// OneOf returns the value of name when it is one of allowed (compared without
// regard to case, returned as spelled in allowed), def when it is unset or
// blank, else records a problem listing the choices and returns def.
func (e *Env) OneOf(name, def string, allowed ...string) string {
	v, ok := e.value(name)
	if !ok {
		return def
	}
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return a
		}
	}
	e.Problem("%s=%q is not allowed: use one of %s", name, clip(v), strings.Join(allowed, ", "))
	return def
}

// Problem records a problem found by the caller, e.g. a rule spanning two
// settings. Write it like the built-in ones: name the setting, say what is
// wrong and how to fix it, and never include a secret.
func (e *Env) Problem(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if slices.Contains(e.problems, msg) {
		return // the same setting read twice is one problem
	}
	e.problems = append(e.problems, msg)
}

// Problems returns the problems recorded so far, in the order found.
func (e *Env) Problems() []string {
	return append([]string(nil), e.problems...)
}

// Err returns nil when no problem was recorded, else an [*Error] listing
// every problem.
func (e *Env) Err() error {
	if len(e.problems) == 0 {
		return nil
	}
	return &Error{Problems: e.Problems()}
}

// Error is the configuration error returned by [Env.Err]. Callers can branch
// on it with errors.As, e.g. to print the problems as a list and exit with a
// usage status.
type Error struct {
	Problems []string // each names a setting, what is wrong and how to fix it
}

// Error lists every problem on its own line under a one-line summary.
func (e *Error) Error() string {
	var b strings.Builder
	if len(e.Problems) == 1 {
		b.WriteString("invalid configuration (1 problem):")
	} else {
		fmt.Fprintf(&b, "invalid configuration (%d problems):", len(e.Problems))
	}
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p)
	}
	return b.String()
}

// clip bounds a quoted value so a pasted blob cannot flood the error.
func clip(v string) string {
	const max = 64
	if len(v) <= max {
		return v
	}
	return v[:max] + "..."
}
