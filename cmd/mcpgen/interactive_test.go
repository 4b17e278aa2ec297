//go:build !windows

package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/AlecAivazis/survey/v2/core"
	expect "github.com/Netflix/go-expect"
	"github.com/creack/pty"
	"github.com/hinshun/vt10x"

	"github.com/mcpgen/mcpgen/generator"

	"github.com/mcpgen/mcpgen/internal/logcapture"
)

func init() {
	// Plain text is easier to match; colours are survey's business, not ours.
	core.DisableColor = true
}

const (
	keyDown   = "\x1b[B"
	keyCtrlC  = "\x03"
	keyReturn = "\r"

	hideCursor = "\x1b[?25l" // survey writes it right after switching to raw mode
)

// dialog is the user's side of a pseudo-terminal session. Its methods record failures
// with t.Errorf (they run off the test goroutine) and, after the first one, do nothing, so
// a dialog reads as a straight script.
type dialog struct {
	t      *testing.T
	c      *expect.Console
	failed bool
}

func (d *dialog) expect(s string) {
	if d.failed {
		return
	}
	if _, err := d.c.ExpectString(s); err != nil {
		d.fail("expect %q: %v", s, err)
	}
}

func (d *dialog) send(s string) {
	if d.failed {
		return
	}
	if _, err := d.c.Send(s); err != nil {
		d.fail("send %q: %v", s, err)
	}
}

func (d *dialog) answer(s string) { d.send(s + keyReturn) }

// interrupt presses Ctrl-C once the prompt on screen reads keys. survey draws a prompt
// before it switches the terminal to raw mode and hides the cursor; a Ctrl-C typed in
// between is taken by the line discipline (a signal to nobody) and never reaches it.
func (d *dialog) interrupt() {
	d.expect(hideCursor)
	d.send(keyCtrlC)
}

func (d *dialog) fail(format string, args ...any) {
	d.t.Errorf(format, args...)
	d.failed = true
	// Unblock the command, which would otherwise wait for input forever. Closing the
	// terminal would not: a blocked read keeps the file open.
	_, _ = d.c.Send(keyCtrlC)
}

// ptyResult is what a command run on a pseudo-terminal produced.
type ptyResult struct {
	code   int
	specs  []generator.Spec // every Spec the command rendered
	screen string           // everything written to the terminal
}

// runOnPTY runs mcpgen with args, attached to a pseudo-terminal on stdin, stdout and
// stderr exactly as a user's shell would, while script plays the user. This is how
// survey tests its own prompts: vt10x emulates the terminal (answering survey's cursor
// position queries) and go-expect reads the screen and types.
func runOnPTY(t *testing.T, args []string, script func(d *dialog)) ptyResult {
	t.Helper()
	ptm, pts, err := pty.Open()
	if err != nil {
		t.Fatalf("open pseudo-terminal: %v", err)
	}
	term := vt10x.New(vt10x.WithWriter(pts))
	var screen logcapture.Buffer
	c, err := expect.NewConsole(
		expect.WithStdin(ptm),
		expect.WithStdout(term, &screen),
		expect.WithCloser(ptm, pts),
		// Only a guard against a hung test; nothing here measures speed.
		expect.WithDefaultTimeout(30*time.Second),
	)
	if err != nil {
		t.Fatalf("create console: %v", err)
	}
	defer c.Close()

	done := make(chan struct{})
	go func() {
		defer close(done)
		d := &dialog{t: t, c: c}
		script(d)
		if !d.failed {
			if _, err := c.ExpectEOF(); err != nil {
				t.Errorf("expect end of output: %v", err)
			}
		}
	}()

	var res ptyResult
	tty := c.Tty()
	a := newApp(tty, tty, tty)
	a.render = func(s generator.Spec) ([]generator.File, error) {
		res.specs = append(res.specs, s)
		return generator.Render(s)
	}
	res.code = runApp(a, args)
	if err := tty.Close(); err != nil { // ends the dialog's ExpectEOF
		t.Errorf("close tty: %v", err)
	}
	<-done
	res.screen = screen.String()
	return res
}

