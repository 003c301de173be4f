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
	"golang.org/x/sys/unix"
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
	// mutate.Extract ends the tar stream before it reports a layer it could not read (the
	// end-of-archive blocks come first): read on, or that error would look like an image
	// with fewer files.
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return fmt.Errorf("extracting image file system: %w", err)
	}
	return nil
}

// extractTar writes the entries of a tar stream into dir. Only entries under prefix (a path
// without leading slash, "" for all) are written, with prefix removed. Whiteout entries are
// ignored. All writes go through an os.Root, so no entry or symlink can write outside dir.
func extractTar(r io.Reader, dir, prefix string) error {
	x, err := newExtractor(dir, prefix, false)
	if err != nil {
		return err
	}
	defer x.close()
	if err := x.layer(r); err != nil {
		return err
	}
	return x.finish()
}

// extractOverlayLayers applies layers (bottom first) into dir as one overlayfs lower
// directory: whiteouts become overlay whiteouts (0/0 character devices) and opaque markers
// the trusted.overlay.opaque attribute, so that dir stacked over the file system of the
// layers below gives the image's file system.
func extractOverlayLayers(layers []v1.Layer, dir string) error {
	x, err := newExtractor(dir, "", true)
	if err != nil {
		return err
	}
	defer x.close()
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			return fmt.Errorf("reading layer: %w", err)
		}
		err = x.layer(rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return x.finish()
}

type hardLink struct{ target, name string }

type extractor struct {
	root    *os.Root
	prefix  string
	overlay bool
	links   []hardLink
	inLayer map[string]bool // paths written by the layer being applied (overlay mode)
}

func newExtractor(dir, prefix string, overlay bool) (*extractor, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &extractor{root: root, prefix: prefix, overlay: overlay}, nil
}

func (x *extractor) close() { _ = x.root.Close() }

// layer applies one tar stream.
func (x *extractor) layer(r io.Reader) error {
	x.inLayer = map[string]bool{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading tar: %w", err)
		}
		name, ok := entryName(hdr.Name, x.prefix)
		if !ok {
			continue
		}
		if base := path.Base(name); strings.HasPrefix(base, ".wh.") {
			if !x.overlay {
				continue
			}
			if err := x.whiteout(path.Dir(name), base); err != nil {
				return err
			}
			continue
		}
		if err := x.entry(hdr, name, tr); err != nil {
			return err
		}
		x.inLayer[name] = true
	}
}

// whiteout records an overlay whiteout (.wh.<name>) or opaque marker (.wh..wh..opq) in dir.
func (x *extractor) whiteout(dir, base string) error {
	if err := x.root.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	d, err := x.root.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if base == ".wh..wh..opq" {
		// Hide what lower layers put in dir, keeping what this layer wrote.
		names, err := d.Readdirnames(-1)
		if err != nil {
			return err
		}
		for _, n := range names {
			if p := path.Join(dir, n); !x.inLayer[p] {
				if err := x.root.RemoveAll(p); err != nil {
					return err
				}
			}
		}
		if err := unix.Fsetxattr(int(d.Fd()), "trusted.overlay.opaque", []byte("y"), 0); err != nil {
			return fmt.Errorf("marking %s opaque: %w", dir, err)
		}
		return nil
	}
	target := strings.TrimPrefix(base, ".wh.")
	if err := x.root.RemoveAll(path.Join(dir, target)); err != nil {
		return err
	}
	if err := unix.Mknodat(int(d.Fd()), target, unix.S_IFCHR, 0); err != nil {
		return fmt.Errorf("writing whiteout for %s: %w", path.Join(dir, target), err)
	}
	return nil
}

// entry writes one non-whiteout entry.
func (x *extractor) entry(hdr *tar.Header, name string, r io.Reader) error {
	root := x.root
	mode := hdr.FileInfo().Mode()
	perm := mode.Perm() | mode&(os.ModeSetuid|os.ModeSetgid|os.ModeSticky)
	if name == "." {
		if hdr.Typeflag == tar.TypeDir {
			if err := root.Chmod(".", perm); err != nil {
				return err
			}
			return root.Chown(".", hdr.Uid, hdr.Gid)
		}
		return nil
	}
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", dir, err)
		}
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if fi, err := root.Lstat(name); err == nil && !fi.IsDir() {
			if err := root.Remove(name); err != nil {
				return err
			}
		}
		if err := root.Mkdir(name, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("creating %s: %w", name, err)
		}
		if err := root.Chown(name, hdr.Uid, hdr.Gid); err != nil {
			return err
		}
		return root.Chmod(name, perm)
	case tar.TypeReg:
		if err := root.RemoveAll(name); err != nil {
			return err
		}
		f, err := root.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("creating %s: %w", name, err)
		}
		if _, err := io.Copy(f, r); err != nil {
			f.Close()
			return fmt.Errorf("writing %s: %w", name, err)
		}
		if err := f.Close(); err != nil {
			return err
		}
		if err := root.Chown(name, hdr.Uid, hdr.Gid); err != nil {
			return err
		}
		return root.Chmod(name, perm)
	case tar.TypeSymlink:
		if err := root.RemoveAll(name); err != nil {
			return err
		}
		if err := root.Symlink(hdr.Linkname, name); err != nil {
			return fmt.Errorf("linking %s: %w", name, err)
		}
		return root.Lchown(name, hdr.Uid, hdr.Gid)
	case tar.TypeLink:
		target, ok := entryName(hdr.Linkname, x.prefix)
		if !ok {
			return fmt.Errorf("hard link %s points outside %q: %s", name, x.prefix, hdr.Linkname)
		}
		x.links = append(x.links, hardLink{target: target, name: name})
	default:
		// character and block devices, fifos: not needed in a test root
	}
	return nil
}

// finish creates the hard links, once every target exists.
func (x *extractor) finish() error {
	for _, l := range x.links {
		_ = x.root.RemoveAll(l.name)
		if err := x.root.Link(l.target, l.name); err != nil {
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
