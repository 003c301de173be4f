package packager_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/internal/registrytest"
	"github.com/cnbkit/cnbkit/packager"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// scramble changes everything that must not matter: modification times, permission bits
// within the same class (umask), owners.
func scramble(t *testing.T, root string, seed int) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			mode := info.Mode().Perm()
			switch {
			case info.IsDir():
				mode = []fs.FileMode{0o700, 0o755, 0o775}[seed%3]
			case mode&0o111 != 0:
				mode = []fs.FileMode{0o700, 0o755, 0o775}[seed%3]
			default:
				mode = []fs.FileMode{0o600, 0o644, 0o664}[seed%3]
			}
			if err := os.Chmod(p, mode); err != nil {
				return err
			}
			when := time.Date(2000+seed, time.Month(seed%12+1), 3, 4, 5, 6, 0, time.UTC)
			if err := os.Chtimes(p, when, when); err != nil {
				return err
			}
		}
		if os.Geteuid() == 0 {
			return os.Lchown(p, 1000+seed, 1000+seed)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func digests(t *testing.T, p *packager.Package) []string {
	t.Helper()
	var out []string
	for _, img := range p.Images {
		d, err := img.Image.Digest()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, img.Target.String()+"="+d.String())
	}
	return out
}

func TestSameInputsGiveSameDigests(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		files func() map[string]string
	}{
		{"prebuilt", func() map[string]string { return bashBuildpack("r/bash", "0.1.0", linuxTargets) }},
		{"go", func() map[string]string { return goBuildpack("r/go", "0.1.0") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			var got [][]string
			for i := 0; i < 2; i++ {
				// Different parent paths and names, different creation order of the files.
				dir := filepath.Join(t.TempDir(), strings.Repeat("deeper/", i), "bp")
				files := tc.files()
				if i == 1 {
					files["zz-extra-created-first/../README.md"] = "readme\n"
				} else {
					files["README.md"] = "readme\n"
				}
				writeTree(t, dir, files)
				scramble(t, dir, i+1)
				p, err := packager.Build(ctx(t), packager.Options{Path: dir})
				g.Expect(err).NotTo(HaveOccurred())
				got = append(got, digests(t, p))
				g.Expect(p.Close()).To(Succeed())
			}
			g.Expect(got[0]).To(HaveLen(2))
			g.Expect(got[1]).To(Equal(got[0]), "digests of two packages of the same %s buildpack prepared differently", tc.name)
		})
	}
}

// TestWorkingDirectoryDoesNotMatter packages with a relative path from two working directories.
func TestWorkingDirectoryDoesNotMatter(t *testing.T) {
	g := NewWithT(t)
	root := t.TempDir()
	writeTree(t, filepath.Join(root, "a", "bp"), bashBuildpack("r/wd", "1.0.0", ""))
	var got [][]string
	for _, wd := range []string{filepath.Join(root, "a"), filepath.Join(root, "a", "bp")} {
		t.Chdir(wd)
		path := "bp"
		if filepath.Base(wd) == "bp" {
			path = ""
		}
		p, err := packager.Build(ctx(t), packager.Options{Path: path})
		g.Expect(err).NotTo(HaveOccurred())
		got = append(got, digests(t, p))
		g.Expect(p.Close()).To(Succeed())
	}
	g.Expect(got[1]).To(Equal(got[0]))
}

