package packagertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/harness"
	"github.com/cnbkit/cnbkit/integration/internal/prereq"
	"github.com/cnbkit/cnbkit/packager"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// TestReferenceCompositePackages packages the repository's own python-ffmpeg composite the
// way the README does (its package.toml names ../ffmpeg and ../python), lets pack read it,
// and runs the lifecycle's detector with the compiled buildpacks on a small Python app.
func TestReferenceCompositePackages(t *testing.T) {
	prereq.Root(t, "this test needs root")
	setpriv := prereq.Tool(t, "setpriv", "util-linux")
	t.Parallel()
	g := NewWithT(t)
	ctx := testContext(t)
	dir, err := filepath.Abs(filepath.Join("..", "..", "buildpacks", "python-ffmpeg"))
	g.Expect(err).NotTo(HaveOccurred())
	p := build(t, packager.Options{Path: dir, Targets: []spec.Target{hostTarget}})
	g.Expect(p.Buildpacks).To(ContainElements(HavePrefix("cnbkit/python-ffmpeg@"), HavePrefix("cnbkit/python@"), HavePrefix("cnbkit/ffmpeg@")))
	out := t.TempDir()
	file := writeFile(t, p, filepath.Join(out, "python-ffmpeg.cnb"))
	inspect, err := packCmd(ctx, t, out, "buildpack", "inspect", file)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(inspect).To(ContainSubstring("cnbkit/python-ffmpeg"))

	lc, err := harness.Lifecycle(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	work, err := os.MkdirTemp("", "cnbkit-reference-")
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { os.RemoveAll(work) })
	g.Expect(os.Chmod(work, 0o755)).To(Succeed())
	unpack(t, p.Images[0].Image, filepath.Join(work, "image"))
	writeTree(t, filepath.Join(work, "app"), map[string]string{"app.py": "print('hi')\n", "requirements.txt": "pydub\n"})
	for _, d := range []string{"platform", "layers"} {
		g.Expect(os.MkdirAll(filepath.Join(work, d), 0o755)).To(Succeed())
	}
	g.Expect(os.Chown(filepath.Join(work, "layers"), 1000, 1000)).To(Succeed())
	order := "[[order]]\n[[order.group]]\nid = \"" + p.ID + "\"\nversion = \"" + p.Version + "\"\n"
	g.Expect(os.WriteFile(filepath.Join(work, "order.toml"), []byte(order), 0o644)).To(Succeed())
	cmd := exec.CommandContext(ctx, setpriv, "--reuid", "1000", "--regid", "1000", "--clear-groups",
		filepath.Join(lc.Dir, "detector"),
		"-app", filepath.Join(work, "app"),
		"-buildpacks", filepath.Join(work, "image", "cnb", "buildpacks"),
		"-order", filepath.Join(work, "order.toml"),
		"-layers", filepath.Join(work, "layers"),
		"-group", filepath.Join(work, "layers", "group.toml"),
		"-plan", filepath.Join(work, "layers", "plan.toml"),
		"-platform", filepath.Join(work, "platform"))
	cmd.Env = append(os.Environ(), "CNB_PLATFORM_API=0.12", "CNB_TARGET_OS=linux", "CNB_TARGET_ARCH="+hostTarget.Arch)
	logs, err := cmd.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), "detector failed:\n%s", logs)
	group, err := os.ReadFile(filepath.Join(work, "layers", "group.toml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(group)).To(ContainSubstring(`id = "cnbkit/python"`), "group.toml:\n%s\ndetector:\n%s", group, logs)
}
