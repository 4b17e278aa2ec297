package generator

import (
	"bytes"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// goldenWeatherDir is the greeting server after
// `mcpgen add tool weather --description "Current weather for a city." --scope weather:read
// --arg city:string:required:"City name" --read-only`.
const goldenWeatherDir = "../testdata/golden/greeting-server-weather"

// weatherTool is the tool that command adds (cmd/mcpgen's scripts check the flags parse
// to exactly this).
func weatherTool() Tool {
	return Tool{
		Name:        "weather",
		Description: "Current weather for a city.",
		Scopes:      []string{"weather:read"},
		Args:        []Arg{{Name: "city", Type: "string", Description: "City name", Required: true}},
		ReadOnly:    true,
	}
}

// projectFS is a rendered project as a file system, as AddTool reads one from disk.
func projectFS(t *testing.T, files []File) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, f := range files {
		fsys[f.Path] = &fstest.MapFile{Data: f.Data, Mode: f.Mode}
	}
	return fsys
}

func greetingFS(t *testing.T) fstest.MapFS {
	t.Helper()
	files, err := Render(greetingSpec())
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return projectFS(t, WithBase(files))
}

// applied is fsys after changes, as sorted files.
func applied(t *testing.T, fsys fstest.MapFS, changes []Change) []File {
	t.Helper()
	// Update records what it writes: so does this.
	changes, err := recordChanges(fsys, changes)
	if err != nil {
		t.Fatal(err)
	}
	tree := maps.Clone(fsys)
	for _, c := range changes {
		old, exists := tree[c.Path]
		switch {
		case c.Create && exists:
			t.Fatalf("change creates %s, which exists", c.Path)
		case !c.Create && (!exists || !bytes.Equal(old.Data, c.Old)):
			t.Fatalf("change to %s was computed from other content", c.Path)
		}
		tree[c.Path] = &fstest.MapFile{Data: c.Data, Mode: c.Mode}
	}
	var files []File
	for _, p := range slices.Sorted(maps.Keys(tree)) {
		files = append(files, File{Path: p, Data: tree[p].Data, Mode: tree[p].Mode})
	}
	return files
}

func TestGoldenAddTool(t *testing.T) {
	fsys := greetingFS(t)
	a, err := AddTool(fsys, weatherTool())
	if err != nil {
		t.Fatalf("AddTool: %v", err)
	}
	var paths []string
	for _, c := range a.Changes {
		paths = append(paths, c.Path)
	}
	want := []string{"README.md", "internal/tools/registry.go", "internal/tools/weather.go", "internal/tools/weather_test.go", "mcpgen.yaml"}
	if !slices.Equal(paths, want) {
		t.Errorf("changed %v, want exactly %v", paths, want)
	}
	if !slices.Equal(a.NewScopes, []string{"weather:read"}) || len(a.Notes) != 0 {
		t.Errorf("NewScopes = %v, Notes = %v; want [weather:read] and none", a.NewScopes, a.Notes)
	}
	checkGolden(t, goldenWeatherDir, applied(t, fsys, a.Changes))
}