// composite builds a composite whose components come from a directory, a .cnb file, an
// OCI layout and a registry, and returns its directory.
func composite(t *testing.T) string {
	t.Helper()
	g := NewWithT(t)
	root := t.TempDir()
	host := registrytest.Start(t)

	writeTree(t, filepath.Join(root, "a"), bashBuildpack("c/a", "1.0.0", linuxTargets))
	for _, id := range []string{"b", "c", "d"} {
		writeTree(t, filepath.Join(root, "src", id), bashBuildpack("c/"+id, "2.0.0", linuxTargets))
	}
	build := func(id string) *packager.Package {
		p, err := packager.Build(ctx(t), packager.Options{Path: filepath.Join(root, "src", id)})
		g.Expect(err).NotTo(HaveOccurred())
		t.Cleanup(func() { p.Close() })
		return p
	}
	_, err := packager.FileSink{Name: filepath.Join(root, "b.cnb"), MultiArch: true}.Write(ctx(t), build("b"))
	g.Expect(err).NotTo(HaveOccurred())
	_, err = one(packager.LayoutSink{Dir: filepath.Join(root, "c-layout")}.Write(ctx(t), build("c")))
	g.Expect(err).NotTo(HaveOccurred())
	out, err := one(packager.RegistrySink{Ref: host + "/c/d:2.0.0"}.Write(ctx(t), build("d")))
	g.Expect(err).NotTo(HaveOccurred())

	writeTree(t, filepath.Join(root, "comp"), map[string]string{
		"buildpack.toml": `api = "0.10"

[buildpack]
id = "c/comp"
version = "3.0.0"

[[order]]
[[order.group]]
id = "c/d"
version = "2.0.0"
[[order.group]]
id = "c/a"
version = "1.0.0"
optional = true

[[order]]
[[order.group]]
id = "c/c"
version = "2.0.0"
[[order.group]]
id = "c/b"
version = "2.0.0"
`,
		"package.toml": `[buildpack]
uri = "."

[[dependencies]]
uri = "../a"

[[dependencies]]
uri = "../b.cnb"

[[dependencies]]
uri = "../c-layout"

[[dependencies]]
uri = "docker://` + host + `/c/d@` + out.Digest + `"
`,
	})
	return filepath.Join(root, "comp")
}

func TestCompositePackagedTwentyTimesHasOneDigest(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := composite(t)
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		p, err := packager.Build(ctx(t), packager.Options{Path: dir})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(p.Buildpacks).To(Equal([]string{"c/a@1.0.0", "c/b@2.0.0", "c/c@2.0.0", "c/comp@3.0.0", "c/d@2.0.0"}))
		seen[strings.Join(digests(t, p), " ")] = true
		g.Expect(p.Close()).To(Succeed())
	}
	g.Expect(seen).To(HaveLen(1), "digests of 20 packages of the same composite")
}

func TestCompositeLayersAndLabels(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := composite(t)
	p, err := packager.Build(ctx(t), packager.Options{Path: dir, Targets: []spec.Target{{OS: "linux", Arch: "arm64"}}})
	g.Expect(err).NotTo(HaveOccurred())
	defer p.Close()
	out := filepath.Join(t.TempDir(), "comp.cnb")
	_, err = packager.FileSink{Name: out}.Write(ctx(t), p)
	g.Expect(err).NotTo(HaveOccurred())
	info, err := packager.Inspect(ctx(t), out, packager.RegistryOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.ID).To(Equal("c/comp"))
	g.Expect(info.Images).To(HaveLen(1))
	g.Expect(info.Images[0].Platform).To(Equal("linux/arm64"))
	g.Expect(info.Images[0].Layers).To(HaveLen(5))
	var ids []string
	for _, b := range info.Buildpacks {
		ids = append(ids, b.ID+"@"+b.Version)
	}
	g.Expect(ids).To(Equal([]string{"c/a@1.0.0", "c/b@2.0.0", "c/c@2.0.0", "c/comp@3.0.0", "c/d@2.0.0"}))
	comp, ok := info.Buildpack("c/comp", "3.0.0")
	g.Expect(ok).To(BeTrue())
	g.Expect(comp.Order).To(Equal([][]packager.OrderMember{
		{{ID: "c/d", Version: "2.0.0"}, {ID: "c/a", Version: "1.0.0", Optional: true}},
		{{ID: "c/c", Version: "2.0.0"}, {ID: "c/b", Version: "2.0.0"}},
	}))
	// Layers: components sorted by id then the composite itself last.
	for i, id := range []string{"c/a", "c/b", "c/c", "c/d", "c/comp"} {
		var diff string
		for _, b := range info.Buildpacks {
			if b.ID == id {
				diff = b.LayerDiffID
			}
		}
		g.Expect(info.Images[0].Layers[i].DiffID).To(Equal(diff), "layer %d should be %s", i, id)
		g.Expect(info.Images[0].Layers[i].Buildpacks).To(HaveLen(1))
		g.Expect(info.Images[0].Layers[i].Buildpacks[0]).To(HavePrefix(id + "@"))
	}
}

