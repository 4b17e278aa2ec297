package generator

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// BaseDir holds, in a generated project, a pristine copy of every file mcpgen records:
// the bytes it last wrote at BaseDir/<path>, before any edit of the user's. They are
// the base of the three-way merge of `mcpgen upgrade` (base = these, yours = the file,
// theirs = the new render).
//
// They live in the project, checked in with it, because nothing else can give them
// back: the mcpgen that wrote them is usually gone, and the project's version control
// may be missing, squashed or shared with other code. The manifest records their sha256
// and not the bytes so mcpgen.yaml stays readable. .mcpgen/ is already in the generated
// .dockerignore (it also holds the secrets of `mcpgen dev`, in .mcpgen/dev/, which has
// its own .gitignore), and the go command ignores directories starting with a dot, so
// the copies never reach an image or a build. A copy of .gitignore there applies only
// to paths under it, and the generated one ignores none of the copies.
const BaseDir = ".mcpgen/base"

// RecordedFile is one entry of the record in mcpgen.yaml: a file mcpgen wrote and the
// sha256 (hex) of the bytes it wrote, kept at BaseDir/Path.
type RecordedFile struct {
	Path   string `yaml:"path"`
	SHA256 string `yaml:"sha256"`
}

// BasePath is where the pristine copy of the project file p is kept.
func BasePath(p string) string { return BaseDir + "/" + p }

func sha256Hex(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// recordOf is the record of a rendered project: every recorded file, sorted by path.
func recordOf(files []File) []RecordedFile {
	var rec []RecordedFile
	for _, f := range files {
		if recorded(f.Path) {
			rec = append(rec, RecordedFile{Path: f.Path, SHA256: sha256Hex(f.Data)})
		}
	}
	slices.SortFunc(rec, func(a, b RecordedFile) int { return strings.Compare(a.Path, b.Path) })
	return rec
}

// WithBase returns files (a rendered project, as Render returns it) followed by the
// pristine copies of the recorded ones under BaseDir: what `mcpgen new` writes.
func WithBase(files []File) []File {
	out := slices.Clip(files)
	for _, f := range files {
		if recorded(f.Path) {
			out = append(out, File{Path: BasePath(f.Path), Data: f.Data, Mode: 0o644})
		}
	}
	return out
}

// Record is what a project's mcpgen.yaml and BaseDir say mcpgen wrote.
type Record struct {
	// SHA256 is the recorded checksum of each file, by path.
	SHA256 map[string]string
}

// ReadRecord reads the record of the project in fsys from its mcpgen.yaml. A project
// generated before mcpgen kept records has an empty one.
func ReadRecord(fsys fs.FS) (Record, error) {
	data, err := fs.ReadFile(fsys, ManifestFile)
	if errors.Is(err, fs.ErrNotExist) {
		return Record{}, fmt.Errorf("%w: no %s here", ErrNotProject, ManifestFile)
	}
	if err != nil {
		return Record{}, fmt.Errorf("read %s: %w", ManifestFile, err)
	}
	m, err := ParseManifest(data)
	if err != nil {
		return Record{}, err
	}
	return recordFrom(m), nil
}

func recordFrom(m Manifest) Record {
	r := Record{SHA256: map[string]string{}}
	for _, f := range m.Generated {
		r.SHA256[f.Path] = f.SHA256
	}
	return r
}

// Base returns the pristine copy of the project file p, and whether there is one that
// matches the record: a missing or altered copy is no base to merge from.
func (r Record) Base(fsys fs.FS, p string) ([]byte, bool) {
	want, ok := r.SHA256[p]
	if !ok {
		return nil, false
	}
	data, err := fs.ReadFile(fsys, BasePath(p))
	if err != nil || sha256Hex(data) != want {
		return nil, false
	}
	return data, true
}

// files is the record as mcpgen.yaml lists it, sorted by path.
func (r Record) files() []RecordedFile {
	var out []RecordedFile
	for _, p := range slices.Sorted(maps.Keys(r.SHA256)) {
		out = append(out, RecordedFile{Path: p, SHA256: r.SHA256[p]})
	}
	return out
}

// setRecord replaces the record at the end of the manifest data (from its top-level
// "generated:" key on, which Marshal writes last) with rec, leaving every other byte
// as it is.
func setRecord(data []byte, rec []RecordedFile) ([]byte, error) {
	if i := bytes.Index(data, []byte("\ngenerated:")); i >= 0 {
		data = data[:i+1]
	}
	data = slices.Clip(data)
	if len(rec) == 0 {
		return data, nil
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(struct {
		Generated []RecordedFile `yaml:"generated"`
	}{rec}); err != nil {
		return nil, fmt.Errorf("encode %s: %w", ManifestFile, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode %s: %w", ManifestFile, err)
	}
	return append(data, buf.Bytes()...), nil
}

// recordChanges keeps the record of the project in fsys current with changes, the one
// way every command that changes a project (add, upgrade) records what it wrote: for
// each recorded file among changes, the bytes mcpgen owns of it (Change.Base, or Data
// for a Generated file) become its pristine copy in BaseDir and their checksum its entry
// in mcpgen.yaml. It returns changes (without the RecordOnly ones) plus the copies, with
// the manifest's record rewritten. A directory without mcpgen.yaml keeps no record.
func recordChanges(fsys fs.FS, changes []Change) ([]Change, error) {
	disk, err := fs.ReadFile(fsys, ManifestFile)
	if errors.Is(err, fs.ErrNotExist) {
		return changes, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ManifestFile, err)
	}
	old, err := ParseManifest(disk)
	if err != nil {
		return nil, err
	}
	rec := recordFrom(old)
	var out, copies []Change
	manifest := -1
	for _, c := range changes {
		if !c.RecordOnly {
			if c.Path == ManifestFile {
				manifest = len(out)
			}
			out = append(out, c)
		}
		base := c.Base
		switch {
		case !recorded(c.Path):
			continue
		case c.RecordOnly && base == nil:
			delete(rec.SHA256, c.Path) // no longer generated
			continue
		case base == nil && Owner(c.Path) == Generated:
			base = c.Data
		case base == nil:
			continue // mcpgen changed part of the user's file, with no base to change alike
		}
		rec.SHA256[c.Path] = sha256Hex(base)
		copyChange, err := fileChange(fsys, File{Path: BasePath(c.Path), Data: base, Mode: 0o644})
		if err != nil {
			return nil, err
		}
		if copyChange != nil {
			copies = append(copies, *copyChange)
		}
	}
	if manifest < 0 {
		out = append(out, Change{File: File{Path: ManifestFile, Data: disk}, Old: disk})
		manifest = len(out) - 1
	}
	m := &out[manifest]
	if m.Data, err = setRecord(m.Data, rec.files()); err != nil {
		return nil, err
	}
	if bytes.Equal(m.Data, disk) && !m.Create {
		out = slices.Delete(out, manifest, manifest+1)
	}
	return append(out, copies...), nil
}

// fileChange is the change that makes the file at f.Path hold f.Data: nil when it
// already does, a creation when it does not exist.
func fileChange(fsys fs.FS, f File) (*Change, error) {
	old, err := fs.ReadFile(fsys, f.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &Change{File: f, Create: true}, nil
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", f.Path, err)
	case bytes.Equal(old, f.Data):
		return nil, nil
	}
	return &Change{File: f, Old: old}, nil
}
