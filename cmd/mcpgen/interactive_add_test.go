//go:build !windows

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpgen/mcpgen/generator"
)

// greetingProject writes the golden greeting server's spec to a temporary directory,
// as `mcpgen new` would.
func greetingProject(t *testing.T) string {
	t.Helper()
	s := generator.Spec{
		Name:     "greeting-server",
		Module:   "example.com/greeting-server",
		Provider: generator.ProviderScalekit,
		Issuer:   "https://example.scalekit.dev",
		Runtime:  generator.RuntimeRef{Version: generator.DevelVersion, ReplaceDir: "../../.."},
	}
	s.ApplyDefaults()
	files, err := generator.Render(s)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "greeting-server")
	if err := generator.Write(dir, files, generator.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestInteractiveAddToolAsksEverything: answered in a terminal, the questions build the
// same tool as the flags of the golden command, so the files equal the golden tree's.
func TestInteractiveAddToolAsksEverything(t *testing.T) {
	dir := greetingProject(t)
	res := runOnPTY(t, []string{"add", "tool", "--dir", dir}, func(d *dialog) {
		d.expect("Tool name")
		d.answer("greet_user")
		d.expect(`Sorry, your reply was invalid: tool "greet_user" already exists`)
		d.answer("weather")

		d.expect("Description")
		d.answer("Current weather for a city.")

		d.expect("Scopes a token needs to call it (comma-separated; the server knows usr:read)")
		d.answer("weather read")
		d.expect(`Sorry, your reply was invalid: "weather read" is not a valid OAuth scope`)
		d.answer("weather:read")

		d.expect("Add an argument?")
		d.expect("(Y/n)") // the first one is offered
		d.answer("")
		d.expect("Argument name")
		d.answer("City")
		d.expect(`Sorry, your reply was invalid: argument "City" is not a valid name`)
		d.answer("city")
		d.expect("Type of city")
		d.send(keyReturn) // default: string
		d.expect("Is city required?")
		d.answer("y")
		d.expect("Description of city (optional)")
		d.answer("City name")

		d.expect("Add an argument?")
		d.expect("(y/N)")
		d.answer("")

		d.expect("Read-only")
		d.answer("y")

		d.expect("add tool weather to " + dir)
		d.expect("next: implement weather")
	})
	if res.code != exitOK {
		t.Fatalf("exit code %d, want %d; screen:\n%s", res.code, exitOK, res.screen)
	}
	if strings.Contains(res.screen, "Destructive") {
		t.Error("asked whether a read-only tool is destructive")
	}
	for _, p := range []string{"internal/tools/weather.go", "internal/tools/weather_test.go", "internal/tools/registry.go", "mcpgen.yaml"} {
		got, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("..", "..", "testdata", "golden", "greeting-server-weather", p))
		if err != nil {
			t.Fatal(err)
		}
		if p == "mcpgen.yaml" {
			got, want = withoutRecord(got), withoutRecord(want)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden tree's:\n%s", p, got)
		}
	}
}