func TestCompositeLayerHoldsItsDescriptor(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := composite(t)
	p, err := packager.Build(ctx(t), packager.Options{Path: dir, Targets: []spec.Target{{OS: "linux", Arch: "amd64"}}})
	g.Expect(err).NotTo(HaveOccurred())
	defer p.Close()
	layers, err := p.Images[0].Image.Layers()
	g.Expect(err).NotTo(HaveOccurred())
	rc, err := layers[len(layers)-1].Uncompressed()
	g.Expect(err).NotTo(HaveOccurred())
	defer rc.Close()
	g.Expect(entryNames(readTar(t, rc, false))).To(Equal([]string{
		"/cnb/buildpacks/c_comp", "/cnb/buildpacks/c_comp/3.0.0", "/cnb/buildpacks/c_comp/3.0.0/buildpack.toml",
	}), "the composite's own layer")
}

// TestNestedCompositeFromAPackage uses a packaged composite as a component of another.
func TestNestedCompositeFromAPackage(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	inner := composite(t)
	p, err := packager.Build(ctx(t), packager.Options{Path: inner})
	g.Expect(err).NotTo(HaveOccurred())
	defer p.Close()
	root := t.TempDir()
	_, err = one(packager.LayoutSink{Dir: filepath.Join(root, "inner")}.Write(ctx(t), p))
	g.Expect(err).NotTo(HaveOccurred())
	writeTree(t, filepath.Join(root, "outer"), map[string]string{
		"buildpack.toml": "api = \"0.10\"\n[buildpack]\nid = \"c/outer\"\nversion = \"4.0.0\"\n[[order]]\n[[order.group]]\nid = \"c/comp\"\nversion = \"3.0.0\"\n",
		"package.toml":   "[buildpack]\nuri = \".\"\n[[dependencies]]\nuri = \"../inner\"\n",
	})
	outer, err := packager.Build(ctx(t), packager.Options{Path: filepath.Join(root, "outer")})
	g.Expect(err).NotTo(HaveOccurred())
	defer outer.Close()
	g.Expect(outer.Buildpacks).To(Equal([]string{"c/a@1.0.0", "c/b@2.0.0", "c/c@2.0.0", "c/comp@3.0.0", "c/d@2.0.0", "c/outer@4.0.0"}))
	g.Expect(outer.Images).To(HaveLen(2), "the inner package's targets")
	for i, img := range outer.Images {
		layers, err := img.Image.Layers()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(layers).To(HaveLen(6))
		innerLayers, err := p.Images[i].Image.Layers()
		g.Expect(err).NotTo(HaveOccurred())
		var outerDigests []string
		for _, l := range layers {
			d, _ := l.Digest()
			outerDigests = append(outerDigests, d.String())
		}
		for j, l := range innerLayers {
			want, _ := l.Digest()
			g.Expect(outerDigests).To(ContainElement(want.String()), "layer %d of %s is reused byte for byte", j, img.Target)
		}
	}
}

// TestUmaskDoesNotMatter writes and packages the same buildpack under two umasks. The umask
// belongs to the process, so this test is not parallel (parallel tests wait for it).
func TestUmaskDoesNotMatter(t *testing.T) {
	g := NewWithT(t)
	var got [][]string
	for _, mask := range []int{0o077, 0o002} {
		old := syscall.Umask(mask)
		dir := filepath.Join(t.TempDir(), "bp")
		writeTree(t, dir, goBuildpack("r/umask", "0.1.0"))
		p, err := packager.Build(ctx(t), packager.Options{Path: dir})
		if err == nil {
			_, err = packager.FileSink{Name: filepath.Join(t.TempDir(), "x.cnb"), MultiArch: true}.Write(ctx(t), p)
		}
		syscall.Umask(old)
		g.Expect(err).NotTo(HaveOccurred())
		got = append(got, digests(t, p))
		g.Expect(p.Close()).To(Succeed())
	}
	g.Expect(got[1]).To(Equal(got[0]), "digests under umask 077 and 002")
}
