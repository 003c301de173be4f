package attest_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/packager/internal/attest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func example() attest.Package {
	return attest.Package{
		ID: "example/python-ffmpeg", Version: "1.0.0", Name: "Python with ffmpeg",
		Targets: []string{"linux/amd64", "linux/arm64"},
		Buildpacks: []attest.Buildpack{
			{ID: "example/ffmpeg", Version: "1.0.0", API: "0.10", Targets: []string{"linux/amd64"},
				Layers: []attest.Layer{{Target: "linux/amd64", DiffID: "sha256:" + hex('a'), Digest: "sha256:" + hex('b')}}},
			{ID: "example/python-ffmpeg", Version: "1.0.0", API: "0.10", Homepage: "https://example.com/bp", Targets: []string{"linux/amd64", "linux/arm64"},
				Layers: []attest.Layer{{Target: "linux/amd64", DiffID: "sha256:" + hex('c'), Digest: "sha256:" + hex('d')},
					{Target: "linux/arm64", DiffID: "sha256:" + hex('c'), Digest: "sha256:" + hex('d')}}},
		},
		Dependencies: []attest.Dependency{
			{Buildpack: "example/ffmpeg@1.0.0", Target: "linux/amd64", ID: "ffmpeg", Name: "FFmpeg", Version: "7.1.5",
				PURL: "pkg:generic/ffmpeg@7.1.5", URI: "https://downloads.example.com/ffmpeg-7.1.5-amd64.tar.xz", SHA256: hex('e'),
				CPEs: []string{"cpe:2.3:a:ffmpeg:ffmpeg:7.1.5:*:*:*:*:*:*:*"}, Licenses: []attest.License{{Type: "GPL-3.0-or-later"}, {Type: "LGPL-2.1-or-later OR MIT"}}},
		},
		Inputs: []attest.Input{
			{Name: "source of example/python-ffmpeg@1.0.0", Digest: map[string]string{"sha256": hex('f'), "gitCommit": "0123456789abcdef0123456789abcdef01234567"},
				URI: "git+https://git.example.com/org/buildpacks@0123456789abcdef0123456789abcdef01234567", Annotations: map[string]any{"path": "buildpacks/python-ffmpeg", "dirty": false}},
			{Name: "ffmpeg@7.1.5 (linux/amd64)", URI: "https://downloads.example.com/ffmpeg-7.1.5-amd64.tar.xz", Digest: map[string]string{"sha256": hex('e')}},
		},
		Parameters:     map[string]any{"buildpack": "example/python-ffmpeg@1.0.0", "targets": []string{"linux/amd64", "linux/arm64"}},
		BuilderVersion: "v1.2.3", GoVersion: "go1.26.0",
	}
}

func hex(c byte) string { return string(bytes.Repeat([]byte{c}, 64)) }

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var indented bytes.Buffer
	if err := json.Indent(&indented, got, "", "  "); err != nil {
		t.Fatalf("%s is not JSON: %v", name, err)
	}
	indented.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, indented.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s (run go test -update to write it): %v", path, err)
	}
	NewWithT(t).Expect(indented.String()).To(Equal(string(want)), "%s differs from the golden file (go test -update rewrites it)", name)
}

func TestSBOM(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	raw, err := attest.SBOM(example())
	g.Expect(err).NotTo(HaveOccurred())
	again, err := attest.SBOM(example())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again).To(Equal(raw), "the same package gives the same bytes")
	golden(t, "sbom.cdx.json", raw)

	var bom cdx.BOM
	g.Expect(cdx.NewBOMDecoder(bytes.NewReader(raw), cdx.BOMFileFormatJSON).Decode(&bom)).To(Succeed())
	g.Expect(bom.SerialNumber).To(MatchRegexp(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`))
	g.Expect(*bom.Dependencies).To(ContainElement(cdx.Dependency{Ref: "buildpack:example/ffmpeg@1.0.0",
		Dependencies: &[]string{"dependency:ffmpeg@7.1.5:" + hex('e')}}))

	other := example()
	other.Version = "1.0.1"
	raw2, err := attest.SBOM(other)
	g.Expect(err).NotTo(HaveOccurred())
	var bom2 cdx.BOM
	g.Expect(cdx.NewBOMDecoder(bytes.NewReader(raw2), cdx.BOMFileFormatJSON).Decode(&bom2)).To(Succeed())
	g.Expect(bom2.SerialNumber).NotTo(Equal(bom.SerialNumber), "another package, another serial number")
}

func TestProvenance(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	raw, err := attest.Provenance(example())
	g.Expect(err).NotTo(HaveOccurred())
	golden(t, "provenance.json", raw)
	var pr map[string]any
	g.Expect(json.Unmarshal(raw, &pr)).To(Succeed())
	g.Expect(pr).To(HaveKey("buildDefinition"))
	g.Expect(pr).To(HaveKey("runDetails"))
}
