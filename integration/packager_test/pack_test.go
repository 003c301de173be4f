package packagertest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/harness"
	"github.com/cnbkit/cnbkit/packager"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for n, content := range files {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasPrefix(content, "#!") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
}

var hostTarget = spec.Target{OS: "linux", Arch: runtime.GOARCH}

// fixtures writes a Go buildpack (compiled by the packager), a bash buildpack and a
// composite ordering both, and returns the root directory.
func fixtures(t *testing.T) string {
	root := t.TempDir()
	writeTree(t, filepath.Join(root, "go-bp"), map[string]string{
		"buildpack.toml": `api = "0.10"

[buildpack]
id = "it/go"
version = "1.0.0"
name = "IT Go"

[[targets]]
os = "linux"
arch = "amd64"

[[targets]]
os = "linux"
arch = "arm64"
`,
		"go.mod": "module example.com/itgo\n\ngo 1.26\n",
		"cmd/main.go": `package main

import (
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if filepath.Base(os.Args[0]) == "detect" {
		fmt.Println("it/go detect passes")
		return
	}
	fmt.Println("it/go build")
}
`,
	})
	writeTree(t, filepath.Join(root, "bash-bp"), map[string]string{
		"buildpack.toml": "api = \"0.10\"\n\n[buildpack]\nid = \"it/bash\"\nversion = \"2.0.0\"\n\n[[targets]]\nos = \"linux\"\n",
		"bin/detect":     "#!/bin/sh\necho it/bash detect passes\nexit 0\n",
		"bin/build":      "#!/bin/sh\necho it/bash build\n",
	})
	writeTree(t, filepath.Join(root, "comp"), map[string]string{
		"buildpack.toml": `api = "0.10"

[buildpack]
id = "it/comp"
version = "3.0.0"

[[order]]
[[order.group]]
id = "it/go"
version = "1.0.0"
[[order.group]]
id = "it/bash"
version = "2.0.0"
optional = true
`,
		"package.toml": "[buildpack]\nuri = \".\"\n\n[[dependencies]]\nuri = \"../go-bp\"\n\n[[dependencies]]\nuri = \"../bash-bp\"\n",
	})
	return root
}

