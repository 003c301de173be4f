package layer

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"

	"github.com/cnbkit/cnbkit/internal/ctxio"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// Epoch is the modification time of every entry, as pack writes it.
var Epoch = time.Date(1980, time.January, 1, 0, 0, 1, 0, time.UTC)

// BuildpacksDir is where buildpacks live in a builder image.
const BuildpacksDir = "/cnb/buildpacks"

// File is one entry of a buildpack directory to put in the layer.
type File struct {
	// Path is the slash-separated path relative to the buildpack root, e.g. "bin/build".
	Path string
	// Source is the file on disk to copy for regular files.
	Source string
	// Mode holds the type bits (fs.ModeDir, fs.ModeSymlink or none) and the permission bits
	// found on disk; the permissions are normalised when written.
	Mode fs.FileMode
	// Link is the target of a symbolic link, as written in the link.
	Link string
}

// Layer is a gzip-compressed layer tar kept in a file. It implements v1.Layer.
type Layer struct {
	path   string
	digest v1.Hash
	diffID v1.Hash
	size   int64
}

// Root returns the in-image directory of a buildpack: /cnb/buildpacks/<escaped id>/<version>.
func Root(escapedID, version string) string {
	return path.Join(BuildpacksDir, escapedID, version)
}

// Write writes the layer of one buildpack whose files are files (parents before children)
// to a new file in dir. escapedID is the buildpack ID with '/' replaced by '_'.
func Write(ctx context.Context, dir, escapedID, version string, files []File) (*Layer, error) {
	f, err := os.CreateTemp(dir, "layer-*.tar.gz")
	if err != nil {
		return nil, fmt.Errorf("creating layer file: %w", err)
	}
	l, err := write(ctx, f, escapedID, version, files)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("closing layer file: %w", cerr)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return nil, err
	}
	l.path = f.Name()
	return l, nil
}

func write(ctx context.Context, f *os.File, escapedID, version string, files []File) (*Layer, error) {
	compressedHash := sha256.New()
	counter := &countWriter{}
	zw, err := gzip.NewWriterLevel(io.MultiWriter(f, compressedHash, counter), gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	diffHash := sha256.New()
	tw := tar.NewWriter(io.MultiWriter(zw, diffHash))
	root := Root(escapedID, version)
	for _, d := range []string{path.Join(BuildpacksDir, escapedID), root} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755, ModTime: Epoch}); err != nil {
			return nil, fmt.Errorf("writing layer: %w", err)
		}
	}
	for _, file := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := writeFile(ctx, tw, root, file); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("writing layer: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compressing layer: %w", err)
	}
	return &Layer{digest: sum(compressedHash), diffID: sum(diffHash), size: counter.n}, nil
}

func writeFile(ctx context.Context, tw *tar.Writer, root string, file File) error {
	hdr := &tar.Header{Name: path.Join(root, file.Path), ModTime: Epoch, Mode: Mode(file.Path, file.Mode)}
	switch {
	case file.Mode.IsDir():
		hdr.Typeflag = tar.TypeDir
	case file.Mode&fs.ModeSymlink != 0:
		hdr.Typeflag = tar.TypeSymlink
		hdr.Linkname = file.Link
	case file.Mode.IsRegular():
		hdr.Typeflag = tar.TypeReg
	default:
		return fmt.Errorf("adding %s: only files, directories and symbolic links can be packaged (found %s)", file.Path, file.Mode.Type())
	}
	if hdr.Typeflag != tar.TypeReg {
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("writing layer entry %s: %w", file.Path, err)
		}
		return nil
	}
	src, err := spec.Open(file.Source)
	if err != nil {
		return fmt.Errorf("adding %s: %w", file.Path, err)
	}
	defer src.Close()
	info, err := src.Stat()
	if err != nil {
		return fmt.Errorf("adding %s: %w", file.Path, err)
	}
	hdr.Size = info.Size()
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("writing layer entry %s: %w", file.Path, err)
	}
	n, err := ctxio.Copy(ctx, tw, src)
	if err != nil {
		return fmt.Errorf("adding %s: %w", file.Path, err)
	}
	if n != hdr.Size {
		return fmt.Errorf("adding %s: the file changed size while being packaged", file.Path)
	}
	return nil
}

// Mode is the permission pack gives an entry: 0755 for directories, bin/build, bin/detect,
// bin/generate and files with any execute bit; 0644 otherwise.
func Mode(rel string, m fs.FileMode) int64 {
	switch {
	case m.IsDir():
		return 0o755
	case rel == "bin/build" || rel == "bin/detect" || rel == "bin/generate":
		return 0o755
	case m.Perm()&0o111 != 0:
		return 0o755
	}
	return 0o644
}

// Path is the file holding the compressed layer.
func (l *Layer) Path() string { return l.path }

// Digest returns the sha256 of the compressed layer.
func (l *Layer) Digest() (v1.Hash, error) { return l.digest, nil }

// DiffID returns the sha256 of the uncompressed tar.
func (l *Layer) DiffID() (v1.Hash, error) { return l.diffID, nil }

// Size returns the compressed size in bytes.
func (l *Layer) Size() (int64, error) { return l.size, nil }

// MediaType is the OCI gzip layer media type.
func (l *Layer) MediaType() (types.MediaType, error) { return types.OCILayer, nil }

// Compressed opens the gzip stream.
func (l *Layer) Compressed() (io.ReadCloser, error) { return os.Open(l.path) }

// Uncompressed opens the tar stream.
func (l *Layer) Uncompressed() (io.ReadCloser, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("reading layer %s: %w", filepath.Base(l.path), err)
	}
	return &readCloser{Reader: zr, close: func() error { zr.Close(); return f.Close() }}, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r *readCloser) Close() error { return r.close() }

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func sum(h hash.Hash) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
}