// TestAddToolEqualsRender: growing a project tool by tool gives the project `new` would
// generate with all the tools, file for file.
func TestAddToolEqualsRender(t *testing.T) {
	fsys := greetingFS(t)
	tools := []Tool{weatherTool(), {
		Name: "delete-item.v2", Description: "Deletes | an item.", Destructive: true,
		Scopes: []string{"items:write", "usr:read"},
		Args:   []Arg{{Name: "item_id", Type: "integer", Required: true}, {Name: "tags", Type: "[]string"}},
	}}
	for _, tl := range tools {
		a, err := AddTool(fsys, tl)
		if err != nil {
			t.Fatalf("AddTool(%s): %v", tl.Name, err)
		}
		fsys = projectFS(t, applied(t, fsys, a.Changes))
	}
	s := greetingSpec()
	s.Tools = append(s.Tools, tools...)
	rendered, err := Render(s)
	if err != nil {
		t.Fatal(err)
	}
	want := WithBase(rendered)
	slices.SortFunc(want, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	got := applied(t, fsys, nil)
	if readme := string(fsys[ReadmeFile].Data); !strings.Contains(readme, "| Deletes \\| an item. |") {
		t.Errorf("README does not escape | in the tool table:\n%s", readme)
	}
	if len(got) != len(want) {
		t.Fatalf("grown project has %d files, rendered %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Path != want[i].Path || !bytes.Equal(got[i].Data, want[i].Data) {
			t.Errorf("%s differs from a fresh render:\n%s", want[i].Path, firstDiff(want[i].Data, got[i].Data))
		}
	}
}

// TestAddToolRefuses: every refusal names the problem, and nothing is planned.
func TestAddToolRefuses(t *testing.T) {
	with := func(edit func(fstest.MapFS)) fstest.MapFS {
		fsys := greetingFS(t)
		edit(fsys)
		return fsys
	}
	withWeather := func() fstest.MapFS {
		fsys := greetingFS(t)
		a, err := AddTool(fsys, weatherTool())
		if err != nil {
			t.Fatal(err)
		}
		return projectFS(t, applied(t, fsys, a.Changes))
	}
	registry := greetingFS(t)[RegistryFile].Data
	tests := []struct {
		name string
		fsys fstest.MapFS
		tool Tool
		want string
		is   error
		spec bool // a *SpecError: the user's input is wrong, not the project
	}{
		{"existing tool", greetingFS(t), Tool{Name: "greet_user"}, `tool "greet_user" already exists`, nil, false},
		{"twice", withWeather(), weatherTool(), `tool "weather" already exists`, nil, false},
		{"same Go name", withWeather(), Tool{Name: "Weather"}, `collides with tool "weather": both would be written to internal/tools/weather.go`, nil, false},
		{"same Go name, other file", greetingFS(t), Tool{Name: "greet-user"}, `collides with tool "greet_user"`, nil, false},
		{"another tool's descriptor", greetingFS(t), Tool{Name: "greet_user_tool"}, `both would declare Go name GreetUserTool`, nil, false},
		{"another tool's test", greetingFS(t), Tool{Name: "greet_user_schema_requires_name"}, `TestGreetUserSchemaRequiresName`, nil, false},
		{"registry function", greetingFS(t), Tool{Name: "register"}, `would declare Go name Register, which the generated registry declares`, nil, true},
		{"registry variable", greetingFS(t), Tool{Name: "scopes-supported"}, `Go name ScopesSupported`, nil, true},
		{"registry policy", greetingFS(t), Tool{Name: "policy"}, `Go name Policy`, nil, true},
		{"registry constant", greetingFS(t), Tool{Name: "server.name"}, `Go name ServerName`, nil, true},
		{"registry file", greetingFS(t), Tool{Name: "registry"}, `internal/tools/registry.go or its test, which mcpgen writes for itself`, nil, true},
		{"helpers file", greetingFS(t), Tool{Name: "helpers"}, `internal/tools/helpers.go`, nil, true},
		{"bad name", greetingFS(t), Tool{Name: "get user"}, `"get user" is not a valid tool name`, nil, true},
		{"long name", greetingFS(t), Tool{Name: strings.Repeat("a", 65)}, `1 to 64 characters`, nil, true},
		{"unknown arg type", greetingFS(t), Tool{Name: "x", Args: []Arg{{Name: "n", Type: "float"}}}, `unknown argument type "float"`, nil, true},
		{"two-line description", greetingFS(t), Tool{Name: "x", Description: "a\nb"}, `the description must be one line`, nil, true},
		{"read-only and destructive", greetingFS(t), Tool{Name: "x", ReadOnly: true, Destructive: true}, `cannot be both read-only and destructive`, nil, true},
		{"not a project", with(func(f fstest.MapFS) { delete(f, ManifestFile) }), weatherTool(), "no mcpgen.yaml", ErrNotProject, false},
		{"broken manifest", with(func(f fstest.MapFS) { f[ManifestFile] = &fstest.MapFile{Data: []byte("name: x\ntools: 3\n")} }), weatherTool(), "parse mcpgen.yaml", nil, false},
		{"invalid manifest", with(func(f fstest.MapFS) {
			f[ManifestFile] = &fstest.MapFile{Data: bytes.Replace(f[ManifestFile].Data, []byte("port: 3002"), []byte("port: 0"), 1)}
		}), weatherTool(), "mcpgen.yaml does not describe a valid project (was it edited by hand?): port: 0 is not a valid port", nil, false},
		{"edited registry", with(func(f fstest.MapFS) {
			f[RegistryFile] = &fstest.MapFile{Data: bytes.Replace(registry, []byte(`{"usr:read"}`), []byte(`{}`), 1)}
		}), weatherTool(), "internal/tools/registry.go was edited by hand", ErrEdited, false},
		{"registry without checksum", with(func(f fstest.MapFS) {
			f[RegistryFile] = &fstest.MapFile{Data: []byte("package tools\n")}
		}), weatherTool(), "restore the generated file", ErrEdited, false},
		{"manifest lost a tool", func() fstest.MapFS {
			f := withWeather()
			f[ManifestFile] = greetingFS(t)[ManifestFile]
			return f
		}(), Tool{Name: "x"}, "mcpgen.yaml and internal/tools/registry.go disagree about the tools and their scopes (mcpgen.yaml says greet_user [usr:read]; baseline [usr:read], internal/tools/registry.go says greet_user [usr:read], weather [weather:read]; baseline [usr:read weather:read]): was mcpgen.yaml edited by hand?", nil, false},
		{"manifest scopes edited", with(func(f fstest.MapFS) {
			f[ManifestFile] = &fstest.MapFile{Data: bytes.Replace(f[ManifestFile].Data, []byte("- usr:read"), []byte("- usr:admin"), 1)}
		}), weatherTool(), "(mcpgen.yaml says greet_user [usr:admin]; baseline [usr:admin usr:read], internal/tools/registry.go says greet_user [usr:read]; baseline [usr:read])", nil, false},
		{"missing registry", with(func(f fstest.MapFS) { delete(f, RegistryFile) }), weatherTool(), "internal/tools/registry.go is missing", nil, false},
		{"user's file in the way", with(func(f fstest.MapFS) {
			f["internal/tools/weather_test.go"] = &fstest.MapFile{Data: []byte("package tools\n")}
		}), weatherTool(), "internal/tools/weather_test.go already exists and mcpgen never overwrites your files", nil, false},
		{"user's declaration in the way", with(func(f fstest.MapFS) {
			f["internal/tools/mine.go"] = &fstest.MapFile{Data: []byte("package tools\n\ntype WeatherArgs struct{}\n")}
		}), weatherTool(), "declares WeatherArgs, which internal/tools/mine.go already declares", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := AddTool(tt.fsys, tt.tool)
			if err == nil {
				t.Fatalf("AddTool succeeded with changes to %d files", len(a.Changes))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant it to contain %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.is)
			}
			var se *SpecError
			if errors.As(err, &se) != tt.spec {
				t.Errorf("err is a *SpecError: %v, want %v (%v)", !tt.spec, tt.spec, err)
			}
		})
	}
}

