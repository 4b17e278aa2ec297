package envconfig

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	_ "github.com/mcpgen/mcpgen/internal/golden" // accept go test ./... -update
)

func mapEnv(m map[string]string) *Env {
	return New(func(k string) (string, bool) { v, ok := m[k]; return v, ok })
}

func TestString(t *testing.T) {
	e := mapEnv(map[string]string{"A": " x ", "BLANK": "  "})
	if got := e.String("A", "d"); got != "x" {
		t.Errorf("A = %q", got)
	}
	if got := e.String("BLANK", "d"); got != "d" {
		t.Errorf("BLANK = %q, want default", got)
	}
	if got := e.String("UNSET", "d"); got != "d" {
		t.Errorf("UNSET = %q", got)
	}
	if v, ok := e.Lookup("BLANK"); !ok || v != "  " {
		t.Errorf("Lookup(BLANK) = %q, %v; want raw value", v, ok)
	}
	if err := e.Err(); err != nil {
		t.Errorf("Err() = %v", err)
	}
}

func TestRequired(t *testing.T) {
	e := mapEnv(map[string]string{"SET": "v", "BLANK": ""})
	if got := e.Required("SET", "h"); got != "v" {
		t.Errorf("SET = %q", got)
	}
	e.Required("AUTH_ISSUER", "set it to your authorization server's issuer URL")
	e.Required("BLANK", "")
	want := []string{
		"AUTH_ISSUER is required: set it to your authorization server's issuer URL",
		"BLANK is required: set it in the environment or in the .env file",
	}
	if got := e.Problems(); !reflect.DeepEqual(got, want) {
		t.Errorf("problems = %q, want %q", got, want)
	}
}

func TestURL(t *testing.T) {
	tests := []struct {
		value   string
		want    string
		problem string // substring; "" means valid
	}{
		{"https://auth.example.com", "https://auth.example.com", ""},
		{" http://localhost:3002/mcp ", "http://localhost:3002/mcp", ""},
		{"https://[::1]:8443/x?y=1", "https://[::1]:8443/x?y=1", ""},
		{"auth.example.com", "", "not an http or https URL"},
		{"ftp://auth.example.com", "", "not an http or https URL"},
		{"/relative/path", "", "not an http or https URL"},
		{"https://", "", "has no host"},
		{"https:///path", "", "has no host"},
		{"https://:443", "", "has no host"},
		{"http:opaque", "", "has no host"},
		{"https://user:s3cret@auth.example.com", "", "contains credentials"},
		{"https://auth.example.com/#frag", "", "has a #fragment"},
		{"https://auth.example.com:99999", "", "port is not between"},
		{"https://auth.example.com:0", "", "port is not between"},
		{"http://bad host", "", "is not a valid URL"},
		{"https://%zz", "", "is not a valid URL"},
	}
	for _, tt := range tests {
		e := mapEnv(map[string]string{"U": tt.value})
		got := e.URL("U", "https://default.example")
		if got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.value, got, tt.want)
		}
		err := e.Err()
		if tt.problem == "" {
			if err != nil {
				t.Errorf("URL(%q): unexpected %v", tt.value, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.problem) || !strings.Contains(err.Error(), "U ") {
			t.Errorf("URL(%q): error %v, want one naming U and containing %q", tt.value, err, tt.problem)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("URL(%q): error shows the password: %v", tt.value, err)
		}
	}
	if got := mapEnv(nil).URL("U", "https://d.example"); got != "https://d.example" {
		t.Errorf("unset URL = %q, want default", got)
	}
}

func TestList(t *testing.T) {
	def := []string{"d"}
	tests := []struct {
		value string
		set   bool
		want  []string
	}{
		{"", false, def},
		{"  ", true, def},
		{" , ,", true, def},
		{"a", true, []string{"a"}},
		{" a , b,,c ,", true, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		m := map[string]string{}
		if tt.set {
			m["L"] = tt.value
		}
		if got := mapEnv(m).List("L", def); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("List(%q) = %q, want %q", tt.value, got, tt.want)
		}
	}
}

