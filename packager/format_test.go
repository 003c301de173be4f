package packager_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/packager"
)

// TestPrebuiltBuildpackIsPackagedAsPackWritesIt checks the .cnb layout, the image config,
// the labels (byte for byte) and the layer entries.
func TestPrebuiltBuildpackIsPackagedAsPackWritesIt(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	bp := filepath.Join(dir, "bp")
	files := bashBuildpack("my-org/bash", "1.0.0", "\n[[buildpack.licenses]]\ntype = \"MIT\"\n\n[[stacks]]\nid = \"*\"\n\n[[targets]]\nos = \"linux\"\narch = \"amd64\"\n")
	files["lib/helper.sh"] = "echo helper\n"
	files["lib/tool"] = "#!/bin/sh\n"
	files[".git/HEAD"] = "ref\n"
	files["testdata/x.txt"] = "x\n"
	files["package.toml"] = "[buildpack]\nuri = \".\"\n"
	files["old.cnb"] = "junk"
	writeTree(t, bp, files)
	g.Expect(os.Chmod(filepath.Join(bp, "bin/detect"), 0o700)).To(Succeed())
	g.Expect(os.Symlink("helper.sh", filepath.Join(bp, "lib/link.sh"))).To(Succeed())

	p, err := packager.Build(ctx(t), packager.Options{Path: bp})
	g.Expect(err).NotTo(HaveOccurred())
	defer p.Close()
	out := filepath.Join(dir, "out", "bash.cnb")
	outs, err := packager.FileSink{Name: out}.Write(ctx(t), p)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(outs).To(HaveLen(1))
	g.Expect(outs[0].Location).To(Equal(out))

	f, err := os.Open(out)
	g.Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	entries := readTar(t, f, false)
	names := entryNames(entries)
	g.Expect(names[:2]).To(Equal([]string{"/blobs", "/blobs/sha256"}))
	g.Expect(names[len(names)-2:]).To(Equal([]string{"/index.json", "/oci-layout"}))
	blobs := map[string][]byte{}
	var index v1.IndexManifest
	for _, e := range entries {
		g.Expect(e.hdr.ModTime.UTC().Year()).To(Equal(1980))
		g.Expect(e.hdr.Uid).To(BeZero())
		if filepath.Dir(e.hdr.Name) == "/blobs/sha256" {
			blobs["sha256:"+filepath.Base(e.hdr.Name)] = e.data
		}
		if e.hdr.Name == "/index.json" {
			g.Expect(json.Unmarshal(e.data, &index)).To(Succeed())
		}
	}
	g.Expect(index.Manifests).To(HaveLen(1))
	g.Expect(index.Manifests[0].MediaType).To(Equal(types.OCIManifestSchema1))
	var m v1.Manifest
	g.Expect(json.Unmarshal(blobs[index.Manifests[0].Digest.String()], &m)).To(Succeed())
	g.Expect(m.Config.MediaType).To(Equal(types.OCIConfigJSON))
	g.Expect(m.Layers).To(HaveLen(1))
	g.Expect(m.Layers[0].MediaType).To(Equal(types.OCILayer))
	var cfg v1.ConfigFile
	g.Expect(json.Unmarshal(blobs[m.Config.Digest.String()], &cfg)).To(Succeed())
	g.Expect(cfg.OS).To(Equal("linux"))
	g.Expect(cfg.Architecture).To(Equal("amd64"))
	g.Expect(cfg.RootFS.DiffIDs).To(HaveLen(1))
	diffID := cfg.RootFS.DiffIDs[0].String()

	g.Expect(cfg.Config.Labels["io.buildpacks.buildpackage.metadata"]).To(Equal(
		`{"id":"my-org/bash","name":"Test my-org/bash","version":"1.0.0","homepage":"https://example.com/my-org/bash","licenses":[{"Type":"MIT","URI":""}],"stacks":[{"id":"*"}]}`))
	g.Expect(cfg.Config.Labels["io.buildpacks.buildpack.layers"]).To(Equal(
		`{"my-org/bash":{"1.0.0":{"api":"0.10","stacks":[{"id":"*"}],"targets":[{"os":"linux","arch":"amd64"}],"layerDiffID":"` + diffID + `","homepage":"https://example.com/my-org/bash","name":"Test my-org/bash"}}}`))

	layerBlob := blobs[m.Layers[0].Digest.String()]
	g.Expect(layerBlob).NotTo(BeNil())
	layerEntries := readTar(t, bytesReader(layerBlob), true)
	root := "/cnb/buildpacks/my-org_bash/1.0.0"
	type row struct {
		Name string
		Mode int64
		Link string
	}
	var rows []row
	for _, e := range layerEntries {
		g.Expect(e.hdr.Uid).To(BeZero())
		g.Expect(e.hdr.Gid).To(BeZero())
		g.Expect(e.hdr.Uname).To(BeEmpty())
		g.Expect(e.hdr.ModTime.UTC().String()).To(Equal("1980-01-01 00:00:01 +0000 UTC"))
		rows = append(rows, row{e.hdr.Name, e.hdr.Mode, e.hdr.Linkname})
	}
	g.Expect(rows).To(Equal([]row{
		{"/cnb/buildpacks/my-org_bash", 0o755, ""},
		{root, 0o755, ""},
		{root + "/bin", 0o755, ""},
		{root + "/bin/build", 0o755, ""},
		{root + "/bin/detect", 0o755, ""},
		{root + "/buildpack.toml", 0o644, ""},
		{root + "/lib", 0o755, ""},
		{root + "/lib/helper.sh", 0o644, ""},
		{root + "/lib/link.sh", 0o755, "helper.sh"},
		{root + "/lib/tool", 0o755, ""},
	}), "layer entries of the packaged bash buildpack")
}