func TestInteractiveNewAsksEveryMissingValue(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	res := runOnPTY(t, []string{"new", "--dir", dir}, func(d *dialog) {
		d.expect("Project name")
		d.expect("(out)") // suggested by --dir
		d.answer("Bad_Name")
		d.expect(`Sorry, your reply was invalid: "Bad_Name" is not a valid project name`)
		d.answer("demo-server")

		d.expect("Go module path")
		d.expect("(demo-server)") // default: the name
		d.answer("example.com/demo")

		d.expect("Authorization provider")
		d.expect("scalekit")
		d.expect("generic") // the last of the presets offered
		d.send(strings.Repeat(keyDown, 7) + keyReturn)

		d.expect("Authorization server issuer URL") // wording follows the provider
		d.answer("http://auth.example.com")
		d.expect(`Sorry, your reply was invalid: "http://auth.example.com" must use https`)
		d.answer("https://auth.example.com")

		d.expect("JWKS URL (optional)") // generic only: nothing to derive it from
		d.answer("ftp://auth.example.com/jwks")
		d.expect(`Sorry, your reply was invalid: "ftp://auth.example.com/jwks" must use https`)
		d.answer("https://auth.example.com/jwks")

		d.expect("Port")
		d.expect("(3002)")
		d.answer("eighty")
		d.expect(`Sorry, your reply was invalid: port "eighty" is not a number`)
		d.answer("8080")

		d.expect("MCP endpoint URL (resource)")
		d.expect("(http://localhost:8080/mcp)") // default follows the port
		d.answer("")

		d.expect("Extra scopes")
		d.answer("files:read, files:write")

		d.expect("created demo-server in " + dir)
		d.expect("next steps:")
	})
	if res.code != exitOK {
		t.Fatalf("exit code %d, want %d; screen:\n%s", res.code, exitOK, res.screen)
	}
	if len(res.specs) != 1 {
		t.Fatalf("rendered %d specs, want 1", len(res.specs))
	}
	got := res.specs[0]
	want := generator.Spec{
		Name:        "demo-server",
		Module:      "example.com/demo",
		Provider:    "generic",
		Issuer:      "https://auth.example.com",
		JWKSURL:     "https://auth.example.com/jwks",
		ResourceURL: "http://localhost:8080/mcp",
		Scopes:      generator.BaselineScopes([]string{"files:read", "files:write", "usr:read"}),
		Port:        8080,
		Tools:       generator.DefaultTools(),
		Runtime:     got.Runtime, // this build's; checked by the scripts
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("spec:\n got %+v\nwant %+v", got, want)
	}
	manifest, err := os.ReadFile(filepath.Join(dir, "mcpgen.yaml"))
	if err != nil {
		t.Fatalf("read manifest: %v", err)
	}
	for _, line := range []string{"name: demo-server", "module: example.com/demo", "provider: generic", "issuer: https://auth.example.com", "port: 8080", "  - name: files:read", "  - name: files:write"} {
		if !strings.Contains(string(manifest), line+"\n") {
			t.Errorf("mcpgen.yaml lacks %q:\n%s", line, manifest)
		}
	}
}

func TestInteractiveNewAsksOnlyWhatFlagsDidNotGive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	res := runOnPTY(t, []string{"new", "svc", "--dir", dir, "--module", "example.com/svc", "--issuer", "https://env.example.com", "--port", "9000"}, func(d *dialog) {
		d.expect("Authorization provider")
		d.send(keyReturn) // default: scalekit
		d.expect("MCP endpoint URL (resource)")
		d.expect("(http://localhost:9000/mcp)")
		d.answer("https://svc.example.com/mcp")
		d.expect("Extra scopes")
		d.answer("")
		d.expect("next steps:")
	})
	if res.code != exitOK {
		t.Fatalf("exit code %d, want %d; screen:\n%s", res.code, exitOK, res.screen)
	}
	for _, asked := range []string{"Project name", "Go module path", "Scalekit environment URL", "JWKS URL", "Port"} {
		if strings.Contains(res.screen, asked) {
			t.Errorf("asked %q although a flag gave it; screen:\n%s", asked, res.screen)
		}
	}
	got := res.specs[0]
	if got.Provider != "scalekit" || got.JWKSURL != "https://env.example.com/keys" || got.ResourceURL != "https://svc.example.com/mcp" || len(got.Scopes) != 1 || got.Scopes[0].Name != "usr:read" {
		t.Errorf("spec = %+v", got)
	}
}