// TestURLs: each item is checked like URL and named by its position; a list whose
// items are all bad is empty, not the default it was meant to replace.
func TestURLs(t *testing.T) {
	def := []string{"https://default.example"}
	tests := []struct {
		value    string
		set      bool
		want     []string
		problems []string // substrings, one per expected problem
	}{
		{"", false, def, nil},
		{" , ", true, def, nil},
		{"https://a.example, http://localhost:3003/x", true, []string{"https://a.example", "http://localhost:3003/x"}, nil},
		{"https://a.example,ftp://b.example", true, []string{"https://a.example"}, []string{`L item 2 is "ftp://b.example", which is not an http or https URL`}},
		{"not a url,https://user:s3cret@c.example", true, []string{}, []string{"L item 1 ", "L item 2 ", "contains credentials"}},
	}
	for _, tt := range tests {
		m := map[string]string{}
		if tt.set {
			m["L"] = tt.value
		}
		e := mapEnv(m)
		if got := e.URLs("L", def); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("URLs(%q) = %q, want %q", tt.value, got, tt.want)
		}
		msg := ""
		if err := e.Err(); err != nil {
			msg = err.Error()
		}
		if (msg == "") != (len(tt.problems) == 0) {
			t.Errorf("URLs(%q): error %q, want problems %q", tt.value, msg, tt.problems)
		}
		for _, p := range tt.problems {
			if !strings.Contains(msg, p) {
				t.Errorf("URLs(%q): error %q does not contain %q", tt.value, msg, p)
			}
		}
		if strings.Contains(msg, "s3cret") {
			t.Errorf("URLs(%q): error shows the password: %v", tt.value, msg)
		}
	}
}

func TestInt(t *testing.T) {
	tests := []struct {
		value   string
		want    int
		problem string
	}{
		{"", 3002, ""},
		{"8080", 8080, ""},
		{" 1 ", 1, ""},
		{"65535", 65535, ""},
		{"0", 3002, "PORT=0 is out of range: use a number from 1 to 65535"},
		{"70000", 3002, "PORT=70000 is out of range: use a number from 1 to 65535"},
		{"80a", 3002, `PORT="80a" is not a whole number: use a number from 1 to 65535`},
		{"1.5", 3002, `PORT="1.5" is not a whole number`},
	}
	for _, tt := range tests {
		e := mapEnv(map[string]string{"PORT": tt.value})
		if got := e.Int("PORT", 3002, 1, 65535); got != tt.want {
			t.Errorf("Int(%q) = %d, want %d", tt.value, got, tt.want)
		}
		checkProblem(t, e, tt.value, tt.problem)
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		value   string
		want    time.Duration
		problem string
	}{
		{"", 10 * time.Second, ""},
		{"1m30s", 90 * time.Second, ""},
		{"0s", 0, ""},
		{"30", 10 * time.Second, `T="30" is not a duration: use a number with a unit, such as 30s, 5m or 1h`},
		{"-5s", 10 * time.Second, `T="-5s" is negative`},
		{"soon", 10 * time.Second, `T="soon" is not a duration`},
	}
	for _, tt := range tests {
		e := mapEnv(map[string]string{"T": tt.value})
		if got := e.Duration("T", 10*time.Second); got != tt.want {
			t.Errorf("Duration(%q) = %v, want %v", tt.value, got, tt.want)
		}
		checkProblem(t, e, tt.value, tt.problem)
	}
}

func TestBoolAndOneOf(t *testing.T) {
	for v, want := range map[string]bool{"true": true, "YES": true, "on": true, "1": true, "false": false, "No": false, "off": false, "0": false} {
		e := mapEnv(map[string]string{"B": v})
		if got := e.Bool("B", !want); got != want || e.Err() != nil {
			t.Errorf("Bool(%q) = %v, %v", v, got, e.Err())
		}
	}
	e := mapEnv(map[string]string{"B": "maybe"})
	if got := e.Bool("B", true); !got {
		t.Errorf("bad Bool should return default")
	}
	checkProblem(t, e, "maybe", `B="maybe" is not a boolean: use true or false`)

	e = mapEnv(map[string]string{"LOG_LEVEL": "WARN"})
	if got := e.OneOf("LOG_LEVEL", "info", "debug", "info", "warn", "error"); got != "warn" {
		t.Errorf("OneOf = %q", got)
	}
	e = mapEnv(map[string]string{"LOG_LEVEL": "loud"})
	if got := e.OneOf("LOG_LEVEL", "info", "debug", "info", "warn", "error"); got != "info" {
		t.Errorf("bad OneOf = %q, want default", got)
	}
	checkProblem(t, e, "loud", `LOG_LEVEL="loud" is not allowed: use one of debug, info, warn, error`)
}

