package harness_test

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/cnbkit/cnbkit/integration/harness"
	"github.com/cnbkit/cnbkit/integration/internal/prereq"
)

// testBuildpack copies testdata/buildpack and compiles testdata/hello-server into it.
func testBuildpack(t *testing.T) string {
	t.Helper()
	g := NewWithT(t)
	dir := filepath.Join(t.TempDir(), "hello")
	g.Expect(os.CopyFS(dir, os.DirFS("testdata/buildpack"))).To(Succeed())
	// os.CopyFS keeps only the executable bits it is given; restore them for the scripts.
	for _, f := range []string{"bin/detect", "bin/build"} {
		g.Expect(os.Chmod(filepath.Join(dir, f), 0o755)).To(Succeed())
	}
	out := filepath.Join(dir, "server", "hello-server")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, "./testdata/hello-server")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	logs, err := cmd.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), "go build hello-server: %s", logs)
	return dir
}

func TestBuildRunRebuild(t *testing.T) {
	prereq.Harness(t)
	ctx := t.Context()
	g := NewWithT(t)

	bp := testBuildpack(t)
	start := time.Now()
	h, err := harness.New(ctx, t, harness.Options{})
	g.Expect(err).NotTo(HaveOccurred())
	t.Logf("harness.New (lifecycle, stack, registry) took %s", time.Since(start).Round(time.Millisecond))

	app := filepath.Join(t.TempDir(), "app")
	g.Expect(os.CopyFS(app, os.DirFS("testdata/app"))).To(Succeed())

	start = time.Now()
	res, err := h.Build(ctx, t, harness.BuildOptions{
		App:        app,
		Buildpacks: []harness.Buildpack{harness.BuildpackDir(bp)},
		Env:        map[string]string{"HELLO_LAYER_VERSION": "1"},
		Image:      "hello:latest",
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Success).To(BeTrue(), "build failed with exit %d:\n%s", res.ExitCode, res.Logs)
	t.Logf("first build took %s", time.Since(start).Round(time.Millisecond))
	g.Expect(res.Logs).To(ContainSubstring("hello buildpack: installing hello-server (version 1)"))
	g.Expect(res.Logs).To(ContainSubstring("hello buildpack: target linux/" + runtime.GOARCH + " debian 12"))
	g.Expect(res.Digest).To(HavePrefix("sha256:"))
	g.Expect(res.Ref).To(Equal(h.Registry.Ref("hello@" + res.Digest)))
	g.Expect(res.Buildpacks).To(Equal([]harness.BuildpackRef{{ID: "cnbkit-test/hello", Version: "0.0.1"}}))
	g.Expect(res.Config.User).To(Equal("1000:1000"))
	g.Expect(res.Config.Labels).To(HaveKeyWithValue("io.buildpacks.base.distro.name", "debian"))
	g.Expect(res.Config.Entrypoint).To(Equal([]string{"/cnb/process/web"}))
	web, ok := res.Process("web")
	g.Expect(ok).To(BeTrue(), "processes: %+v", res.Processes)
	g.Expect(web.Command).To(Equal([]string{"hello-server"}))
	g.Expect(web.Default).To(BeTrue())
	_, ok = res.LayerNamed("cnbkit-test/hello:server")
	g.Expect(ok).To(BeTrue(), "layers: %+v", res.Layers)
	g.Expect(res.Layers[0].Name).To(Equal("base"))
	g.Expect(res.SBOM).To(HaveKey("launch/cnbkit-test_hello/server/sbom.cdx.json"))
	g.Expect(string(res.SBOM["launch/cnbkit-test_hello/server/sbom.cdx.json"])).To(ContainSubstring(`"name":"hello-server"`))
	g.Expect(res.Reused).To(BeEmpty())

	t.Run("run", func(t *testing.T) {
		g := NewWithT(t)
		port, err := harness.FreePort()
		g.Expect(err).NotTo(HaveOccurred())
		c, err := harness.Run(ctx, t, res.OCIImage(), harness.RunOptions{
			Env:  map[string]string{"PORT": strconv.Itoa(port)},
			Port: port,
		})
		g.Expect(err).NotTo(HaveOccurred())
		status, body, err := c.Get(ctx, "/")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(status).To(Equal(http.StatusOK), "body: %s", body)
		var got map[string]any
		g.Expect(json.Unmarshal(body, &got)).To(Succeed(), "body: %s", body)
		g.Expect(got).To(Equal(map[string]any{"hello": "hello from the harness test app", "uid": float64(1000), "from": "harness"}))

		// SIGTERM reaches the server, PID 1 of the container, which shuts down cleanly.
		g.Expect(c.Signal(syscall.SIGTERM)).To(Succeed())
		select {
		case <-c.Done():
		case <-time.After(time.Minute):
			t.Fatalf("the server did not exit within a minute of SIGTERM; output:\n%s", c.Logs())
		}
		g.Expect(c.Wait()).To(Succeed(), "exit status after SIGTERM; output:\n%s", c.Logs())
		g.Expect(c.Logs()).To(ContainSubstring("hello-server listening on :" + strconv.Itoa(port)))
		g.Expect(c.Logs()).To(ContainSubstring("hello-server: SIGTERM, shutting down"))
		g.Expect(c.Signal(syscall.SIGTERM)).To(MatchError(ContainSubstring("it has exited")))
	})

	t.Run("run another process", func(t *testing.T) {
		g := NewWithT(t)
		c, err := harness.Run(ctx, t, res.OCIImage(), harness.RunOptions{Process: "greeting"})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(c.Wait()).To(Succeed(), "output: %s", c.Logs())
		g.Expect(c.Logs()).To(Equal("hello from the harness test app\n"))
	})

	t.Run("rebuild without change reuses every layer", func(t *testing.T) {
		g := NewWithT(t)
		start := time.Now()
		again, err := h.Rebuild(ctx, t, res, nil)
		g.Expect(err).NotTo(HaveOccurred())
		t.Logf("rebuild took %s", time.Since(start).Round(time.Millisecond))
		g.Expect(again.Success).To(BeTrue(), "rebuild failed:\n%s", again.Logs)
		g.Expect(again.Logs).To(ContainSubstring("hello buildpack: reusing layer server"))
		g.Expect(again.Rebuilt).To(BeEmpty())
		g.Expect(again.Reused).To(ContainElements("cnbkit-test/hello:server", "launcher", "app"))
		g.Expect(again.Digest).To(Equal(res.Digest), "a rebuild with no change gives the same image")

		t.Run("a changed layer key rebuilds that layer only", func(t *testing.T) {
			g := NewWithT(t)
			third, err := h.Rebuild(ctx, t, again, func(o *harness.BuildOptions) { o.Env["HELLO_LAYER_VERSION"] = "2" })
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(third.Success).To(BeTrue(), "rebuild failed:\n%s", third.Logs)
			g.Expect(third.Logs).To(ContainSubstring("installing hello-server (version 2)"))
			g.Expect(third.Rebuilt).To(ContainElement("cnbkit-test/hello:server"))
			g.Expect(third.Reused).To(ContainElements("launcher", "app"))
			g.Expect(third.Reused).NotTo(ContainElement("cnbkit-test/hello:server"))
		})
	})

	t.Run("rebase onto a newer run image", func(t *testing.T) {
		g := NewWithT(t)
		newer, marker := newerRunImage(t, h.Stack.Run)
		rebased, err := h.Rebase(ctx, t, res, newer)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(rebased.Success).To(BeTrue(), "rebase failed:\n%s", rebased.Logs)
		g.Expect(rebased.Digest).NotTo(Equal(res.Digest))
		g.Expect(rebased.Reused).To(ContainElements("cnbkit-test/hello:server", "launcher", "app"))
		g.Expect(rebased.Rebuilt).To(BeEmpty())
		var bases []string
		for _, l := range rebased.Layers {
			if l.Name == "base" {
				bases = append(bases, l.DiffID.String())
			}
		}
		g.Expect(bases).To(ContainElement(marker), "the new run image's top layer is the base of the rebased image")

		c, err := harness.Run(ctx, t, rebased.OCIImage(), harness.RunOptions{Process: "greeting"})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(c.Wait()).To(Succeed(), "output: %s", c.Logs())
		g.Expect(c.Logs()).To(Equal("hello from the harness test app\n"))
	})

	t.Run("buildpack from a .cnb file, with a binding", func(t *testing.T) {
		g := NewWithT(t)
		cnb := writeCNB(t, buildpackage(t, bp, "cnbkit-test/hello", "0.0.1", "0.10"))
		got, err := h.Build(ctx, t, harness.BuildOptions{
			App:        app,
			Buildpacks: []harness.Buildpack{harness.BuildpackFile(cnb)},
			Bindings:   []harness.Binding{{Name: "greeting-db", Type: "hello", Entries: map[string]string{"url": "x"}}},
		})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got.Success).To(BeTrue(), "build failed:\n%s", got.Logs)
		g.Expect(got.Logs).To(ContainSubstring("hello buildpack: binding greeting-db of type hello"))
		g.Expect(got.Buildpacks).To(Equal([]harness.BuildpackRef{{ID: "cnbkit-test/hello", Version: "0.0.1"}}))
	})

	t.Run("buildpack from a registry image, in an explicit order", func(t *testing.T) {
		g := NewWithT(t)
		ref := h.Registry.Ref("buildpacks/hello:0.0.1")
		r, err := name.ParseReference(ref)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(remote.Write(r, buildpackage(t, bp, "cnbkit-test/hello", "0.0.1", "0.10"))).To(Succeed())
		got, err := h.Build(ctx, t, harness.BuildOptions{
			App:        app,
			Buildpacks: []harness.Buildpack{harness.BuildpackImage(ref)},
			Order:      [][]harness.BuildpackRef{{{ID: "cnbkit-test/hello", Version: "0.0.1", Optional: true}}},
		})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got.Success).To(BeTrue(), "build failed:\n%s", got.Logs)
		_, ok := got.LayerNamed("cnbkit-test/hello:server")
		g.Expect(ok).To(BeTrue(), "layers: %+v", got.Layers)
	})

	t.Run("two clean builds give the same image", func(t *testing.T) {
		g := NewWithT(t)
		opts := harness.BuildOptions{App: app, Buildpacks: []harness.Buildpack{harness.BuildpackDir(bp)}, Env: map[string]string{"HELLO_LAYER_VERSION": "1"}}
		first, err := h.Build(ctx, t, opts)
		g.Expect(err).NotTo(HaveOccurred())
		second, err := h.Build(ctx, t, opts)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(first.Success && second.Success).To(BeTrue(), "logs:\n%s\n%s", first.Logs, second.Logs)
		g.Expect(second.Image).NotTo(Equal(first.Image), "each build gets its own image name")
		g.Expect(second.Logs).To(ContainSubstring("installing hello-server"), "a clean build reuses nothing")
		g.Expect(second.Digest).To(Equal(first.Digest))
	})

	t.Run("export to an OCI layout, rebuild from it", func(t *testing.T) {
		g := NewWithT(t)
		start := time.Now()
		got, err := h.Build(ctx, t, harness.BuildOptions{App: app, Buildpacks: []harness.Buildpack{harness.BuildpackDir(bp)}, Layout: true})
		g.Expect(err).NotTo(HaveOccurred())
		t.Logf("build to a layout took %s", time.Since(start).Round(time.Millisecond))
		g.Expect(got.Success).To(BeTrue(), "build failed:\n%s", got.Logs)
		g.Expect(filepath.Join(got.LayoutPath, "index.json")).To(BeAnExistingFile())
		_, ok := got.LayerNamed("cnbkit-test/hello:server")
		g.Expect(ok).To(BeTrue(), "layers: %+v", got.Layers)

		c, err := harness.Run(ctx, t, got.OCIImage(), harness.RunOptions{Process: "greeting"})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(c.Wait()).To(Succeed(), "output: %s", c.Logs())
		g.Expect(c.Logs()).To(Equal("hello from the harness test app\n"))

		start = time.Now()
		again, err := h.Rebuild(ctx, t, got, nil)
		g.Expect(err).NotTo(HaveOccurred())
		t.Logf("rebuild in a layout took %s", time.Since(start).Round(time.Millisecond))
		g.Expect(again.Success).To(BeTrue(), "rebuild failed:\n%s", again.Logs)
		g.Expect(again.Rebuilt).To(BeEmpty())
		g.Expect(again.Reused).To(ContainElement("cnbkit-test/hello:server"))
	})

	t.Run("failing detect", func(t *testing.T) {
		g := NewWithT(t)
		empty := t.TempDir()
		g.Expect(os.WriteFile(filepath.Join(empty, "README"), []byte("no hello here\n"), 0o644)).To(Succeed())
		bad, err := h.Build(ctx, t, harness.BuildOptions{App: empty, Buildpacks: []harness.Buildpack{harness.BuildpackDir(bp)}})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(bad.Success).To(BeFalse())
		g.Expect(bad.ExitCode).To(Equal(20), "logs:\n%s", bad.Logs)
		g.Expect(bad.Logs).To(ContainSubstring("hello buildpack: no hello.txt in the app directory"))
		g.Expect(bad.Digest).To(BeEmpty())
	})

	t.Run("an execution environment needs platform API 0.15", func(t *testing.T) {
		g := NewWithT(t)
		_, err := h.Build(ctx, t, harness.BuildOptions{App: app, Buildpacks: []harness.Buildpack{harness.BuildpackDir(bp)}, ExecEnv: "test"})
		g.Expect(err).To(MatchError(`build: BuildOptions.ExecEnv "test" needs platform API 0.15, the harness speaks 0.12: set Options.PlatformAPI to "0.15"`))
		_, err = h.Build(ctx, t, harness.BuildOptions{App: app, Buildpacks: []harness.Buildpack{harness.BuildpackDir(bp)}, ExecEnv: "qa/eu"})
		g.Expect(err).To(MatchError(ContainSubstring(`build: BuildOptions.ExecEnv: execution environment "qa/eu" contains '/'`)))
	})
}

