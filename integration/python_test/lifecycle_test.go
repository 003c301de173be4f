package pythontest

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/harness"
	"github.com/cnbkit/cnbkit/integration/internal/prereq"
)

// compiledBuildpack compiles buildpacks/python/cmd into a copy of the test buildpack folder
// (bin/build, with bin/detect linked to it), as cnbkit package does.
func compiledBuildpack(t *testing.T, e env) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "python")
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(e.bpDir, "buildpack.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "buildpack.toml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "bin", "build"), "./buildpacks/python/cmd")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("compiling the buildpack: %v\n%s", err, out)
	}
	if err := os.Symlink("build", filepath.Join(dir, "bin", "detect")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The whole story of issue 5 with the real lifecycle: a FastAPI app with no Dockerfile and no
// Procfile builds, runs as the stack's non-root user and answers on $PORT; an unchanged
// rebuild reuses CPython and the environment; a clean build of the same inputs gives the same
// layers.
func TestLifecycleFastAPI(t *testing.T) {
	prereq.Harness(t)
	e := setup(t)
	g := NewWithT(t)
	ctx := context.Background()
	bp := compiledBuildpack(t, e)

	app := filepath.Join(t.TempDir(), "app")
	for name, content := range fastapiApp {
		g.Expect(os.MkdirAll(filepath.Dir(filepath.Join(app, name)), 0o755)).To(Succeed())
		g.Expect(os.WriteFile(filepath.Join(app, name), []byte(content), 0o644)).To(Succeed())
	}

	h, err := harness.New(ctx, t, harness.Options{})
	g.Expect(err).NotTo(HaveOccurred())
	opts := harness.BuildOptions{App: app, Buildpacks: []harness.Buildpack{harness.BuildpackDir(bp)},
		Env: map[string]string{"PIP_INDEX_URL": e.indexURL}, Image: "apps/fastapi:latest"}
	res, err := h.Build(ctx, t, opts)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Success).To(BeTrue(), res.Logs)
	g.Expect(res.Logs).To(ContainSubstring(`web: exec uvicorn app:app --host 0.0.0.0 --port "${PORT:-8080}"`))
	g.Expect(res.Config.User).NotTo(BeElementOf("", "0", "root", "0:0"), "the app runs as the stack's user")
	g.Expect(res.SBOM).To(HaveKey("launch/cnbkit_python/venv/sbom.cdx.json"))
	g.Expect(res.SBOM).To(HaveKey("launch/cnbkit_python/cpython/sbom.spdx.json"))

	port, err := harness.FreePort()
	g.Expect(err).NotTo(HaveOccurred())
	c, err := harness.Run(ctx, t, res.OCIImage(), harness.RunOptions{Env: map[string]string{"PORT": strconv.Itoa(port)}, Port: port})
	g.Expect(err).NotTo(HaveOccurred())
	resp, err := http.Get(c.URL("/"))
	g.Expect(err).NotTo(HaveOccurred(), c.Logs())
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	g.Expect(string(body)).To(MatchJSON(`{"hello":"world"}`))
	c.Stop()

	again, err := h.Rebuild(ctx, t, res, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again.Success).To(BeTrue(), again.Logs)
	g.Expect(again.Rebuilt).NotTo(ContainElement(HavePrefix("cnbkit/python:")), again.Logs)
	g.Expect(again.Reused).To(ContainElements("cnbkit/python:cpython", "cnbkit/python:venv"))
	g.Expect(again.Logs).NotTo(ContainSubstring("Successfully installed"))

	// Same inputs, clean cache, another image name: the same layer digests.
	opts.Image = "apps/fastapi-clean:latest"
	clean, err := h.Build(ctx, t, opts)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(clean.Success).To(BeTrue(), clean.Logs)
	digests := func(r *harness.Result) map[string]string {
		m := map[string]string{}
		for _, l := range r.Layers {
			if strings.HasPrefix(l.Name, "cnbkit/python:") {
				m[l.Name] = l.DiffID.String()
			}
		}
		return m
	}
	g.Expect(digests(clean)).To(Equal(digests(res)), "reproducible layers")
	g.Expect(digests(res)).To(HaveKey("cnbkit/python:venv"))
}
