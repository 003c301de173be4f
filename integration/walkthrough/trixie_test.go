package walkthrough

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/internal/apps"
)

// TestTrixieComparison measures the FastAPI app on pydantic 2 (compiled pydantic-core) on
// Debian 13 with CPython 3.13, built both ways through the same daemon: `pack build` with our
// buildpacks on the trixie stack (cold, then warm), and the seed's Dockerfile approach FROM
// the same trixie run image with the same CPython and index (cold, warm, after a code
// change). Both images must serve the same model-validated JSON; times and docker's image
// sizes are logged at the end.
func TestTrixieComparison(t *testing.T) {
	w := prepare(t, "trixie", 30*time.Minute)
	ctx, work, timings := w.ctx, w.work, w.timings
	g := NewWithT(t)
	trixie := w.mirror.Releases["trixie"]

	d := startDockerd(ctx, t)
	p := &packCLI{bin: w.pack, d: d, home: filepath.Join(work, "pack-home")}
	cnb := packageBuildpacks(ctx, t, work, w.mirror)
	loadImages(ctx, t, d, work, map[string]v1.Image{stackImage("build", "trixie"): w.stack.Build, stackImage("run", "trixie"): w.stack.Run})
	builder := "cnbkit/walkthrough-builder:trixie"
	writeFiles(t, filepath.Join(work, "builder"), map[string]string{"builder.toml": builderTOML(cnb, "", w.lc.Tarball, "trixie")})
	_, err := p.run(ctx, filepath.Join(work, "builder"), "builder", "create", builder, "--config", "builder.toml", "--pull-policy", "never")
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
	packRebuild(ctx, t, p, work, buildArgs, timings, "pack build, warm (no change)")
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