// TestInteractivePresetAsksOnlyItsValues: Entra needs a tenant and a client ID; the
// issuer, JWKS URL and audiences follow, so they are not asked.
func TestInteractivePresetAsksOnlyItsValues(t *testing.T) {
	res := runOnPTY(t, []string{"new", "ent", "--dry-run", "--dir", filepath.Join(t.TempDir(), "ent"), "--module", "ent", "--provider", "entra", "--port", "3002", "--resource", "https://mcp.example.com/mcp", "--scopes", "a"}, func(d *dialog) {
		d.expect("Directory (tenant) ID")
		d.answer("contoso.onmicrosoft.com")
		d.expect("is not a tenant ID")
		d.answer("72f988bf-86f1-41af-91ab-2d7cd011db47")
		d.expect("Application (client) ID")
		d.answer("6e74172b-be56-4843-9ff4-e66a39bb12e3")
		d.expect("dry run: nothing was written")
	})
	if res.code != exitOK {
		t.Fatalf("exit code %d, want %d; screen:\n%s", res.code, exitOK, res.screen)
	}
	for _, asked := range []string{"issuer", "JWKS URL"} {
		if strings.Contains(res.screen, asked) {
			t.Errorf("asked for the %s although the preset derives it; screen:\n%s", asked, res.screen)
		}
	}
	got := res.specs[0]
	if got.Issuer != "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0" ||
		got.JWKSURL != "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/discovery/v2.0/keys" ||
		got.Param("client-id") != "6e74172b-be56-4843-9ff4-e66a39bb12e3" {
		t.Errorf("spec = %+v", got)
	}
}

// A domain pasted from the browser (https://HOST/) is taken as the host it names.
func TestInteractiveDomainTakesAPastedURL(t *testing.T) {
	res := runOnPTY(t, []string{"new", "a0", "--dry-run", "--dir", filepath.Join(t.TempDir(), "a0"), "--module", "a0", "--provider", "auth0", "--port", "3002", "--resource", "https://mcp.example.com/mcp", "--scopes", "a"}, func(d *dialog) {
		d.expect("Auth0 domain")
		d.answer("https://acme.us.auth0.com/tenant")
		d.expect(`"acme.us.auth0.com/tenant" is not an Auth0 domain: give the host name only`)
		d.answer("https://acme.us.auth0.com/")
		d.expect("dry run: nothing was written")
	})
	if res.code != exitOK {
		t.Fatalf("exit code %d, want %d; screen:\n%s", res.code, exitOK, res.screen)
	}
	if got := res.specs[0]; got.Param("domain") != "acme.us.auth0.com" || got.Issuer != "https://acme.us.auth0.com/" {
		t.Errorf("domain %q issuer %q, want acme.us.auth0.com and https://acme.us.auth0.com/", got.Param("domain"), got.Issuer)
	}
}

func TestInteractiveScalekitWording(t *testing.T) {
	res := runOnPTY(t, []string{"new", "sk", "--dry-run", "--dir", filepath.Join(t.TempDir(), "sk"), "--module", "sk", "--provider", "scalekit", "--port", "3002", "--resource", "http://localhost:3002/mcp", "--scopes", "a"}, func(d *dialog) {
		d.expect("Scalekit environment URL")
		d.answer("")
		d.expect("Sorry, your reply was invalid: a URL is required")
		d.answer("https://acme.scalekit.dev")
		d.expect("dry run: nothing was written")
	})
	if res.code != exitOK {
		t.Fatalf("exit code %d, want %d; screen:\n%s", res.code, exitOK, res.screen)
	}
	if got := res.specs[0].Issuer; got != "https://acme.scalekit.dev" {
		t.Errorf("issuer = %q", got)
	}
}

func TestInteractiveInterruptWritesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	res := runOnPTY(t, []string{"new", "--dir", dir}, func(d *dialog) {
		d.expect("Project name")
		d.answer("demo")
		d.expect("Go module path")
		d.interrupt()
		d.expect("mcpgen: interrupted; nothing was written")
	})
	if res.code != exitError {
		t.Errorf("exit code %d, want %d; screen:\n%s", res.code, exitError, res.screen)
	}
	if len(res.specs) != 0 {
		t.Errorf("rendered %d specs after an interrupt", len(res.specs))
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("stat %s after an interrupt: %v, want not exist", dir, err)
	}
}

func TestInteractiveBadFlagFailsBeforeAsking(t *testing.T) {
	res := runOnPTY(t, []string{"new", "demo", "--port", "0"}, func(d *dialog) {
		d.expect("mcpgen: invalid --port")
	})
	if res.code != exitUsage {
		t.Errorf("exit code %d, want %d", res.code, exitUsage)
	}
	if strings.Contains(res.screen, "?") {
		t.Errorf("asked a question before refusing a bad flag; screen:\n%s", res.screen)
	}
}

