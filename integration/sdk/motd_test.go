package sdk_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/harness"
)

const motdID = "examples/motd"

// copyApp copies testdata/apps/<name> to a temporary directory the test may change.
func copyApp(t *testing.T, name string) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join("testdata", "apps", name)
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// testMotd builds sdk/examples/motd, packaged as a .cnb, with the real lifecycle: detection
// both ways, the image it makes, running it, and rebuilds that reuse or rebuild its layer for
// the reasons the SDK reports. The subtests run in order: each rebuild starts from the image of
// the one before.
func testMotd(t *testing.T, h *harness.Harness, motd harness.Buildpack) {
	top := t
	bps := []harness.Buildpack{motd}
	app := copyApp(t, "motd")

	t.Run("detect fails without motd.txt", func(t *testing.T) {
		g := NewWithT(t)
		res := build(t, top, h, harness.BuildOptions{App: filepath.Join("testdata", "apps", "readme"), Buildpacks: bps})
		g.Expect(res.Success).To(BeFalse(), "logs:\n%s", res.Logs)
		g.Expect(res.ExitCode).To(Equal(20), "creator's exit code for a failed detect; logs:\n%s", res.Logs)
		g.Expect(res.Logs).To(ContainSubstring("no motd.txt in the app"))
		g.Expect(res.Logs).To(ContainSubstring("fail: examples/motd@1.0.0"))
		g.Expect(res.Logs).To(ContainSubstring("No buildpack groups passed detection"))
		g.Expect(res.Digest).To(BeEmpty(), "no image for a failed detect")
	})

	t.Run("detect fails when BP_MOTD_ENABLED is false", func(t *testing.T) {
		g := NewWithT(t)
		res := build(t, top, h, harness.BuildOptions{App: app, Buildpacks: bps, Env: map[string]string{"BP_MOTD_ENABLED": "false"}})
		g.Expect(res.Success).To(BeFalse(), "logs:\n%s", res.Logs)
		g.Expect(res.ExitCode).To(Equal(20), "logs:\n%s", res.Logs)
		g.Expect(res.Logs).To(ContainSubstring("BP_MOTD_ENABLED is false"))
	})

	t.Run("a bad configuration value is an error, not a failed detect", func(t *testing.T) {
		g := NewWithT(t)
		res := build(t, top, h, harness.BuildOptions{App: app, Buildpacks: bps, Env: map[string]string{"BP_MOTD_STYLE": "fancy"}})
		g.Expect(res.Success).To(BeFalse(), "logs:\n%s", res.Logs)
		g.Expect(res.Logs).To(ContainSubstring("ERROR: Invalid configuration"))
		g.Expect(res.Logs).To(ContainSubstring("accepts one of plain, banner"))
		g.Expect(res.Logs).To(ContainSubstring("err:  examples/motd@1.0.0 (1)"), "the lifecycle must see exit code 1, not 100")
	})

	var first *harness.Result
	t.Run("build", func(t *testing.T) {
		g := NewWithT(t)
		// BP_LOG_LEVEL=debug makes the SDK say when CNB_TARGET_OS is missing (it would then
		// guess the target from its own GOOS/GOARCH): under the lifecycle it must be set.
		first = build(t, top, h, harness.BuildOptions{App: app, Buildpacks: bps, Env: map[string]string{"BP_LOG_LEVEL": "debug"}})
		g.Expect(first.Success).To(BeTrue(), "logs:\n%s", first.Logs)
		g.Expect(first.Buildpacks).To(ConsistOf(harness.BuildpackRef{ID: motdID, Version: "1.0.0"}))

		g.Expect(first.Logs).To(ContainSubstring("Message of the Day 1.0.0"))
		g.Expect(first.Logs).To(MatchRegexp(`BP_MOTD_STYLE\s+plain\s+\(buildpack.toml default\)`))
		g.Expect(first.Logs).To(ContainSubstring("layer new: no previous layer"))
		g.Expect(first.Logs).To(ContainSubstring("Rendering motd.txt"))
		g.Expect(first.Logs).To(ContainSubstring("[debug] layer motd (build=false launch=true cache=true): new: no previous layer"), "the SDK's debug line: debug logging is on")
		g.Expect(first.Logs).NotTo(ContainSubstring("CNB_TARGET_OS is not set"))

		g.Expect(first.Processes).To(HaveLen(1))
		p, ok := first.Process("motd")
		g.Expect(ok).To(BeTrue())
		g.Expect(p.Command).To(Equal([]string{"motd"}))
		g.Expect(p.Default).To(BeTrue())
		g.Expect(p.BuildpackID).To(Equal(motdID))
		g.Expect(first.Config.Labels).To(HaveKeyWithValue("org.example.motd.style", "plain"))
		layer, ok := first.LayerNamed("examples/motd:motd")
		g.Expect(ok).To(BeTrue())
		g.Expect(layer.Size).To(BeNumerically(">", 0))

		md, err := lifecycleMetadata(first, motdID)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(md.Layers).To(HaveKey("motd"))
		g.Expect(md.Layers["motd"].Launch).To(BeTrue())
		g.Expect(md.Layers["motd"].Cache).To(BeTrue())
		g.Expect(md.Layers["motd"].Build).To(BeFalse())
		g.Expect(md.Layers["motd"].Data).To(HaveKeyWithValue("style", "plain"))
		g.Expect(md.Layers["motd"].Data).To(HaveKeyWithValue("sha256", MatchRegexp(`^[0-9a-f]{64}$`)))
		g.Expect(md.Store).NotTo(BeNil(), "store.toml is exported")
		g.Expect(md.Store.Metadata).To(Equal(md.Layers["motd"].Data), "the example stores what the layer was built from")

		sbom := first.SBOM["launch/examples_motd/motd/sbom.cdx.json"]
		g.Expect(string(sbom)).To(ContainSubstring(`"bomFormat":"CycloneDX"`))
	})
	if first == nil || !first.Success {
		t.FailNow()
	}

	t.Run("run prints the message", func(t *testing.T) {
		g := NewWithT(t)
		out, err := runOnce(t, first, harness.RunOptions{})
		g.Expect(err).NotTo(HaveOccurred(), "output:\n%s", out)
		g.Expect(out).To(Equal("Welcome aboard\nmind the gap\n"))

		out, err = runOnce(t, first, harness.RunOptions{Process: "motd"})
		g.Expect(err).NotTo(HaveOccurred(), "output:\n%s", out)
		g.Expect(out).To(Equal("Welcome aboard\nmind the gap\n"))
	})

	var same *harness.Result
	t.Run("rebuild without a change reuses every layer", func(t *testing.T) {
		g := NewWithT(t)
		same = rebuild(t, top, h, first, nil)
		g.Expect(same.Success).To(BeTrue(), "logs:\n%s", same.Logs)
		g.Expect(same.Rebuilt).To(BeEmpty(), "logs:\n%s", same.Logs)
		g.Expect(same.Reused).To(ContainElements("examples/motd:motd", "app", "launcher", "config", "process-types", "sbom"))
		g.Expect(same.Logs).To(ContainSubstring("layer reused: previous layer kept"))
		g.Expect(same.Logs).NotTo(ContainSubstring("Rendering motd.txt"))
		g.Expect(same.Logs).To(ContainSubstring(`Restoring data for "examples/motd:motd" from cache`))
		g.Expect(same.Logs).To(ContainSubstring("Reusing layer 'examples/motd:motd'"))
		g.Expect(same.Digest).To(Equal(first.Digest), "nothing changed, so the image is the same")
	})
	if same == nil || !same.Success {
		t.FailNow()
	}

	var banner *harness.Result
	t.Run("rebuild with BP_MOTD_STYLE=banner rebuilds the motd layer only", func(t *testing.T) {
		g := NewWithT(t)
		banner = rebuild(t, top, h, same, func(o *harness.BuildOptions) { o.Env = map[string]string{"BP_MOTD_STYLE": "banner"} })
		g.Expect(banner.Success).To(BeTrue(), "logs:\n%s", banner.Logs)
		g.Expect(banner.Logs).To(ContainSubstring("layer rebuilt: invalidated: style changed from plain to banner"))
		g.Expect(banner.Logs).To(MatchRegexp(`BP_MOTD_STYLE\s+banner\s+\(platform env\)`))
		g.Expect(buildpackLayers(banner.Rebuilt)).To(Equal([]string{"examples/motd:motd"}))
		g.Expect(banner.Reused).To(ContainElements("app", "launcher", "process-types"))
		g.Expect(banner.Config.Labels).To(HaveKeyWithValue("org.example.motd.style", "banner"))

		md, err := lifecycleMetadata(banner, motdID)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(md.Layers["motd"].Data).To(HaveKeyWithValue("style", "banner"))
		g.Expect(md.Store.Metadata).To(HaveKeyWithValue("style", "banner"))

		out, err := runOnce(t, banner, harness.RunOptions{})
		g.Expect(err).NotTo(HaveOccurred(), "output:\n%s", out)
		g.Expect(out).To(Equal("******************\n* Welcome aboard *\n* mind the gap   *\n******************\n"))
	})
	if banner == nil || !banner.Success {
		t.FailNow()
	}

	t.Run("rebuild after motd.txt changed rebuilds the layer and the app layer", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(os.WriteFile(filepath.Join(app, "motd.txt"), []byte("Closed on Sundays\n"), 0o644)).To(Succeed())
		res := rebuild(t, top, h, banner, nil)
		g.Expect(res.Success).To(BeTrue(), "logs:\n%s", res.Logs)
		g.Expect(res.Logs).To(ContainSubstring("layer rebuilt: invalidated: motd.txt changed"))
		g.Expect(res.Rebuilt).To(ContainElements("examples/motd:motd", "app"))
		g.Expect(res.Reused).To(ContainElements("launcher", "process-types"))

		out, err := runOnce(t, res, harness.RunOptions{})
		g.Expect(err).NotTo(HaveOccurred(), "output:\n%s", out)
		g.Expect(strings.Split(out, "\n")).To(ContainElement("* Closed on Sundays *"), "the banner style carried over in the platform env")
	})
}
