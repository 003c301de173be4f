package fstree

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cnbkit/cnbkit/internal/ctxio"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// Options change how Copy sets the copies' modes and owners. The zero value keeps the
// permission bits (folders get the owner's rwx, so the copy can be filled) and the owner
// of the process.
type Options struct {
	// ReadableByAll adds read permission for everyone (and search permission to folders),
	// for a process of another user that reads the copy.
	ReadableByAll bool
	// Owner, when set, owns every copy, links included.
	Owner *Owner
}

// Owner is a numeric user and group.
type Owner struct{ UID, GID int }

// Copy copies the tree at src into dst, which is created when missing (with its parents, as
// os.MkdirAll(dst, 0o755) creates them): folders, regular
// files and symbolic links (as links, their targets unchanged). Existing files in dst are
// replaced; any other file type (a device, a pipe, a socket) is a *spec.NotRegularError. It
// stops when ctx is done.
func Copy(ctx context.Context, src, dst string, o Options) error {
	dirBits, fileBits := fs.FileMode(0o700), fs.FileMode(0)
	if o.ReadableByAll {
		dirBits, fileBits = 0o755, 0o444
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			// Folders above dst get the usual 0755 (less the umask); the copied ones get
			// their own bits below.
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			if err := os.Chmod(target, info.Mode().Perm()|dirBits); err != nil {
				return err
			}
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := os.Symlink(link, target); err != nil {
				return err
			}
		case d.Type().IsRegular():
			if err := copyFile(ctx, p, target, info.Mode().Perm()|fileBits); err != nil {
				return err
			}
		default:
			return &spec.NotRegularError{Path: p, Mode: info.Mode(), Want: "a tree of folders, regular files and links"}
		}
		if o.Owner != nil {
			return os.Lchown(target, o.Owner.UID, o.Owner.GID)
		}
		return nil
	})
}

func copyFile(ctx context.Context, src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := ctxio.Copy(ctx, out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	// OpenFile applies the umask, and keeps the mode of a file it replaces.
	return os.Chmod(dst, perm)
}
