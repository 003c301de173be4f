package workdir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// lockName is the file inside a folder whose lock says the folder is in use.
const lockName = ".cnbkit-lock"

// unlockedAge is how old a folder without a lock file must be to count as abandoned (a
// folder from a cnbkit without locks, or one whose creator died before taking the lock).
const unlockedAge = 24 * time.Hour

// Dir is a temporary folder in use by this process.
type Dir struct {
	// Path is the folder.
	Path string
	lock *os.File
}

// New creates a folder in parent (os.TempDir() when empty) named by pattern as
// os.MkdirTemp does, and locks it.
func New(parent, pattern string) (*Dir, error) {
	if parent == "" {
		parent = os.TempDir()
	}
	path, err := os.MkdirTemp(parent, pattern)
	if err != nil {
		return nil, fmt.Errorf("creating a temporary folder: %w", err)
	}
	// The lock is taken before the file gets its name: a lock file that exists is locked.
	tmp := filepath.Join(path, lockName+".new")
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		err = lock(f)
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(path, lockName))
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		os.RemoveAll(path)
		return nil, fmt.Errorf("locking the temporary folder %s: %w", path, err)
	}
	return &Dir{Path: path, lock: f}, nil
}

// Remove deletes the folder and releases its lock.
func (d *Dir) Remove() error {
	err := os.RemoveAll(d.Path)
	if d.lock != nil {
		d.lock.Close()
		d.lock = nil
	}
	return err
}

// RemoveAbandoned removes the folders in parent (os.TempDir() when empty) matching pattern
// (as filepath.Match, e.g. "cnbkit-package-*") that no running process holds, and returns
// the ones it removed. Folders it cannot judge or remove are left alone.
func RemoveAbandoned(parent, pattern string) []string {
	if parent == "" {
		parent = os.TempDir()
	}
	matches, _ := filepath.Glob(filepath.Join(parent, pattern))
	var removed []string
	for _, m := range matches {
		info, err := os.Lstat(m)
		if err != nil || !info.IsDir() {
			continue
		}
		held, ok := claim(m, info)
		if !ok {
			continue
		}
		err = os.RemoveAll(m)
		if held != nil {
			held.Close()
		}
		if err == nil {
			removed = append(removed, m)
		}
	}
	return removed
}

// claim takes the lock of an abandoned folder, which the caller holds while it removes
// the folder so that no other run removes it at the same time. A folder without a lock
// file is abandoned once it is old; so is every folder where locks are not supported.
func claim(dir string, info os.FileInfo) (*os.File, bool) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) || (err == nil && !locking) {
		if f != nil {
			f.Close()
		}
		return nil, time.Since(info.ModTime()) > unlockedAge
	}
	if err != nil {
		return nil, false
	}
	if err := tryLock(f); err != nil {
		f.Close()
		return nil, false
	}
	return f, true
}
