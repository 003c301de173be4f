package packagertest

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	. "github.com/onsi/gomega"

	fx "github.com/cnbkit/cnbkit/integration/fixtures"
	"github.com/cnbkit/cnbkit/integration/internal/prereq"
	"github.com/cnbkit/cnbkit/integration/internal/qemu"
	"github.com/cnbkit/cnbkit/packager"
)

// The sample apps of the detect runs.
var (
	fastAPIApp = map[string]string{
		"app.py":           "from fastapi import FastAPI\n\napp = FastAPI()\n",
		"requirements.txt": "fastapi\nuvicorn\npydub\n",
	}
	textApp = map[string]string{"README": "no code here\n"}
)

// TestOtherArchitectureBuildpacksUnderEmulation packages buildpacks/python-ffmpeg for its two
// targets, as `cnbkit package python-ffmpeg.cnb --path buildpacks/python-ffmpeg` does, takes
// the .cnb of the architecture this machine does not run (arm64 on amd64) and runs its
// compiled bin/detect and bin/build under QEMU's user-mode emulator, with
// the inputs the lifecycle gives a Buildpack API 0.12 buildpack (app directory, platform
// directory, plan path, CNB_* variables, positional arguments). Each detect must answer what
// the native .cnb's binary answers on the same inputs, byte for byte. The package's ffmpeg
// inventory is replaced by the npm static builds (the shipped one names GitHub release
// archives) and the python one by the arm64 CPython made from Debian trixie. The emulated
// ffmpeg bin/build downloads the npm arm64 tarball from a loopback mirror, checks its sha256
// and unpacks it, then runs its smoke check. With the emulator invoked
// explicitly (qemu.Command), the emulator does not follow exec, so on a kernel without a
// binfmt_misc registration the smoke check cannot start the arm64 ffmpeg and the build stops
// with the buildpack's own explanation; with the emulator registered in the build's own
// namespace (qemu.Registered), the build passes and the layers hold the binaries. The
// emulated python bin/build, registered likewise, installs the arm64 CPython and the app's
// requirement with pip.
func TestOtherArchitectureBuildpacksUnderEmulation(t *testing.T) {
	other := prereq.Emulated(t)
	prereq.Tool(t, "npm", "npm")
	t.Parallel()
	g := NewWithT(t)
	ctx := testContext(t)

	root, err := filepath.Abs(filepath.Join("..", ".."))
	g.Expect(err).NotTo(HaveOccurred())
	// The shipped ffmpeg inventory names release archives on GitHub, which cannot be fetched
	// here: the package gets the npm static builds instead, under an upstream host only the
	// test's mirror serves, as an organisation replaces the inventory with its own builds.
	work := t.TempDir()
	fixt, err := fx.New(fx.Options{})
	g.Expect(err).NotTo(HaveOccurred())
	var deps []fx.Dependency
	for _, arch := range []string{"amd64", "arm64"} {
		ff, err := fixt.FFmpeg(ctx, arch)
		g.Expect(err).NotTo(HaveOccurred())
		for _, pkg := range []fx.NPMPackage{ff.FFmpeg, ff.FFprobe} {
			deps = append(deps, pkg.Dependency(ffmpegUpstream+npmPath(pkg)))
		}
	}
	// The arm64 CPython made from Debian trixie, served on 127.0.0.1, replaces the python
	// buildpack's CPython entries, so that its emulated bin/build can install it.
	py, err := fixt.CPythonFor(ctx, fx.CPythonSpec{Release: "trixie", Arch: other})
	g.Expect(err).NotTo(HaveOccurred())
	pySrv, err := fx.ServeArtifacts(py.Artifact)
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(pySrv.Close)
	deps = append(deps, py.Dependency(pySrv.URL+"/"+py.Name))
	inv := filepath.Join(work, "ffmpeg-inventory.toml")
	f, err := os.Create(inv)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(fx.WriteDependencies(f, deps)).To(Succeed())
	g.Expect(f.Close()).To(Succeed())
	p := build(t, packager.Options{Path: filepath.Join(root, "buildpacks", "python-ffmpeg"), Inventory: inv, InventoryMode: "replace"})
	outs, err := packager.FileSink{Name: filepath.Join(work, "python-ffmpeg.cnb")}.Write(ctx, p)
	g.Expect(err).NotTo(HaveOccurred())
	files := map[string]string{}
	for _, o := range outs {
		g.Expect(o.Targets).To(HaveLen(1))
		files[o.Targets[0]] = o.Location
	}
	g.Expect(files).To(HaveKey("linux/" + other))
	g.Expect(files).To(HaveKey("linux/" + runtime.GOARCH))
	emulated := unpackCNB(t, files["linux/"+other], filepath.Join(work, other))
	native := unpackCNB(t, files["linux/"+runtime.GOARCH], filepath.Join(work, runtime.GOARCH))

	// The composite has no program of its own; its two components do.
	g.Expect(filepath.Join(emulated, "cnbkit_python-ffmpeg", "0.1.0", "bin")).NotTo(BeADirectory())
	for _, id := range []string{"cnbkit/python", "cnbkit/ffmpeg"} {
		dir := bpDir(emulated, id)
		g.Expect(elfMachine(t, filepath.Join(dir, "bin", "detect"))).To(Equal(elfMachines[other]), "%s bin/detect", id)
		g.Expect(elfMachine(t, filepath.Join(dir, "bin", "build"))).To(Equal(elfMachines[other]), "%s bin/build", id)
	}

	cases := []struct {
		name, id string
		app      map[string]string
		env      map[string]string // platform environment
		code     int
		out      []string // in the detect output
	}{
		{name: "python passes on a FastAPI app", id: "cnbkit/python", app: fastAPIApp, code: 0},
		{name: "python fails on an app without Python files", id: "cnbkit/python", app: textApp, code: 100, out: []string{"no Python files"}},
		{name: "ffmpeg passes on an app that requires pydub", id: "cnbkit/ffmpeg", app: fastAPIApp, code: 0, out: []string{"pydub"}},
		{name: "ffmpeg fails on an app that asks for no ffmpeg", id: "cnbkit/ffmpeg", app: textApp, code: 100},
		{name: "ffmpeg refuses a bad configuration value", id: "cnbkit/ffmpeg", app: fastAPIApp, env: map[string]string{"BP_FFMPEG_ENABLED": "maybe"}, code: 1,
			out: []string{"BP_FFMPEG_ENABLED", "maybe"}},
	}
	for _, tc := range cases {
		t.Run("detect: "+tc.name, func(t *testing.T) {
			g := NewWithT(t)
			emu := runPhase(ctx, t, qemu.Command, other, other, bpDir(emulated, tc.id), "detect", tc.app, tc.env, "")
			nat := runPhase(ctx, t, qemu.Command, runtime.GOARCH, other, bpDir(native, tc.id), "detect", tc.app, tc.env, "")
			g.Expect(emu.err).NotTo(HaveOccurred())
			g.Expect(emu.code).To(Equal(tc.code), "emulated %s bin/detect output:\n%s", other, emu.out)
			for _, s := range tc.out {
				g.Expect(emu.out).To(ContainSubstring(s))
			}
			g.Expect(nat.code).To(Equal(emu.code), "the native binary: output:\n%s", nat.out)
			g.Expect(emu.out).To(Equal(nat.out), "output of the emulated and the native bin/detect")
			g.Expect(emu.plan).To(Equal(nat.plan), "plan.toml of the emulated and the native bin/detect")
			if tc.code == 0 {
				g.Expect(emu.plan).To(ContainSubstring("[[requires]]"))
			}
		})
	}

	// The ffmpeg bin/build, with the emulator invoked explicitly and then registered for the
	// build's own namespace (as on a build machine set up for emulation).
	for _, how := range []struct {
		name       string
		start      starter
		registered bool
	}{{"emulator invoked", qemu.Command, false}, {"emulator registered", qemu.Registered, true}} {
		t.Run("build: ffmpeg from a loopback mirror, "+how.name, func(t *testing.T) {
			g := NewWithT(t)
			ff, err := fixt.FFmpeg(ctx, other)
			g.Expect(err).NotTo(HaveOccurred())
			mirror := npmMirror(t, ff.FFmpeg, ff.FFprobe)
			env := map[string]string{"BP_DEPENDENCY_MIRROR_FFMPEG_INVALID": mirror}
			detected := runPhase(ctx, t, how.start, other, other, bpDir(emulated, "cnbkit/ffmpeg"), "detect", fastAPIApp, env, "")
			g.Expect(detected.code).To(Equal(0), "detect output:\n%s", detected.out)

			res := runPhase(ctx, t, how.start, other, other, bpDir(emulated, "cnbkit/ffmpeg"), "build", fastAPIApp, env, detected.plan)
			g.Expect(res.err).NotTo(HaveOccurred())
			g.Expect(res.out).To(ContainSubstring("Selected FFmpeg " + ff.FFmpeg.Version + " for linux/" + other))
			g.Expect(res.out).To(ContainSubstring("Downloading FFmpeg "+ff.FFmpeg.Version+" from "+mirror+npmPath(ff.FFmpeg)), "from the loopback mirror")
			program := filepath.Join(res.layers, "ffmpeg", "bin", "ffmpeg")
			if !how.registered && !foreignExec(ctx, ff.FFmpeg.Binary) {
				// Everything up to the smoke check ran emulated: the download from the mirror
				// with the sha256 of buildpack.toml, the extraction, and the ELF inspection that
				// names the architecture in the error; the layer is discarded.
				g.Expect(res.code).To(Equal(1), "build output:\n%s", res.out)
				g.Expect(res.out).To(ContainSubstring("ffmpeg cannot run on this build image"))
				machine := strings.TrimPrefix(elfMachines[other].String(), "EM_") + " (" + other + ")"
				g.Expect(res.out).To(ContainSubstring(program + " (an ELF executable for " + machine + "): fork/exec " + program + ": exec format error"))
				g.Expect(filepath.Join(res.layers, "ffmpeg", "bin")).NotTo(BeADirectory())
				return
			}
			if !how.registered {
				t.Logf("this kernel runs %s executables itself (binfmt_misc): the smoke check runs", other)
			}
			// The smoke check started the arm64 ffmpeg and ffprobe it unpacked; the layers
			// hold them.
			g.Expect(res.code).To(Equal(0), "build output:\n%s", res.out)
			g.Expect(res.out).To(MatchRegexp(`Smoke check passed: ffmpeg version \S+`))
			g.Expect(res.out).To(MatchRegexp(`Smoke check passed: ffprobe version \S+`))
			for _, p := range []struct {
				layer string
				pkg   fx.NPMPackage
			}{{"ffmpeg", ff.FFmpeg}, {"ffprobe", ff.FFprobe}} {
				program := filepath.Join(res.layers, p.layer, "bin", p.layer)
				g.Expect(elfMachine(t, program)).To(Equal(elfMachines[other]), "%s in its layer", p.layer)
				sum, _, err := fx.SHA256File(program)
				g.Expect(err).NotTo(HaveOccurred())
				want, _, err := fx.SHA256File(p.pkg.Binary)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(sum).To(Equal(want), "%s in its layer is the npm package's binary", p.layer)
			}
		})
	}

	// The python bin/build, registered likewise, with trixie's arm64 C library as the
	// emulator's root for the dynamically linked CPython: it installs the arm64 CPython from
	// the loopback server, makes the environment and runs pip from CPython's own wheel, which
	// installs the app's one requirement from the trixie wheel index; the environment's
	// interpreter then imports it, emulated.
	t.Run("build: python with CPython and pip, emulator registered", func(t *testing.T) {
		g := NewWithT(t)
		root, err := fixt.Sysroot(ctx, "trixie", other)
		g.Expect(err).NotTo(HaveOccurred())
		idx, err := fixt.WheelsFor(ctx, "trixie")
		g.Expect(err).NotTo(HaveOccurred())
		idxSrv, err := fx.Serve(idx.Root)
		g.Expect(err).NotTo(HaveOccurred())
		t.Cleanup(idxSrv.Close)
		app := map[string]string{
			"app.py":           "import platform\nimport sqlparse\n\nif __name__ == \"__main__\":\n    print(platform.machine(), sqlparse.format(\"select 1\", keyword_case=\"upper\"))\n",
			"requirements.txt": "sqlparse\n",
		}
		env := map[string]string{"PIP_INDEX_URL": idxSrv.URL + "/simple/"}
		// The trixie CPython runs on Debian 13 only; QEMU_LD_PREFIX is the emulator's -L.
		extra := []string{"CNB_TARGET_DISTRO_VERSION=13", "QEMU_LD_PREFIX=" + root.Dir}
		dir := bpDir(emulated, "cnbkit/python")
		detected := runPhase(ctx, t, qemu.Registered, other, other, dir, "detect", app, env, "", extra...)
		g.Expect(detected.code).To(Equal(0), "detect output:\n%s", detected.out)

		res := runPhase(ctx, t, qemu.Registered, other, other, dir, "build", app, env, detected.plan, extra...)
		g.Expect(res.err).NotTo(HaveOccurred())
		g.Expect(res.code).To(Equal(0), "build output:\n%s", res.out)
		t.Logf("the emulated python bin/build (its steps timed):\n%s", res.out)
		g.Expect(res.out).To(ContainSubstring(py.Version))
		g.Expect(res.out).To(ContainSubstring(pySrv.URL+"/"+py.Name), "CPython from the loopback server")
		g.Expect(res.out).To(ContainSubstring("sqlparse"))
		pythons, err := filepath.Glob(filepath.Join(res.layers, "*", "bin", "python3.13"))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(pythons).NotTo(BeEmpty(), "CPython in a layer")
		for _, p := range pythons {
			if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() {
				g.Expect(elfMachine(t, p)).To(Equal(elfMachines[other]), p)
			}
		}
		cmd, err := qemu.Registered(ctx, other, filepath.Join(res.layers, "venv", "bin", "python"), "-c",
			"import platform, sqlparse; print(platform.machine(), sqlparse.format('select 1', keyword_case='upper'))")
		g.Expect(err).NotTo(HaveOccurred())
		cmd.Env = []string{"PATH=/usr/bin:/bin", "QEMU_LD_PREFIX=" + root.Dir}
		out, err := cmd.CombinedOutput()
		g.Expect(err).NotTo(HaveOccurred(), "the environment's python: %s", out)
		g.Expect(string(out)).To(Equal(map[string]string{"arm64": "aarch64", "amd64": "x86_64"}[other] + " SELECT 1\n"))
	})
}

