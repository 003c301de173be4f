package walkthrough

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/cnbkit/cnbkit/integration/fixtures"
	"github.com/cnbkit/cnbkit/integration/harness"
	"github.com/cnbkit/cnbkit/integration/internal/packtool"
	"github.com/cnbkit/cnbkit/integration/internal/prereq"
	"github.com/cnbkit/cnbkit/integration/internal/sbomcheck"
	"github.com/cnbkit/cnbkit/packager"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// Image names inside the test's private daemon.
const (
	buildImage   = "cnbkit/walkthrough-build:bookworm"
	runImage     = "cnbkit/walkthrough-run:bookworm"
	newRunImage  = "cnbkit/walkthrough-run:bookworm-2"
	builderImage = "cnbkit/walkthrough-builder:latest"
	appImage     = "my-python-app"
	seedImage    = "my-python-app-dockerfile"
)

// The FastAPI app of the seed: app.py with `app = FastAPI()` and a JSON route, a package of
// its own, requirements.txt, no Procfile.
var appFiles = map[string]string{
	"app.py": `from fastapi import FastAPI

from greetings import greeting

app = FastAPI()


@app.get("/")
def read_root():
    return {"message": greeting("World"), "app": "my-python-app"}
`,
	"greetings/__init__.py": `def greeting(name):
    return "Hello, " + name + "!"
`,
	"requirements.txt": "fastapi\nuvicorn\n",
}

// farewellPy is the code change of the rebuild test.
const farewellPy = `def farewell(name):
    return "Goodbye, " + name + "!"
`

var wantBody = map[string]any{"message": "Hello, World!", "app": "my-python-app"}

