package sink

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/cnbkit/cnbkit/internal/ctxio"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// CheckFolder refuses a destination that exists and is not an empty folder.
func CheckFolder(dest string) error {
	info, err := os.Lstat(dest)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%s exists and is not a folder: remove it or name another folder", dest)
	}
	entries, err := os.ReadDir(dest)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("folder %s is not empty: remove it or name another folder (cnbkit never replaces files it did not write)", dest)
	}
	return nil
}

// WriteFolder unpacks the entries of layer l under prefix (a folder of absolute entry
// names, e.g. /cnb/buildpacks/<dir>/<version>) into dest, through a temporary folder beside
// it renamed into place (atomicDir). Entries are written through an os.Root of that folder;
// a hard link that points outside prefix, and entry types a folder cannot hold, are errors.
func WriteFolder(ctx context.Context, dest string, l v1.Layer, prefix string) error {
	return atomicDir(dest, func(tmp string) error { return unpackLayer(ctx, tmp, l, strings.TrimSuffix(prefix, "/")+"/") })
}

func unpackLayer(ctx context.Context, tmp string, l v1.Layer, prefix string) error {
	root, err := os.OpenRoot(tmp)
	if err != nil {
		return err
	}
	defer root.Close()
	rc, err := l.Uncompressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the buildpack layer: %w", err)
		}
		rel, ok := strings.CutPrefix(path.Clean(h.Name)+"/", prefix)
		rel = strings.TrimSuffix(rel, "/")
		if !ok || rel == "" {
			continue // the folders of prefix themselves
		}
		mode := fs.FileMode(h.Mode).Perm()
		switch h.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(rel, mode); err != nil {
				return err
			}
			// MkdirAll applies the umask; the layer says what the mode is.
			if err := root.Chmod(rel, mode); err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := root.Symlink(h.Linkname, rel); err != nil {
				return err
			}
		case tar.TypeLink:
			target, ok := strings.CutPrefix(path.Clean(h.Linkname)+"/", prefix)
			if !ok {
				return fmt.Errorf("hard link %s points outside the buildpack (%s)", rel, h.Linkname)
			}
			if err := root.Link(strings.TrimSuffix(target, "/"), rel); err != nil {
				return err
			}
		case tar.TypeReg:
			f, err := root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
			if err != nil {
				return err
			}
			_, cerr := ctxio.Copy(ctx, f, tr)
			if err := errors.Join(cerr, f.Close()); err != nil {
				return err
			}
			if err := root.Chmod(rel, mode); err != nil {
				return err
			}
		default:
			return fmt.Errorf("the buildpack layer holds %s of type %q, which a folder cannot hold", rel, h.Typeflag)
		}
	}
}

// atomicDir fills a new folder (mode 0755) beside dir with fill, then renames it to dir,
// replacing an empty folder there. When fill fails nothing is left behind.
func atomicDir(dir string, fill func(tmp string) error) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("creating a temporary folder beside %s: %w", dir, err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := fill(tmp); err != nil {
		return err
	}
	if _, err := os.Stat(dir); err == nil {
		// An empty folder (checked before): rename(2) would fail on it.
		if err := os.Remove(dir); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("moving %s into place: %w", dir, err)
	}
	return nil
}
