package generator

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/mcpgen/mcpgen/internal/merge"
	"github.com/mcpgen/mcpgen/runtime/auth"
)

// Finding is one result of Check: a Problem fails the check; anything else is a note.
type Finding struct {
	Problem bool
	File    string // the file it is about
	Message string // what is wrong
	Fix     string // what to run or do
}

// Check reports whether the project in fsys is consistent and current for this
// mcpgen, whose runtime is rt, without changing anything. Problems:
//
//   - mcpgen.yaml cannot be read or does not describe a valid project;
//   - internal/tools/registry.go is missing, was edited by hand (its checksum seal), or
//     its policy differs from what mcpgen.yaml says;
//   - the metadata would not advertise what mcpgen.yaml says: main.go does not hand
//     tools.Policy to the runtime;
//   - a file mcpgen shares with the user still has conflict markers from an upgrade,
//     or the record of what mcpgen wrote is missing or its pristine copies altered;
//   - the project is behind this mcpgen: an older version in mcpgen.yaml, or current
//     templates that render a recorded file differently from its pristine copy.
//
// Edits of the files the user shares with mcpgen (main.go, README.md, …) are notes,
// not problems: they are what those files are for, and upgrade merges them. It
// returns an error only when fsys is not a project (ErrNotProject) or cannot be read.
func Check(fsys fs.FS, rt RuntimeRef) ([]Finding, error) {
	var c checker
	data, err := fs.ReadFile(fsys, ManifestFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: no %s here", ErrNotProject, ManifestFile)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ManifestFile, err)
	}
	spec, _, err := readProject(fsys)
	if err != nil {
		c.problem(ManifestFile, err.Error(), "restore it (git checkout "+ManifestFile+") and make changes with mcpgen add")
		return c.findings, nil
	}
	m, err := ParseManifest(data)
	if err != nil {
		return nil, err // readProject parsed it already
	}
	rec := recordFrom(m)
	policy, ok := c.registry(fsys, spec)
	if ok {
		c.metadata(fsys, spec, policy)
	}
	c.shared(fsys, rec)
	c.current(fsys, spec, m, rec, rt)
	return c.findings, nil
}

// checker collects findings.
type checker struct{ findings []Finding }

func (c *checker) problem(file, msg, fix string) {
	c.findings = append(c.findings, Finding{Problem: true, File: file, Message: msg, Fix: fix})
}

func (c *checker) note(file, msg, fix string) {
	c.findings = append(c.findings, Finding{File: file, Message: msg, Fix: fix})
}

// servesPolicy finds main.go handing the registry's policy to the runtime
// (protect.Options{Scopes: tools.Policy}), whatever gofmt's alignment.
var servesPolicy = regexp.MustCompile(`\bScopes:\s*tools\.Policy\b`)

// restoreRegistry says how to get the generated registry back.
const restoreRegistry = "move your code into a tool's own file (or main.go), then restore the generated file: git checkout " + RegistryFile + " (or copy " + BaseDir + "/" + RegistryFile + ")"

// registry checks the registry's seal and that its policy is the manifest's, and
// returns that policy.
func (c *checker) registry(fsys fs.FS, spec Spec) (auth.ScopePolicy, bool) {
	data, err := fs.ReadFile(fsys, RegistryFile)
	if err != nil {
		c.problem(RegistryFile, "missing or unreadable: "+err.Error(), "restore it: git checkout "+RegistryFile+" (or copy "+BasePath(RegistryFile)+")")
		return auth.ScopePolicy{}, false
	}
	if err := VerifyChecksum(data); err != nil && VerifyChecksum(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))) != nil {
		c.problem(RegistryFile, "edited by hand ("+err.Error()+"): mcpgen regenerates it and would lose the edit", restoreRegistry)
		return auth.ScopePolicy{}, false
	}
	registered, legacy, err := registryPolicy(data)
	if err != nil {
		c.problem(RegistryFile, "cannot read its policy: "+err.Error(), restoreRegistry)
		return auth.ScopePolicy{}, false
	}
	if legacy {
		c.problem(RegistryFile, "generated before tools.Policy: scope hierarchies, baseline scopes, claim rules and public tools are not enforced", "run mcpgen upgrade")
		return auth.ScopePolicy{}, false
	}
	if mine, theirs := policyDiff(spec.Policy(), registered); mine != "" {
		c.problem(RegistryFile, fmt.Sprintf("disagrees with %s about who may call what (%s says %s, %s says %s)", ManifestFile, ManifestFile, mine, RegistryFile, theirs),
			"if "+ManifestFile+" was edited by hand, restore it (git checkout "+ManifestFile+") and make the change with mcpgen add tool or mcpgen add scope")
		return auth.ScopePolicy{}, false
	}
	return registered, true
}