// TestWalkthrough is the seed's walkthrough with the real tools: Debian's dockerd started
// here, our buildpacks packaged to .cnb with cnbkit (their dependency inventories replaced at
// package time by the loopback mirror's), `pack builder create` from those files, the Debian
// stack and the lifecycle tgz, `pack build` of the FastAPI app, `docker run` of the image,
// `pack rebase` onto a newer run image, `pack sbom download`, and `pack build --exec-env`
// with the SDK's probe buildpack. It records the cold and warm build times and the image
// size, next to a Dockerfile build of the same app.
func TestWalkthrough(t *testing.T) {
	// With warm caches the walkthrough takes 1 to 2.5 minutes.
	w := prepare(t, "bookworm", 45*time.Minute)
	ctx, lc, stack, mirror, pack, work, timings := w.ctx, w.lc, w.stack, w.mirror, w.pack, w.work, w.timings
	g := NewWithT(t)

	// 1. The daemon.
	start := time.Now()
	d := startDockerd(ctx, t)
	timings.add("dockerd ready ("+d.driver+")", time.Since(start))
	p := &packCLI{bin: pack, d: d, home: filepath.Join(work, "pack-home")}

	// 2. Our buildpacks as .cnb files, with the organisation's own inventory, and the SDK's
	// probe buildpack for the exec-env builds.
	start = time.Now()
	cnb := packageBuildpacks(ctx, t, work, mirror)
	timings.add("cnbkit package python-ffmpeg.cnb", time.Since(start))
	probe := packageProbe(ctx, t, work)

	// 3. The stack in the daemon, the builder, the app.
	start = time.Now()
	loadImages(ctx, t, d, work, map[string]v1.Image{buildImage: stack.Build, runImage: stack.Run})
	timings.add("docker load of the stack", time.Since(start))
	builderDir := filepath.Join(work, "builder")
	writeFiles(t, builderDir, map[string]string{"builder.toml": builderTOML(cnb, probe, lc.Tarball, "bookworm")})
	start = time.Now()
	out, err := p.run(ctx, builderDir, "builder", "create", builderImage, "--config", "builder.toml", "--pull-policy", "never")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out).To(ContainSubstring("Successfully created builder image"))
	timings.add("pack builder create", time.Since(start))

	appDir := filepath.Join(work, "app")
	writeFiles(t, appDir, appFiles)
	buildArgs := []string{"build", appImage, "--builder", builderImage, "--trust-builder", "--docker-host", "inherit",
		"--pull-policy", "never", "--network", "host", "--path", appDir, "--env", "PIP_INDEX_URL=" + mirror.IndexURL}
	start = time.Now()
	out, err = p.run(ctx, work, buildArgs...)
	g.Expect(err).NotTo(HaveOccurred())
	timings.add("pack build, cold", time.Since(start))
	g.Expect(out).To(ContainSubstring("Successfully built image"))
	g.Expect(out).To(ContainSubstring("cnbkit/python"))
	g.Expect(out).To(ContainSubstring("Successfully installed"), "the cold build runs pip (the warm one must not)")
	firstID := imageID(ctx, t, d, appImage)

	// Same app again: the cache volume and the previous image make it a warm build; the
	// Python buildpack reuses its layers and runs no pip.
	packRebuild(ctx, t, p, work, buildArgs, timings, "pack build, warm (no change)")
	g.Expect(imageID(ctx, t, d, appImage)).To(Equal(firstID), "a rebuild with no change gives the same image")
	// A code change: the app layer changes, CPython and the environment are reused.
	writeFiles(t, appDir, map[string]string{"greetings/farewell.py": farewellPy})
	packRebuild(ctx, t, p, work, buildArgs, timings, "pack build, warm (app code changed)")
	g.Expect(imageID(ctx, t, d, appImage)).NotTo(Equal(firstID), "a code change gives a new image")
	logHistory(ctx, t, d, appImage)

	timings.addSize("run image (Debian bookworm minbase + cnb user)", imageSize(ctx, t, d, runImage))
	timings.addSize("app image (pack build)", imageSize(ctx, t, d, appImage))

	cfgUser, err := d.run(ctx, "image", "inspect", "-f", "{{.Config.User}}", appImage)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(strings.TrimSpace(cfgUser)).To(Equal("1000:1000"))

	// 4. docker run: the default port in the container's own network namespace (8080 of
	// the host may be taken by a parallel test), $PORT on the host network.
	t.Run("docker run serves GET / on 8080 as uid 1000", func(t *testing.T) {
		g := NewWithT(t)
		id := runApp(ctx, t, d, "--network", "none")
		pid := containerPID(ctx, t, d, id)
		g.Expect(procUID(t, pid)).To(Equal(1000), "the app process runs as uid 1000")
		g.Expect(getJSONInNetNS(ctx, t, pid, 8080)).To(Equal(wantBody))
	})
	t.Run("docker run on the host network serves GET / on $PORT", func(t *testing.T) {
		g := NewWithT(t)
		port := freePort(t)
		runApp(ctx, t, d, "--network", "host", "-e", "PORT="+strconv.Itoa(port))
		g.Expect(getJSON(ctx, t, port)).To(Equal(wantBody))
	})

	// 6. pack sbom download (before the rebase: it reads the image's SBOM layer).
	t.Run("pack sbom download lists CPython and the installed packages", func(t *testing.T) {
		g := NewWithT(t)
		dir := filepath.Join(work, "sbom")
		_, err := p.run(ctx, work, "sbom", "download", appImage, "--output-dir", dir)
		g.Expect(err).NotTo(HaveOccurred())
		spdx, cdx := sbomFiles(t, dir)
		g.Expect(spdx).NotTo(BeEmpty(), "no *.spdx.json under %s", dir)
		g.Expect(cdx).NotTo(BeEmpty(), "no *.cdx.json under %s", dir)
		for format, files := range map[string][]string{"SPDX": spdx, "CycloneDX": cdx} {
			names := sbomNames(t, files)
			g.Expect(names).To(ContainElements("cpython", "fastapi", "uvicorn", "starlette", "pydantic"), "%s documents %v list %v", format, files, names)
		}
		v, err := sbomcheck.Default(ctx)
		g.Expect(err).NotTo(HaveOccurred())
		// pack writes the image's SBOM layer as it is: layers/sbom/{launch,build}/..., the
		// lifecycle's own sbom.legacy.json at the top of launch/ and build/.
		validated, err := v.Dir(filepath.Join(dir, "layers", "sbom"))
		g.Expect(err).NotTo(HaveOccurred(), "the documents pack sbom download wrote pass the official schemas")
		g.Expect(validated).To(HaveLen(len(spdx)+len(cdx)), "every file pack wrote is a CycloneDX or SPDX document")
	})

	// 5. pack rebase onto a newer run image keeps the app working.
	t.Run("pack rebase onto a newer run image keeps the app working", func(t *testing.T) {
		g := NewWithT(t)
		newer, err := newerRunImage(stack.Run)
		g.Expect(err).NotTo(HaveOccurred())
		// The stack maintainer publishes the update under a new tag and moves the tag the
		// builder names (bookworm) to it, as base image updates are published.
		loadImages(ctx, t, d, work, map[string]v1.Image{newRunImage: newer})
		_, err = d.run(ctx, "tag", newRunImage, runImage)
		g.Expect(err).NotTo(HaveOccurred())
		start := time.Now()
		_, err = p.run(ctx, work, "rebase", appImage, "--pull-policy", "never")
		g.Expect(err).NotTo(HaveOccurred())
		timings.add("pack rebase", time.Since(start))
		label, err := d.run(ctx, "image", "inspect", "-f", `{{index .Config.Labels "io.buildpacks.lifecycle.metadata"}}`, appImage)
		g.Expect(err).NotTo(HaveOccurred())
		var md struct {
			RunImage struct {
				Reference string `json:"reference"`
				Image     string `json:"image"`
			} `json:"runImage"`
		}
		g.Expect(json.Unmarshal([]byte(label), &md)).To(Succeed())
		newID := imageID(ctx, t, d, newRunImage)
		g.Expect(md.RunImage.Reference+" "+md.RunImage.Image).To(ContainSubstring(strings.TrimPrefix(newID, "sha256:")[:12]), "lifecycle metadata names the new run image: %s", label)
		// The file of the newer run image is in the app image.
		out, err := d.run(ctx, "run", "--rm", "--network", "none", "--entrypoint", "/bin/cat", appImage, "/etc/cnbkit-run-image")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(out).To(Equal("bookworm-2\n"))
		port := freePort(t)
		runApp(ctx, t, d, "--network", "host", "-e", "PORT="+strconv.Itoa(port))
		g.Expect(getJSON(ctx, t, port)).To(Equal(wantBody))
	})

	// 7. pack build --exec-env: the launcher finds the processes of its CNB_EXEC_ENV.
	t.Run("pack build --exec-env test and the default production: the launcher picks the processes", func(t *testing.T) {
		execEnvBuilds(ctx, t, p, d, work, timings)
	})

	// 8. docs/builder.md as written: cnbkit installed with go install, our buildpacks packaged
	// with the organisation's own inventory, the builder from builder/builder.toml, a FastAPI
	// app built, an app using pydub built with ffmpeg from a mirror.
	env := pageEnv(ctx, t, p, work)
	start = time.Now()
	runBuilderPage(ctx, t, env, work, lc, mirror)
	timings.add("docs/builder.md (go install, package, builder, 2 cold builds)", time.Since(start))
	t.Run("the app using pydub runs ffmpeg from the mirror", func(t *testing.T) {
		g := NewWithT(t)
		// The launcher runs the command with the app's environment (PATH with ffmpeg, the venv).
		out, err := d.run(ctx, "run", "--rm", "--network", "none", "--entrypoint", "/cnb/lifecycle/launcher", audioAppImage, "python", "tone.py", "/tmp/tone.mp3")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(out).To(ContainSubstring("decoded 1500 ms at 44100 Hz"))
	})

	t.Run("docs/buildpacks/python.md, every command", func(t *testing.T) {
		start := time.Now()
		runPythonPage(ctx, t, env, work, mirror.IndexURL)
		timings.add("docs/buildpacks/python.md (2 builds)", time.Since(start))
	})

	// 9. docs/getting-started.md as written, with the builder of docs/builder.md, and its
	// project packaged as a folder that pack packages.
	t.Run("docs/getting-started.md, every command", func(t *testing.T) {
		start := time.Now()
		runGettingStarted(ctx, t, env, work)
		timings.add("docs/getting-started.md and the READMEs of the projects it makes", time.Since(start))
	})

	// 10. The seed's Dockerfile approach on the same base, for comparison.
	t.Run("a Dockerfile build of the same app, for comparison", func(t *testing.T) {
		dockerfileComparison(ctx, t, d, work, dockerfileApp{base: runImage, image: seedImage, cpython: mirror.CPython,
			indexURL: mirror.IndexURL, files: appFiles, want: wantBody}, timings)
	})
}

