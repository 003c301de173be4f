package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/harness"
)

// testFastAPI builds the FastAPI app with the packaged composite (its default order, as a
// builder would run it: ffmpeg is optional and drops out), runs the image, and rebuilds it
// unchanged and with changed requirements.
func testFastAPI(t *testing.T, e env, h *harness.Harness) {
	g := NewWithT(t)

	app := writeApp(t, fastapiApp)
	// What the build asks the organisation's mirror for: CPython, pip's index page and wheel.
	fastapiWheel, ok := e.mirror.Wheels.Wheel("fastapi")
	g.Expect(ok).To(BeTrue(), "the fixture index has no fastapi wheel")
	mirrorPaths := []string{e.mirror.CPython.Name, "simple/fastapi", "wheels/" + fastapiWheel.File}
	hits := func() []int {
		var n []int
		for _, p := range mirrorPaths {
			n = append(n, e.mirror.Hits(p))
		}
		return n
	}
	before := hits()
	res, cold := build(t, h, harness.BuildOptions{
		App:        app,
		Buildpacks: []harness.Buildpack{harness.BuildpackFile(e.composite)},
		Env:        map[string]string{"PIP_INDEX_URL": e.indexURL},
	})
	expectSuccess(g, res)
	record(t, "FastAPI app, cold build (empty cache, no previous image): %s", cold.Round(100*time.Millisecond))
	total, base := imageSize(res)
	record(t, "FastAPI app image: %s compressed (%d layers), of which the Debian run image %s; buildpack layers %s",
		mb(total), len(res.Layers), mb(base), layerSizes(res))

	after := hits()
	for i, p := range mirrorPaths {
		g.Expect(after[i]).To(BeNumerically(">", before[i]), "the build did not fetch %s from the mirror", p)
	}
	g.Expect(res.Buildpacks).To(HaveLen(1), "ffmpeg is optional and the app does not ask for it")
	g.Expect(res.Buildpacks[0].ID).To(Equal(pythonID))
	g.Expect(res.Logs).To(ContainSubstring("Using CPython " + e.mirror.CPython.Version))
	g.Expect(string(res.SBOM["launch/cnbkit_python/cpython/sbom.cdx.json"])).To(ContainSubstring(e.mirror.CPython.SHA256),
		"the CPython installed is the organisation's, from the inventory given at package time")
	g.Expect(res.Config.User).To(Equal("1000:1000"))
	web, ok := res.Process("web")
	g.Expect(ok).To(BeTrue(), "processes: %+v", res.Processes)
	g.Expect(web.Default).To(BeTrue())
	g.Expect(layerNames(res)).To(ContainElements(pythonID+":cpython", pythonID+":venv"))
	g.Expect(sbomPackages(t, res, "launch/cnbkit_python/venv/sbom.cdx.json")).To(ContainElements("fastapi", "uvicorn", "starlette", "pydantic"))
	g.Expect(sbomPackages(t, res, "launch/cnbkit_python/cpython/sbom.cdx.json")).To(ContainElement(ContainSubstring("python")))
	expectValidSBOMs(t, res)

	t.Run("default process serves GET / on $PORT as uid 1000", func(t *testing.T) {
		g := NewWithT(t)
		c := serve(t, res.OCIImage())
		status, body, err := c.Get(t.Context(), "/")
		g.Expect(err).NotTo(HaveOccurred(), "logs:\n%s", c.Logs())
		g.Expect(status).To(Equal(http.StatusOK), "logs:\n%s", c.Logs())
		g.Expect(body).To(MatchJSON(fastapiBody))

		l, err := findListener(c.Port, "/proc/net/tcp", "/proc/net/tcp6")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(l.SocketUID).To(Equal(1000))
		g.Expect(l.UIDs).To(Equal([]int{1000, 1000, 1000, 1000}), "real, effective, saved and fs uid of %v", l.Cmdline)
		g.Expect(strings.Join(l.Cmdline, " ")).To(ContainSubstring("uvicorn"))
	})

	t.Run("default process serves GET / on 8080 without PORT", func(t *testing.T) {
		g := NewWithT(t)
		var status int
		var body []byte
		var l listener
		// A network namespace of its own, so 8080 is free whatever else runs on the machine.
		err := inNewNetNS(func() error {
			c, err := harness.Run(t.Context(), t, res.OCIImage(), harness.RunOptions{})
			if err != nil {
				return err
			}
			if status, body, err = getHere(t.Context(), 8080, "/", c.Done()); err != nil {
				return &runError{err, c.Logs()}
			}
			l, err = findListener(8080, "/proc/thread-self/net/tcp", "/proc/thread-self/net/tcp6")
			return err
		})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(status).To(Equal(http.StatusOK))
		g.Expect(body).To(MatchJSON(fastapiBody))
		g.Expect(l.UIDs).To(Equal([]int{1000, 1000, 1000, 1000}), "real, effective, saved and fs uid of %v", l.Cmdline)
	})

	t.Run("an unchanged rebuild reuses every layer and runs no pip", func(t *testing.T) {
		g := NewWithT(t)
		before := hits()
		again, warm := rebuild(t, h, res, nil)
		expectSuccess(g, again)
		record(t, "FastAPI app, warm rebuild (cache and previous image, no change): %s", warm.Round(100*time.Millisecond))
		g.Expect(again.Rebuilt).To(BeEmpty(), "layers rebuilt by an unchanged rebuild")
		g.Expect(again.Reused).To(ContainElements(pythonID+":cpython", pythonID+":venv", "app", "launcher"))
		// CPython and the environment are reused by their metadata alone: the restorer brings
		// back no file of them, only pip's cache, one file kept for a later change.
		g.Expect(again.Restored).To(ConsistOf(pythonID+":pip-cache"), "layers the restorer extracted")
		g.Expect(again.Logs).To(ContainSubstring(`Restoring metadata for "` + pythonID + `:venv" from app image`))
		g.Expect(again.Logs).To(ContainSubstring("Reusing the virtual environment"))
		g.Expect(again.Logs).NotTo(MatchRegexp(`(?i)collecting |successfully installed|installing collected packages|preparing pip`), "the rebuild ran pip")
		g.Expect(again.Digest).To(Equal(res.Digest), "an unchanged rebuild gives the same image")
		g.Expect(hits()).To(Equal(before), "requests to the mirror (%v) during an unchanged rebuild: no CPython download, no pip", mirrorPaths)
	})

	t.Run("a requirements change rebuilds only the environment", func(t *testing.T) {
		cpythonHits := e.mirror.Hits(e.mirror.CPython.Name)
		took := requirementsChange(t, h, res, app, "fastapi\nuvicorn\nitsdangerous\n", []string{"fastapi", "itsdangerous"}, fastapiBody)
		record(t, "FastAPI app, rebuild after a requirements.txt change: %s", took.Round(100*time.Millisecond))
		// This package bundles nothing, so CPython's artifact is fetched again, once; a package
		// made with --include-dependencies reads it from the buildpack (see the bundled test).
		NewWithT(t).Expect(e.mirror.Hits(e.mirror.CPython.Name)).To(Equal(cpythonHits+1), "CPython's artifact fetched again")
	})

	t.Run("with CPython bundled a requirements change reads it from the buildpack", func(t *testing.T) {
		g := NewWithT(t)
		app := writeApp(t, fastapiApp)
		opts := harness.BuildOptions{App: app, Buildpacks: []harness.Buildpack{harness.BuildpackFile(e.bundled)},
			Env: map[string]string{"PIP_INDEX_URL": e.indexURL}}
		before := e.mirror.Hits(e.mirror.CPython.Name)
		first, _ := build(t, h, opts)
		expectSuccess(g, first)
		g.Expect(os.WriteFile(filepath.Join(app, "requirements.txt"), []byte("fastapi\nuvicorn\nitsdangerous\n"), 0o644)).To(Succeed())
		changed, _ := rebuild(t, h, first, nil)
		expectSuccess(g, changed)
		g.Expect(changed.Logs).To(ContainSubstring("Refilling layer cpython with CPython"))
		g.Expect(changed.Logs).To(ContainSubstring("bundled in the buildpack"))
		g.Expect(changed.Restored).To(ConsistOf(pythonID+":pip-cache"), "nothing is kept for CPython: the bundle has it")
		g.Expect(changed.Reused).To(ContainElement(pythonID + ":cpython"))
		g.Expect(e.mirror.Hits(e.mirror.CPython.Name)).To(Equal(before), "CPython never came from the mirror")
	})
}

