package packager

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// isBuildpackArchive reports whether a dependency path names a buildpack tarball
// (what `pack buildpack package` also accepts): .tgz or .tar.gz.
func isBuildpackArchive(p string) bool {
	return strings.HasSuffix(p, ".tgz") || strings.HasSuffix(p, ".tar.gz")
}

// extractArchive unpacks a gzip-compressed tar of a buildpack directory into a new directory
// under parent. Only files, directories and symbolic links are accepted; no entry may leave
// the directory.
func extractArchive(archive, parent string) (string, error) {
	f, err := os.Open(archive)
	if err != nil {
		return "", err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return "", fmt.Errorf("%s is not gzip-compressed: %w", archive, err)
	}
	dir, err := os.MkdirTemp(parent, "archive-")
	if err != nil {
		return "", err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return dir, nil
		}
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", archive, err)
		}
		name := path.Clean("/" + filepath.ToSlash(h.Name))
		if name == "/" {
			continue
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		mode := os.FileMode(h.Mode).Perm() | 0o200
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return "", err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return "", err
			}
			out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
			if err != nil {
				return "", err
			}
			_, err = io.Copy(out, tr)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return "", fmt.Errorf("extracting %s from %s: %w", h.Name, archive, err)
			}
		case tar.TypeSymlink:
			const base = "/buildpack"
			if path.IsAbs(h.Linkname) || !strings.HasPrefix(path.Join(base, path.Dir(name), h.Linkname), base+"/") {
				return "", fmt.Errorf("%s: link %s points outside the buildpack (%s)", archive, h.Name, h.Linkname)
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return "", err
			}
			if err := os.Symlink(h.Linkname, target); err != nil {
				return "", err
			}
		default:
			return "", fmt.Errorf("%s: entry %s is not a file, directory or symbolic link", archive, h.Name)
		}
	}
}