// The trixie stack is made like the bookworm one from the same apt sources: Debian 13 in the
// images and their labels, which reach the buildpack as its build target; the app builds and
// runs on it.
func TestDebianStackTrixie(t *testing.T) {
	prereq.Harness(t)
	ctx := t.Context()
	g := NewWithT(t)
	start := time.Now()
	stack, err := harness.DebianStackFor(ctx, "trixie")
	g.Expect(err).NotTo(HaveOccurred())
	t.Logf("trixie stack ready in %s", time.Since(start).Round(time.Millisecond))
	for _, img := range []v1.Image{stack.Build, stack.Run} {
		cf, err := img.ConfigFile()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(cf.Config.Labels).To(HaveKeyWithValue("io.buildpacks.base.distro.name", "debian"))
		g.Expect(cf.Config.Labels).To(HaveKeyWithValue("io.buildpacks.base.distro.version", "13"))
		g.Expect(cf.Config.Labels).To(HaveKeyWithValue("io.buildpacks.stack.id", "io.cnbkit.stacks.trixie"))
		g.Expect(cf.Config.Env).To(ContainElement("CNB_STACK_ID=io.cnbkit.stacks.trixie"))
		g.Expect(cf.Config.User).To(Equal("1000:1000"))
	}
	files := imageFiles(t, stack.Run, "etc/os-release", "usr/lib/os-release", "etc/debian_version", "etc/apt/sources.list.d/debian.sources")
	g.Expect(files["etc/debian_version"]).To(HavePrefix("13."))
	g.Expect(files["usr/lib/os-release"]).To(ContainSubstring("VERSION_CODENAME=trixie"))
	g.Expect(files).NotTo(HaveKey("etc/apt/sources.list.d/debian.sources"), "no apt sources (and so no mirror name) in the image")

	_, err = harness.DebianStackFor(ctx, "buster")
	g.Expect(err).To(MatchError(ContainSubstring(`unknown Debian release "buster": use one of bookworm, trixie`)))

	h, err := harness.New(ctx, t, harness.Options{Stack: stack})
	g.Expect(err).NotTo(HaveOccurred())
	res, err := h.Build(ctx, t, harness.BuildOptions{App: "testdata/app", Buildpacks: []harness.Buildpack{harness.BuildpackDir(testBuildpack(t))}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Success).To(BeTrue(), "build failed:\n%s", res.Logs)
	g.Expect(res.Logs).To(ContainSubstring("hello buildpack: target linux/" + runtime.GOARCH + " debian 13"))
	g.Expect(res.Config.Labels).To(HaveKeyWithValue("io.buildpacks.base.distro.version", "13"))
	c, err := harness.Run(ctx, t, res.OCIImage(), harness.RunOptions{Process: "greeting"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Wait()).To(Succeed(), "output: %s", c.Logs())
	g.Expect(c.Logs()).To(Equal("hello from the harness test app\n"))
}

// imageFiles returns the contents of the named regular files of img's file system (symbolic
// links are not followed); missing ones are absent from the map.
func imageFiles(t *testing.T, img v1.Image, names ...string) map[string]string {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	found := map[string]string{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return found
		}
		if err != nil {
			t.Fatalf("reading the image's file system: %v", err)
		}
		name := strings.TrimPrefix(strings.TrimPrefix(hdr.Name, "./"), "/")
		if hdr.Typeflag != tar.TypeReg || !slices.Contains(names, name) {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("reading %s: %v", name, err)
		}
		found[name] = string(data)
	}
}

func TestPlatformAPI015(t *testing.T) {
	prereq.Harness(t)
	ctx := t.Context()
	g := NewWithT(t)
	h, err := harness.New(ctx, t, harness.Options{PlatformAPI: "0.15"})
	g.Expect(err).NotTo(HaveOccurred())
	res, err := h.Build(ctx, t, harness.BuildOptions{App: "testdata/app", Buildpacks: []harness.Buildpack{harness.BuildpackDir(testBuildpack(t))}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Success).To(BeTrue(), "build failed:\n%s", res.Logs)
	g.Expect(res.Config.Env).To(ContainElement("CNB_PLATFORM_API=0.15"))
	g.Expect(res.ExecEnv).To(Equal("production"), "the lifecycle labels the image with its default execution environment")

	// BuildOptions.ExecEnv is the lifecycle's CNB_EXEC_ENV (integration/sdk shows what the
	// buildpacks and the launcher do with it).
	test, err := h.Build(ctx, t, harness.BuildOptions{App: "testdata/app", Buildpacks: []harness.Buildpack{harness.BuildpackDir(testBuildpack(t))}, ExecEnv: "test"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(test.Success).To(BeTrue(), "build failed:\n%s", test.Logs)
	g.Expect(test.ExecEnv).To(Equal("test"))
	g.Expect(test.Config.Labels).To(HaveKeyWithValue(harness.LabelExecEnv, "test"))
}

func TestOptionsErrors(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	_, err := harness.New(t.Context(), t, harness.Options{PlatformAPI: "0.9"})
	g.Expect(err).To(MatchError(ContainSubstring(`platform API "0.9" is not supported`)))

	_, err = harness.NewStack(empty.Image, empty.Image)
	g.Expect(err).To(MatchError(ContainSubstring("no CNB_USER_ID or CNB_GROUP_ID")))
	cfg, err := mutate.Config(empty.Image, v1.Config{Env: []string{"CNB_USER_ID=x", "CNB_GROUP_ID=1"}})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = harness.NewStack(cfg, cfg)
	g.Expect(err).To(MatchError(ContainSubstring(`CNB_USER_ID is not a number: "x"`)))
	cfg, err = mutate.Config(empty.Image, v1.Config{Env: []string{"CNB_USER_ID=1001", "CNB_GROUP_ID=1002"}})
	g.Expect(err).NotTo(HaveOccurred())
	s, err := harness.NewStack(cfg, cfg)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect([]int{s.UID, s.GID}).To(Equal([]int{1001, 1002}))
}

func TestLifecycleTarball(t *testing.T) {
	g := NewWithT(t)
	version := harness.LifecycleVersion()
	lc, err := harness.Lifecycle(t.Context())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(lc.Version).To(Equal(version))
	out, err := exec.CommandContext(t.Context(), lc.Lifecycle, "-version").CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), "lifecycle -version: %s", out)
	g.Expect(strings.TrimSpace(string(out))).To(Equal(version))

	f, err := os.Open(lc.Tarball)
	g.Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	zr, err := gzip.NewReader(f)
	g.Expect(err).NotTo(HaveOccurred())
	tr := tar.NewReader(zr)
	entries := map[string]string{}
	var descriptor []byte
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		g.Expect(err).NotTo(HaveOccurred())
		entries[hdr.Name] = hdr.Linkname
		if hdr.Name == "lifecycle.toml" {
			descriptor, err = io.ReadAll(tr)
			g.Expect(err).NotTo(HaveOccurred())
		}
	}
	for _, phase := range []string{"detector", "analyzer", "restorer", "builder", "exporter", "creator"} {
		g.Expect(entries).To(HaveKeyWithValue("lifecycle/"+phase, "lifecycle"))
	}
	g.Expect(entries).To(HaveKey("lifecycle/lifecycle"))
	g.Expect(entries).To(HaveKey("lifecycle/launcher"))
	g.Expect(string(descriptor)).To(ContainSubstring(`version = "` + version + `"`))
	// The API lists come from the lifecycle's own api package (its release packager fills
	// them in): every lifecycle the harness runs has platform API 0.12 to 0.15 and, from
	// v0.21.0 on, Buildpack API 0.12.
	g.Expect(string(descriptor)).To(ContainSubstring(`[apis.platform]`))
	g.Expect(lc.PlatformAPIs).To(ContainElements("0.12", "0.13", "0.14", "0.15"))
	g.Expect(lc.BuildpackAPIs).To(ContainElements("0.10", "0.11", "0.12"))
}

func TestLifecycleVersionErrors(t *testing.T) {
	t.Setenv(harness.LifecycleEnv, "v0.21.0")
	g := NewWithT(t)
	g.Expect(harness.LifecycleVersion()).To(Equal("0.21.0"), "a leading v is accepted")
	t.Setenv(harness.LifecycleEnv, "oldest")
	g.Expect(harness.LifecycleVersion()).To(Equal(harness.OldestLifecycleVersion))
	t.Setenv(harness.LifecycleEnv, "")
	g.Expect(harness.LifecycleVersion()).To(Equal(harness.DefaultLifecycleVersion))
	for _, bad := range []string{"latest", "0.21", "0.21.0-rc.1", "main"} {
		_, err := harness.LifecycleAt(t.Context(), bad)
		g.Expect(err).To(MatchError(`lifecycle version "` + bad + `" is not a release version such as ` + harness.DefaultLifecycleVersion +
			`: fix CNBKIT_IT_LIFECYCLE or the version asked for`))
	}
}