// TestInteractiveAddToolAsksOnlyWhatFlagsDidNotGive: with NAME, --scope and --arg given,
// only the description and the annotations are asked.
func TestInteractiveAddToolAsksOnlyWhatFlagsDidNotGive(t *testing.T) {
	dir := greetingProject(t)
	res := runOnPTY(t, []string{"add", "tool", "purge", "--dir", dir, "--scope", "admin", "--arg", "older_than:integer:required"}, func(d *dialog) {
		d.expect("Description")
		d.answer("Deletes old entries.")
		d.expect("Read-only")
		d.answer("n")
		d.expect("Destructive")
		d.answer("y")
		d.expect("add tool purge to")
	})
	if res.code != exitOK {
		t.Fatalf("exit code %d, want %d; screen:\n%s", res.code, exitOK, res.screen)
	}
	for _, asked := range []string{"Tool name", "Scopes", "Add an argument?"} {
		if strings.Contains(res.screen, asked) {
			t.Errorf("asked %q although a flag gave it; screen:\n%s", asked, res.screen)
		}
	}
	src, err := os.ReadFile(filepath.Join(dir, "internal", "tools", "purge.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`OlderThan int ` + "`json:\"older_than\"`", `mcp.WithDescription("Deletes old entries.")`, `WithReadOnlyHintAnnotation(false)`, `WithDestructiveHintAnnotation(true)`} {
		if !strings.Contains(string(src), want) {
			t.Errorf("purge.go lacks %q:\n%s", want, src)
		}
	}
}

// TestInteractiveAddToolRefusesBeforeAsking: outside a project nothing is asked.
func TestInteractiveAddToolRefusesBeforeAsking(t *testing.T) {
	res := runOnPTY(t, []string{"add", "tool", "--dir", t.TempDir()}, func(d *dialog) {
		d.expect("is not an mcpgen project")
	})
	if res.code != exitError {
		t.Errorf("exit code %d, want %d; screen:\n%s", res.code, exitError, res.screen)
	}
	if strings.Contains(res.screen, "?") {
		t.Errorf("asked a question outside a project; screen:\n%s", res.screen)
	}
}

func TestInteractiveAddToolInterruptWritesNothing(t *testing.T) {
	dir := greetingProject(t)
	before, err := os.ReadFile(filepath.Join(dir, "mcpgen.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	res := runOnPTY(t, []string{"add", "tool", "weather", "--dir", dir}, func(d *dialog) {
		d.expect("Description")
		d.interrupt()
		d.expect("mcpgen: interrupted; nothing was written")
	})
	if res.code != exitError {
		t.Errorf("exit code %d, want %d; screen:\n%s", res.code, exitError, res.screen)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "mcpgen.yaml"))
	if _, err := os.Stat(filepath.Join(dir, "internal", "tools", "weather.go")); err == nil || !bytes.Equal(before, after) {
		t.Error("an interrupted add tool changed the project")
	}
}