// TestAddToolKeepsTheUsersReadme: only the table between the markers changes; the rest of
// a README the user rewrote stays byte for byte, line endings included.
func TestAddToolKeepsTheUsersReadme(t *testing.T) {
	fsys := greetingFS(t)
	readme := string(fsys[ReadmeFile].Data)
	i := strings.Index(readme, toolsMarkerStart)
	j := strings.Index(readme, toolsMarkerEnd)
	region := readme[i:j]
	mine := "# My server\r\n\r\nWritten by me.\r\n\r\n" + strings.ReplaceAll(region, "\n", "\r\n") + toolsMarkerEnd + "\r\n\r\nMore of mine.\r\n"
	fsys[ReadmeFile] = &fstest.MapFile{Data: []byte(mine)}

	a, err := AddTool(fsys, weatherTool())
	if err != nil {
		t.Fatal(err)
	}
	got := string(fileOf(t, a.Changes, ReadmeFile))
	greet := "| `greet_user` | `usr:read` | Greets a user by name. |\r\n"
	want := strings.Replace(mine, greet, greet+"| `weather` | `weather:read` | Current weather for a city. |\r\n", 1)
	want = strings.Replace(want, toolsMarkerEnd, "| `weather:read` | at first connection (baseline) | — | — |\r\n"+toolsMarkerEnd, 1)
	if got != want {
		t.Errorf("README =\n%q\nwant\n%q", got, want)
	}
}