// walk is what a walkthrough test starts from.
type walk struct {
	ctx     context.Context // ends a little before go test's -timeout
	lc      *harness.LifecycleBinaries
	stack   *harness.Stack // the Debian stack of the release asked for
	mirror  *fixtures.Mirror
	pack    string // the pack binary
	work    string // a directory of the test's own, 0755
	timings *report
}

// prepare checks the machine, bounds the test's time (at most budget, and a little less than
// go test's -timeout so the cleanups — containers, daemon, mounts — still run) and builds or
// takes from the cache what a walkthrough needs: the lifecycle, the Debian stack of release,
// the fixtures served from 127.0.0.1, pack and a work directory. Everything is released, and
// the timings logged, with t.Cleanup.
func prepare(t *testing.T, release string, budget time.Duration) walk {
	t.Helper()
	prereq.Root(t, "the walkthrough runs dockerd and needs root")
	// What the cached pieces are made with on a fresh machine (integration/scripts/setup.sh)
	// and the daemon (docker.io); startDockerd checks the daemon's own tools.
	for tool, pkg := range map[string]string{"mmdebstrap": "mmdebstrap", "patchelf": "patchelf", "npm": "npm", "dpkg-deb": "dpkg", "apt-get": "apt"} {
		prereq.Tool(t, tool, pkg)
	}
	g := NewWithT(t)
	deadline := time.Now().Add(budget)
	if d, ok := t.Deadline(); ok && d.Add(-90*time.Second).Before(deadline) {
		deadline = d.Add(-90 * time.Second)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	t.Cleanup(cancel)
	w := walk{ctx: ctx, timings: &report{t: t}}
	t.Cleanup(w.timings.log)

	var err error
	w.lc, err = harness.Lifecycle(ctx)
	g.Expect(err).NotTo(HaveOccurred(), "building the lifecycle")
	w.stack, err = harness.DebianStackFor(ctx, release)
	g.Expect(err).NotTo(HaveOccurred(), "making the Debian %s stack", release)
	fx, err := fixtures.New(fixtures.Options{})
	g.Expect(err).NotTo(HaveOccurred())
	w.mirror, err = fx.Mirror(ctx)
	g.Expect(err).NotTo(HaveOccurred(), "building the fixtures")
	t.Cleanup(w.mirror.Close)
	w.pack, err = packtool.Binary(ctx)
	g.Expect(err).NotTo(HaveOccurred(), "building pack")
	w.work, err = os.MkdirTemp("", "cnbkit-walkthrough-")
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { os.RemoveAll(w.work) })
	g.Expect(os.Chmod(w.work, 0o755)).To(Succeed())
	return w
}

