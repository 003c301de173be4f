package packagertest

import (
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

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

	group, logs := detect(ctx, t, setpriv, p.Images[0].Image, map[string]string{"app.py": "print('hi')\n", "requirements.txt": "pydub\n"}, p.ID, p.Version)
	g.Expect(group).To(ContainSubstring(`id = "cnbkit/python"`), "group.toml:\n%s\ndetector:\n%s", group, logs)
}