func build(t *testing.T, opts packager.Options) *packager.Package {
	t.Helper()
	p, err := packager.Build(testContext(t), opts)
	if err != nil {
		t.Fatalf("packaging %s: %v", opts.Path, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func writeFile(t *testing.T, p *packager.Package, path string) string {
	t.Helper()
	outs, err := packager.FileSink{Name: path}.Write(testContext(t), p)
	if err != nil {
		t.Fatal(err)
	}
	return outs[0].Location
}

func TestPackInspectsOurPackages(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := testContext(t)
	root := fixtures(t)
	for _, tc := range []struct {
		dir  string
		want []string
	}{
		{"go-bp", []string{"it/go", "1.0.0", "IT Go"}},
		{"comp", []string{"it/comp", "3.0.0", "it/go@1.0.0", "it/bash@2.0.0"}},
	} {
		// A multi-arch file: pack reads the first image listed.
		p := build(t, packager.Options{Path: filepath.Join(root, tc.dir), Targets: []spec.Target{hostTarget, {OS: "linux", Arch: "arm64", Variant: "v8"}}})
		outs, err := packager.FileSink{Name: filepath.Join(root, "out", tc.dir+".cnb"), MultiArch: true}.Write(ctx, p)
		g.Expect(err).NotTo(HaveOccurred())
		file := outs[0].Location
		out, err := packCmd(ctx, t, root, "buildpack", "inspect", file)
		g.Expect(err).NotTo(HaveOccurred())
		for _, w := range tc.want {
			g.Expect(out).To(ContainSubstring(w), "pack buildpack inspect %s", file)
		}
		if tc.dir == "comp" {
			g.Expect(out).To(MatchRegexp(`it/bash@2\.0\.0\s+\(optional\)`), "pack shows the optional group entry")
		}
	}
}

func TestPackUsesOurCNBInItsComposite(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := testContext(t)
	root := fixtures(t)
	goPkg := build(t, packager.Options{Path: filepath.Join(root, "go-bp"), Targets: []spec.Target{hostTarget}})
	goFile := writeFile(t, goPkg, filepath.Join(root, "out", "go.cnb"))
	bashPkg := build(t, packager.Options{Path: filepath.Join(root, "bash-bp"), Targets: []spec.Target{hostTarget}})
	bashFile := writeFile(t, bashPkg, filepath.Join(root, "out", "bash.cnb"))
	writeTree(t, filepath.Join(root, "pack-comp"), map[string]string{
		"buildpack.toml": strings.Replace(readFile(t, filepath.Join(root, "comp", "buildpack.toml")), "it/comp", "it/pack-comp", 1),
		"package.toml":   "[buildpack]\nuri = \".\"\n\n[[dependencies]]\nuri = \"" + goFile + "\"\n\n[[dependencies]]\nuri = \"" + bashFile + "\"\n",
	})
	out := filepath.Join(root, "out", "pack-comp.cnb")
	_, err := packCmd(ctx, t, filepath.Join(root, "pack-comp"), "buildpack", "package", out, "--config", "package.toml", "--format", "file", "--target", "linux/"+runtime.GOARCH)
	g.Expect(err).NotTo(HaveOccurred())
	if _, err := os.Stat(out); err != nil {
		// pack names multi-target files itself; find what it wrote.
		matches, _ := filepath.Glob(filepath.Join(root, "out", "pack-comp*.cnb"))
		g.Expect(matches).NotTo(BeEmpty(), "pack wrote no pack-comp .cnb")
		out = matches[0]
	}
	info, err := packager.Inspect(ctx, out, packager.RegistryOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	ours, err := packager.Inspect(ctx, goFile, packager.RegistryOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	inPack, ok := info.Buildpack("it/go", "1.0.0")
	g.Expect(ok).To(BeTrue(), "pack's composite holds it/go@1.0.0")
	g.Expect(inPack.LayerDiffID).To(Equal(ours.Buildpacks[0].LayerDiffID), "pack kept our layer byte for byte")
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// stackImage pushes a minimal build or run image pack accepts for a builder.
func stackImage(t *testing.T, ref string) {
	t.Helper()
	img, err := mutate.Config(empty.Image, v1.Config{
		Env:    []string{"CNB_USER_ID=1000", "CNB_GROUP_ID=1000", "PATH=/usr/bin:/bin"},
		User:   "1000:1000",
		Labels: map[string]string{"io.buildpacks.stack.id": "it.stack", "io.buildpacks.base.distro.name": "debian", "io.buildpacks.base.distro.version": "12"},
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", runtime.GOARCH
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
}

func TestPackBuilderCreateAcceptsOurPackages(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := testContext(t)
	lc, err := harness.Lifecycle(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	reg := harness.StartRegistry(t)
	root := fixtures(t)
	stackImage(t, reg.Ref("it/build:1"))
	stackImage(t, reg.Ref("it/run:1"))

	// The composite is published as a multi-arch index: pack picks the image of --target.
	comp := build(t, packager.Options{Path: filepath.Join(root, "comp"), Targets: []spec.Target{{OS: "linux", Arch: "amd64"}, {OS: "linux", Arch: "arm64"}}})
	_, err = publish(ctx, comp, reg.Ref("it/comp:3.0.0"), packager.RegistryOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	bash := build(t, packager.Options{Path: filepath.Join(root, "bash-bp"), Targets: []spec.Target{hostTarget}})
	bashFile := writeFile(t, bash, filepath.Join(root, "out", "bash.cnb"))

	writeTree(t, filepath.Join(root, "builder"), map[string]string{"builder.toml": `[[buildpacks]]
uri = "` + reg.Ref("it/comp:3.0.0") + `"

[[buildpacks]]
uri = "` + bashFile + `"

[[order]]
[[order.group]]
id = "it/comp"
version = "3.0.0"

[[order]]
[[order.group]]
id = "it/bash"
version = "2.0.0"

[lifecycle]
uri = "` + lc.Tarball + `"

[build]
image = "` + reg.Ref("it/build:1") + `"

[run]
[[run.images]]
image = "` + reg.Ref("it/run:1") + `"
`})
	out, err := packCmd(ctx, t, filepath.Join(root, "builder"), "builder", "create", reg.Ref("it/builder:1"), "--config", "builder.toml", "--publish", "--target", "linux/"+runtime.GOARCH)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out).To(ContainSubstring("Successfully created builder image"))
	raw, err := crane.Config(reg.Ref("it/builder:1"))
	g.Expect(err).NotTo(HaveOccurred())
	var cfg v1.ConfigFile
	g.Expect(json.Unmarshal(raw, &cfg)).To(Succeed())
	var layers map[string]map[string]struct {
		LayerDiffID string `json:"layerDiffID"`
	}
	g.Expect(json.Unmarshal([]byte(cfg.Config.Labels["io.buildpacks.buildpack.layers"]), &layers)).To(Succeed())
	var hostImage v1.Image
	for _, img := range comp.Images {
		if img.Target.Arch == runtime.GOARCH {
			hostImage = img.Image
		}
	}
	g.Expect(hostImage).NotTo(BeNil())
	hostCfg, err := hostImage.ConfigFile()
	g.Expect(err).NotTo(HaveOccurred())
	var ours map[string]map[string]struct {
		LayerDiffID string `json:"layerDiffID"`
	}
	g.Expect(json.Unmarshal([]byte(hostCfg.Config.Labels["io.buildpacks.buildpack.layers"]), &ours)).To(Succeed())
	for id, versions := range ours {
		for v, l := range versions {
			g.Expect(layers[id][v].LayerDiffID).To(Equal(l.LayerDiffID), "the builder holds our %s layer of %s@%s", runtime.GOARCH, id, v)
		}
	}
}