// packRebuild runs pack build again (the cache volume and the previous image make it a warm
// build), records its time as what, and checks that the Python buildpack reused CPython and
// the environment and ran no pip.
func packRebuild(ctx context.Context, t *testing.T, p *packCLI, dir string, args []string, timings *report, what string) {
	t.Helper()
	g := NewWithT(t)
	start := time.Now()
	out, err := p.run(ctx, dir, args...)
	g.Expect(err).NotTo(HaveOccurred())
	timings.add(what, time.Since(start))
	for _, layer := range []string{"cpython", "venv"} {
		g.Expect(out).To(ContainSubstring("Reusing layer 'cnbkit/python:"+layer+"'"), "%s reuses the Python layers:\n%s", what, out)
	}
	g.Expect(out).NotTo(ContainSubstring("Successfully installed"), "%s must not run pip:\n%s", what, out)
}

// packageBuildpacks packages buildpacks/python-ffmpeg (the composite with cnbkit/python and
// cnbkit/ffmpeg) for the host with the mirror's inventory replacing the buildpacks' own, as
// `cnbkit package python-ffmpeg.cnb --path buildpacks/python-ffmpeg --dependencies
// inventory.toml --dependencies-mode replace` does; edits change the options first (e.g. to
// bundle dependencies).
func packageBuildpacks(ctx context.Context, t testing.TB, work string, mirror *fixtures.Mirror, edits ...func(*packager.Options)) string {
	t.Helper()
	inv := filepath.Join(work, "inventory.toml")
	if err := fixtures.WriteInventoryFile(inv, mirror.Inventory); err != nil {
		t.Fatal(err)
	}
	opts := packager.Options{Path: filepath.Join("..", "..", "buildpacks", "python-ffmpeg"), Inventory: inv, InventoryMode: "replace"}
	for _, edit := range edits {
		edit(&opts)
	}
	return packageFile(ctx, t, opts, filepath.Join(work, "python-ffmpeg.cnb"))
}

