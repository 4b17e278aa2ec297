package generator

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// goldenResourcesDir is the greeting server after
//
//	mcpgen add resource guide --uri docs://guide --mime-type text/markdown --scope docs:read
//	mcpgen add resource city_weather --uri-template "weather://cities/{city}" --mime-type application/json --scope weather:read
//	mcpgen add prompt summarize --arg text:required:"Text to summarize" --arg tone --scope prompts:read
//
// with the descriptions of guideResource, cityWeatherResource and summarizePrompt.
const goldenResourcesDir = "../testdata/golden/greeting-server-resources"

func guideResource() Resource {
	return Resource{Name: "guide", URI: "docs://guide", Description: "The user guide.", MIMEType: "text/markdown", Scopes: []string{"docs:read"}}
}

func cityWeatherResource() Resource {
	return Resource{Name: "city_weather", URITemplate: "weather://cities/{city}", Description: "Current weather of a city.", MIMEType: "application/json", Scopes: []string{"weather:read"}}
}

func summarizePrompt() Prompt {
	return Prompt{Name: "summarize", Description: "Summarizes a text.", Scopes: []string{"prompts:read"},
		Args: []PromptArg{{Name: "text", Description: "Text to summarize", Required: true}, {Name: "tone"}}}
}

// withResources is the greeting server grown by AddResource and AddPrompt.
func withResources(t *testing.T) (fstest.MapFS, []*Addition) {
	t.Helper()
	fsys := greetingFS(t)
	var adds []*Addition
	step := func(a *Addition, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		adds = append(adds, a)
		fsys = projectFS(t, applied(t, fsys, a.Changes))
	}
	step(AddResource(fsys, guideResource()))
	step(AddResource(fsys, cityWeatherResource()))
	step(AddPrompt(fsys, summarizePrompt()))
	return fsys, adds
}

