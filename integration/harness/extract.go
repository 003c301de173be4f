package harness

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// extractImage writes the flattened file system of img (layers applied in order, whiteouts
// honoured) into dir, keeping owners and modes. Device nodes are skipped: the harness mounts
// its own /dev.
func extractImage(img v1.Image, dir string) error {
	rc := mutate.Extract(img)
	defer rc.Close()
	if err := extractTar(rc, dir, ""); err != nil {
		return fmt.Errorf("extracting image file system: %w", err)
	}
	return nil
}

// extractTar writes the entries of a tar stream into dir. Only entries under prefix (a path
// without leading slash, "" for all) are written, with prefix removed. All writes go through
// an os.Root, so no entry or symlink can write outside dir.
func extractTar(r io.Reader, dir, prefix string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	type link struct{ target, name string }
	var links []link
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading tar: %w", err)
		}
		name, ok := entryName(hdr.Name, prefix)
		if !ok {
			continue
		}
		if base := path.Base(name); strings.HasPrefix(base, ".wh.") {
			// A whiteout in a single layer being unpacked on its own: nothing below it.
			continue
		}
		mode := hdr.FileInfo().Mode()
		if name == "." {
			if hdr.Typeflag == tar.TypeDir {
				if err := root.Chmod(".", mode.Perm()|mode&(os.ModeSetuid|os.ModeSetgid|os.ModeSticky)); err != nil {
					return err
				}
				if err := root.Chown(".", hdr.Uid, hdr.Gid); err != nil {
					return err
				}
			}
			continue
		}
		if dir := path.Dir(name); dir != "." {
			if err := root.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("creating %s: %w", dir, err)
			}
		}
		perm := mode.Perm() | mode&(os.ModeSetuid|os.ModeSetgid|os.ModeSticky)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := root.Mkdir(name, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
				return fmt.Errorf("creating %s: %w", name, err)
			}
			if err := root.Chown(name, hdr.Uid, hdr.Gid); err != nil {
				return err
			}
			if err := root.Chmod(name, perm); err != nil {
				return err
			}
		case tar.TypeReg:
			_ = root.Remove(name)
			f, err := root.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
			if err != nil {
				return fmt.Errorf("creating %s: %w", name, err)
			}
			if _, err := io.Copy(f, tr); err != nil {
				f.Close()
				return fmt.Errorf("writing %s: %w", name, err)
			}
			if err := f.Close(); err != nil {
				return err
			}
			if err := root.Chown(name, hdr.Uid, hdr.Gid); err != nil {
				return err
			}
			if err := root.Chmod(name, perm); err != nil {
				return err
			}
		case tar.TypeSymlink:
			_ = root.Remove(name)
			if err := root.Symlink(hdr.Linkname, name); err != nil {
				return fmt.Errorf("linking %s: %w", name, err)
			}
			if err := root.Lchown(name, hdr.Uid, hdr.Gid); err != nil {
				return err
			}
		case tar.TypeLink:
			target, ok := entryName(hdr.Linkname, prefix)
			if !ok {
				return fmt.Errorf("hard link %s points outside %q: %s", name, prefix, hdr.Linkname)
			}
			links = append(links, link{target: target, name: name})
		default:
			// character and block devices, fifos: not needed in a test root
		}
	}
	for _, l := range links {
		_ = root.Remove(l.name)
		if err := root.Link(l.target, l.name); err != nil {
			return fmt.Errorf("hard linking %s to %s: %w", l.name, l.target, err)
		}
	}
	return nil
}

// entryName cleans a tar entry name to a relative path and strips prefix.
func entryName(name, prefix string) (string, bool) {
	clean := strings.TrimPrefix(path.Clean("/"+name), "/")
	if clean == "" {
		clean = "."
	}
	if prefix == "" {
		return clean, true
	}
	if clean == prefix {
		return ".", true
	}
	if rest, ok := strings.CutPrefix(clean, prefix+"/"); ok {
		return rest, true
	}
	return "", false
}