// packageProbe packages the SDK's probe buildpack (integration/sdk/testdata/probe: processes
// for the production, test and development execution environments, and for every one), as
// `cnbkit package probe.cnb --path integration/sdk/testdata/probe` does.
func packageProbe(ctx context.Context, t *testing.T, work string) string {
	t.Helper()
	return packageFile(ctx, t, packager.Options{Path: filepath.Join("..", "sdk", "testdata", "probe")}, filepath.Join(work, "probe.cnb"))
}

// packageFile packages opts for the host's architecture and writes the .cnb file out.
func packageFile(ctx context.Context, t testing.TB, opts packager.Options, out string) string {
	t.Helper()
	src, err := filepath.Abs(opts.Path)
	if err != nil {
		t.Fatal(err)
	}
	opts.Path, opts.Targets = src, []spec.Target{{OS: "linux", Arch: runtime.GOARCH}}
	pkg, err := packager.Build(ctx, opts)
	if err != nil {
		t.Fatalf("cnbkit package %s: %v", src, err)
	}
	defer pkg.Close()
	outs, err := packager.FileSink{Name: out}.Write(ctx, pkg)
	if err != nil {
		t.Fatalf("writing %s: %v", out, err)
	}
	t.Logf("packaged %v into %s", pkg.Buildpacks, outs[0].Location)
	return outs[0].Location
}

// builderTOML is the builder on the stack of a Debian release (its build and run images loaded
// as cnbkit/walkthrough-{build,run}:<release>): the Python and ffmpeg buildpacks first, then,
// unless probe is empty, the probe, whose detect passes on any app (so it is last: a Python
// app still gets the Python group).
func builderTOML(cnb, probe, lifecycle, release string) string {
	probeBuildpack, probeOrder := "", ""
	if probe != "" {
		probeBuildpack = `
[[buildpacks]]
uri = "` + probe + `"
`
		probeOrder = `
[[order]]
[[order.group]]
id = "cnbkit-it/probe"
version = "0.1.0"
`
	}
	return `description = "cnbkit walkthrough builder: Debian ` + release + `, cnbkit Python and ffmpeg"

[[buildpacks]]
uri = "` + cnb + `"
` + probeBuildpack + `
[[order]]
[[order.group]]
id = "cnbkit/python-ffmpeg"
version = "0.1.0"

[[order]]
[[order.group]]
id = "cnbkit/python"
version = "0.1.0"
` + probeOrder + `
[lifecycle]
uri = "` + lifecycle + `"

[build]
image = "` + stackImage("build", release) + `"

[run]
[[run.images]]
image = "` + stackImage("run", release) + `"
`
}

// stackImage names the build or run image of a Debian release's stack in the daemon.
func stackImage(kind, release string) string { return "cnbkit/walkthrough-" + kind + ":" + release }

