package generator

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"

	"github.com/mcpgen/mcpgen/internal/merge"
)

// Outcome is what an upgrade does to one file.
type Outcome string

// The outcomes of an upgrade, as its report names them.
const (
	Replaced Outcome = "replaced" // unchanged by the user: the new version replaces it
	Merged   Outcome = "merged"   // the user's edits carried onto the new version
	Conflict Outcome = "conflict" // merged, with regions both changed between markers
	Added    Outcome = "added"    // new in this version of mcpgen
	Kept     Outcome = "kept"     // left as it is (Note says why)
)

// FileOutcome is one line of an upgrade's report.
type FileOutcome struct {
	Path    string
	Outcome Outcome
	Note    string
}

// Upgrade is everything `mcpgen upgrade` changes in a project, computed before anything
// is written: apply it with Update(dir, u.Changes).
type Upgrade struct {
	From, To  string        // the mcpgen versions of the project and of this mcpgen
	Files     []FileOutcome // every file mcpgen renders or recorded, by path
	Changes   []Change      // the files to write, and the new record
	Conflicts []string      // files written with conflict markers, by path
}

// PlanUpgrade computes the upgrade of the project in fsys to this mcpgen, whose
// runtime is rt: it renders the project again from mcpgen.yaml with the current
// templates and, file by file, replaces what the user did not change, merges three ways
// (base: the pristine copy in BaseDir) what the user did, adds what is new, and never
// touches the user's own files. go.mod keeps the user's requirements and replaces and
// gets mcpgen's raised (the runtime's set to rt); go.sum gets the new lines. The
// record moves to the new render. It reads, never writes.
//
// It refuses what add refuses (ErrNotProject, an invalid manifest, a registry edited by
// hand or disagreeing with the manifest), and go.mod or go.sum it cannot parse.
func PlanUpgrade(fsys fs.FS, rt RuntimeRef) (*Upgrade, error) {
	spec, read, err := openProject(fsys)
	if err != nil {
		return nil, err
	}
	m, err := ParseManifest(read[ManifestFile])
	if err != nil {
		return nil, err
	}
	rec := recordFrom(m)
	spec.Runtime = rt
	files, err := Render(spec)
	if err != nil {
		return nil, fmt.Errorf("render the project with this mcpgen: %w", err)
	}
	u := &Upgrade{From: m.MCPGen, To: rt.Version}
	labels := merge.Labels{Yours: "yours", Theirs: "mcpgen " + DisplayVersion(rt.Version)}
	rendered := map[string]bool{}
	for _, f := range files {
		rendered[f.Path] = true
		if err := u.file(fsys, rec, f, labels); err != nil {
			return nil, err
		}
	}
	for _, p := range slices.Sorted(maps.Keys(rec.SHA256)) {
		if !rendered[p] {
			u.Files = append(u.Files, FileOutcome{p, Kept, "no longer generated: yours now"})
			u.Changes = append(u.Changes, Change{File: File{Path: p}, RecordOnly: true})
		}
	}
	slices.SortFunc(u.Files, func(a, b FileOutcome) int { return strings.Compare(a.Path, b.Path) })
	slices.SortFunc(u.Changes, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	return u, nil
}

// DisplayVersion is an mcpgen version for people: a development build's placeholder
// version is "(devel)".
func DisplayVersion(v string) string {
	if v == DevelVersion || v == "" {
		return "(devel)"
	}
	return v
}

// file plans the upgrade of one rendered file.
func (u *Upgrade) file(fsys fs.FS, rec Record, f File, labels merge.Labels) error {
	disk, err := fs.ReadFile(fsys, f.Path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", f.Path, err)
	}
	report := func(o Outcome, note string) { u.Files = append(u.Files, FileOutcome{f.Path, o, note}) }
	owner := Owner(f.Path)
	switch {
	case owner == UserOwned:
		report(Kept, "yours")
		return nil
	case owner == ManifestOwned:
		// Regenerated from itself: the version and the record are new, the rest the same.
		if !bytes.Equal(disk, f.Data) {
			report(Replaced, "")
		} else {
			report(Kept, "already current")
		}
		u.Changes = append(u.Changes, replace(fsys, f, disk))
		return nil
	case !exists:
		if _, was := rec.SHA256[f.Path]; was {
			// The user deleted it: that is an edit too, and it stands.
			report(Kept, "deleted by you; not restored")
			u.Changes = append(u.Changes, Change{File: File{Path: f.Path}, Base: f.Data, RecordOnly: true})
			return nil
		}
		report(Added, "")
		u.Changes = append(u.Changes, Change{File: f, Create: true, Base: f.Data})
		return nil
	case bytes.Equal(disk, f.Data):
		report(Kept, "already current")
		u.Changes = append(u.Changes, Change{File: File{Path: f.Path}, Base: f.Data, RecordOnly: true})
		return nil
	}
	base, hasBase := rec.Base(fsys, f.Path)
	var data []byte
	var outcome Outcome
	note := ""
	switch {
	case hasBase && bytes.Equal(disk, base), owner == Generated: // openProject checked its seal
		data, outcome = f.Data, Replaced
	case owner == ModuleFile:
		data, err = mergeModuleFile(f.Path, disk, base, f.Data)
		if err != nil {
			return err
		}
		outcome, note = Merged, "your requirements kept, mcpgen's raised"
		if f.Path == "go.sum" {
			note = "your lines kept, mcpgen's added"
		}
	default:
		if !hasBase {
			note = "no pristine copy in " + BaseDir + " to merge from: the whole file is in conflict"
		}
		r := merge.Merge(base, disk, f.Data, labels)
		data, outcome = r.Data, Merged
		if r.Conflicts > 0 {
			outcome = Conflict
			u.Conflicts = append(u.Conflicts, f.Path)
			if note == "" {
				note = fmt.Sprintf("%d region(s) between <<<<<<< and >>>>>>> markers", r.Conflicts)
			}
		}
	}
	if bytes.Equal(data, disk) {
		report(Kept, "your edits; nothing new from mcpgen")
		u.Changes = append(u.Changes, Change{File: File{Path: f.Path}, Base: f.Data, RecordOnly: true})
		return nil
	}
	report(outcome, note)
	c := replace(fsys, File{Path: f.Path, Data: data, Mode: f.Mode}, disk)
	c.Base = f.Data
	u.Changes = append(u.Changes, c)
	return nil
}

// mergeModuleFile merges the user's go.mod or go.sum (disk) with the new render
// (theirs): see mergeGoMod and mergeGoSum.
func mergeModuleFile(p string, disk, base, theirs []byte) ([]byte, error) {
	if p == "go.sum" {
		return mergeGoSum(disk, theirs), nil
	}
	return mergeGoMod(disk, base, theirs)
}

// mergeGoMod keeps the user's go.mod with what mcpgen generates raised: the go
// version and every requirement of the new render at least at its version there, the
// runtime's exactly (it is what this mcpgen generates for), and the runtime's replace
// as the new render has it (dropped when the new render has none and the user's is the
// one mcpgen wrote). The user's own requirements and replaces stay.
func mergeGoMod(disk, base, theirs []byte) ([]byte, error) {
	mine, err := modfile.Parse("go.mod", disk, nil)
	if err != nil {
		return nil, fmt.Errorf("parse go.mod: %w; fix it (or restore it from %s) and run mcpgen upgrade again", err, BasePath("go.mod"))
	}
	next, err := modfile.Parse("go.mod", theirs, nil)
	if err != nil {
		return nil, fmt.Errorf("parse the new go.mod: %w", err)
	}
	if next.Go != nil && (mine.Go == nil || semver.Compare("v"+mine.Go.Version, "v"+next.Go.Version) < 0) {
		if err := mine.AddGoStmt(next.Go.Version); err != nil {
			return nil, fmt.Errorf("go.mod: %w", err)
		}
	}
	have := map[string]string{}
	for _, r := range mine.Require {
		have[r.Mod.Path] = r.Mod.Version
	}
	for _, r := range next.Require {
		v, ok := have[r.Mod.Path]
		switch {
		case !ok:
			mine.AddNewRequire(r.Mod.Path, r.Mod.Version, r.Indirect)
		case r.Mod.Path == RuntimeModule && v != r.Mod.Version, semver.Compare(v, r.Mod.Version) < 0:
			if err := mine.AddRequire(r.Mod.Path, r.Mod.Version); err != nil {
				return nil, fmt.Errorf("go.mod: %w", err)
			}
		}
	}
	newReplace := runtimeReplace(next)
	switch {
	case newReplace != nil:
		if err := mine.AddReplace(RuntimeModule, "", newReplace.New.Path, newReplace.New.Version); err != nil {
			return nil, fmt.Errorf("go.mod: %w", err)
		}
	case base != nil:
		old, err := modfile.Parse("go.mod", base, nil)
		if r, was := runtimeReplace(mine), runtimeReplace(old); err == nil && r != nil && was != nil && r.New == was.New {
			if err := mine.DropReplace(RuntimeModule, ""); err != nil {
				return nil, fmt.Errorf("go.mod: %w", err)
			}
		}
	}
	mine.Cleanup()
	out, err := mine.Format()
	if err != nil {
		return nil, fmt.Errorf("format go.mod: %w", err)
	}
	return out, nil
}

// runtimeReplace is the replace of the mcpgen runtime in f, or nil.
func runtimeReplace(f *modfile.File) *modfile.Replace {
	for _, r := range f.Replace {
		if r.Old.Path == RuntimeModule {
			return r
		}
	}
	return nil
}

// mergeGoSum is every line of the user's go.sum and of the new render's, sorted, once.
func mergeGoSum(disk, theirs []byte) []byte {
	seen := map[string]bool{}
	for line := range strings.Lines(string(disk) + "\n" + string(theirs)) {
		if line = strings.TrimSpace(line); line != "" {
			seen[line] = true
		}
	}
	var out strings.Builder
	for _, line := range slices.Sorted(maps.Keys(seen)) {
		out.WriteString(line + "\n")
	}
	return []byte(out.String())
}
