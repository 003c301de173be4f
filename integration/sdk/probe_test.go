package sdk_test

import (
	"path/filepath"
	"runtime"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/harness"
)

const (
	probeID    = "cnbkit-it/probe"
	stampLayer = probeID + ":stamp"
)

// testProbe builds testdata/probe, a buildpack written on the SDK and compiled
// by the packager, for what the motd example does not show: the target the lifecycle gives
// detect and build, store.toml carrying over from build to build, and a launch-only layer that
// comes back from the previous image (metadata only) and is reused by the exporter until its
// metadata changes. The subtests run in order, each rebuilding from the one before.
func testProbe(t *testing.T, h *harness.Harness, probe harness.Buildpack) {
	top := t
	app := filepath.Join("testdata", "apps", "probe")

	var first *harness.Result
	t.Run("targets reach detect and build", func(t *testing.T) {
		g := NewWithT(t)
		first = build(t, top, h, harness.BuildOptions{App: app, Buildpacks: []harness.Buildpack{probe}})
		g.Expect(first.Success).To(BeTrue(), "logs:\n%s", first.Logs)
		// The lifecycle takes the distribution from the run image's labels.
		labels := first.Config.Labels
		g.Expect(labels).To(HaveKey("io.buildpacks.base.distro.name"))
		want := "linux/" + runtime.GOARCH + ":" + labels["io.buildpacks.base.distro.name"] + "@" + labels["io.buildpacks.base.distro.version"]
		g.Expect(want).To(Equal("linux/" + runtime.GOARCH + ":debian@12"))
		g.Expect(labels).To(HaveKeyWithValue("org.cnbkit-it.probe.detect-target", want))
		g.Expect(labels).To(HaveKeyWithValue("org.cnbkit-it.probe.build-target", want))
		g.Expect(first.Logs).To(ContainSubstring("build 1, target " + want))
	})
	if first == nil || !first.Success {
		t.FailNow()
	}

	t.Run("first build makes the launch-only layer", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(first.Config.Labels).To(HaveKeyWithValue("org.cnbkit-it.probe.builds", "1"))
		g.Expect(first.Logs).To(ContainSubstring("layer stamp new: no previous layer (contents here: true)"))
		md, err := lifecycleMetadata(first, probeID)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(md.Layers).To(HaveKey("stamp"))
		g.Expect(md.Layers["stamp"].Launch).To(BeTrue())
		g.Expect(md.Layers["stamp"].Cache).To(BeFalse())
		g.Expect(md.Layers["stamp"].Build).To(BeFalse())
		g.Expect(md.Layers["stamp"].Data).To(Equal(map[string]any{"version": "1"}))
		g.Expect(md.Store).NotTo(BeNil())
		g.Expect(md.Store.Metadata).To(Equal(map[string]any{"builds": "1"}))

		out, err := runOnce(t, first, harness.RunOptions{})
		g.Expect(err).NotTo(HaveOccurred(), "output:\n%s", out)
		g.Expect(out).To(Equal("stamp version 1 made by build 1\n"))
	})

	var second *harness.Result
	t.Run("rebuild reuses the launch-only layer from the previous image and carries the store over", func(t *testing.T) {
		g := NewWithT(t)
		second = rebuild(t, top, h, first, nil)
		g.Expect(second.Success).To(BeTrue(), "logs:\n%s", second.Logs)
		g.Expect(second.Config.Labels).To(HaveKeyWithValue("org.cnbkit-it.probe.builds", "2"), "store.toml came back from the previous image")
		g.Expect(second.Logs).To(ContainSubstring(`Restoring metadata for "` + stampLayer + `" from app image`))
		g.Expect(second.Logs).To(ContainSubstring("layer stamp reused: previous layer kept (contents here: false)"))
		g.Expect(second.Logs).To(ContainSubstring("Reusing layer '" + stampLayer + "'"))
		g.Expect(second.Reused).To(ContainElement(stampLayer))
		g.Expect(buildpackLayers(second.Rebuilt)).To(BeEmpty())
		md, err := lifecycleMetadata(second, probeID)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(md.Layers["stamp"].Data).To(Equal(map[string]any{"version": "1"}), "the reused layer keeps its metadata")
		g.Expect(md.Store.Metadata).To(Equal(map[string]any{"builds": "2"}))

		out, err := runOnce(t, second, harness.RunOptions{})
		g.Expect(err).NotTo(HaveOccurred(), "output:\n%s", out)
		g.Expect(out).To(Equal("stamp version 1 made by build 1\n"), "the layer's files are those of the first image")
	})
	if second == nil || !second.Success {
		t.FailNow()
	}

	var third *harness.Result
	t.Run("changed configuration rebuilds the launch-only layer: metadata changed", func(t *testing.T) {
		g := NewWithT(t)
		third = rebuild(t, top, h, second, func(o *harness.BuildOptions) { o.Env = map[string]string{"BP_PROBE_VERSION": "2"} })
		g.Expect(third.Success).To(BeTrue(), "logs:\n%s", third.Logs)
		g.Expect(third.Logs).To(ContainSubstring("layer stamp rebuilt: metadata changed: version: 1 -> 2 (contents here: true)"))
		g.Expect(buildpackLayers(third.Rebuilt)).To(Equal([]string{stampLayer}))
		g.Expect(third.Reused).To(ContainElements("app", "launcher", "process-types"))
		g.Expect(third.Config.Labels).To(HaveKeyWithValue("org.cnbkit-it.probe.builds", "3"))

		out, err := runOnce(t, third, harness.RunOptions{})
		g.Expect(err).NotTo(HaveOccurred(), "output:\n%s", out)
		g.Expect(out).To(Equal("stamp version 2 made by build 3\n"))
	})
	if third == nil || !third.Success {
		t.FailNow()
	}

	t.Run("the rebuilt layer is reused in turn", func(t *testing.T) {
		g := NewWithT(t)
		res := rebuild(t, top, h, third, nil)
		g.Expect(res.Success).To(BeTrue(), "logs:\n%s", res.Logs)
		g.Expect(res.Logs).To(ContainSubstring("layer stamp reused: previous layer kept (contents here: false)"))
		g.Expect(res.Reused).To(ContainElement(stampLayer))
		g.Expect(res.Config.Labels).To(HaveKeyWithValue("org.cnbkit-it.probe.builds", "4"))
		out, err := runOnce(t, res, harness.RunOptions{})
		g.Expect(err).NotTo(HaveOccurred(), "output:\n%s", out)
		g.Expect(out).To(Equal("stamp version 2 made by build 3\n"))
	})
}