// metadata checks that the server advertises what the manifest declares: main.go
// hands tools.Policy to the runtime, which serves its Advertised scopes; a declared
// scope nothing needs is a note.
func (c *checker) metadata(fsys fs.FS, spec Spec, policy auth.ScopePolicy) {
	if main, err := fs.ReadFile(fsys, mainFile); err == nil && !servesPolicy.Match(main) {
		c.problem(mainFile, "does not use tools.Policy, so the metadata and the scope checks do not follow "+ManifestFile,
			"in "+mainFile+", set protect.Options.Scopes to tools.Policy as mcpgen new writes it (mcpgen upgrade offers it)")
	}
	// With the registry's policy the manifest's, every baseline scope is advertised. A
	// declared step-up scope that nothing needs is in no challenge and no metadata: a
	// note, as declaring a scope before the tools that need it is how add scope works.
	all := policy.All()
	for _, sc := range spec.Scopes {
		if !slices.Contains(all, sc.Name) {
			c.note(ManifestFile, fmt.Sprintf("scope %s is declared but nothing needs it, so the metadata and challenges never name it", sc.Name),
				"mcpgen add tool NAME --scope "+sc.Name)
		}
	}
}

// shared checks the files mcpgen shares with the user against the record: conflict
// markers left by an upgrade and a damaged record are problems, edits are notes.
func (c *checker) shared(fsys fs.FS, rec Record) {
	if len(rec.SHA256) == 0 {
		c.problem(ManifestFile, "no record of the files mcpgen wrote (the project predates mcpgen upgrade), so edits cannot be told from mcpgen's versions",
			"run mcpgen upgrade (files you edited come out in conflict the first time: keep what you need of both), then commit "+BaseDir)
		return
	}
	for _, rf := range rec.files() {
		disk, err := fs.ReadFile(fsys, rf.Path)
		if err != nil {
			c.note(rf.Path, "deleted by you (mcpgen upgrade does not restore it)", "")
			continue
		}
		if merge.HasConflictMarkers(disk) && Owner(rf.Path) == CoOwned {
			c.problem(rf.Path, "has conflict markers (<<<<<<< yours … >>>>>>> mcpgen) from an upgrade", "resolve each region, keeping what you need of both, then run go build ./...")
		}
		base, ok := rec.Base(fsys, rf.Path)
		switch {
		case !ok:
			c.problem(rf.Path, "its pristine copy "+BasePath(rf.Path)+" is missing or does not match the record in "+ManifestFile+", so mcpgen upgrade cannot merge your edits",
				"restore it: git checkout "+BaseDir)
		case bytes.Equal(base, disk):
		case Owner(rf.Path) == Generated:
			// Sealed (registry checks it), yet not what mcpgen recorded writing.
			c.problem(rf.Path, "is not the version mcpgen recorded in "+ManifestFile, "run mcpgen upgrade")
		default:
			c.note(rf.Path, "edited by you (mcpgen upgrade merges your edits)", "")
		}
	}
}

// current checks that the project is what this mcpgen generates: the manifest's version
// is not older, and the current templates render each recorded file as recorded (with
// the project's own runtime version and replace, so only the templates count).
func (c *checker) current(fsys fs.FS, spec Spec, m Manifest, rec Record, rt RuntimeRef) {
	switch from, to := m.MCPGen, rt.Version; {
	case newerVersion(to, from):
		c.problem(ManifestFile, fmt.Sprintf("generated with mcpgen %s; this is mcpgen %s", from, to), "run mcpgen upgrade")
	case newerVersion(from, to):
		c.problem(ManifestFile, fmt.Sprintf("generated with mcpgen %s, newer than this mcpgen %s", from, to), "install mcpgen "+from+" (go install "+RuntimeModule+"/cmd/mcpgen@"+from+")")
		return
	}
	spec.Runtime = RuntimeRef{Version: m.MCPGen, ReplaceDir: recordedReplace(fsys, rec)}
	files, err := Render(spec)
	if err != nil {
		c.problem(ManifestFile, "this mcpgen cannot render the project: "+err.Error(), "fix what the message names")
		return
	}
	var behind []string
	for _, f := range files {
		want, ok := rec.SHA256[f.Path]
		if recorded(f.Path) && (!ok || want != sha256Hex(f.Data)) {
			behind = append(behind, f.Path)
		}
	}
	if len(behind) > 0 && len(rec.SHA256) > 0 {
		c.problem(strings.Join(behind, ", "), "behind this mcpgen: its templates generate these files differently", "run mcpgen upgrade (--dry-run shows the changes)")
	}
}

// recordedReplace is the directory go.mod's pristine copy (else go.mod) replaces the
// runtime with, or "".
func recordedReplace(fsys fs.FS, rec Record) string {
	data, ok := rec.Base(fsys, "go.mod")
	if !ok {
		var err error
		if data, err = fs.ReadFile(fsys, "go.mod"); err != nil {
			return ""
		}
	}
	f, err := modfile.Parse("go.mod", data, nil)
	if err != nil {
		return ""
	}
	if r := runtimeReplace(f); r != nil && r.New.Version == "" {
		return r.New.Path
	}
	return ""
}
