package greeter_test

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/cnbtest"
	"github.com/cnbkit/cnbkit/sdk/dependency"

	"github.com/cnbkit/cnbkit/sdk/examples/greeter"
)

func TestDescriptor(t *testing.T) {
	NewWithT(t).Expect(sdk.CheckDescriptor[sdk.None, greeter.Config](".")).To(Succeed())
}

func TestDetect(t *testing.T) {
	t.Parallel()
	out := cnbtest.Detect(t, greeter.Detect, cnbtest.Options{BuildpackDir: "."})
	NewWithT(t).Expect(out).To(cnbtest.HavePassed())
}

// buildpackDir is this buildpack with its inventory pointing at a greeter-1.2.0 archive
// made here (file://, with its real checksum): no network.
func buildpackDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	archive := filepath.Join(dir, "greeter-1.2.0-linux-amd64.tgz")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	script := "#!/bin/sh\necho hello\n"
	for _, h := range []*tar.Header{
		{Name: "greeter-1.2.0/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "greeter-1.2.0/bin/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "greeter-1.2.0/bin/greeter", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(script))},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tw.Write([]byte(script)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	desc, err := os.ReadFile("buildpack.toml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(desc), "https://downloads.example.com/greeter/greeter-1.2.0-linux-amd64.tgz", "file://"+archive, 1)
	text = strings.Replace(text, strings.Repeat("0", 64), hex.EncodeToString(sum[:]), 1)
	bp := filepath.Join(dir, "buildpack")
	if err := os.MkdirAll(bp, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bp, "buildpack.toml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return bp
}

func TestBuild(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	opts := cnbtest.Options{BuildpackDir: buildpackDir(t)}
	first := cnbtest.Build(t, greeter.Build, opts)
	g.Expect(first).To(cnbtest.HavePassed())
	g.Expect(first).To(cnbtest.HaveProcess("greet", "greeter"))
	layer := first.Layers["greeter"]
	g.Expect(cnbtest.LayerMetadata[dependency.LayerMetadata](first, "greeter")).To(HaveField("Version", "1.2.0"))
	g.Expect(layer.LaunchEnv()["PATH"].Prepend).To(Equal(filepath.Join(layer.Path, "bin")))
	g.Expect(layer.SBOM).To(ConsistOf("greeter.sbom.cdx.json", "greeter.sbom.spdx.json"))
	info, err := os.Stat(filepath.Join(layer.Path, "bin", "greeter"))
	g.Expect(err).NotTo(HaveOccurred(), "strip-components = 1 drops greeter-1.2.0/")
	g.Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o755)))

	opts.Layers = first.LayersDir
	g.Expect(cnbtest.Build(t, greeter.Build, opts)).To(cnbtest.HaveReusedLayer("greeter"), "same checksum: no download, no extraction")

	opts.Env = map[string]string{"BP_GREETER_VERSION": "2.*"}
	g.Expect(cnbtest.Build(t, greeter.Build, opts)).To(cnbtest.HaveErrored(`no version of greeter matches "2.*" for target linux/amd64: versions available for this target: 1.2.0`))
	opts.Env = map[string]string{"BP_GREETER_VERSION": "two"}
	g.Expect(cnbtest.Build(t, greeter.Build, opts)).To(cnbtest.HaveErrored("BP_GREETER_VERSION=\"two\" is not valid"))
}