// loadImages writes images as a `docker save` tarball and loads it into the daemon.
func loadImages(ctx context.Context, t testing.TB, d *dockerd, work string, images map[string]v1.Image) {
	t.Helper()
	refs := map[name.Reference]v1.Image{}
	for ref, img := range images {
		r, err := name.NewTag(ref)
		if err != nil {
			t.Fatal(err)
		}
		refs[r] = img
	}
	f, err := os.CreateTemp(work, "images-*.tar")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	if err := tarball.MultiRefWrite(refs, f); err != nil {
		f.Close()
		t.Fatalf("writing images tarball: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.run(ctx, "load", "-i", f.Name()); err != nil {
		t.Fatal(err)
	}
}

// newerRunImage is the run image with one more layer (/etc/cnbkit-run-image) and label, as
// a base image update would be.
func newerRunImage(base v1.Image) (v1.Image, error) {
	var buf bytes.Buffer
	if err := writeTar(&buf, map[string]string{"etc/cnbkit-run-image": "bookworm-2\n"}); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Config.Labels["io.cnbkit.walkthrough.run-image"] = "bookworm-2"
	return mutate.ConfigFile(img, cf)
}

// runApp starts the app image detached with extra docker run flags; the container is removed
// with t.Cleanup.
func runApp(ctx context.Context, t *testing.T, d *dockerd, flags ...string) string {
	t.Helper()
	return runImageApp(ctx, t, d, appImage, flags...)
}

// runImageApp is runApp for another image.
func runImageApp(ctx context.Context, t *testing.T, d *dockerd, image string, flags ...string) string {
	t.Helper()
	args := append(append([]string{"run", "-d"}, flags...), image)
	out, err := d.run(ctx, args...)
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(out)
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if logs, err := d.run(cctx, "logs", id); err == nil && t.Failed() {
			t.Logf("container %s logs:\n%s", id[:12], logs)
		}
		if _, err := d.run(cctx, "rm", "-f", id); err != nil {
			t.Error(err)
		}
	})
	return id
}

func containerPID(ctx context.Context, t *testing.T, d *dockerd, id string) int {
	t.Helper()
	out, err := d.run(ctx, "inspect", "-f", "{{.State.Pid}}", id)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil || pid <= 0 {
		t.Fatalf("container %s has no running process (State.Pid %q): it exited", id, out)
	}
	return pid
}

// procUID reads the real uid of a process from /proc/<pid>/status.
func procUID(t *testing.T, pid int) int {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "Uid:"); ok {
			uid, err := strconv.Atoi(strings.Fields(rest)[0])
			if err != nil {
				t.Fatal(err)
			}
			return uid
		}
	}
	t.Fatalf("/proc/%d/status has no Uid line", pid)
	return -1
}

// getJSON polls GET http://127.0.0.1:<port>/ until the app answers (or two minutes pass) and
// decodes the JSON body.
func getJSON(ctx context.Context, t *testing.T, port int) map[string]any {
	t.Helper()
	return poll(ctx, t, port, func() (*http.Response, error) {
		c := &http.Client{Timeout: 5 * time.Second}
		return c.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
	})
}

// getJSONInNetNS is getJSON inside the network namespace of process pid: the connection is
// opened on an OS thread moved into that namespace, which is thrown away afterwards.
func getJSONInNetNS(ctx context.Context, t *testing.T, pid, port int) map[string]any {
	t.Helper()
	return poll(ctx, t, port, func() (*http.Response, error) {
		type result struct {
			conn net.Conn
			err  error
		}
		ch := make(chan result, 1)
		go func() {
			// No UnlockOSThread: the thread ends with the goroutine instead of going back to
			// the scheduler in another namespace.
			runtime.LockOSThread()
			fd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/net", pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				ch <- result{err: err}
				return
			}
			defer unix.Close(fd)
			if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
				ch <- result{err: fmt.Errorf("entering the network namespace of pid %d: %w", pid, err)}
				return
			}
			conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
			ch <- result{conn, err}
		}()
		r := <-ch
		if r.err != nil {
			return nil, r.err
		}
		_ = r.conn.SetDeadline(time.Now().Add(10 * time.Second))
		req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/", port), nil)
		if err != nil {
			r.conn.Close()
			return nil, err
		}
		req.Close = true
		if err := req.Write(r.conn); err != nil {
			r.conn.Close()
			return nil, err
		}
		resp, err := http.ReadResponse(bufio.NewReader(r.conn), req)
		if err != nil {
			r.conn.Close()
			return nil, err
		}
		resp.Body = struct {
			io.Reader
			io.Closer
		}{resp.Body, r.conn}
		return resp, nil
	})
}

