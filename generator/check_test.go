package generator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkFindings runs Check on dir with the runtime the greeting golden is rendered for.
func checkFindings(t *testing.T, dir string, rt RuntimeRef) (problems, notes []Finding) {
	t.Helper()
	findings, err := Check(os.DirFS(dir), rt)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		if f.Problem {
			problems = append(problems, f)
		} else {
			notes = append(notes, f)
		}
	}
	return problems, notes
}

// freshProject writes the greeting server as mcpgen new does and returns its directory.
func freshProject(t *testing.T) string {
	t.Helper()
	files, err := Render(greetingSpec())
	if err != nil {
		t.Fatal(err)
	}
	return writeProject(t, files)
}

// TestCheck: a fresh project passes; each way a project can go wrong is one problem,
// about the right file, with a fix; the user's edits of shared files are notes.
func TestCheck(t *testing.T) {
	rt := greetingSpec().Runtime
	if problems, notes := checkFindings(t, freshProject(t), rt); len(problems)+len(notes) > 0 {
		t.Fatalf("a fresh project: problems %v, notes %v", problems, notes)
	}
	edit := func(dir, p, old, new string) {
		t.Helper()
		data := string(readFile(t, filepath.Join(dir, p)))
		if !strings.Contains(data, old) {
			t.Fatalf("%s has no %q", p, old)
		}
		mustWrite(t, filepath.Join(dir, p), strings.Replace(data, old, new, 1))
	}
	for _, tc := range []struct {
		name    string
		break_  func(dir string)
		rt      RuntimeRef
		file    string // the problem's file
		message string // in its message
		fix     string // in its fix
	}{
		{"registry edited by hand", func(dir string) {
			edit(dir, RegistryFile, "func Register(", "// mine\nfunc Register(")
		}, rt, RegistryFile, "edited by hand", "git checkout " + RegistryFile},
		{"registry missing", func(dir string) {
			_ = os.Remove(filepath.Join(dir, RegistryFile))
		}, rt, RegistryFile, "missing", "restore it"},
		{"manifest disagrees with the registry", func(dir string) {
			edit(dir, ManifestFile, "    scopes:\n      - usr:read", "    scopes:\n      - usr:write")
		}, rt, RegistryFile, "disagrees with mcpgen.yaml", "mcpgen add"},
		{"manifest invalid", func(dir string) {
			edit(dir, ManifestFile, "port: 3002", "port: -1")
		}, rt, ManifestFile, "does not describe a valid project", "git checkout mcpgen.yaml"},
		{"main.go does not serve the policy", func(dir string) {
			edit(dir, "main.go", "Scopes: tools.Policy,", "Scopes: auth.ScopePolicy{},")
		}, rt, "main.go", "does not use tools.Policy", "protect.Options.Scopes"},
		{"conflict markers left", func(dir string) {
			edit(dir, "Makefile", "BINARY :=", "<<<<<<< yours\nX\n=======\nY\n>>>>>>> mcpgen v2\nBINARY :=")
		}, rt, "Makefile", "conflict markers", "resolve"},
		{"pristine copy altered", func(dir string) {
			edit(dir, BasePath("Dockerfile"), "FROM", "FROM  ")
		}, rt, "Dockerfile", "pristine copy", "git checkout " + BaseDir},
		{"no record", func(dir string) {
			data, err := setRecord(readFile(t, filepath.Join(dir, ManifestFile)), nil)
			if err != nil {
				t.Fatal(err)
			}
			mustWrite(t, filepath.Join(dir, ManifestFile), string(data))
		}, rt, ManifestFile, "no record", "mcpgen upgrade"},
		{"templates changed", func(dir string) {
			// What an older mcpgen wrote: the Makefile differed, and the record says so.
			base := filepath.Join(dir, BasePath("Makefile"))
			old := strings.Replace(string(readFile(t, base)), "lint:", "vet:", 1)
			mustWrite(t, base, old)
			mustWrite(t, filepath.Join(dir, "Makefile"), old)
			m := mustManifest(t, readFile(t, filepath.Join(dir, ManifestFile)))
			rec := recordFrom(m)
			rec.SHA256["Makefile"] = sha256Hex([]byte(old))
			data, err := setRecord(readFile(t, filepath.Join(dir, ManifestFile)), rec.files())
			if err != nil {
				t.Fatal(err)
			}
			mustWrite(t, filepath.Join(dir, ManifestFile), string(data))
		}, rt, "Makefile", "behind this mcpgen", "mcpgen upgrade"},
		{"older mcpgen", func(dir string) {
			edit(dir, ManifestFile, "mcpgen: "+DevelVersion, "mcpgen: v0.1.0")
		}, RuntimeRef{Version: "v0.2.0"}, ManifestFile, "generated with mcpgen v0.1.0; this is mcpgen v0.2.0", "mcpgen upgrade"},
		{"newer mcpgen", func(dir string) {
			edit(dir, ManifestFile, "mcpgen: "+DevelVersion, "mcpgen: v0.3.0")
		}, RuntimeRef{Version: "v0.2.0"}, ManifestFile, "newer than this mcpgen", "go install github.com/mcpgen/mcpgen/cmd/mcpgen@v0.3.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := freshProject(t)
			tc.break_(dir)
			problems, _ := checkFindings(t, dir, tc.rt)
			found := false
			for _, p := range problems {
				if strings.Contains(p.File, tc.file) && strings.Contains(p.Message, tc.message) && strings.Contains(p.Fix, tc.fix) {
					found = true
				}
			}
			if !found {
				t.Errorf("no problem about %s saying %q with fix %q; problems:\n%v", tc.file, tc.message, tc.fix, problems)
			}
		})
	}
}

// TestCheckNotes: the user's edits of shared files and a declared scope no tool needs
// are notes; the check passes.
func TestCheckNotes(t *testing.T) {
	dir := freshProject(t)
	mustWrite(t, filepath.Join(dir, "main.go"), string(readFile(t, filepath.Join(dir, "main.go")))+"\n// mine\n")
	add, err := AddScope(os.DirFS(dir), Scope{Name: "files:admin"})
	if err != nil {
		t.Fatal(err)
	}
	if err := Update(dir, add.Changes); err != nil {
		t.Fatal(err)
	}
	problems, notes := checkFindings(t, dir, greetingSpec().Runtime)
	if len(problems) > 0 {
		t.Errorf("problems: %v", problems)
	}
	var files []string
	for _, n := range notes {
		files = append(files, n.File+": "+n.Message)
	}
	if got := strings.Join(files, "\n"); !strings.Contains(got, "main.go: edited by you") || !strings.Contains(got, "scope files:admin is declared but nothing needs it") {
		t.Errorf("notes:\n%s", got)
	}
}

// TestCheckUpgradeTestData: the project an older mcpgen generated is behind, and is
// not once upgraded.
func TestCheckUpgradeTestData(t *testing.T) {
	dir := copyProject(t, upgradeDir)
	rt := thisRuntime(t)
	if problems, _ := checkFindings(t, dir, rt); len(problems) != 1 || !strings.Contains(problems[0].Message, "behind this mcpgen") {
		t.Errorf("before the upgrade: %v", problems)
	}
	u, err := PlanUpgrade(os.DirFS(dir), rt)
	if err != nil {
		t.Fatal(err)
	}
	if err := Update(dir, u.Changes); err != nil {
		t.Fatal(err)
	}
	if problems, _ := checkFindings(t, dir, rt); len(problems) > 0 {
		t.Errorf("after the upgrade: %v", problems)
	}
}
