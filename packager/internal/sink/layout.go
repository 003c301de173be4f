package sink

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
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

	"github.com/cnbkit/cnbkit/internal/ctxio"
	"github.com/cnbkit/cnbkit/sdk/spec"
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
	// RefName, for layouts, is the org.opencontainers.image.ref.name of the entry.
	RefName string
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
			n, err := ctxio.Copy(ctx, tw, r)
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

// RefNameAnnotation names an entry of a layout's index.json; an entry written with the
// same name replaces the earlier one.
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// WriteLayout writes entries into the OCI image layout at dir.
//
// A missing folder becomes a new layout, written in a temporary folder beside it and
// renamed into place; an empty folder is filled. A folder that already holds a layout (an
// oci-layout file) is added to, as image layout tools do: the blobs it lacks are written,
// those it has are kept (rewritten only when their content does not match their name),
// and index.json gets the new entries after its own, except that an earlier entry with the
// same org.opencontainers.image.ref.name as a new one is dropped from index.json. Nothing
// is ever deleted: blobs of a dropped entry stay. A folder that is neither empty nor a
// layout is left alone and an error is returned.
func WriteLayout(ctx context.Context, dir string, entries []Entry) error {
	existing, err := layoutState(dir)
	if err != nil {
		return err
	}
	descs, blobs, err := collect(entries)
	if err != nil {
		return err
	}
	for i, e := range entries {
		if e.RefName != "" {
			descs[i].Annotations = map[string]string{RefNameAnnotation: e.RefName}
		}
	}
	switch existing {
	case layoutAbsent:
		return writeNewLayout(ctx, dir, descs, blobs)
	case layoutEmpty:
		if err := writeBlobs(ctx, dir, blobs); err != nil {
			return err
		}
		index, err := indexJSON(descs)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(dir, "index.json"), index); err != nil {
			return err
		}
		return writeFileAtomic(filepath.Join(dir, "oci-layout"), []byte(ociLayout))
	}
	old, err := readIndex(dir)
	if err != nil {
		return err
	}
	if err := writeBlobs(ctx, dir, blobs); err != nil {
		return err
	}
	replaced := map[string]bool{}
	for _, d := range descs {
		if n := d.Annotations[RefNameAnnotation]; n != "" {
			replaced[n] = true
		}
	}
	var merged []v1.Descriptor
	for _, d := range old.Manifests {
		if n := d.Annotations[RefNameAnnotation]; n == "" || !replaced[n] {
			merged = append(merged, d)
		}
	}
	old.Manifests = append(merged, descs...)
	index, err := json.Marshal(old)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, "index.json"), index)
}

type layoutKind int

const (
	layoutAbsent layoutKind = iota
	layoutEmpty
	layoutExisting
)

// layoutState says what dir is; a folder that is neither empty nor a layout is an error.
func layoutState(dir string) (layoutKind, error) {
	info, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return layoutAbsent, nil
	}
	if err != nil || !info.IsDir() {
		return 0, fmt.Errorf("%s exists and is not a folder: choose another output path for the layout", dir)
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("%s cannot be read: %w", dir, err)
	}
	if len(des) == 0 {
		return layoutEmpty, nil
	}
	if info, err := os.Lstat(filepath.Join(dir, "oci-layout")); err != nil || !info.Mode().IsRegular() {
		return 0, fmt.Errorf("%s exists and is not an OCI layout: refusing to write into it, choose another output path or an empty folder", dir)
	}
	return layoutExisting, nil
}

// readIndex reads the index.json of an existing layout, keeping every field it has.
func readIndex(dir string) (*v1.IndexManifest, error) {
	p := filepath.Join(dir, "index.json")
	data, err := spec.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("reading the index.json of the existing layout: %w", err)
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("%s is not a valid image index (%v): cnbkit adds only to valid layouts; choose another output path", p, err)
	}
	if idx.SchemaVersion == 0 {
		idx.SchemaVersion = 2
	}
	if idx.MediaType == "" {
		idx.MediaType = types.OCIImageIndex
	}
	return &idx, nil
}

// writeNewLayout writes a complete layout in a temporary folder beside dir and renames it
// into place.
func writeNewLayout(ctx context.Context, dir string, descs []v1.Descriptor, blobs []blob) error {
	index, err := indexJSON(descs)
	if err != nil {
		return err
	}
	return atomicDir(dir, func(tmp string) error {
		if err := writeBlobs(ctx, tmp, blobs); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(tmp, "index.json"), index, 0o644); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(tmp, "oci-layout"), []byte(ociLayout), 0o644)
	})
}

// writeBlobs writes into <root>/blobs/sha256 the blobs it lacks, each through a temporary
// file renamed into place. A blob already there is kept when its content matches its name.
func writeBlobs(ctx context.Context, root string, blobs []blob) error {
	bdir := filepath.Join(root, "blobs", "sha256")
	if err := os.MkdirAll(bdir, 0o755); err != nil {
		return err
	}
	for _, b := range blobs {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := filepath.Join(bdir, b.digest.Hex)
		if intact(ctx, p, b) {
			continue
		}
		err := writeBlob(b, func(r io.Reader) error {
			return atomicFile(p, func(f *os.File) error {
				_, err := ctxio.Copy(ctx, f, r)
				return err
			})
		})
		if err != nil {
			return fmt.Errorf("writing blob %s: %w", b.digest, err)
		}
	}
	return nil
}

// intact reports whether the file at p holds blob b.
func intact(ctx context.Context, p string, b blob) bool {
	f, err := spec.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	h := sha256.New()
	n, err := ctxio.Copy(ctx, h, f)
	return err == nil && n == b.size && hex.EncodeToString(h.Sum(nil)) == b.digest.Hex
}

func writeFileAtomic(p string, data []byte) error {
	return atomicFile(p, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// CheckFile returns an error unless path can take a .cnb file: a new name or a regular
// file (replaced atomically). A folder, a device, a pipe or a socket is refused: writing
// beside it and renaming would replace it.
func CheckFile(path string) error {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case info.IsDir():
		return fmt.Errorf("%s is a folder: give a file name ending in .cnb, or FormatLayout to write an OCI layout folder", path)
	case !info.Mode().IsRegular():
		return fmt.Errorf("refusing to write the package to %s: %w", path, &spec.NotRegularError{Path: path, Mode: info.Mode()})
	}
	return nil
}

// atomicFile writes path through a temporary file in the same directory renamed into place.
func atomicFile(path string, write func(*os.File) error) error {
	if err := CheckFile(path); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
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
