package source

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/cnbkit/cnbkit/sdk/spec"
)

// Kind says where a package comes from.
type Kind string

// Kinds of sources.
const (
	KindFile     Kind = "file"
	KindLayout   Kind = "layout"
	KindRegistry Kind = "registry"
)

// Image is one image of a package with its platform.
type Image struct {
	Platform v1.Platform
	Digest   v1.Hash
	Image    v1.Image
}

// Package is an opened buildpackage.
type Package struct {
	// Name is what was opened: a path or an image reference.
	Name string
	Kind Kind
	// Digest is the digest of the top manifest (index or image) when known.
	Digest v1.Hash
	// MediaType is the media type of the top manifest.
	MediaType types.MediaType
	Images    []Image
	closer    io.Closer
}

// Close releases open files.
func (p *Package) Close() error {
	if p.closer != nil {
		return p.closer.Close()
	}
	return nil
}

// Select returns the image for target t: the one whose os, architecture, variant and
// os.version match what t sets. A package with one image without architecture serves any.
func (p *Package) Select(t spec.Target) (Image, error) {
	var have []string
	for _, img := range p.Images {
		if matches(img.Platform, t) {
			return img, nil
		}
		have = append(have, PlatformString(img.Platform))
	}
	if len(p.Images) == 1 && p.Images[0].Platform.Architecture == "" {
		return p.Images[0], nil
	}
	return Image{}, fmt.Errorf("%s has no image for %s (it has %s): package it for that target too, or choose targets it has",
		p.Name, t, strings.Join(have, ", "))
}

func matches(p v1.Platform, t spec.Target) bool {
	eq := func(want, have string) bool { return want == "" || have == "" || want == have }
	if !eq(t.OS, p.OS) || !eq(t.Arch, p.Architecture) || !eq(t.Variant, p.Variant) {
		return false
	}
	if len(t.Distros) == 1 && t.Distros[0].Version != "" && p.OSVersion != "" && p.OSVersion != t.Distros[0].Version {
		return false
	}
	return true
}

// PlatformString renders os/arch[/variant][:os.version].
func PlatformString(p v1.Platform) string {
	s := p.OS
	if p.Architecture != "" {
		s += "/" + p.Architecture
	}
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	if p.OSVersion != "" {
		s += ":" + p.OSVersion
	}
	return s
}

// Open opens a .cnb file, an OCI layout directory or, if path names neither, an image
// reference (with or without a docker:// prefix). A path that exists but is neither a
// regular file nor a directory (a named pipe, a device) is refused before it is opened.
func Open(ctx context.Context, ref string, opts ...remote.Option) (*Package, error) {
	if info, err := os.Stat(ref); err == nil {
		switch {
		case info.IsDir():
			return OpenLayout(ref)
		case info.Mode().IsRegular():
			return OpenFile(ref)
		}
		return nil, &spec.NotRegularError{Path: ref, Mode: info.Mode(), Want: "a .cnb file, an OCI layout folder or an image reference"}
	}
	if strings.HasSuffix(ref, ".cnb") || strings.HasPrefix(ref, ".") || strings.HasPrefix(ref, "/") {
		return nil, fmt.Errorf("opening %s: no such file or directory", ref)
	}
	return OpenRemote(ctx, strings.TrimPrefix(ref, "docker://"), opts...)
}

// blobs reads the blobs of a layout by digest.
type blobs interface {
	open(h v1.Hash) (io.ReadCloser, error)
}

// OpenLayout opens an OCI image layout directory. Every blob is verified against its
// digest as it is read.
func OpenLayout(dir string) (*Package, error) {
	d := dirBlobs(dir)
	p := &Package{Name: dir, Kind: KindLayout}
	read := func(n string) ([]byte, error) {
		f, err := spec.Open(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return readLimited(f, n, maxManifestSize)
	}
	if err := readLayout(p, d, read); err != nil {
		return nil, wrapRead("reading OCI layout "+dir, err)
	}
	return p, nil
}

type dirBlobs string

func (d dirBlobs) open(h v1.Hash) (io.ReadCloser, error) {
	if err := checkDigest(h); err != nil {
		return nil, err
	}
	return spec.Open(filepath.Join(string(d), "blobs", h.Algorithm, h.Hex))
}

// checkDigest refuses digests that could not name a blob file (a hostile index could
// otherwise name a path such as ../../etc/passwd).
func checkDigest(h v1.Hash) error {
	if h.Algorithm != "sha256" || len(h.Hex) != 64 || strings.Trim(h.Hex, "0123456789abcdef") != "" {
		return fmt.Errorf("digest %q is not sha256:<64 lower-case hex digits>", h)
	}
	return nil
}

// readLimited reads all of r, refusing more than limit bytes.
func readLimited(r io.Reader, name string, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, limit)
	}
	return data, nil
}