func TestInteractiveYesNeverAsks(t *testing.T) {
	// Even in a terminal, --yes asks nothing: with no issuer it scaffolds for the local
	// dev authorization server, and with a provider but no issuer it refuses.
	res := runOnPTY(t, []string{"new", "demo", "--yes", "--dir", filepath.Join(t.TempDir(), "demo")}, func(d *dialog) {
		d.expect("next steps:")
	})
	if res.code != exitOK || strings.Contains(res.screen, "?") {
		t.Errorf("exit code %d, want %d without a question; screen:\n%s", res.code, exitOK, res.screen)
	}
	if len(res.specs) != 1 || res.specs[0].Provider != generator.ProviderDev || res.specs[0].Issuer != "http://127.0.0.1:3003" {
		t.Errorf("specs = %+v, want the dev preset", res.specs)
	}
	res = runOnPTY(t, []string{"new", "demo", "--yes", "--provider", "generic", "--dir", filepath.Join(t.TempDir(), "demo")}, func(d *dialog) {
		d.expect("mcpgen: missing --issuer")
	})
	if res.code != exitUsage {
		t.Errorf("exit code %d, want %d; screen:\n%s", res.code, exitUsage, res.screen)
	}
}

func TestSurveyPrompterConfirm(t *testing.T) {
	// Confirm is not used by `new`; `add tool` asks "add another argument?" with it.
	for _, tc := range []struct {
		typed string
		def   bool
		want  bool
	}{
		{"y", false, true},
		{"n", true, false},
		{"", true, true},
		{"", false, false},
	} {
		var got bool
		var err error
		runPrompter(t, func(p Prompter) { got, err = p.Confirm("Add another argument?", tc.def, "") }, func(d *dialog) {
			d.expect("Add another argument?")
			d.answer(tc.typed)
		})
		if err != nil || got != tc.want {
			t.Errorf("typed %q (default %v): got %v, %v; want %v", tc.typed, tc.def, got, err, tc.want)
		}
	}
}

// runPrompter drives one Prompter call on a pseudo-terminal.
func runPrompter(t *testing.T, call func(Prompter), script func(d *dialog)) {
	t.Helper()
	ptm, pts, err := pty.Open()
	if err != nil {
		t.Fatalf("open pseudo-terminal: %v", err)
	}
	term := vt10x.New(vt10x.WithWriter(pts))
	c, err := expect.NewConsole(expect.WithStdin(ptm), expect.WithStdout(term), expect.WithCloser(ptm, pts), expect.WithDefaultTimeout(30*time.Second))
	if err != nil {
		t.Fatalf("create console: %v", err)
	}
	defer c.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		d := &dialog{t: t, c: c}
		script(d)
		if !d.failed {
			_, _ = c.ExpectEOF()
		}
	}()
	p := terminalPrompter(c.Tty(), c.Tty(), c.Tty())
	if p == nil {
		t.Fatal("terminalPrompter returned nil on a terminal")
	}
	call(p)
	_ = c.Tty().Close()
	<-done
}

func TestTerminalPrompterNeedsATerminal(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if p := terminalPrompter(f, f, f); p != nil {
		t.Errorf("terminalPrompter(%s) = %T, want nil", os.DevNull, p)
	}
	if p := terminalPrompter(strings.NewReader(""), os.Stdout, os.Stderr); p != nil {
		t.Errorf("terminalPrompter(strings.Reader) = %T, want nil", p)
	}
}

func TestInteractiveDevProviderAsksNoIssuer(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "local")
	res := runOnPTY(t, []string{"new", "local", "--dir", dir, "--module", "local", "--port", "4000", "--scopes", ""}, func(d *dialog) {
		d.expect("Authorization provider")
		d.expect("dev")
		d.send(strings.Repeat(keyDown, 8) + keyReturn) // dev is the last of the nine presets offered
		d.expect("MCP endpoint URL (resource)")
		d.answer("")
		d.expect("next steps:")
	})
	if res.code != exitOK {
		t.Fatalf("exit code %d; screen:\n%s", res.code, res.screen)
	}
	for _, asked := range []string{"issuer URL", "Scalekit environment URL", "JWKS URL"} {
		if strings.Contains(res.screen, asked) {
			t.Errorf("asked %q for the dev provider; screen:\n%s", asked, res.screen)
		}
	}
	if got := res.specs[0]; got.Provider != generator.ProviderDev || got.Issuer != "http://127.0.0.1:4001" || got.JWKSURL != "http://127.0.0.1:4001/jwks" {
		t.Errorf("spec = %+v", got)
	}
}