// TestGoldenResources: adding a static resource, a template and a prompt changes exactly
// their files, the registry, the manifest and the README's tables, and gives what `new`
// renders with them (so add and new cannot disagree).
func TestGoldenResources(t *testing.T) {
	fsys, adds := withResources(t)
	wantPaths := [][]string{
		{"README.md", "internal/tools/registry.go", "internal/tools/resource_guide.go", "internal/tools/resource_guide_test.go", "mcpgen.yaml"},
		{"README.md", "internal/tools/registry.go", "internal/tools/resource_city_weather.go", "internal/tools/resource_city_weather_test.go", "mcpgen.yaml"},
		{"README.md", "internal/tools/prompt_summarize.go", "internal/tools/prompt_summarize_test.go", "internal/tools/registry.go", "mcpgen.yaml"},
	}
	for i, a := range adds {
		var paths []string
		for _, c := range a.Changes {
			paths = append(paths, c.Path)
		}
		if !slices.Equal(paths, wantPaths[i]) {
			t.Errorf("addition %d changed %v, want exactly %v", i, paths, wantPaths[i])
		}
		if len(a.NewScopes) != 1 || a.BaselineDefault || len(a.Notes) != 0 {
			t.Errorf("addition %d: NewScopes %v, BaselineDefault %v, Notes %v; want one new scope, no default, no notes", i, a.NewScopes, a.BaselineDefault, a.Notes)
		}
	}
	files := applied(t, fsys, nil)
	checkGolden(t, goldenResourcesDir, files)

	s := greetingSpec()
	s.Resources = []Resource{guideResource(), cityWeatherResource()}
	s.Prompts = []Prompt{summarizePrompt()}
	rendered, err := Render(s)
	if err != nil {
		t.Fatal(err)
	}
	want := WithBase(rendered) // Update records what it writes, as new does
	slices.SortFunc(want, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	if len(files) != len(want) {
		t.Fatalf("grown project has %d files, rendered %d", len(files), len(want))
	}
	for i := range want {
		if files[i].Path != want[i].Path || !bytes.Equal(files[i].Data, want[i].Data) {
			t.Errorf("%s differs from a fresh render:\n%s", want[i].Path, firstDiff(want[i].Data, files[i].Data))
		}
	}

	// The policy the registry records is the manifest's, read back by the parser that
	// guards against hand edits.
	reg, _, err := registryPolicy(fsys[RegistryFile].Data)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(reg.Resources["docs://guide"], []string{"docs:read"}) ||
		!slices.Equal(reg.ResourceTemplates["weather://cities/{city}"], []string{"weather:read"}) ||
		!slices.Equal(reg.Prompts["summarize"], []string{"prompts:read"}) {
		t.Errorf("registry policy = %+v, want the resources, template and prompt with their scopes", reg)
	}
}

func TestAddResourceDefaults(t *testing.T) {
	a, err := AddResource(greetingFS(t), Resource{Name: "notes", URI: "file:///notes.txt"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Resource.MIMEType != DefaultMIMEType || !a.BaselineDefault || !slices.Equal(a.Resource.Scopes, []string{"usr:read"}) {
		t.Errorf("resource = %+v, BaselineDefault %v; want text/plain and the baseline scope usr:read", a.Resource, a.BaselineDefault)
	}
	p, err := AddPrompt(greetingFS(t), Prompt{Name: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if !p.BaselineDefault || !slices.Equal(p.Prompt.Scopes, []string{"usr:read"}) {
		t.Errorf("prompt scopes = %v, want the baseline scope usr:read", p.Prompt.Scopes)
	}
}

// TestAddResourceRefuses: every refusal names the problem and how to fix it.
func TestAddResourceRefuses(t *testing.T) {
	grown, _ := withResources(t)
	edited := greetingFS(t)
	edited[RegistryFile] = &fstest.MapFile{Data: bytes.Replace(edited[RegistryFile].Data, []byte("func Register"), []byte("// mine\nfunc Register"), 1)}
	owned := greetingFS(t)
	owned["internal/tools/resource_notes.go"] = &fstest.MapFile{Data: []byte("package tools\n")}
	declared := greetingFS(t)
	declared["internal/tools/mine.go"] = &fstest.MapFile{Data: []byte("package tools\n\nfunc ReadNotes() {}\n")}
	tests := []struct {
		name string
		fsys fstest.MapFS
		r    Resource
		want string
	}{
		{"both URI and template", greetingFS(t), Resource{Name: "x", URI: "docs://x", URITemplate: "docs://{x}"}, "pass one of --uri and --uri-template"},
		{"neither URI nor template", greetingFS(t), Resource{Name: "x"}, "needs a URI (--uri) or a URI template (--uri-template)"},
		{"relative URI", greetingFS(t), Resource{Name: "x", URI: "notes.txt"}, "absolute URI with a scheme"},
		{"template as URI", greetingFS(t), Resource{Name: "x", URI: "docs://{x}"}, "pass it as --uri-template"},
		{"template without expression", greetingFS(t), Resource{Name: "x", URITemplate: "docs://x"}, "has no {expression}"},
		{"malformed template", greetingFS(t), Resource{Name: "x", URITemplate: "docs://{x"}, "not an RFC 6570 URI template"},
		{"relative template", greetingFS(t), Resource{Name: "x", URITemplate: "{x}"}, "does not expand to an absolute URI"},
		{"bad MIME type", greetingFS(t), Resource{Name: "x", URI: "docs://x", MIMEType: "text"}, "is not a MIME type"},
		{"bad name", greetingFS(t), Resource{Name: "a b", URI: "docs://x"}, "not a valid resource name"},
		{"bad scope", greetingFS(t), Resource{Name: "x", URI: "docs://x", Scopes: []string{"offline_access"}}, "offline_access"},
		{"same name", grown, Resource{Name: "guide", URI: "docs://other"}, `resource "guide" already exists`},
		{"same URI", grown, Resource{Name: "other", URI: "docs://guide"}, `resource "guide" already serves docs://guide`},
		{"same template", grown, Resource{Name: "other", URITemplate: "weather://cities/{city}"}, "already serves weather://cities/{city}"},
		{"file exists", owned, Resource{Name: "notes", URI: "docs://notes"}, "resource_notes.go already exists and mcpgen never overwrites your files"},
		{"Go name the user declared", declared, Resource{Name: "notes", URI: "docs://notes"}, `resource "notes" cannot be added: internal/tools/resource_notes.go declares ReadNotes, which internal/tools/mine.go already declares`},
		{"edited registry", edited, Resource{Name: "x", URI: "docs://x"}, "was edited by hand"},
		{"not a project", fstest.MapFS{}, Resource{Name: "x", URI: "docs://x"}, "not an mcpgen project"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := AddResource(tt.fsys, tt.r)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("AddResource = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	// A manifest edited by hand (a resource's scope changed) disagrees with the registry:
	// regenerating would change who may read it as a side effect of another addition.
	editedManifest, _ := withResources(t)
	editedManifest[ManifestFile] = &fstest.MapFile{Data: bytes.Replace(editedManifest[ManifestFile].Data, []byte("      - docs:read\n"), []byte("      - docs:any\n"), 1)}
	if _, err := AddPrompt(editedManifest, Prompt{Name: "other"}); err == nil || !strings.Contains(err.Error(), "resources docs://guide [docs:any]") {
		t.Errorf("AddPrompt after a hand edit of a resource in %s = %v, want the disagreement named", ManifestFile, err)
	}

	// A tool and a resource share package tools: a resource whose Go name is a tool's
	// is refused by name.
	fsys := greetingFS(t)
	a, err := AddTool(fsys, Tool{Name: "read_guide", Description: "x", Scopes: []string{"usr:read"}})
	if err != nil {
		t.Fatal(err)
	}
	fsys = projectFS(t, applied(t, fsys, a.Changes))
	if _, err := AddResource(fsys, Resource{Name: "guide", URI: "docs://guide"}); err == nil || !strings.Contains(err.Error(), `resource "guide" collides with tool "read_guide": both would declare Go name ReadGuide`) {
		t.Errorf("AddResource colliding with a tool's Go name = %v", err)
	}
	if _, err := AddResource(greetingFS(t), Resource{Name: "x", URI: "docs://x"}); err != nil {
		t.Errorf("AddResource of a valid resource: %v", err)
	}
}

func TestAddPromptRefuses(t *testing.T) {
	grown, _ := withResources(t)
	tests := []struct {
		name string
		fsys fstest.MapFS
		p    Prompt
		want string
	}{
		{"same name", grown, Prompt{Name: "summarize"}, `prompt "summarize" already exists`},
		{"bad name", greetingFS(t), Prompt{Name: "a/b"}, "not a valid prompt name"},
		{"argument twice", greetingFS(t), Prompt{Name: "p", Args: []PromptArg{{Name: "a"}, {Name: "a"}}}, `argument "a" is declared twice`},
		{"bad argument", greetingFS(t), Prompt{Name: "p", Args: []PromptArg{{Name: "A-1"}}}, `argument "A-1" is not a valid name`},
		{"two-line description", greetingFS(t), Prompt{Name: "p", Description: "a\nb"}, "the description must be one line"},
		{"Go name of a resource", grown, Prompt{Name: "summarize_x"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := AddPrompt(tt.fsys, tt.p)
			if tt.want == "" {
				if err != nil {
					t.Errorf("AddPrompt: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("AddPrompt = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	var se *SpecError
	if _, err := AddPrompt(greetingFS(t), Prompt{Name: "p", Args: []PromptArg{{Name: "1"}}}); !errors.As(err, &se) || se.Problems[0].Field != "args" {
		t.Errorf("AddPrompt with a bad argument = %v, want a *SpecError on args", err)
	}
}

func TestParsePromptArg(t *testing.T) {
	tests := []struct {
		in   string
		want PromptArg
		err  string
	}{
		{in: "topic", want: PromptArg{Name: "topic"}},
		{in: "topic:required", want: PromptArg{Name: "topic", Required: true}},
		{in: "topic:optional:What to write about", want: PromptArg{Name: "topic", Description: "What to write about"}},
		{in: `topic:required:"Subject: the main one"`, want: PromptArg{Name: "topic", Required: true, Description: "Subject: the main one"}},
		{in: "topic:What about", want: PromptArg{Name: "topic", Description: "What about"}},
		{in: "Topic", err: "not a valid name"},
		{in: ":required", err: "not a valid name"},
	}
	for _, tt := range tests {
		got, err := ParsePromptArg(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParsePromptArg(%q) = %v, want an error containing %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParsePromptArg(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

// TestManifestResources: the resources and prompts sections round-trip; manifests
// without them still parse; unknown fields inside them are refused.
func TestManifestResources(t *testing.T) {
	s := greetingSpec()
	s.Resources = []Resource{guideResource(), cityWeatherResource()}
	s.Prompts = []Prompt{summarizePrompt()}
	data, err := NewManifest(s).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	back := m.Spec(s.Runtime)
	if !slices.EqualFunc(back.Resources, s.Resources, func(a, b Resource) bool {
		return a.Name == b.Name && a.URI == b.URI && a.URITemplate == b.URITemplate && a.MIMEType == b.MIMEType && slices.Equal(a.Scopes, b.Scopes)
	}) || len(back.Prompts) != 1 || len(back.Prompts[0].Args) != 2 || !back.Prompts[0].Args[0].Required {
		t.Errorf("round trip: resources %+v, prompts %+v", back.Resources, back.Prompts)
	}
	if !bytes.Contains(data, []byte("uri_template: weather://cities/{city}")) {
		t.Errorf("manifest lacks the template under uri_template:\n%s", data)
	}

	plain, err := NewManifest(greetingSpec()).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(plain, []byte("resources")) || bytes.Contains(plain, []byte("prompts")) {
		t.Errorf("a project without resources or prompts records the sections:\n%s", plain)
	}
	if _, err := ParseManifest(plain); err != nil {
		t.Errorf("manifest without resources: %v", err)
	}
	bad := bytes.Replace(data, []byte("mime_type: text/markdown"), []byte("mime_type: text/markdown\n    mimetype: x"), 1)
	if _, err := ParseManifest(bad); err == nil || !strings.Contains(err.Error(), "mimetype") {
		t.Errorf("unknown field in a resource = %v, want it refused", err)
	}
}

// TestPolicyResources: the policy binds each resource by URI or template and each
// prompt by name; a scope only they name is baseline.
func TestPolicyResources(t *testing.T) {
	s := greetingSpec()
	s.Resources = []Resource{guideResource(), cityWeatherResource()}
	s.Prompts = []Prompt{summarizePrompt()}
	s.declareToolScopes()
	p := s.Policy()
	if !slices.Equal(p.Resources["docs://guide"], []string{"docs:read"}) || !slices.Equal(p.ResourceTemplates["weather://cities/{city}"], []string{"weather:read"}) || !slices.Equal(p.Prompts["summarize"], []string{"prompts:read"}) {
		t.Errorf("policy = %+v", p)
	}
	if want := []string{"docs:read", "prompts:read", "usr:read", "weather:read"}; !slices.Equal(p.Baseline, want) {
		t.Errorf("baseline = %v, want %v", p.Baseline, want)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// TestAddResourceNotesUnfilteredLists: a project that filters lists but whose main.go
// predates the resource and prompt filters is told how to filter them too.
func TestAddResourceNotesUnfilteredLists(t *testing.T) {
	s := greetingSpec()
	s.FilterToolsList = true
	files, err := Render(s)
	if err != nil {
		t.Fatal(err)
	}
	fsys := projectFS(t, WithBase(files))
	if a, err := AddPrompt(fsys, Prompt{Name: "p"}); err != nil || len(a.Notes) != 0 {
		t.Fatalf("AddPrompt to a project mcpgen new writes today: notes %v, err %v; want none", a.Notes, err)
	}
	main := string(fsys[mainFile].Data)
	for _, wiring := range []string{"\tauth.FilterResourceLists(hooks, tools.Policy)\n", "\t\tserver.WithPromptFilter(auth.PromptFilter(tools.Policy)),\n"} {
		if !strings.Contains(main, wiring) {
			t.Fatalf("main.go lacks %q", wiring)
		}
		main = strings.Replace(main, wiring, "", 1)
	}
	fsys[mainFile] = &fstest.MapFile{Data: []byte(main)}
	a, err := AddResource(fsys, Resource{Name: "r", URI: "docs://r"})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Notes) != 1 || !strings.Contains(a.Notes[0], "main.go does not call auth.FilterResourceLists(hooks, tools.Policy), so resources/list and resources/templates/list show every caller everything") {
		t.Errorf("AddResource notes = %v", a.Notes)
	}
	p, err := AddPrompt(fsys, Prompt{Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "server.WithPromptFilter(auth.PromptFilter(tools.Policy)), so prompts/list") {
		t.Errorf("AddPrompt notes = %v", p.Notes)
	}
}
