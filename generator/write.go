package generator

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// WriteOptions change how Write treats an existing directory.
type WriteOptions struct {
	// Force allows writing into a non-empty directory, overwriting files of the same
	// name. Other files are left alone.
	Force bool
}

// ConflictError reports a non-empty target directory written without Force.
type ConflictError struct {
	Dir      string
	Existing []string // some entries found in Dir, sorted, for the message
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("target directory %s exists and is not empty (it contains %s); choose another --dir, or pass --force to overwrite files in it",
		e.Dir, strings.Join(e.Existing, ", "))
}

// Write writes files under dir in two phases. First it checks everything: the paths are
// clean and relative, dir is empty or missing (unless opts.Force), and no target is a
// directory or reached through a symlink or a file. Then it writes each file to a temporary
// file in its directory and renames all of them into place. If any step fails, Write
// removes what it created and restores what it overwrote, so the disk is as before.
func Write(dir string, files []File, opts WriteOptions) error {
	p, err := plan(dir, files, opts)
	if err != nil {
		return err
	}
	return p.execute()
}

// writePlan is every change Write will make, decided before the first one is made.
type writePlan struct {
	dirs    []string // directories to create, parents first
	targets []target

	createdDirs []string // progress, for rollback
	renamed     []target
}

type target struct {
	file     File
	path     string // OS path of the final file
	tmp      string // temporary file written before the rename
	existing []byte // previous content when overwriting, for rollback
	oldMode  fs.FileMode
	exists   bool
}

func plan(dir string, files []File, opts WriteOptions) (*writePlan, error) {
	if err := checkPaths(files); err != nil {
		return nil, err
	}
	if err := CheckTarget(dir, opts.Force); err != nil {
		return nil, err
	}
	p := &writePlan{}
	wantDir := map[string]bool{}
	if err := p.missingAncestors(dir, wantDir); err != nil {
		return nil, err
	}
	for _, f := range files {
		t := target{file: f, path: filepath.Join(dir, filepath.FromSlash(f.Path))}
		if err := p.checkParents(dir, f.Path, wantDir); err != nil {
			return nil, err
		}
		if err := t.checkTarget(); err != nil {
			return nil, err
		}
		p.targets = append(p.targets, t)
	}
	return p, nil
}