// elfMachines are the ELF machines of the two architectures.
var elfMachines = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

func elfMachine(t *testing.T, p string) elf.Machine {
	t.Helper()
	f, err := elf.Open(p)
	if err != nil {
		t.Fatalf("%s is not an ELF executable: %v", p, err)
	}
	defer f.Close()
	return f.Machine
}

// foreignExec reports whether the kernel starts bin, an executable of another architecture,
// by itself (a binfmt_misc registration).
func foreignExec(ctx context.Context, bin string) bool {
	return exec.CommandContext(ctx, bin, "-version").Run() == nil
}

// unpackCNB reads a .cnb file (a tar of an OCI layout), unpacks the layers of its image
// into dir and returns dir/cnb/buildpacks.
func unpackCNB(t *testing.T, file, dir string) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	oci := filepath.Join(dir, "oci")
	if err := extract(f, oci); err != nil {
		t.Fatalf("unpacking %s: %v", file, err)
	}
	idx, err := layout.ImageIndexFromPath(oci)
	if err != nil {
		t.Fatalf("%s is not an OCI layout: %v", file, err)
	}
	m, err := idx.IndexManifest()
	if err != nil || len(m.Manifests) != 1 {
		t.Fatalf("%s: want one image in index.json, got %v (%v)", file, m, err)
	}
	var img v1.Image
	if img, err = idx.Image(m.Manifests[0].Digest); err != nil {
		t.Fatal(err)
	}
	unpack(t, img, filepath.Join(dir, "image"))
	return filepath.Join(dir, "image", "cnb", "buildpacks")
}

