package e2e

import (
	"archive/tar"
	"bytes"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/harness"
	"github.com/cnbkit/cnbkit/integration/internal/apps"
)

// TestTrixie runs the Python buildpack on Debian 13 (trixie) with CPython 3.13 and compiled
// wheels: the FastAPI story with pydantic 2 (detect, build, serve, rebuild, requirements
// change, rebase), the default Python, a Django project with whitenoise, and SIGTERM
// stopping the servers. It shares the packaged buildpacks and the mirror with TestE2E and
// has a harness of its own on the trixie stack. Run one part with e.g.
// -run 'TestTrixie/FastAPI'.
func TestTrixie(t *testing.T) {
	e := setup(t)
	h := newHarness(t, "trixie")
	trixie := e.mirror.Releases["trixie"]
	var fastapi *harness.Result
	t.Run("FastAPI", func(t *testing.T) { fastapi = testPydantic2(t, e, h) })
	t.Run("VersionSource", func(t *testing.T) { testVersionOnTrixie(t, e, h) })
	t.Run("Django", func(t *testing.T) { testDjango(t, h, trixie.IndexURL, harness.BuildpackFile(e.composite)) })
	t.Run("SIGTERM", func(t *testing.T) { testSIGTERM(t, h, trixie.IndexURL, harness.BuildpackFile(e.composite), fastapi) })
}