// checkPaths refuses paths that could escape the target directory, and duplicates.
func checkPaths(files []File) error {
	seen := map[string]bool{}
	for _, f := range files {
		if !fs.ValidPath(f.Path) || f.Path == "." || strings.Contains(f.Path, `\`) {
			return fmt.Errorf("write %q: not a clean relative path", f.Path)
		}
		if seen[f.Path] {
			return fmt.Errorf("write %s: listed twice", f.Path)
		}
		seen[f.Path] = true
	}
	return nil
}

// CheckTarget refuses a target directory that cannot be written: a file, a path under a
// file, or a non-empty directory without force. Write checks it again, with every file;
// a command calls it early too, to refuse before asking questions and to make a dry run
// report the conflict the real run would hit. Messages show dir as given.
func CheckTarget(dir string, force bool) error {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("cannot create target directory %s: a parent of it is a file; choose another --dir", dir)
	case err != nil:
		return fmt.Errorf("check target directory %s: %w", dir, err)
	case !info.IsDir():
		return fmt.Errorf("target %s exists and is not a directory; choose another --dir", dir)
	}
	if force {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("check target directory %s: %w", dir, err)
	}
	if len(entries) == 0 {
		return nil
	}
	var names []string
	for _, e := range entries[:min(len(entries), 5)] {
		names = append(names, e.Name())
	}
	if len(entries) > 5 {
		names = append(names, "…")
	}
	return &ConflictError{Dir: dir, Existing: names}
}

// missingAncestors records dir and those of its parents that do not exist yet, outermost
// first, so a failed write can remove exactly the directories it created.
func (p *writePlan) missingAncestors(dir string, wantDir map[string]bool) error {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		_, err := os.Stat(d)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("check %s: %w", d, err)
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	for _, d := range slices.Backward(missing) {
		wantDir[d] = true
		p.dirs = append(p.dirs, d)
	}
	return nil
}

// checkParents records the directories to create for rel and refuses parents that exist
// as something other than a real directory (a file, or a symlink that could lead
// outside dir). dir itself may be a symlink: the user named it.
func (p *writePlan) checkParents(dir, rel string, wantDir map[string]bool) error {
	parents := []string{dir}
	for d := path.Dir(rel); d != "."; d = path.Dir(d) {
		parents = append(parents, filepath.Join(dir, filepath.FromSlash(d)))
	}
	slices.Reverse(parents[1:])
	for i, d := range parents {
		if wantDir[d] {
			continue
		}
		info, err := os.Lstat(d)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			wantDir[d] = true
			p.dirs = append(p.dirs, d)
		case err != nil:
			return fmt.Errorf("check %s: %w", d, err)
		case i > 0 && !info.IsDir():
			return fmt.Errorf("write %s: %s exists and is not a directory", rel, d)
		}
	}
	return nil
}

// checkTarget refuses a target that is a directory or a symlink, and remembers the
// content of a file it will overwrite so a failed write can be undone.
func (t *target) checkTarget() error {
	info, err := os.Lstat(t.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check %s: %w", t.path, err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("write %s: %s exists and is not a regular file", t.file.Path, t.path)
	}
	old, err := os.ReadFile(t.path)
	if err != nil {
		return fmt.Errorf("write %s: cannot read the file it would replace: %w", t.file.Path, err)
	}
	t.exists, t.existing, t.oldMode = true, old, info.Mode().Perm()
	return nil
}

// execute applies the plan, rolling it back if any step fails.
func (p *writePlan) execute() error {
	if err := p.apply(); err != nil {
		if rbErr := p.rollback(); rbErr != nil {
			return fmt.Errorf("%w (and undoing the partial write failed: %v)", err, rbErr)
		}
		return err
	}
	p.cleanup()
	return nil
}

// apply creates the directories, writes every temporary file, then renames them all:
// until the renames start, no target has changed.
func (p *writePlan) apply() error {
	for _, d := range p.dirs {
		if err := os.Mkdir(d, 0o755); err != nil {
			return fmt.Errorf("create directory %s: %w", d, err)
		}
		p.createdDirs = append(p.createdDirs, d)
	}
	for i := range p.targets {
		if err := p.targets[i].writeTemp(); err != nil {
			return err
		}
	}
	for _, t := range p.targets {
		if err := os.Rename(t.tmp, t.path); err != nil {
			return fmt.Errorf("write %s: %w", t.path, err)
		}
		p.renamed = append(p.renamed, t)
	}
	return nil
}

func (t *target) writeTemp() error {
	f, err := os.CreateTemp(filepath.Dir(t.path), ".mcpgen-*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", t.path, err)
	}
	t.tmp = f.Name()
	mode := t.file.Mode.Perm()
	if mode == 0 {
		mode = 0o644
	}
	_, err = f.Write(t.file.Data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(t.tmp, mode)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", t.path, err)
	}
	return nil
}

// rollback undoes apply: restores overwritten files, removes new files, temporary files
// and created directories, in reverse order.
func (p *writePlan) rollback() error {
	var errs []error
	for _, t := range slices.Backward(p.renamed) {
		if t.exists {
			errs = append(errs, restore(t))
		} else {
			errs = append(errs, os.Remove(t.path))
		}
	}
	p.cleanup()
	for _, d := range slices.Backward(p.createdDirs) {
		errs = append(errs, os.Remove(d))
	}
	return errors.Join(errs...)
}

func restore(t target) error {
	tmp := target{file: File{Data: t.existing, Mode: t.oldMode}, path: t.path}
	if err := tmp.writeTemp(); err != nil {
		return err
	}
	return os.Rename(tmp.tmp, t.path)
}

// cleanup removes temporary files that were not renamed into place.
func (p *writePlan) cleanup() {
	for _, t := range p.targets {
		if t.tmp != "" {
			_ = os.Remove(t.tmp) // already renamed, or a leftover: either way it must go
		}
	}
}

// Overwrites lists, sorted, the files Write would replace in dir: what --force will
// overwrite, or what --dry-run should warn about. A missing dir has none.
func Overwrites(dir string, files []File) ([]string, error) {
	var paths []string
	for _, f := range files {
		info, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(f.Path)))
		switch {
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
			continue
		case err != nil:
			return nil, fmt.Errorf("check %s: %w", f.Path, err)
		case info != nil:
			paths = append(paths, f.Path)
		}
	}
	slices.Sort(paths)
	return paths, nil
}

// Change is one file Update writes into an existing project.
type Change struct {
	File
	// Create says the file is new: Update refuses to run if it exists. Otherwise the file
	// must exist and still hold Old, the content the change was computed from.
	Create bool
	Old    []byte
	// Base is what mcpgen records as its own bytes of a file it shares with the user
	// (record.go): the new pristine copy, when Data mixes mcpgen's content with the
	// user's. Nil records Data for a Generated file and leaves a shared file's record
	// as it was.
	Base []byte
	// RecordOnly changes the record of the file and does not write it: Base is its new
	// pristine copy, or nil when mcpgen no longer generates the file.
	RecordOnly bool
}

// Update writes changes into the existing directory dir, all or nothing, as Write does:
// every target is checked first (new files must not exist, replaced files must still
// hold the content the changes were computed from, so an edit made in between is never
// lost), then each file is written to a temporary file and renamed into place, and a
// failure undoes everything written so far. It never touches files not in changes,
// except the record of what mcpgen wrote (mcpgen.yaml's generated list and the
// pristine copies under BaseDir), which it keeps in step with changes.
func Update(dir string, changes []Change) error {
	changes, err := recordChanges(os.DirFS(dir), changes)
	if err != nil {
		return fmt.Errorf("update %s: %w", dir, err)
	}
	p, err := planUpdate(dir, changes)
	if err != nil {
		return err
	}
	return p.execute()
}

// planUpdate checks dir and every change against the disk and plans the writes.
func planUpdate(dir string, changes []Change) (*writePlan, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("update %s: %w", dir, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("update %s: not a directory", dir)
	}
	files := make([]File, len(changes))
	for i, c := range changes {
		files[i] = c.File
	}
	p, err := plan(dir, files, WriteOptions{Force: true})
	if err != nil {
		return nil, err
	}
	for i, c := range changes {
		t := p.targets[i]
		switch {
		case c.Create && t.exists:
			return nil, fmt.Errorf("write %s: the file already exists; mcpgen does not overwrite it", c.Path)
		case !c.Create && !t.exists:
			return nil, fmt.Errorf("update %s: the file is missing", c.Path)
		case !c.Create && !bytes.Equal(t.existing, c.Old):
			return nil, fmt.Errorf("update %s: the file changed while mcpgen was working; run the command again", c.Path)
		}
	}
	return p, nil
}