// bpDir is where a builder keeps buildpack id at version 0.1.0 (the reference buildpacks').
func bpDir(buildpacks, id string) string {
	return filepath.Join(buildpacks, strings.ReplaceAll(id, "/", "_"), "0.1.0")
}

// npmMirror serves the npm tarballs of pkgs at their npm registry paths
// (/<package>/-/<package base name>-<version>.tgz) on 127.0.0.1 and returns its URL.
func npmMirror(t *testing.T, pkgs ...fx.NPMPackage) string {
	t.Helper()
	files := map[string]string{}
	for _, p := range pkgs {
		files[npmPath(p)] = p.Path
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, f)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// ffmpegUpstream is the host of the test inventory's ffmpeg entries: one no build reaches, so
// only the mirror (BP_DEPENDENCY_MIRROR_FFMPEG_INVALID) serves them.
const ffmpegUpstream = "https://ffmpeg.invalid"

// npmPath is the path of an npm tarball in a registry: /<package>/-/<name>-<version>.tgz.
func npmPath(p fx.NPMPackage) string {
	return "/" + p.Package + "/-/" + path.Base(p.Package) + "-" + p.Version + ".tgz"
}

// phaseRun is what a bin/detect or bin/build run left.
type phaseRun struct {
	code   int    // exit code
	out    string // stdout and stderr
	plan   string // detect: the build plan written
	layers string // build: the buildpack's layers directory
	err    error  // the program could not be started
}

// starter makes the command that runs program, an executable for arch: qemu.Command (the
// emulator invoked explicitly) or qemu.Registered (the emulator registered in the command's
// own namespace, so that the programs it starts run emulated too).
type starter func(ctx context.Context, arch, program string, args ...string) (*exec.Cmd, error)

// runPhase runs bin/<phase> of the buildpack in dir, an executable for binArch (started by
// start, under the emulator when that is not the host's), as lifecycle v0.21 runs a Buildpack API 0.12
// buildpack that keeps its environment (clear-env false): in a copy of the app, with the
// platform environment as files and variables, CNB_PLATFORM_DIR, CNB_BUILDPACK_DIR, the
// target of a Debian 12 run image for targetArch, CNB_EXEC_ENV=production and, for detect, the plan
// path (argument and CNB_BUILD_PLAN_PATH), for build the layers directory and the buildpack
// plan made from plan, detect's build plan (its requirements become the plan's entries).
// extraEnv (NAME=value) comes last, over any of those.
func runPhase(ctx context.Context, t *testing.T, start starter, binArch, targetArch, dir, phase string, app, platformEnv map[string]string, plan string, extraEnv ...string) phaseRun {
	t.Helper()
	work := t.TempDir()
	appDir, platform := filepath.Join(work, "app"), filepath.Join(work, "platform")
	writeTree(t, appDir, app)
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + work}
	files := map[string]string{}
	for k, v := range platformEnv {
		files["env/"+k] = v
		env = append(env, k+"="+v)
	}
	writeTree(t, platform, files)
	if err := os.MkdirAll(platform, 0o755); err != nil {
		t.Fatal(err)
	}
	env = append(env, "CNB_BUILDPACK_DIR="+dir, "CNB_PLATFORM_DIR="+platform,
		"CNB_TARGET_OS=linux", "CNB_TARGET_ARCH="+targetArch, "CNB_TARGET_DISTRO_NAME=debian", "CNB_TARGET_DISTRO_VERSION=12",
		"CNB_EXEC_ENV=production")
	var args []string
	res := phaseRun{}
	planPath := filepath.Join(work, "plan.toml")
	switch phase {
	case "detect":
		args = []string{platform, planPath}
		env = append(env, "CNB_BUILD_PLAN_PATH="+planPath)
	case "build":
		res.layers = filepath.Join(work, "layers", filepath.Base(filepath.Dir(dir)))
		if err := os.MkdirAll(res.layers, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(planPath, buildpackPlan(t, plan), 0o644); err != nil {
			t.Fatal(err)
		}
		args = []string{res.layers, platform, planPath}
		env = append(env, "CNB_LAYERS_DIR="+res.layers, "CNB_BP_PLAN_PATH="+planPath)
	default:
		t.Fatalf("unknown phase %s", phase)
	}
	cmd, err := start(ctx, binArch, filepath.Join(dir, "bin", phase), args...)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Dir, cmd.Env = appDir, append(env, extraEnv...) // the last value of a name wins
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		res.err = fmt.Errorf("running %s: %w", cmd, err)
	}
	res.out = out.String()
	if phase == "detect" {
		if data, err := os.ReadFile(planPath); err == nil {
			res.plan = string(data)
		}
	}
	return res
}

// buildpackPlan turns the build plan detect wrote into the buildpack plan the lifecycle
// hands to build: one entry per requirement of the primary plan.
func buildpackPlan(t *testing.T, plan string) []byte {
	t.Helper()
	var detected struct {
		Requires []struct {
			Name     string         `toml:"name"`
			Metadata map[string]any `toml:"metadata"`
		} `toml:"requires"`
	}
	if _, err := toml.Decode(plan, &detected); err != nil {
		t.Fatalf("reading the build plan %q: %v", plan, err)
	}
	type entry struct {
		Name     string         `toml:"name"`
		Metadata map[string]any `toml:"metadata"`
	}
	var bp struct {
		Entries []entry `toml:"entries"`
	}
	for _, r := range detected.Requires {
		bp.Entries = append(bp.Entries, entry{r.Name, r.Metadata})
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(bp); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
