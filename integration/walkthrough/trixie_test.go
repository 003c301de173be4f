package walkthrough

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/fixtures"
	"github.com/cnbkit/cnbkit/integration/harness"
	"github.com/cnbkit/cnbkit/integration/internal/apps"
	"github.com/cnbkit/cnbkit/integration/internal/packtool"
	"github.com/cnbkit/cnbkit/integration/internal/prereq"
)

// TestTrixieComparison measures the FastAPI app on pydantic 2 (compiled pydantic-core) on
// Debian 13 with CPython 3.13, built both ways through the same daemon: `pack build` with our
// buildpacks on the trixie stack (cold, then warm), and the seed's Dockerfile approach FROM
// the same trixie run image with the same CPython and index (cold, warm, after a code
// change). Both images must serve the same model-validated JSON; times and docker's image
// sizes are logged at the end.
func TestTrixieComparison(t *testing.T) {
	prereq.Root(t, "the walkthrough runs dockerd and needs root")
	for tool, pkg := range map[string]string{"mmdebstrap": "mmdebstrap", "patchelf": "patchelf", "npm": "npm", "dpkg-deb": "dpkg", "apt-get": "apt"} {
		prereq.Tool(t, tool, pkg)
	}
	g := NewWithT(t)
	deadline := time.Now().Add(30 * time.Minute)
	if d, ok := t.Deadline(); ok && d.Add(-90*time.Second).Before(deadline) {
		deadline = d.Add(-90 * time.Second)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	t.Cleanup(cancel)
	timings := &report{t: t}
	t.Cleanup(timings.log)

	lc, err := harness.Lifecycle(ctx)
	g.Expect(err).NotTo(HaveOccurred(), "building the lifecycle")
	stack, err := harness.DebianStackFor(ctx, "trixie")
	g.Expect(err).NotTo(HaveOccurred(), "making the Debian trixie stack")
	fx, err := fixtures.New(fixtures.Options{})
	g.Expect(err).NotTo(HaveOccurred())
	mirror, err := fx.Mirror(ctx)
	g.Expect(err).NotTo(HaveOccurred(), "building the fixtures")
	t.Cleanup(mirror.Close)
	trixie := mirror.Releases["trixie"]
	pack, err := packtool.Binary(ctx)
	g.Expect(err).NotTo(HaveOccurred(), "building pack")
	work, err := os.MkdirTemp("", "cnbkit-walkthrough-")
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { os.RemoveAll(work) })
	g.Expect(os.Chmod(work, 0o755)).To(Succeed())

	d := startDockerd(ctx, t)
	p := &packCLI{bin: pack, d: d, home: filepath.Join(work, "pack-home")}
	cnb := packageBuildpacks(ctx, t, work, mirror)
	loadImages(ctx, t, d, work, map[string]v1.Image{stackImage("build", "trixie"): stack.Build, stackImage("run", "trixie"): stack.Run})
	builder := "cnbkit/walkthrough-builder:trixie"
	writeFiles(t, filepath.Join(work, "builder"), map[string]string{"builder.toml": builderTOML(cnb, "", lc.Tarball, "trixie")})
	_, err = p.run(ctx, filepath.Join(work, "builder"), "builder", "create", builder, "--config", "builder.toml", "--pull-policy", "never")
	g.Expect(err).NotTo(HaveOccurred())

	var want map[string]any
	g.Expect(json.Unmarshal([]byte(apps.Pydantic2Body), &want)).To(Succeed())
	appDir := filepath.Join(work, "app")
	writeFiles(t, appDir, apps.Pydantic2)
	image := "my-pydantic-app"
	buildArgs := []string{"build", image, "--builder", builder, "--trust-builder", "--docker-host", "inherit",
		"--pull-policy", "never", "--network", "host", "--path", appDir, "--env", "PIP_INDEX_URL=" + trixie.IndexURL}
	start := time.Now()
	out, err := p.run(ctx, work, buildArgs...)
	g.Expect(err).NotTo(HaveOccurred())
	timings.add("pack build, cold", time.Since(start))
	g.Expect(out).To(ContainSubstring("Using CPython " + trixie.CPython.Version))
	g.Expect(out).To(ContainSubstring("Successfully installed"))
	start = time.Now()
	out, err = p.run(ctx, work, buildArgs...)
	g.Expect(err).NotTo(HaveOccurred())
	timings.add("pack build, warm (no change)", time.Since(start))
	for _, layer := range []string{"cpython", "venv"} {
		g.Expect(out).To(ContainSubstring("Reusing layer 'cnbkit/python:"+layer+"'"), "the rebuild reuses the Python layers:\n%s", out)
	}
	g.Expect(out).NotTo(ContainSubstring("Successfully installed"), "the warm rebuild must not run pip:\n%s", out)
	timings.addSize("run image (Debian trixie minbase + cnb user)", imageSize(ctx, t, d, stackImage("run", "trixie")))
	timings.addSize("app image (pack build)", imageSize(ctx, t, d, image))
	logHistory(ctx, t, d, image)
	port := freePort(t)
	runImageApp(ctx, t, d, image, "--network", "host", "-e", "PORT="+strconv.Itoa(port))
	g.Expect(getJSON(ctx, t, port)).To(Equal(want))

	t.Run("a Dockerfile build of the same app on the same base", func(t *testing.T) {
		dockerfileComparison(ctx, t, d, work, dockerfileApp{base: stackImage("run", "trixie"), image: image + "-dockerfile",
			cpython: trixie.CPython, indexURL: trixie.IndexURL, files: apps.Pydantic2, want: want}, timings)
	})
}
