package pythonffmpeg_test

import (
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk/spec"
)

// TestComposite checks the order against the component buildpacks: ffmpeg first and
// optional, then python, with the ids and versions the components declare, and a
// package.toml whose dependencies are exactly those components.
func TestComposite(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	bp, err := spec.ReadBuildpack(spec.BuildpackFile)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(bp.Validate()).To(Succeed())
	g.Expect(bp.Info.ID).To(Equal("cnbkit/python-ffmpeg"))
	g.Expect(bp.IsComposite()).To(BeTrue())
	g.Expect(bp.Order).To(HaveLen(1))

	pkg, err := spec.ReadPackage(spec.PackageFile)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(pkg.Validate()).To(Succeed())
	g.Expect(pkg.Buildpack.URI).To(Equal("."))

	group := bp.Order[0].Group
	want := []struct {
		dir      string
		optional bool
	}{{"../ffmpeg", true}, {"../python", false}}
	g.Expect(group).To(HaveLen(len(want)))
	g.Expect(pkg.Dependencies).To(HaveLen(len(want)))
	for i, w := range want {
		component, err := spec.ReadBuildpack(filepath.Join(w.dir, spec.BuildpackFile))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(group[i].ID).To(Equal(component.Info.ID), "order entry %d", i)
		g.Expect(group[i].Version).To(Equal(component.Info.Version), "order entry %d (%s)", i, group[i].ID)
		g.Expect(group[i].Optional).To(Equal(w.optional), "order entry %d (%s)", i, group[i].ID)
		g.Expect(pkg.Dependencies[i].URI).To(Equal(w.dir))
		for _, target := range pkg.Targets {
			g.Expect(component.Targets).To(ContainElement(target), "%s supports the package target %s", component.Info.ID, target)
		}
	}
}