// OpenFile opens a .cnb file: a tar of an OCI layout, read in place. Every blob is
// verified against its digest as it is read.
func OpenFile(path string) (*Package, error) {
	f, err := spec.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	t, err := indexTar(f, path)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("reading %s: %w (a .cnb file is a tar of an OCI image layout)", path, err)
	}
	p := &Package{Name: path, Kind: KindFile, closer: f}
	if err := readLayout(p, t, t.read); err != nil {
		f.Close()
		return nil, wrapRead("reading "+path, err)
	}
	return p, nil
}

// wrapRead prefixes what was being read, except for a *DigestError, which names it already.
func wrapRead(what string, err error) error {
	var de *DigestError
	if errors.As(err, &de) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

type tarBlobs struct {
	f       *os.File
	entries map[string][2]int64 // name → offset, size
}

func indexTar(f *os.File, name string) (*tarBlobs, error) {
	t := &tarBlobs{f: f, entries: map[string][2]int64{}}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		off, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, err
		}
		n := strings.TrimPrefix(strings.TrimPrefix(filepath.ToSlash(hdr.Name), "/"), "./")
		if _, dup := t.entries[n]; dup {
			return nil, fmt.Errorf("%s holds %s twice", name, n)
		}
		t.entries[n] = [2]int64{off, hdr.Size}
	}
	return t, nil
}

func (t *tarBlobs) read(n string) ([]byte, error) {
	e, ok := t.entries[n]
	if !ok {
		return nil, fmt.Errorf("%s: %w", n, os.ErrNotExist)
	}
	return readLimited(io.NewSectionReader(t.f, e[0], e[1]), n, maxManifestSize)
}

func (t *tarBlobs) open(h v1.Hash) (io.ReadCloser, error) {
	if err := checkDigest(h); err != nil {
		return nil, err
	}
	e, ok := t.entries["blobs/"+h.Algorithm+"/"+h.Hex]
	if !ok {
		return nil, fmt.Errorf("blob %s: %w", h, os.ErrNotExist)
	}
	return io.NopCloser(io.NewSectionReader(t.f, e[0], e[1])), nil
}

func readLayout(p *Package, b blobs, read func(string) ([]byte, error)) error {
	if _, err := read("oci-layout"); err != nil {
		return fmt.Errorf("no oci-layout file: %w", err)
	}
	raw, err := read("index.json")
	if err != nil {
		return fmt.Errorf("no index.json: %w", err)
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(raw, &idx); err != nil {
		return fmt.Errorf("decoding index.json: %w", err)
	}
	if len(idx.Manifests) == 0 {
		return errors.New("index.json lists no image")
	}
	p.Digest, p.MediaType = idx.Manifests[0].Digest, idx.Manifests[0].MediaType
	if len(idx.Manifests) > 1 {
		p.MediaType = types.OCIImageIndex // a flat multi-image file
		p.Digest = v1.Hash{}
	}
	return addManifests(p, b, idx.Manifests, 0)
}

func addManifests(p *Package, b blobs, descs []v1.Descriptor, depth int) error {
	if depth > 4 {
		return errors.New("image indexes are nested too deeply")
	}
	for _, d := range descs {
		switch {
		case d.MediaType.IsIndex():
			raw, err := readBlob(p.Name, b, d, "image index", maxManifestSize)
			if err != nil {
				return err
			}
			var idx v1.IndexManifest
			if err := json.Unmarshal(raw, &idx); err != nil {
				return fmt.Errorf("decoding index %s: %w", d.Digest, err)
			}
			if err := addManifests(p, b, idx.Manifests, depth+1); err != nil {
				return err
			}
		case d.MediaType.IsImage():
			raw, err := readBlob(p.Name, b, d, "manifest", maxManifestSize)
			if err != nil {
				return err
			}
			m, err := v1.ParseManifest(bytes.NewReader(raw))
			if err != nil {
				return fmt.Errorf("decoding manifest %s: %w", d.Digest, err)
			}
			img, err := partial.CompressedToImage(&blobImage{source: p.Name, b: b, raw: raw, manifest: m, mt: d.MediaType})
			if err != nil {
				return err
			}
			cfg, err := img.ConfigFile()
			if err != nil {
				return fmt.Errorf("reading config of image %s: %w", d.Digest, err)
			}
			p.Images = append(p.Images, Image{Platform: platformOf(cfg), Digest: d.Digest, Image: verifiedImage{Image: img, source: p.Name}})
		default:
			return fmt.Errorf("manifest %s has media type %q, not an image or an index", d.Digest, d.MediaType)
		}
	}
	return nil
}

func platformOf(cfg *v1.ConfigFile) v1.Platform {
	return v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant, OSVersion: cfg.OSVersion}
}