func poll(ctx context.Context, t *testing.T, port int, get func() (*http.Response, error)) map[string]any {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	var last error
	for time.Now().Before(deadline) && ctx.Err() == nil {
		resp, err := get()
		if err == nil {
			body, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr != nil {
				last = rerr
			} else if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET / on port %d: status %d, body %s", port, resp.StatusCode, body)
			} else {
				var v map[string]any
				if err := json.Unmarshal(body, &v); err != nil {
					t.Fatalf("GET / on port %d: body is not JSON: %s", port, body)
				}
				return v
			}
		} else {
			last = err
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("GET / on port %d: no answer within 2 minutes: %v", port, last)
	return nil
}

// freePort is harness.FreePort for a test: a port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	port, err := harness.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func imageID(ctx context.Context, t *testing.T, d *dockerd, ref string) string {
	t.Helper()
	out, err := d.run(ctx, "image", "inspect", "-f", "{{.Id}}", ref)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

func imageSize(ctx context.Context, t *testing.T, d *dockerd, ref string) int64 {
	t.Helper()
	out, err := d.run(ctx, "image", "inspect", "-f", "{{.Size}}", ref)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	if err != nil {
		t.Fatalf("docker image inspect %s: size %q: %v", ref, out, err)
	}
	return n
}

// logHistory logs the layers of an image with their sizes, for the size comparison.
func logHistory(ctx context.Context, t *testing.T, d *dockerd, ref string) {
	t.Helper()
	out, err := d.run(ctx, "history", "--no-trunc", "--format", "{{.Size}}\t{{.CreatedBy}}", ref)
	if err != nil {
		t.Error(err)
		return
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if len(l) > 140 {
			l = l[:140] + "…"
		}
		lines = append(lines, l)
	}
	t.Logf("layers of %s (newest first):\n%s", ref, strings.Join(lines, "\n"))
}

// sbomFiles finds the SPDX and CycloneDX documents pack downloaded.
func sbomFiles(t *testing.T, dir string) (spdx, cdx []string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case strings.HasSuffix(p, ".spdx.json"):
			spdx = append(spdx, p)
		case strings.HasSuffix(p, ".cdx.json"):
			cdx = append(cdx, p)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading downloaded SBOMs: %v", err)
	}
	return spdx, cdx
}

// sbomNames returns the lowercase package/component names of SPDX or CycloneDX JSON files.
func sbomNames(t *testing.T, files []string) []string {
	t.Helper()
	var names []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Packages []struct {
				Name string `json:"name"`
			} `json:"packages"`
			Components []struct {
				Name string `json:"name"`
			} `json:"components"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s is not JSON: %v", f, err)
		}
		for _, p := range doc.Packages {
			names = append(names, strings.ToLower(p.Name))
		}
		for _, c := range doc.Components {
			names = append(names, strings.ToLower(c.Name))
		}
	}
	return names
}

// packCLI runs pack against the test's daemon with a private PACK_HOME.
type packCLI struct {
	bin, home string
	d         *dockerd
}

func (p *packCLI) run(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, p.bin, args...)
	cmd.Dir = dir
	// A fixed volume key: pack running as root on a host it takes for a container otherwise
	// names a new cache volume for every build.
	cmd.Env = append(p.d.env(), "PACK_HOME="+p.home, "PACK_VOLUME_KEY=cnbkit-walkthrough")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return buf.String(), fmt.Errorf("pack %s: %w\n%s", strings.Join(args, " "), err, buf.String())
	}
	return buf.String(), nil
}

func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// report collects the walkthrough's measurements and logs them at the end.
type report struct {
	t     *testing.T
	lines []string
}

func (r *report) add(what string, d time.Duration) {
	r.lines = append(r.lines, fmt.Sprintf("%-45s %8.1fs", what, d.Seconds()))
}

func (r *report) addSize(what string, n int64) {
	r.lines = append(r.lines, fmt.Sprintf("%-45s %8.1f MB", what, float64(n)/1e6))
}

func (r *report) log() {
	r.t.Logf("walkthrough measurements (%d cores):\n%s", runtime.NumCPU(), strings.Join(r.lines, "\n"))
}
