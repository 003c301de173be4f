package packager

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

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/cnbkit/cnbkit/packager/internal/format"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// FolderName is the folder of target t when a package is written as folders for several
// targets: <name>-<os>-<arch>[-<variant>][-<distro>-<version>].
func FolderName(name string, t spec.Target) string {
	return strings.TrimSuffix(FileName(filepath.Clean(name), t), ".cnb")
}

// FolderSink writes the compiled buildpack as a plain folder, ready for tools that package
// a buildpack folder themselves (`pack buildpack package --path`, a builder.toml uri): the
// files of the buildpack's layer, buildpack.toml, bin/build and bin/detect compiled for the
// target, and the bundled dependencies. A folder is not a buildpackage: it cannot be
// signed (Signing refuses it), and a composite buildpack, which has no folder of its own,
// is refused.
type FolderSink struct {
	// Name is the folder for one target; with several, each target gets the folder named by
	// FolderName.
	Name string
}

// Write writes one folder per target. Each folder is written to a temporary folder beside
// it and renamed into place; a path that exists and is not an empty folder is refused
// before anything is written.
func (s FolderSink) Write(ctx context.Context, p *Package) ([]Output, error) {
	type job struct {
		dest  string
		img   Image
		layer v1.Layer
	}
	var jobs []job
	for _, img := range p.Images {
		dest := filepath.Clean(s.Name)
		if len(p.Images) > 1 {
			dest = FolderName(s.Name, img.Target)
		}
		l, err := p.buildpackLayer(img)
		if err != nil {
			return nil, err
		}
		if err := checkFolderDest(dest); err != nil {
			return nil, err
		}
		jobs = append(jobs, job{dest: dest, img: img, layer: l})
	}
	var outs []Output
	for _, j := range jobs {
		if err := writeFolder(ctx, j.dest, j.layer, spec.DirName(p.ID), p.Version); err != nil {
			return outs, fmt.Errorf("writing folder %s: %w", j.dest, err)
		}
		d, err := j.img.digest()
		if err != nil {
			return outs, err
		}
		outs = append(outs, Output{Kind: FormatFolder, Location: j.dest, Digest: d, Targets: []string{j.img.Target.String()}})
	}
	return outs, nil
}

// buildpackLayer returns the layer of the packaged buildpack itself in img.
func (p *Package) buildpackLayer(img Image) (v1.Layer, error) {
	cfg, err := img.Image.ConfigFile()
	if err != nil {
		return nil, err
	}
	_, labels, err := format.Labels(cfg)
	if err != nil {
		return nil, err
	}
	info, ok := labels.Get(p.ID, p.Version)
	if !ok {
		return nil, fmt.Errorf("the %s image holds no layer of %s@%s", img.Target, p.ID, p.Version)
	}
	if len(info.Order) > 0 {
		return nil, fmt.Errorf("%s@%s is a composite buildpack: a folder holds one buildpack, so FormatFolder cannot write it; write a .cnb file (FormatFile) or an OCI layout (FormatLayout), which hold its components too", p.ID, p.Version)
	}
	h, err := v1.NewHash(info.LayerDiffID)
	if err != nil {
		return nil, fmt.Errorf("layer diff ID of %s@%s: %w", p.ID, p.Version, err)
	}
	return img.Image.LayerByDiffID(h)
}

// checkFolderDest refuses a destination that exists and is not an empty folder.
func checkFolderDest(dest string) error {
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

// writeFolder unpacks the buildpack layer l (entries under /cnb/buildpacks/<dir>/<version>/)
// into a temporary folder beside dest, then renames it to dest.
func writeFolder(ctx context.Context, dest string, l v1.Layer, dir, version string) (err error) {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dest), ".cnbkit-folder-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
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
	prefix := path.Join("/cnb/buildpacks", dir, version) + "/"
	tr := tar.NewReader(rc)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading the buildpack layer: %w", err)
		}
		rel, ok := strings.CutPrefix(path.Clean(h.Name)+"/", prefix)
		rel = strings.TrimSuffix(rel, "/")
		if !ok || rel == "" {
			continue // the /cnb/buildpacks/<dir>/<version> folders themselves
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
			_, cerr := io.Copy(f, tr)
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
	if _, err := os.Stat(dest); err == nil {
		// An empty folder (checked before): rename(2) replaces it.
		if err := os.Remove(dest); err != nil {
			return err
		}
	}
	return os.Rename(tmp, dest)
}