// testPydantic2 is the FastAPI story on trixie: pydantic 2 with its compiled core from the
// cp313 wheel, CPython 3.13 chosen as the newest the (replaced) inventory lists for Debian 13.
func testPydantic2(t *testing.T, e env, h *harness.Harness) *harness.Result {
	g := NewWithT(t)
	trixie := e.mirror.Releases["trixie"]
	py := trixie.CPython
	app := writeApp(t, apps.Pydantic2)
	core, ok := trixie.Wheels.Wheel("pydantic-core")
	g.Expect(ok).To(BeTrue(), "the trixie index has no pydantic-core wheel")
	g.Expect(core.File).To(ContainSubstring("-cp313-cp313-linux_"))
	before := e.mirror.Hits("trixie/wheels/" + core.File)

	res, cold := build(t, h, harness.BuildOptions{
		App:        app,
		Buildpacks: []harness.Buildpack{harness.BuildpackFile(e.composite)},
		Env:        map[string]string{"PIP_INDEX_URL": trixie.IndexURL},
	})
	expectSuccess(g, res)
	record(t, "pydantic 2 FastAPI app on trixie, cold build (empty cache, no previous image): %s", cold.Round(100*time.Millisecond))
	total, base := imageSize(res)
	record(t, "pydantic 2 FastAPI app image on trixie: %s compressed (%d layers), of which the Debian 13 run image %s; buildpack layers %s",
		mb(total), len(res.Layers), mb(base), layerSizes(res))

	g.Expect(res.Buildpacks).To(ConsistOf(harness.BuildpackRef{ID: pythonID, Version: bpVersion}), "detect: python passes, the optional ffmpeg drops out")
	// No .python-version, no setting: the newest CPython the inventory lists for this target
	// (3.13 from trixie, above the bookworm 3.11 that runs on Debian 13 as well).
	g.Expect(py.Version).To(HavePrefix("3.13."))
	g.Expect(res.Logs).To(ContainSubstring("Using CPython "+py.Version+", the newest this buildpack provides"), "the log says the default chose it")
	g.Expect(res.Config.Labels).To(HaveKeyWithValue("io.buildpacks.base.distro.version", "13"))
	g.Expect(string(res.SBOM["launch/cnbkit_python/cpython/sbom.cdx.json"])).To(ContainSubstring(py.SHA256))
	g.Expect(sbomPackages(t, res, "launch/cnbkit_python/venv/sbom.cdx.json")).To(ContainElements("fastapi", "pydantic", "pydantic_core", "uvicorn", "starlette"), "names as the distributions' metadata spells them")
	expectValidSBOMs(t, res)
	g.Expect(e.mirror.Hits("trixie/wheels/"+core.File)).To(BeNumerically(">", before), "pip fetched the compiled wheel from the trixie index")
	web, ok := res.Process("web")
	g.Expect(ok).To(BeTrue(), "processes: %+v", res.Processes)
	g.Expect(strings.Join(web.Command, " ")).To(ContainSubstring("exec uvicorn app:app"))

	t.Run("serves JSON validated by the pydantic model", func(t *testing.T) {
		g := NewWithT(t)
		c := serve(t, res.OCIImage())
		status, body, err := c.Get(t.Context(), "/")
		g.Expect(err).NotTo(HaveOccurred(), "logs:\n%s", c.Logs())
		g.Expect(status).To(Equal(http.StatusOK), "body %s; logs:\n%s", body, c.Logs())
		g.Expect(body).To(MatchJSON(apps.Pydantic2Body))
		// A bad path parameter is refused by pydantic-core's int parser, as pydantic 2 words it.
		status, body, err = c.Get(t.Context(), "/items/seven")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(status).To(Equal(http.StatusUnprocessableEntity))
		g.Expect(string(body)).To(ContainSubstring(`"type":"int_parsing"`))
		status, body, err = c.Get(t.Context(), "/items/7")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(status).To(Equal(http.StatusOK))
		g.Expect(body).To(MatchJSON(`{"item_id": 7}`))
	})

	t.Run("an unchanged rebuild reuses every layer", func(t *testing.T) {
		g := NewWithT(t)
		hits := e.mirror.Hits("trixie/wheels/" + core.File)
		again, warm := rebuild(t, h, res, nil)
		expectSuccess(g, again)
		record(t, "pydantic 2 FastAPI app on trixie, warm rebuild (no change): %s", warm.Round(100*time.Millisecond))
		g.Expect(again.Rebuilt).To(BeEmpty(), "layers rebuilt by an unchanged rebuild")
		g.Expect(again.Reused).To(ContainElements(pythonID+":cpython", pythonID+":venv", "app", "launcher"))
		g.Expect(again.Logs).NotTo(MatchRegexp(`(?i)collecting |successfully installed`), "the rebuild ran pip")
		g.Expect(again.Digest).To(Equal(res.Digest))
		g.Expect(e.mirror.Hits("trixie/wheels/" + core.File)).To(Equal(hits))
	})

	t.Run("a requirements change rebuilds only the environment", func(t *testing.T) {
		t.Cleanup(func() {
			_ = os.WriteFile(filepath.Join(app, "requirements.txt"), []byte(apps.Pydantic2["requirements.txt"]), 0o644)
		})
		took := requirementsChange(t, h, res, app, "fastapi\nuvicorn\nwhitenoise\n", []string{"whitenoise", "pydantic_core"}, apps.Pydantic2Body)
		record(t, "pydantic 2 FastAPI app on trixie, rebuild after a requirements.txt change: %s", took.Round(100*time.Millisecond))
	})

	t.Run("rebase onto a new run image", func(t *testing.T) {
		g := NewWithT(t)
		newer, marker := patchedRunImage(t, h.Stack.Run)
		rebased, err := h.Rebase(t.Context(), t, res, newer)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(rebased.Success).To(BeTrue(), "rebase failed:\n%s", rebased.Logs)
		g.Expect(rebased.Digest).NotTo(Equal(res.Digest))
		g.Expect(rebased.Rebuilt).To(BeEmpty(), "a rebase keeps every app layer")
		g.Expect(rebased.Reused).To(ContainElements(pythonID+":cpython", pythonID+":venv", "app", "launcher"))
		var bases []string
		for _, l := range rebased.Layers {
			if l.Name == "base" {
				bases = append(bases, l.DiffID.String())
			}
		}
		g.Expect(bases).To(ContainElement(marker), "the new run image's layer is under the app")
		c := serve(t, rebased.OCIImage())
		_, body, err := c.Get(t.Context(), "/")
		g.Expect(err).NotTo(HaveOccurred(), "logs:\n%s", c.Logs())
		g.Expect(body).To(MatchJSON(apps.Pydantic2Body))
	})
	return res
}

