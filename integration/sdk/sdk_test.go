package sdk_test

import (
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/harness"
)

// TestSDKUnderTheLifecycle packages the buildpacks once and shares one harness (the
// lifecycle, Platform API 0.15, Debian stack, registry) between the groups, which run in
// parallel; the subtests of a group run in order.
func TestSDKUnderTheLifecycle(t *testing.T) {
	h, motd, probe := setup(t)
	t.Run("motd", func(t *testing.T) {
		t.Parallel()
		testMotd(t, h, motd)
	})
	t.Run("probe", func(t *testing.T) {
		t.Parallel()
		testProbe(t, h, probe)
	})
	t.Run("integers in store.toml", func(t *testing.T) {
		t.Parallel()
		testIntegerStore(t, h, probe)
	})
	t.Run("integers in layer metadata", func(t *testing.T) {
		t.Parallel()
		testIntegerLayer(t, h, probe)
	})
	t.Run("execution environments", func(t *testing.T) {
		t.Parallel()
		testExecEnv(t, h, probe)
	})
}

// testIntegerStore: the lifecycle keeps store.toml's metadata as JSON in the image label and
// writes it back as TOML for the next build, so an integer comes back as a float (count = 1.0).
// An author's int field must still decode.
func testIntegerStore(t *testing.T, h *harness.Harness, probe harness.Buildpack) {
	g := NewWithT(t)
	env := map[string]string{"BP_PROBE_INTEGER_STORE": "true"}
	first := build(t, t, h, harness.BuildOptions{App: filepath.Join("testdata", "apps", "probe"), Buildpacks: []harness.Buildpack{probe}, Env: env})
	g.Expect(first.Success).To(BeTrue(), "logs:\n%s", first.Logs)
	g.Expect(first.Config.Labels).To(HaveKeyWithValue("org.cnbkit-it.probe.count", "1"))

	second := rebuild(t, t, h, first, nil)
	g.Expect(second.Success).To(BeTrue(), "an int in store.toml must survive the lifecycle; logs:\n%s", second.Logs)
	g.Expect(second.Config.Labels).To(HaveKeyWithValue("org.cnbkit-it.probe.count", "2"))
}

// testIntegerLayer: the lifecycle restores a layer's metadata (<layer>.toml) from the image
// label too, so an integer comes back as a float (lines = 3.0). An unchanged layer with an int
// in its metadata must still be reused.
func testIntegerLayer(t *testing.T, h *harness.Harness, probe harness.Buildpack) {
	g := NewWithT(t)
	env := map[string]string{"BP_PROBE_INTEGER_LAYER": "true"}
	first := build(t, t, h, harness.BuildOptions{App: filepath.Join("testdata", "apps", "probe"), Buildpacks: []harness.Buildpack{probe}, Env: env})
	g.Expect(first.Success).To(BeTrue(), "logs:\n%s", first.Logs)
	g.Expect(first.Logs).To(ContainSubstring("layer numbers new: no previous layer"))

	second := rebuild(t, t, h, first, nil)
	g.Expect(second.Success).To(BeTrue(), "logs:\n%s", second.Logs)
	g.Expect(second.Logs).To(ContainSubstring("layer numbers reused: previous layer kept"), "an int in layer metadata must survive the lifecycle")
	g.Expect(second.Reused).To(ContainElement(probeID + ":numbers"))
}