func TestAddToolWithoutReadmeMarkers(t *testing.T) {
	for name, readme := range map[string]string{
		"no markers":      "# My server\n",
		"no end marker":   "<!-- mcpgen:tools -->\n| Tool |\n",
		"markers swapped": "<!-- /mcpgen:tools -->\n<!-- mcpgen:tools -->\n",
		"two tables":      "<!-- mcpgen:tools -->\n<!-- /mcpgen:tools -->\n<!-- mcpgen:tools -->\n<!-- /mcpgen:tools -->\n",
	} {
		t.Run(name, func(t *testing.T) {
			fsys := greetingFS(t)
			fsys[ReadmeFile] = &fstest.MapFile{Data: []byte(readme)}
			a, err := AddTool(fsys, weatherTool())
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range a.Changes {
				if c.Path == ReadmeFile {
					t.Errorf("README changed to %q", c.Data)
				}
			}
			if len(a.Notes) != 1 || !strings.Contains(a.Notes[0], "left alone; add the row yourself: | `weather` | `weather:read` | Current weather for a city. |") {
				t.Errorf("Notes = %q, want one saying README was left alone, with the row", a.Notes)
			}
		})
	}
	fsys := greetingFS(t)
	delete(fsys, ReadmeFile)
	a, err := AddTool(fsys, weatherTool())
	if err != nil || len(a.Notes) != 1 || !strings.Contains(a.Notes[0], "README.md not found") {
		t.Errorf("without README: notes %q, err %v", a.Notes, err)
	}
}

// TestAddToolAcceptsCRLFRegistry: a registry whose line endings git converted (autocrlf
// on Windows) was not edited by hand.
func TestAddToolAcceptsCRLFRegistry(t *testing.T) {
	fsys := greetingFS(t)
	fsys[RegistryFile].Data = bytes.ReplaceAll(fsys[RegistryFile].Data, []byte("\n"), []byte("\r\n"))
	if _, err := AddTool(fsys, weatherTool()); err != nil {
		t.Fatalf("AddTool: %v", err)
	}
}

func TestAddToolKeepsFileModes(t *testing.T) {
	fsys := greetingFS(t)
	fsys[ManifestFile].Mode = 0o600
	a, err := AddTool(fsys, weatherTool())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range a.Changes {
		if c.Path == ManifestFile && c.Mode != 0o600 {
			t.Errorf("mcpgen.yaml mode = %v, want the user's 0600", c.Mode)
		}
	}
}

// TestAddToolNewScopes: only scopes the server did not know are new.
func TestAddToolNewScopes(t *testing.T) {
	tl := Tool{Name: "profile", Scopes: []string{"usr:read", "profile:read", "profile:read"}}
	a, err := AddTool(greetingFS(t), tl)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.NewScopes, []string{"profile:read"}) {
		t.Errorf("NewScopes = %v, want [profile:read]", a.NewScopes)
	}
}

func TestUpdate(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "a.txt"), "old a")
	mustWrite(t, filepath.Join(dir, "b.txt"), "old b")
	good := []Change{
		{File: File{Path: "a.txt", Data: []byte("new a")}, Old: []byte("old a")},
		{File: File{Path: "sub/c.txt", Data: []byte("c")}, Create: true},
	}
	for name, changes := range map[string][]Change{
		"create over a file": append(slices.Clone(good), Change{File: File{Path: "b.txt"}, Create: true}),
		"stale content":      append(slices.Clone(good), Change{File: File{Path: "b.txt"}, Old: []byte("other")}),
		"missing file":       append(slices.Clone(good), Change{File: File{Path: "d.txt"}, Old: []byte("d")}),
		"escaping path":      append(slices.Clone(good), Change{File: File{Path: "../x"}, Create: true}),
	} {
		if err := Update(dir, changes); err == nil {
			t.Errorf("%s: Update succeeded", name)
		}
		if tree := readTree(t, dir); len(tree) != 2 || string(tree["a.txt"]) != "old a" {
			t.Errorf("%s: the directory changed: %q", name, tree)
		}
	}
	if err := Update(filepath.Join(dir, "missing"), good); err == nil {
		t.Error("Update of a missing directory succeeded")
	}
	if err := Update(dir, good); err != nil {
		t.Fatalf("Update: %v", err)
	}
	tree := readTree(t, dir)
	if string(tree["a.txt"]) != "new a" || string(tree["sub/c.txt"]) != "c" || string(tree["b.txt"]) != "old b" || len(tree) != 3 {
		t.Errorf("after Update: %q", tree)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 { // a.txt b.txt sub: no temp files
		t.Errorf("left behind: %v", entries)
	}
}