func checkProblem(t *testing.T, e *Env, value, want string) {
	t.Helper()
	err := e.Err()
	if want == "" {
		if err != nil {
			t.Errorf("%q: unexpected %v", value, err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%q: error %v, want it to contain %q", value, err, want)
	}
}

func TestErrListsEveryProblem(t *testing.T) {
	e := mapEnv(map[string]string{"PORT": "x", "MCP_RESOURCE_URL": "nope"})
	e.Required("AUTH_ISSUER", "set it to your authorization server's issuer URL")
	e.Int("PORT", 3002, 1, 65535)
	e.URL("MCP_RESOURCE_URL", "")
	e.Required("AUTH_ISSUER", "set it to your authorization server's issuer URL") // read twice: reported once
	e.Problem("AUTH_AUDIENCE must include %s", "x")
	err := e.Err()
	var cfgErr *Error
	if !errors.As(err, &cfgErr) {
		t.Fatalf("Err() = %T, want *Error", err)
	}
	if len(cfgErr.Problems) != 4 {
		t.Fatalf("problems = %q, want 4", cfgErr.Problems)
	}
	lines := strings.Split(err.Error(), "\n")
	if lines[0] != "invalid configuration (4 problems):" {
		t.Errorf("summary line %q", lines[0])
	}
	if len(lines) != 5 {
		t.Fatalf("message has %d lines, want 5:\n%s", len(lines), err)
	}
	for i, p := range cfgErr.Problems {
		if lines[i+1] != "  "+p {
			t.Errorf("line %d = %q, want %q", i+1, lines[i+1], "  "+p)
		}
	}
	// The error is a snapshot: later problems do not change it.
	e.Problem("later")
	if len(cfgErr.Problems) != 4 {
		t.Errorf("error changed after it was returned")
	}
	if mapEnv(nil).Err() != nil {
		t.Errorf("empty Env has an error")
	}
	if New(nil).String("X", "d") != "d" {
		t.Errorf("New(nil) should see no variables")
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadDotenvRealEnvWins(t *testing.T) {
	p := writeFile(t, "# comment\nMCPGEN_T_FILE_ONLY=from-file\nMCPGEN_T_BOTH=from-file\nexport MCPGEN_T_QUOTED=\"a b\"\nMCPGEN_T_EMPTY_REAL=from-file\n")
	t.Setenv("MCPGEN_T_BOTH", "from-env")
	t.Setenv("MCPGEN_T_EMPTY_REAL", "")
	e, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"MCPGEN_T_FILE_ONLY":  "from-file",
		"MCPGEN_T_BOTH":       "from-env",
		"MCPGEN_T_QUOTED":     "a b",
		"MCPGEN_T_EMPTY_REAL": "", // present in the real env, so it wins even when empty
	} {
		if v, _ := e.Lookup(name); v != want {
			t.Errorf("%s = %q, want %q", name, v, want)
		}
	}
	if _, ok := os.LookupEnv("MCPGEN_T_FILE_ONLY"); ok {
		t.Errorf("Load modified the process environment")
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Setenv("MCPGEN_T_X", "1")
	for _, p := range []string{"", filepath.Join(t.TempDir(), "absent.env")} {
		e, err := Load(p)
		if err != nil {
			t.Fatalf("Load(%q): %v", p, err)
		}
		if e.String("MCPGEN_T_X", "") != "1" {
			t.Errorf("Load(%q) does not see the process env", p)
		}
	}
}

func TestLoadMalformedFile(t *testing.T) {
	tests := []struct {
		content string
		line    int
	}{
		{"A=1\nB=2\nAPI KEY=sup3rsecret\nC=3\n", 3},
		{"A=1\n=sup3rsecret\n", 2},
		{"A=1\n9LIVES=sup3rsecret\n", 2},
		{"A=1\nB=\"multi\nline\"\nC D=sup3rsecret\n", 4},
		{"A=1\nB=\"sup3rsecret never closed\nC=3\n", 2},
		{"GOOD=1\nBAD-NAME=sup3rsecret", 2},
		{"BAD LINE sup3rsecret\n" + strings.Repeat("A=1\n", 1500), 0}, // too long to search: file named, no line
	}
	for _, tt := range tests {
		p := writeFile(t, tt.content)
		_, err := Load(p)
		var de *DotenvError
		if !errors.As(err, &de) {
			t.Fatalf("Load(%q) = %v, want *DotenvError", tt.content, err)
		}
		if de.Line != tt.line {
			t.Errorf("%q: line %d, want %d", tt.content, de.Line, tt.line)
		}
		msg := err.Error()
		if !strings.Contains(msg, p) {
			t.Errorf("error %q does not name the file", msg)
		}
		if strings.Contains(msg, "sup3rsecret") {
			t.Errorf("error %q quotes the file's content", msg)
		}
	}
}

func TestLoadUnreadableFile(t *testing.T) {
	dir := t.TempDir() // a directory where a file is expected cannot be read
	_, err := Load(dir)
	var de *DotenvError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Load(dir) = %v, want *DotenvError naming %s", err, dir)
	}
}

// FuzzLoad: any .env content loads or fails with a *DotenvError, never a
// panic, and a reported line exists in the file.
func FuzzLoad(f *testing.F) {
	for _, s := range []string{"A=1\n", "A=\"x\nB=2", "=x", "A B=c\n", "export X='y'\n#c\n", "K: v\n", "\"\n"} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content string) {
		p := filepath.Join(dir, ".env")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(p)
		if err == nil {
			return
		}
		var de *DotenvError
		if !errors.As(err, &de) {
			t.Fatalf("Load error %T %v", err, err)
		}
		if lines := strings.Count(content, "\n") + 1; de.Line > lines {
			t.Fatalf("line %d of a %d-line file", de.Line, lines)
		}
	})
}