// TestInteractiveAddScopeAsksEverything: in a terminal, add scope asks for the name,
// description, implied scopes and whether it is baseline, refusing bad answers with
// AddScope's own rules, and declares the scope.
func TestInteractiveAddScopeAsksEverything(t *testing.T) {
	dir := greetingProject(t)
	res := runOnPTY(t, []string{"add", "scope", "--dir", dir}, func(d *dialog) {
		d.expect("Scope name")
		d.answer("usr:read")
		d.expect("Sorry, your reply was invalid: scope usr:read already exists")
		d.answer("offline_access")
		d.expect("Sorry, your reply was invalid:")
		d.answer("usr:admin")

		d.expect("Description (optional)")
		d.answer("Manage users")

		d.expect("Scopes it grants (comma-separated, optional; the server knows usr:read)")
		d.answer("usr:admin")
		d.expect("Sorry, your reply was invalid: scope usr:admin implies usr:admin: a scope cannot imply itself")
		d.answer("usr:reed")
		d.expect("which the project does not declare")
		d.answer("usr:read")

		d.expect("Baseline")
		d.expect("(y/N)")
		d.answer("")

		d.expect("add scope usr:admin to " + dir)
		d.expect("usr:admin is a step-up scope")
	})
	if res.code != exitOK {
		t.Fatalf("exit code %d, want %d; screen:\n%s", res.code, exitOK, res.screen)
	}
	manifest, err := os.ReadFile(filepath.Join(dir, "mcpgen.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "  - name: usr:admin\n    description: Manage users\n    implies:\n      - usr:read\n"; !strings.Contains(string(manifest), want) {
		t.Errorf("mcpgen.yaml lacks %q:\n%s", want, manifest)
	}
}

// TestInteractiveAddScopeAsksOnlyWhatFlagsDidNotGive: with NAME, --implies and
// --baseline given, only the description is asked.
func TestInteractiveAddScopeAsksOnlyWhatFlagsDidNotGive(t *testing.T) {
	dir := greetingProject(t)
	res := runOnPTY(t, []string{"add", "scope", "usr:admin", "--dir", dir, "--implies", "usr:read", "--baseline"}, func(d *dialog) {
		d.expect("Description (optional)")
		d.answer("")
		d.expect("usr:admin is a baseline scope")
	})
	if res.code != exitOK {
		t.Fatalf("exit code %d, want %d; screen:\n%s", res.code, exitOK, res.screen)
	}
	for _, asked := range []string{"Scope name", "Scopes it grants", "Baseline"} {
		if strings.Contains(res.screen, asked) {
			t.Errorf("asked %q although a flag gave it; screen:\n%s", asked, res.screen)
		}
	}
}

// TestInteractiveAddResourceAndPrompt: answered in a terminal, the questions build the
// resource template and the prompt of the greeting-server-resources golden tree, so
// their files equal the golden ones; bad answers are refused with the reason.
func TestInteractiveAddResourceAndPrompt(t *testing.T) {
	dir := greetingProject(t)
	res := runOnPTY(t, []string{"add", "resource", "--dir", dir}, func(d *dialog) {
		d.expect("Resource name")
		d.answer("city weather")
		d.expect(`Sorry, your reply was invalid: "city weather" is not a valid resource name`)
		d.answer("city_weather")

		d.expect("URI, or URI template with {variables}")
		d.answer("cities/{city}")
		d.expect(`Sorry, your reply was invalid: "cities/{city}" does not expand to an absolute URI`)
		d.answer("weather://cities/{city}")

		d.expect("Description")
		d.answer("Current weather of a city.")

		d.expect("MIME type")
		d.answer("json")
		d.expect(`Sorry, your reply was invalid: "json" is not a MIME type`)
		d.answer("application/json")

		d.expect("Scopes a token needs to read it (comma-separated; the server knows usr:read)")
		d.answer("weather:read")

		d.expect("add resource city_weather to " + dir)
		d.expect("next: implement city_weather")
	})
	if res.code != exitOK {
		t.Fatalf("add resource: exit code %d, want %d; screen:\n%s", res.code, exitOK, res.screen)
	}
	res = runOnPTY(t, []string{"add", "prompt", "--dir", dir}, func(d *dialog) {
		d.expect("Prompt name")
		d.answer("summarize")
		d.expect("Description")
		d.answer("Summarizes a text.")

		d.expect("Add an argument?")
		d.expect("(Y/n)")
		d.answer("")
		d.expect("Argument name")
		d.answer("Text")
		d.expect(`Sorry, your reply was invalid: argument "Text" is not a valid name`)
		d.answer("text")
		d.expect("Is text required?")
		d.answer("y")
		d.expect("Description of text (optional)")
		d.answer("Text to summarize")

		d.expect("Add an argument?")
		d.expect("(y/N)")
		d.answer("y")
		d.expect("Argument name")
		d.answer("text")
		d.expect(`Sorry, your reply was invalid: argument "text" is already declared`)
		d.answer("tone")
		d.expect("Is tone required?")
		d.answer("n")
		d.expect("Description of tone (optional)")
		d.answer("")
		d.expect("Add an argument?")
		d.answer("")

		d.expect("Scopes a token needs to get it")
		d.answer("prompts:read")
		d.expect("add prompt summarize to " + dir)
	})
	if res.code != exitOK {
		t.Fatalf("add prompt: exit code %d, want %d; screen:\n%s", res.code, exitOK, res.screen)
	}
	for _, p := range []string{
		"internal/tools/resource_city_weather.go", "internal/tools/resource_city_weather_test.go",
		"internal/tools/prompt_summarize.go", "internal/tools/prompt_summarize_test.go",
	} {
		got, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("..", "..", "testdata", "golden", "greeting-server-resources", p))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden tree's:\n%s", p, got)
		}
	}
}