// TestUpdateRollsBack: when a rename fails after others succeeded (here a directory
// appears where the last file goes, which no check beforehand can rule out), the files
// already replaced get their old content back and new ones and temporary files go.
func TestUpdateRollsBack(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "a.txt"), "old a")
	p, err := planUpdate(dir, []Change{
		{File: File{Path: "a.txt", Data: []byte("new a")}, Old: []byte("old a")},
		{File: File{Path: "b.txt", Data: []byte("b")}, Create: true},
		{File: File{Path: "z.txt", Data: []byte("z")}, Create: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, "z.txt", "in-the-way"), "x")
	if err := p.execute(); err == nil {
		t.Fatal("execute succeeded, want the rename onto a directory to fail")
	}
	tree := readTree(t, dir)
	if len(tree) != 2 || string(tree["a.txt"]) != "old a" || string(tree["z.txt/in-the-way"]) != "x" {
		t.Errorf("after the failed update the tree is %q, want a.txt restored and nothing else", tree)
	}
}

func fileOf(t *testing.T, changes []Change, p string) []byte {
	t.Helper()
	for _, c := range changes {
		if c.Path == p {
			return c.Data
		}
	}
	t.Fatalf("no change to %s", p)
	return nil
}

// BenchmarkAddTool measures computing an addition (parse the manifest, verify the
// registry, render, check the package's declarations), without writing.
func BenchmarkAddTool(b *testing.B) {
	files, err := Render(greetingSpec())
	if err != nil {
		b.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, f := range files {
		fsys[f.Path] = &fstest.MapFile{Data: f.Data, Mode: f.Mode}
	}
	for b.Loop() {
		if _, err := AddTool(fsys, weatherTool()); err != nil {
			b.Fatal(err)
		}
	}
}

// TestParseArg: the --arg syntax, description colons and quotes included.
func TestParseArg(t *testing.T) {
	tests := []struct {
		in   string
		want Arg
		err  string
	}{
		{"city:string", Arg{Name: "city", Type: "string"}, ""},
		{`city:string:required:"City name"`, Arg{Name: "city", Type: "string", Required: true, Description: "City name"}, ""},
		{"at:string:optional:time: HH:MM", Arg{Name: "at", Type: "string", Description: "time: HH:MM"}, ""},
		{"n:[]integer:the \"n\"", Arg{Name: "n", Type: "[]integer", Description: `the "n"`}, ""},
		{"city", Arg{}, "no type"},
		{"city:", Arg{}, "no type"},
		{"City:string", Arg{}, `argument "City" is not a valid name`},
		{"city:str", Arg{}, `unknown argument type "str"`},
	}
	for _, tt := range tests {
		got, err := ParseArg(tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseArg(%q) error = %v, want %q", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("ParseArg(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

// TestFindProject: the nearest directory upwards with an mcpgen.yaml.
func TestFindProject(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if d, ok := FindProject(deep); ok {
		t.Errorf("FindProject found %s without a manifest", d)
	}
	if err := os.WriteFile(filepath.Join(root, "a", ManifestFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if d, ok := FindProject(deep); !ok || d != filepath.Join(root, "a") {
		t.Errorf("FindProject(%s) = %s, %v; want %s", deep, d, ok, filepath.Join(root, "a"))
	}
}

// TestAddScopesAndToolsGiveTheFilesGolden: declaring a hierarchy scope by scope and
// adding the tools that need it gives the files-server golden project, file for file.
func TestAddScopesAndToolsGiveTheFilesGolden(t *testing.T) {
	full := filesSpec()
	start := full
	start.Scopes = full.Scopes[:1]
	start.Tools = full.Tools[:1]
	files, err := Render(start)
	if err != nil {
		t.Fatal(err)
	}
	fsys := projectFS(t, WithBase(files))
	for _, d := range full.Scopes[1:] {
		a, err := AddScope(fsys, d)
		if err != nil {
			t.Fatalf("AddScope(%s): %v", d.Name, err)
		}
		fsys = projectFS(t, applied(t, fsys, a.Changes))
	}
	for _, tl := range full.Tools[1:] {
		a, err := AddTool(fsys, tl)
		if err != nil {
			t.Fatalf("AddTool(%s): %v", tl.Name, err)
		}
		fsys = projectFS(t, applied(t, fsys, a.Changes))
	}
	checkGolden(t, goldenFilesDir, applied(t, fsys, nil))
}

func TestAddScope(t *testing.T) {
	fsys := greetingFS(t)
	a, err := AddScope(fsys, Scope{Name: "usr:admin", Description: "Everything about users", Implies: []string{"usr:read"}})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, c := range a.Changes {
		paths = append(paths, c.Path)
	}
	if want := []string{"README.md", "internal/tools/registry.go", "mcpgen.yaml"}; !slices.Equal(paths, want) {
		t.Errorf("changed %v, want %v", paths, want)
	}
	p := a.Spec.Policy()
	if !slices.Equal(p.Implies["usr:admin"], []string{"usr:read"}) || !slices.Equal(p.Advertised(), []string{"usr:read"}) {
		t.Errorf("policy = %+v: want usr:admin implying usr:read, only usr:read advertised", p)
	}
	readme := string(fileOf(t, a.Changes, ReadmeFile))
	if !strings.Contains(readme, "| `usr:admin` | when a tool needs it (step-up) | `usr:read` | Everything about users |") {
		t.Errorf("README lacks the scope row:\n%s", readme)
	}
	if len(a.Notes) != 0 {
		t.Errorf("notes %v, want none", a.Notes)
	}

	// A step-up scope that implies nothing and no tool needs is not in the policy: only
	// the manifest and README change.
	a, err = AddScope(fsys, Scope{Name: "reports:read"})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Changes) != 2 || a.Changes[0].Path != ReadmeFile || a.Changes[1].Path != ManifestFile {
		t.Errorf("changes %v, want README.md and mcpgen.yaml", a.Changes)
	}
}

// TestAddScopeRefuses: every refusal names the problem, and nothing is planned.
func TestAddScopeRefuses(t *testing.T) {
	cyclic := greetingFS(t)
	cyclic[ManifestFile] = &fstest.MapFile{Data: bytes.Replace(cyclic[ManifestFile].Data, []byte("  - name: usr:read\n"),
		[]byte("  - name: a\n    implies: [b]\n  - name: b\n    implies: [a]\n  - name: usr:read\n"), 1)}
	for _, tt := range []struct {
		name  string
		fsys  fstest.MapFS
		scope Scope
		want  string
		spec  bool
	}{
		{"existing", greetingFS(t), Scope{Name: "usr:read"}, "scope usr:read already exists", true},
		{"offline_access", greetingFS(t), Scope{Name: "offline_access"}, "offline_access", true},
		{"empty", greetingFS(t), Scope{Name: ""}, "a scope must not be empty", true},
		{"self", greetingFS(t), Scope{Name: "a", Implies: []string{"a"}}, "scope a implies a: a scope cannot imply itself", true},
		{"unknown implied", greetingFS(t), Scope{Name: "a", Implies: []string{"usr:reed"}}, "scope a implies usr:reed, which the project does not declare: declare it first (mcpgen add scope usr:reed)", true},
		{"implies offline_access", greetingFS(t), Scope{Name: "a", Implies: []string{"offline_access"}}, "offline_access", true},
		{"two-line description", greetingFS(t), Scope{Name: "a", Description: "x\ny"}, "one line", true},
		{"cycle in the manifest", cyclic, Scope{Name: "c"}, "scope a implies b implies a: a scope cannot imply itself", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, err := AddScope(tt.fsys, tt.scope)
			if err == nil {
				t.Fatalf("AddScope succeeded with %d changes", len(a.Changes))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant it to contain %q", err, tt.want)
			}
			if _, ok := errors.AsType[*SpecError](err); ok != tt.spec {
				t.Errorf("err is a *SpecError: %v, want %v (%v)", ok, tt.spec, err)
			}
		})
	}
}

// TestAddToolWithoutScopeRequiresBaseline: a tool given no scope requires the baseline
// scopes, recorded as its own; a public one needs none; contradictions are refused.
func TestAddToolWithoutScopeRequiresBaseline(t *testing.T) {
	a, err := AddTool(greetingFS(t), Tool{Name: "ping"})
	if err != nil {
		t.Fatal(err)
	}
	if !a.BaselineDefault || !slices.Equal(a.Tool.Scopes, []string{"usr:read"}) {
		t.Errorf("tool %+v (BaselineDefault %v), want it to require usr:read", a.Tool, a.BaselineDefault)
	}
	a, err = AddTool(greetingFS(t), Tool{Name: "status", Public: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.BaselineDefault || len(a.Tool.Scopes) != 0 || !slices.Equal(a.Spec.Policy().Public, []string{"status"}) {
		t.Errorf("public tool %+v, policy %+v", a.Tool, a.Spec.Policy())
	}
	for _, tl := range []Tool{
		{Name: "x", Public: true, Scopes: []string{"usr:read"}},
		{Name: "x", Public: true, RequireClaims: []ClaimRule{{Claim: "org", Values: []string{"a"}}}},
		{Name: "x", RequireClaims: []ClaimRule{{Claim: "org"}}},
		{Name: "x", RequireClaims: []ClaimRule{{Claim: "has space", Values: []string{"a"}}}},
	} {
		if _, err := AddTool(greetingFS(t), tl); err == nil {
			t.Errorf("AddTool(%+v) succeeded", tl)
		}
	}
}

// TestAddToLegacyProject: a project generated before mcpgen.yaml had scopes (a Scopes
// registry, a main.go without tools.Policy) takes a tool: its scopes become baseline
// (what they were), the registry gets Policy and keeps the old names, and the output
// says main.go still ignores the policy.
func TestAddToLegacyProject(t *testing.T) {
	fsys := greetingFS(t)
	fsys[ManifestFile] = &fstest.MapFile{Data: bytes.Replace(fsys[ManifestFile].Data, []byte("scopes:\n  - name: usr:read\n    baseline: true\n"), nil, 1)}
	if bytes.Contains(fsys[ManifestFile].Data, []byte("baseline")) {
		t.Fatal("the manifest still declares scopes")
	}
	old := "// Code generated by mcpgen. DO NOT EDIT.\n// mcpgen:checksum pending\n\npackage tools\n\n" +
		"var Scopes = map[string][]string{\n\t\"greet_user\": {\"usr:read\"},\n}\n\nvar ScopesSupported = []string{\"usr:read\"}\n"
	fsys[RegistryFile] = &fstest.MapFile{Data: sealChecksum([]byte(old))}
	fsys[mainFile] = &fstest.MapFile{Data: []byte("package main\n\n// Scopes: auth.ScopePolicy{Tools: tools.Scopes}\n")}

	a, err := AddTool(fsys, weatherTool())
	if err != nil {
		t.Fatal(err)
	}
	registry := string(fileOf(t, a.Changes, RegistryFile))
	for _, want := range []string{"var Policy = auth.ScopePolicy{", `Baseline: []string{"usr:read", "weather:read"}`, "Scopes          = Policy.Tools"} {
		if !strings.Contains(registry, want) {
			t.Errorf("registry lacks %q:\n%s", want, registry)
		}
	}
	if len(a.Notes) != 1 || !strings.Contains(a.Notes[0], "main.go does not use tools.Policy") {
		t.Errorf("notes = %q, want one about main.go", a.Notes)
	}
	// A legacy manifest's plain scope names are baseline scopes.
	m, err := ParseManifest([]byte("name: x\nscopes: [profile]\ntools: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := m.Spec(RuntimeRef{}).Scope("profile"); !ok || !d.Baseline {
		t.Errorf("scope profile = %+v, %v; want a baseline scope", d, ok)
	}
	if _, err := ParseManifest([]byte("name: x\nscopes:\n  - name: a\n    baseline: yes\n    implys: [b]\ntools: []\n")); err == nil || !strings.Contains(err.Error(), "field implys not found") {
		t.Errorf("a misspelt scope key: %v", err)
	}
}
