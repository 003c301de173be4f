package sink

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Epoch is the modification time of entries in .cnb files.
var Epoch = time.Date(1980, time.January, 1, 0, 0, 1, 0, time.UTC)

const ociLayout = `{"imageLayoutVersion":"1.0.0"}`

// Manifest is something index.json can point at: an image or an image index.
type Manifest interface {
	RawManifest() ([]byte, error)
	MediaType() (types.MediaType, error)
}

// Entry is one manifest listed in the top index.json, with its platform for images.
type Entry struct {
	Manifest Manifest
	Platform *v1.Platform
}

// blob is one file of blobs/sha256.
type blob struct {
	digest v1.Hash
	size   int64
	bytes  []byte                        // small blobs (manifests, configs)
	open   func() (io.ReadCloser, error) // layers
}

// collect returns the descriptors of index.json and every blob the entries reference,
// deduplicated and sorted by digest.
func collect(entries []Entry) ([]v1.Descriptor, []blob, error) {
	seen := map[v1.Hash]bool{}
	var out []blob
	add := func(b blob) {
		if !seen[b.digest] {
			seen[b.digest] = true
			out = append(out, b)
		}
	}
	// addBytes records a small blob held in memory and returns its digest and size.
	addBytes := func(raw []byte) (v1.Hash, int64, error) {
		h, n, err := v1.SHA256(bytesReader(raw))
		if err != nil {
			return v1.Hash{}, 0, err
		}
		add(blob{digest: h, size: n, bytes: raw})
		return h, n, nil
	}
	var addManifest func(m Manifest) (v1.Descriptor, error)
	addManifest = func(m Manifest) (v1.Descriptor, error) {
		raw, err := m.RawManifest()
		if err != nil {
			return v1.Descriptor{}, err
		}
		mt, err := m.MediaType()
		if err != nil {
			return v1.Descriptor{}, err
		}
		switch x := m.(type) {
		case v1.ImageIndex:
			im, err := x.IndexManifest()
			if err != nil {
				return v1.Descriptor{}, err
			}
			for _, d := range im.Manifests {
				child, err := x.Image(d.Digest)
				if err != nil {
					return v1.Descriptor{}, fmt.Errorf("reading image %s of the index: %w", d.Digest, err)
				}
				if _, err := addManifest(child); err != nil {
					return v1.Descriptor{}, err
				}
			}
		case v1.Image:
			cfg, err := x.RawConfigFile()
			if err != nil {
				return v1.Descriptor{}, err
			}
			if _, _, err := addBytes(cfg); err != nil {
				return v1.Descriptor{}, err
			}
			layers, err := x.Layers()
			if err != nil {
				return v1.Descriptor{}, err
			}
			for _, l := range layers {
				d, err := l.Digest()
				if err != nil {
					return v1.Descriptor{}, err
				}
				s, err := l.Size()
				if err != nil {
					return v1.Descriptor{}, err
				}
				add(blob{digest: d, size: s, open: l.Compressed})
			}
		default:
			return v1.Descriptor{}, fmt.Errorf("unsupported manifest type %T", m)
		}
		h, n, err := addBytes(raw)
		if err != nil {
			return v1.Descriptor{}, err
		}
		return v1.Descriptor{MediaType: mt, Digest: h, Size: n}, nil
	}
	var descs []v1.Descriptor
	for _, e := range entries {
		d, err := addManifest(e.Manifest)
		if err != nil {
			return nil, nil, fmt.Errorf("collecting blobs: %w", err)
		}
		d.Platform = e.Platform
		descs = append(descs, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].digest.String() < out[j].digest.String() })
	return descs, out, nil
}

func indexJSON(descs []v1.Descriptor) ([]byte, error) {
	return json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: descs})
}

// WriteFile writes entries as a .cnb file at path, atomically. It returns the digest of the
// file's content.
func WriteFile(ctx context.Context, path string, entries []Entry) error {
	descs, blobs, err := collect(entries)
	if err != nil {
		return err
	}
	index, err := indexJSON(descs)
	if err != nil {
		return err
	}
	return atomicFile(path, func(f *os.File) error {
		tw := tar.NewWriter(f)
		dir := func(name string) error {
			return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: Epoch})
		}
		file := func(name string, size int64, r io.Reader) error {
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o755, Size: size, ModTime: Epoch}); err != nil {
				return err
			}
			n, err := io.Copy(tw, r)
			if err != nil {
				return err
			}
			if n != size {
				return fmt.Errorf("%s: wrote %d bytes, expected %d", name, n, size)
			}
			return nil
		}
		if err := dir("/blobs"); err != nil {
			return err
		}
		if err := dir("/blobs/sha256"); err != nil {
			return err
		}
		for _, b := range blobs {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := writeBlob(b, func(r io.Reader) error { return file("/blobs/sha256/"+b.digest.Hex, b.size, r) }); err != nil {
				return fmt.Errorf("writing blob %s: %w", b.digest, err)
			}
		}
		if err := file("/index.json", int64(len(index)), bytesReader(index)); err != nil {
			return err
		}
		if err := file("/oci-layout", int64(len(ociLayout)), bytesReader([]byte(ociLayout))); err != nil {
			return err
		}
		return tw.Close()
	})
}

func writeBlob(b blob, write func(io.Reader) error) error {
	if b.open == nil {
		return write(bytesReader(b.bytes))
	}
	rc, err := b.open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return write(rc)
}

// WriteLayout writes entries as an OCI image layout directory at dir, replacing an earlier
// layout there. A directory that exists and is not a layout is left alone and an error is
// returned.
func WriteLayout(ctx context.Context, dir string, entries []Entry) error {
	if err := checkReplaceable(dir); err != nil {
		return err
	}
	descs, blobs, err := collect(entries)
	if err != nil {
		return err
	}
	index, err := indexJSON(descs)
	if err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("creating temporary layout: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	bdir := filepath.Join(tmp, "blobs", "sha256")
	if err := os.MkdirAll(bdir, 0o755); err != nil {
		return err
	}
	for _, b := range blobs {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := writeBlob(b, func(r io.Reader) error {
			f, err := os.OpenFile(filepath.Join(bdir, b.digest.Hex), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, r); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		})
		if err != nil {
			return fmt.Errorf("writing blob %s: %w", b.digest, err)
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, "index.json"), index, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "oci-layout"), []byte(ociLayout), 0o644); err != nil {
		return err
	}
	old := ""
	if _, err := os.Stat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("moving the previous layout aside: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			_ = os.Rename(old, dir)
		}
		return fmt.Errorf("moving the layout into place: %w", err)
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

func checkReplaceable(dir string) error {
	des, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s exists and cannot be read as a directory: choose another output path", dir)
	}
	if len(des) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
		return fmt.Errorf("%s exists and is not an OCI layout: refusing to replace it, choose another output path or remove it", dir)
	}
	return nil
}

// atomicFile writes path through a temporary file in the same directory renamed into place.
func atomicFile(path string, write func(*os.File) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return fmt.Errorf("%s is a directory: give a file name ending in .cnb", path)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("moving %s into place: %w", path, err)
	}
	ok = true
	return nil
}