// testVersionOnTrixie: the default above is a choice, not the only entry. Asked for 3.11 by
// .python-version, a trixie build gets the bookworm CPython (its inventory entry says it runs
// on Debian 12 and 13), and it runs there.
func testVersionOnTrixie(t *testing.T, e env, h *harness.Harness) {
	g := NewWithT(t)
	files := maps.Clone(tinyApp)
	files[".python-version"] = "# pinned for the e2e test\n3.11\n"
	res, _ := build(t, h, harness.BuildOptions{
		App:        writeApp(t, files),
		Buildpacks: []harness.Buildpack{harness.BuildpackFile(e.composite)},
		Env:        map[string]string{"PIP_INDEX_URL": e.mirror.Releases["trixie"].IndexURL},
	})
	expectSuccess(g, res)
	g.Expect(res.Logs).To(ContainSubstring("Using CPython " + e.mirror.CPython.Version + ", as .python-version asks"))
	c, err := harness.Run(t.Context(), t, res.OCIImage(), harness.RunOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Wait()).To(Succeed(), "output:\n%s", c.Logs())
	g.Expect(c.Logs()).To(MatchRegexp(`(?m)^h11 \d`))
}

// testDjango builds a Django project that serves its static files with whitenoise: the
// buildpack collects them at build time. First with Django's default storage, then (a code
// change, a rebuild) with whitenoise's compressed manifest storage, whose hashed file names
// the home page links to.
func testDjango(t *testing.T, h *harness.Harness, indexURL string, bp harness.Buildpack) {
	g := NewWithT(t)
	app := writeApp(t, djangoApp)
	res, took := build(t, h, harness.BuildOptions{App: app, Buildpacks: []harness.Buildpack{bp}, Env: map[string]string{"PIP_INDEX_URL": indexURL}})
	expectSuccess(g, res)
	t.Logf("Django build took %s", took.Round(100*time.Millisecond))
	web, ok := res.Process("web")
	g.Expect(ok).To(BeTrue(), "processes: %+v", res.Processes)
	g.Expect(strings.Join(web.Command, " ")).To(ContainSubstring("gunicorn"))

	c := serve(t, res.OCIImage())
	status, body, err := c.Get(t.Context(), "/")
	g.Expect(err).NotTo(HaveOccurred(), "logs:\n%s", c.Logs())
	g.Expect(status).To(Equal(http.StatusOK), "home page: %s\nlogs:\n%s", body, c.Logs())
	g.Expect(string(body)).To(ContainSubstring("<h1>Django home</h1>"))
	g.Expect(string(body)).To(ContainSubstring(`href="/static/css/site.css"`))
	status, body, err = c.Get(t.Context(), "/static/css/site.css")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(status).To(Equal(http.StatusOK), "the stylesheet, served by whitenoise from STATIC_ROOT; logs:\n%s", c.Logs())
	g.Expect(string(body)).To(Equal(djangoCSS))
	c.Stop()
	g.Expect(res.Logs).To(ContainSubstring("python manage.py collectstatic --noinput"), "the build log says it collected the static files")
	g.Expect(res.Logs).NotTo(ContainSubstring("Skipping manage.py collectstatic"))

	t.Run("with manifest storage", func(t *testing.T) {
		g := NewWithT(t)
		write(t, filepath.Join(app, "mysite"), "settings.py", djangoManifestSettings)
		res, took := rebuild(t, h, res, nil)
		expectSuccess(g, res)
		t.Logf("Django rebuild with manifest storage took %s", took.Round(100*time.Millisecond))
		c := serve(t, res.OCIImage())
		status, body, err := c.Get(t.Context(), "/")
		g.Expect(err).NotTo(HaveOccurred(), "logs:\n%s", c.Logs())
		g.Expect(status).To(Equal(http.StatusOK), "home page (renders only with the manifest collectstatic wrote): %s\nlogs:\n%s", body, c.Logs())
		m := regexp.MustCompile(`href="(/static/css/site\.[0-9a-f]{12}\.css)"`).FindSubmatch(body)
		g.Expect(m).NotTo(BeNil(), "the home page links the hashed stylesheet: %s", body)
		status, css, err := c.Get(t.Context(), string(m[1]))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(status).To(Equal(http.StatusOK), "GET %s; logs:\n%s", m[1], c.Logs())
		g.Expect(string(css)).To(Equal(djangoCSS))
	})
}