// readBlob reads a small blob (index, manifest, config) listed by d, verifying its size and
// digest as it streams.
func readBlob(source string, b blobs, d v1.Descriptor, what string, limit int64) ([]byte, error) {
	if d.Size > limit {
		return nil, fmt.Errorf("%s %s is listed with %d bytes, more than the %d a %s may have", what, d.Digest, d.Size, limit, what)
	}
	size := d.Size
	if size <= 0 {
		size = -1
	}
	rc, err := b.open(d.Digest)
	if err != nil {
		return nil, fmt.Errorf("reading %s %s: %w", what, d.Digest, err)
	}
	defer rc.Close()
	v := verify(rc, DigestError{Source: source, What: what, Digest: d.Digest}, size, v1.Hash{}, "")
	data, err := readLimited(v, what+" "+d.Digest.String(), limit)
	if err != nil {
		var de *DigestError
		if errors.As(err, &de) {
			return nil, err
		}
		return nil, fmt.Errorf("reading %s %s: %w", what, d.Digest, err)
	}
	return data, nil
}

type blobImage struct {
	source   string
	b        blobs
	raw      []byte
	manifest *v1.Manifest
	mt       types.MediaType
}

func (i *blobImage) RawManifest() ([]byte, error)        { return i.raw, nil }
func (i *blobImage) MediaType() (types.MediaType, error) { return i.mt, nil }
func (i *blobImage) RawConfigFile() ([]byte, error) {
	return readBlob(i.source, i.b, i.manifest.Config, "config", maxConfigSize)
}
func (i *blobImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	for j, l := range i.manifest.Layers {
		if l.Digest != h {
			continue
		}
		raw, err := i.RawConfigFile()
		if err != nil {
			return nil, err
		}
		cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("decoding config %s: %w", i.manifest.Config.Digest, err)
		}
		if len(cfg.RootFS.DiffIDs) != len(i.manifest.Layers) {
			return nil, fmt.Errorf("the manifest lists %d layers but the config %d diff IDs", len(i.manifest.Layers), len(cfg.RootFS.DiffIDs))
		}
		return &blobLayer{b: i.b, desc: l, diffID: cfg.RootFS.DiffIDs[j]}, nil
	}
	if i.manifest.Config.Digest == h {
		return &blobLayer{b: i.b, desc: i.manifest.Config}, nil
	}
	return nil, fmt.Errorf("blob %s is not part of the image", h)
}

// blobLayer reads a layer blob as stored; verifiedImage wraps it with the checks.
type blobLayer struct {
	b      blobs
	desc   v1.Descriptor
	diffID v1.Hash // from the config: checked, not computed, when the layer is read
}

func (l *blobLayer) DiffID() (v1.Hash, error) {
	if l.diffID.Hex == "" {
		return v1.Hash{}, fmt.Errorf("blob %s is not a layer", l.desc.Digest)
	}
	return l.diffID, nil
}

func (l *blobLayer) Digest() (v1.Hash, error) { return l.desc.Digest, nil }
func (l *blobLayer) Size() (int64, error)     { return l.desc.Size, nil }
func (l *blobLayer) MediaType() (types.MediaType, error) {
	return l.desc.MediaType, nil
}
func (l *blobLayer) Compressed() (io.ReadCloser, error) {
	return l.b.open(l.desc.Digest)
}

// OpenRemote reads an image or image index from a registry. Layers are fetched lazily.
func OpenRemote(ctx context.Context, ref string, opts ...remote.Option) (*Package, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("parsing image reference %q: %w", ref, err)
	}
	opts = append([]remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}, opts...)
	desc, err := remote.Get(r, opts...)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", ref, err)
	}
	p := &Package{Name: ref, Kind: KindRegistry, Digest: desc.Digest, MediaType: desc.MediaType}
	switch {
	case desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, fmt.Errorf("reading index %s: %w", ref, err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, fmt.Errorf("reading index %s: %w", ref, err)
		}
		for _, d := range im.Manifests {
			if !d.MediaType.IsImage() {
				continue
			}
			img, err := idx.Image(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("reading image %s of %s: %w", d.Digest, ref, err)
			}
			cfg, err := img.ConfigFile()
			if err != nil {
				return nil, fmt.Errorf("reading config of image %s of %s: %w", d.Digest, ref, err)
			}
			p.Images = append(p.Images, Image{Platform: platformOf(cfg), Digest: d.Digest, Image: verifiedImage{Image: img, source: ref}})
		}
	default:
		img, err := desc.Image()
		if err != nil {
			return nil, fmt.Errorf("reading image %s: %w", ref, err)
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("reading config of %s: %w", ref, err)
		}
		p.Images = append(p.Images, Image{Platform: platformOf(cfg), Digest: desc.Digest, Image: verifiedImage{Image: img, source: ref}})
	}
	return p, nil
}