// requirementsChange writes requirements into the app's requirements.txt and rebuilds prev:
// only the virtual environment is rebuilt (CPython's layer, refilled with the same files for
// pip, and the launcher are reused; pip starts with its cache), its SBOM lists want, and the
// new image still answers body on GET /.
// It returns how long the rebuild took.
func requirementsChange(t *testing.T, h *harness.Harness, prev *harness.Result, app, requirements string, want []string, body string) time.Duration {
	t.Helper()
	g := NewWithT(t)
	// Rebuild reads the app directory again, as pack build does.
	g.Expect(os.WriteFile(filepath.Join(app, "requirements.txt"), []byte(requirements), 0o644)).To(Succeed())
	changed, took := rebuild(t, h, prev, nil)
	expectSuccess(g, changed)
	g.Expect(changed.Logs).To(ContainSubstring("Rebuilding the virtual environment from scratch (requirements.txt changed)"))
	g.Expect(changed.Logs).To(ContainSubstring("Refilling layer cpython with CPython"), "the environment is made with CPython's files")
	g.Expect(changed.Logs).To(ContainSubstring("Unpacking pip's cache: "), "pip starts with the previous build's cache")
	var rebuiltBP []string
	for _, n := range changed.Rebuilt {
		if strings.HasPrefix(n, "cnbkit/") {
			rebuiltBP = append(rebuiltBP, n)
		}
	}
	g.Expect(rebuiltBP).To(Equal([]string{pythonID + ":venv"}), "buildpack layers rebuilt (all rebuilt: %v)", changed.Rebuilt)
	g.Expect(changed.Reused).To(ContainElements(pythonID+":cpython", "launcher"), "CPython refilled with the same files is the same layer")
	g.Expect(sbomPackages(t, changed, "launch/cnbkit_python/venv/sbom.cdx.json")).To(ContainElements(want))

	c := serve(t, changed.OCIImage())
	_, got, err := c.Get(t.Context(), "/")
	g.Expect(err).NotTo(HaveOccurred(), "logs:\n%s", c.Logs())
	g.Expect(got).To(MatchJSON(body))
	return took
}

type runError struct {
	err  error
	logs string
}

func (e *runError) Error() string { return e.err.Error() + "; output:\n" + e.logs }

// sbomPackages returns the lower-cased component names of a CycloneDX file of the image.
func sbomPackages(t *testing.T, res *harness.Result, path string) []string {
	t.Helper()
	data, ok := res.SBOM[path]
	if !ok {
		var have []string
		for p := range res.SBOM {
			have = append(have, p)
		}
		slices.Sort(have)
		t.Fatalf("no SBOM file %s; the image has %v", path, have)
	}
	var doc struct {
		Components []struct {
			Name string `json:"name"`
		} `json:"components"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var names []string
	for _, c := range doc.Components {
		names = append(names, strings.ToLower(c.Name))
	}
	return names
}

// layerSizes lists the buildpack layers with their compressed sizes.
func layerSizes(res *harness.Result) string {
	var parts []string
	for _, l := range res.Layers {
		if strings.HasPrefix(l.Name, "cnbkit/") {
			parts = append(parts, l.Name+" "+mb(l.Size))
		}
	}
	return strings.Join(parts, ", ")
}