// testSIGTERM sends SIGTERM, as `docker stop` and Kubernetes do, to PID 1 of a running
// Procfile app (gunicorn) and of an app whose command the buildpack derived (uvicorn): each
// stops within the 5 s the issue allows and exits cleanly.
func testSIGTERM(t *testing.T, h *harness.Harness, indexURL string, bp harness.Buildpack, fastapi *harness.Result) {
	stops := func(t *testing.T, c *harness.Container) {
		g := NewWithT(t)
		start := time.Now()
		g.Expect(c.Signal(syscall.SIGTERM)).To(Succeed())
		select {
		case <-c.Done():
			t.Logf("stopped %s after SIGTERM", time.Since(start).Round(10*time.Millisecond))
		case <-time.After(5 * time.Second):
			t.Fatalf("still running 5 s after SIGTERM to its PID 1 (a shell that does not pass the signal on?); output:\n%s", c.Logs())
		}
		g.Expect(c.Wait()).To(Succeed(), "exit status after SIGTERM; output:\n%s", c.Logs())
	}
	t.Run("Procfile app (gunicorn)", func(t *testing.T) {
		g := NewWithT(t)
		res, _ := build(t, h, harness.BuildOptions{App: writeApp(t, gunicornApp), Buildpacks: []harness.Buildpack{bp}, Env: map[string]string{"PIP_INDEX_URL": indexURL}})
		expectSuccess(g, res)
		c := serve(t, res.OCIImage())
		status, body, err := c.Get(t.Context(), "/")
		g.Expect(err).NotTo(HaveOccurred(), "logs:\n%s", c.Logs())
		g.Expect(status).To(Equal(http.StatusOK))
		g.Expect(string(body)).To(Equal("gunicorn app"))
		stops(t, c)
	})
	t.Run("derived command (uvicorn)", func(t *testing.T) {
		if fastapi == nil || !fastapi.Success {
			t.Fatal("the FastAPI build of TestTrixie/FastAPI did not run or failed")
		}
		c := serve(t, fastapi.OCIImage())
		stops(t, c)
	})
}

// patchedRunImage returns run with one more layer (a file /etc/cnbkit-run-image-patch) and
// a newer creation time, as a patched run image would be published, and that layer's diffID.
func patchedRunImage(t *testing.T, run v1.Image) (v1.Image, string) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	patch := []byte("patched for the rebase test\n")
	hdr := &tar.Header{Name: "etc/cnbkit-run-image-patch", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(patch)), ModTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := tw.WriteHeader(hdr); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(patch); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	layer := static.NewLayer(buf.Bytes(), types.OCIUncompressedLayer)
	img, err := mutate.AppendLayers(run, layer)
	if err != nil {
		t.Fatal(err)
	}
	if img, err = mutate.CreatedAt(img, v1.Time{Time: hdr.ModTime}); err != nil {
		t.Fatal(err)
	}
	id, err := layer.DiffID()
	if err != nil {
		t.Fatal(err)
	}
	return img, id.String()
}
