package packagertest

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/packager"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// TestSameLayerAndLabelsAsPack packages one prebuilt buildpack with pack and with cnbkit:
// the uncompressed layer (its diff ID) and both labels must be identical byte for byte.
func TestSameLayerAndLabelsAsPack(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := testContext(t)
	root := t.TempDir()
	writeTree(t, filepath.Join(root, "bp"), map[string]string{
		"buildpack.toml": "api = \"0.10\"\n\n[buildpack]\nid = \"it/same\"\nversion = \"1.0.0\"\nname = \"Same\"\nhomepage = \"https://example.com/same\"\nkeywords = [\"a\", \"b\"]\n\n[[buildpack.licenses]]\ntype = \"MIT\"\n\n[[stacks]]\nid = \"*\"\n\n[[targets]]\nos = \"linux\"\narch = \"amd64\"\n",
		"bin/detect":     "#!/bin/sh\nexit 0\n",
		"bin/build":      "#!/bin/sh\necho build\n",
		"lib/data.txt":   "data\n",
		"lib/run.sh":     "#!/bin/sh\n",
	})
	g.Expect(os.Symlink("data.txt", filepath.Join(root, "bp", "lib", "link.txt"))).To(Succeed())
	writeTree(t, root, map[string]string{"package.toml": "[buildpack]\nuri = \"bp\"\n"})
	_, err := packCmd(ctx, t, root, "buildpack", "package", filepath.Join(root, "pack.cnb"), "--config", "package.toml", "--format", "file", "--target", "linux/amd64")
	g.Expect(err).NotTo(HaveOccurred())
	p := build(t, packager.Options{Path: filepath.Join(root, "bp"), Targets: []spec.Target{{OS: "linux", Arch: "amd64"}}})
	ours := writeFile(t, p, filepath.Join(root, "ours.cnb"))

	labels := func(file string) (map[string]string, []string) {
		info, err := packager.Inspect(ctx, file, packager.RegistryOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(info.Images).To(HaveLen(1))
		var diffs []string
		for _, l := range info.Images[0].Layers {
			diffs = append(diffs, l.DiffID)
		}
		return info.Images[0].Labels, diffs
	}
	packLabels, packDiffs := labels(filepath.Join(root, "pack.cnb"))
	ourLabels, ourDiffs := labels(ours)
	g.Expect(ourDiffs).To(Equal(packDiffs), "layer diff IDs")
	for _, k := range []string{"io.buildpacks.buildpackage.metadata", "io.buildpacks.buildpack.layers"} {
		g.Expect(ourLabels[k]).To(Equal(packLabels[k]), "label %s", k)
	}
}
