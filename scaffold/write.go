package scaffold

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// WriteOptions change how Write treats an existing folder.
type WriteOptions struct {
	// Force writes into a folder that is not empty, replacing the files the project has in
	// common with it and keeping every other file.
	Force bool
}

// NotEmptyError is returned by Write for a folder that already holds files, unless forced.
type NotEmptyError struct {
	Dir     string
	Entries []string // up to a few names found in it
}

func (e *NotEmptyError) Error() string {
	return fmt.Sprintf("folder %s is not empty (it holds %s): choose another folder, empty this one, or force overwriting the generated files",
		e.Dir, strings.Join(e.Entries, ", "))
}

// Write puts files into dir atomically: it writes them into a temporary folder next to dir and
// renames that folder to dir, so that dir either holds the whole project or is left as it was.
// dir may also be an empty folder (even the working directory): it is kept, and the project's
// top-level entries are renamed into it. A folder that holds anything else is refused with a
// *NotEmptyError unless opts.Force is set; then each generated file replaces its namesake by a
// rename, and files the project does not generate are kept.
func Write(ctx context.Context, dir string, files []File, opts WriteOptions) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("writing project: %w", err)
	}
	for _, f := range files {
		if f.Path == "" || path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path || strings.HasPrefix(f.Path, "../") || f.Path == ".." {
			return fmt.Errorf("writing project: file path %q is not a clean relative path", f.Path)
		}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("writing project: %w", err)
	}
	existing, err := entries(dir)
	if err != nil {
		return fmt.Errorf("writing project: %w", err)
	}
	if len(existing) > 0 && !opts.Force {
		if len(existing) > 3 {
			existing = append(existing[:3], "...")
		}
		return &NotEmptyError{Dir: dir, Entries: existing}
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("writing project: creating %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".cnbkit-new-*")
	if err != nil {
		return fmt.Errorf("writing project: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed into place
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("writing project: %w", err)
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("writing project: %w", err)
		}
		if err := writeFile(filepath.Join(tmp, filepath.FromSlash(f.Path)), f); err != nil {
			return fmt.Errorf("writing project: %w", err)
		}
	}
	switch _, err := os.Stat(dir); {
	case errors.Is(err, fs.ErrNotExist):
		// The usual case: one rename puts the whole project in place.
		if err := os.Rename(tmp, dir); err != nil {
			return fmt.Errorf("writing project: moving it into place: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("writing project: %w", err)
	case len(existing) == 0:
		// An empty folder (perhaps the working directory) is kept: move the entries into it.
		return moveEntries(tmp, dir)
	}
	return mergeInto(tmp, dir, files)
}

// moveEntries renames the top-level entries of tmp into the empty folder dir; if one fails, the
// ones already moved are removed again, leaving dir empty.
func moveEntries(tmp, dir string) error {
	list, err := os.ReadDir(tmp)
	if err != nil {
		return fmt.Errorf("writing project: %w", err)
	}
	var moved []string
	for _, e := range list {
		target := filepath.Join(dir, e.Name())
		if err := os.Rename(filepath.Join(tmp, e.Name()), target); err != nil {
			for _, m := range moved {
				os.RemoveAll(m)
			}
			return fmt.Errorf("writing project: moving %s into place: %w", e.Name(), err)
		}
		moved = append(moved, target)
	}
	return nil
}

// entries lists the names in dir, nil when it does not exist; an error when dir is a file.
func entries(dir string) ([]string, error) {
	list, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	names := make([]string, len(list))
	for i, e := range list {
		names[i] = e.Name()
	}
	return names, nil
}

func writeFile(name string, f File) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return fmt.Errorf("creating folder for %s: %w", f.Path, err)
	}
	mode := f.Mode.Perm()
	if mode == 0 {
		mode = 0o644
	}
	if err := os.WriteFile(name, f.Data, mode); err != nil {
		return fmt.Errorf("writing %s: %w", f.Path, err)
	}
	// WriteFile's mode is filtered by the umask; generated files get exactly their mode.
	if err := os.Chmod(name, mode); err != nil {
		return fmt.Errorf("writing %s: %w", f.Path, err)
	}
	return nil
}

// mergeInto moves the files from tmp into the existing folder dir, after checking that none of
// them would replace a folder, so that a refused merge changes nothing.
func mergeInto(tmp, dir string, files []File) error {
	for _, f := range files {
		target := filepath.Join(dir, filepath.FromSlash(f.Path))
		if fi, err := os.Lstat(target); err == nil && fi.IsDir() {
			return fmt.Errorf("writing project: %s is a folder in %s, where the project has a file: move it away first", f.Path, dir)
		}
		for p := path.Dir(f.Path); p != "."; p = path.Dir(p) {
			if fi, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(p))); err == nil && !fi.IsDir() {
				return fmt.Errorf("writing project: %s is a file in %s, where the project has a folder: move it away first", p, dir)
			}
		}
	}
	for _, f := range files {
		target := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return fmt.Errorf("writing project: %w", err)
		}
		if err := os.Rename(filepath.Join(tmp, filepath.FromSlash(f.Path)), target); err != nil {
			return fmt.Errorf("writing project: replacing %s: %w", f.Path, err)
		}
	}
	return nil
}
