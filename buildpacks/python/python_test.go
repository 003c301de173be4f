package python_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/buildpacks/python"
	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/cnbtest"
	"github.com/cnbkit/cnbkit/sdk/dependency"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

func TestDescriptor(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	g.Expect(sdk.CheckDescriptor[sdk.None, python.Config](".")).To(Succeed())
	g.Expect(dependency.Check(".")).To(Succeed())
	inv, err := dependency.Load(".")
	g.Expect(err).NotTo(HaveOccurred())
	for _, arch := range []string{"amd64", "arm64"} {
		versions := inv.Versions("cpython", spec.Target{OS: "linux", Arch: arch})
		g.Expect(versions).To(ContainElements("3.11.16", "3.12.14", "3.13.15", "3.14.7"), "linux/%s", arch)
	}
	for _, d := range inv {
		g.Expect(d.URI).To(ContainSubstring("install_only_stripped.tar.gz"))
		g.Expect(d.Licenses).To(ContainElement(dependency.License{Type: "PSF-2.0"}))
		g.Expect(d.PURL).To(HavePrefix("pkg:generic/cpython@" + d.Version))
		g.Expect(d.CPEs).To(ConsistOf("cpe:2.3:a:python:python:" + d.Version + ":*:*:*:*:*:*:*"))
		g.Expect(d.DeprecationDate.IsZero()).To(BeFalse())
		g.Expect(d.StripComponents).To(Equal(1))
		arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[d.Target.Arch]
		g.Expect(d.URI).To(ContainSubstring(arch+"-unknown-linux-gnu"), "%s points at the artifact of its arch", d)
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	pass := []struct {
		name string
		app  fstest.MapFS
		env  map[string]string
	}{
		{"requirements.txt", fstest.MapFS{"requirements.txt": {}}, nil},
		{"pyproject.toml", fstest.MapFS{"pyproject.toml": {}}, nil},
		{"setup.py", fstest.MapFS{"setup.py": {}}, nil},
		{"setup.cfg", fstest.MapFS{"setup.cfg": {}}, nil},
		{"Pipfile", fstest.MapFS{"Pipfile": {}}, nil},
		{"uv.lock", fstest.MapFS{"uv.lock": {}}, nil},
		{"poetry.lock", fstest.MapFS{"poetry.lock": {}}, nil},
		{".python-version", fstest.MapFS{".python-version": {}}, nil},
		{"runtime.txt", fstest.MapFS{"runtime.txt": {}}, nil},
		{"app.py", fstest.MapFS{"app.py": {}}, nil},
		{"main.py", fstest.MapFS{"main.py": {}}, nil},
		{"manage.py", fstest.MapFS{"manage.py": {}}, nil},
		{"any .py", fstest.MapFS{"bot.py": {}}, nil},
		{"BP_CPYTHON_VERSION only", fstest.MapFS{"index.html": {}}, map[string]string{"BP_CPYTHON_VERSION": "3.12"}},
	}
	for _, tt := range pass {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			out := cnbtest.Detect(t, python.Detect, cnbtest.Options{App: tt.app, BuildpackDir: ".", Env: tt.env})
			g.Expect(out.Err).NotTo(HaveOccurred())
			g.Expect(out.Pass).To(BeTrue(), out.Log)
			g.Expect(out.Plans).To(HaveLen(1))
			g.Expect(out.Plans[0].Provides).To(ConsistOf(sdk.Provide{Name: "cpython"}, sdk.Provide{Name: "python-packages"}))
			g.Expect(out.Plans[0].Requires).To(ConsistOf(
				sdk.NewRequire("cpython", python.PlanMetadata{Launch: true}),
				sdk.NewRequire("python-packages", python.PlanMetadata{Launch: true}),
			))
		})
	}
	t.Run("not Python", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		out := cnbtest.Detect(t, python.Detect, cnbtest.Options{App: fstest.MapFS{"index.js": {}, "lib/x.py": {}}, BuildpackDir: "."})
		g.Expect(out.Pass).To(BeFalse())
		g.Expect(out.ExitCode).To(Equal(100))
		g.Expect(out.Reason).To(ContainSubstring("no Python files"))
	})
}

func TestBuildFastAPI(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	bp := buildpackDir(t)
	for _, entry := range []string{"app.py", "main.py"} {
		module := strings.TrimSuffix(entry, ".py")
		a := app(t, map[string]string{entry: fastapiApp, "requirements.txt": "fastapi\nuvicorn\n"}, fastapiWheel, starletteWheel, uvicornWheel)
		out := cnbtest.Build(t, python.Build, cnbtest.Options{App: a, BuildpackDir: bp})
		g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)

		g.Expect(out.Processes).To(Equal([]sdk.Process{{Type: "web", Default: true,
			Command: []string{"sh", "-c", `exec uvicorn ` + module + `:app --host 0.0.0.0 --port "${PORT:-8080}"`}}}))
		g.Expect(out.Log).To(ContainSubstring(`web: exec uvicorn ` + module + `:app`))
		g.Expect(out.Log).To(ContainSubstring("FastAPI app " + module + ":app found in " + entry + ", served with uvicorn"))
		g.Expect(out.Log).To(ContainSubstring("To change it: add a Procfile line 'web: <command>' or set BP_PYTHON_ENTRYPOINT"))
		g.Expect(out.Log).To(ContainSubstring("Using CPython 3.14.7, the newest this buildpack provides"))

		cpy := out.Layers["cpython"]
		g.Expect(cpy.Types).To(Equal(sdk.LayerTypes{Launch: true}), "needed at launch only: kept by its metadata alone")
		g.Expect(cnbtest.LayerMetadata[dependency.LayerMetadata](out, "cpython")).To(HaveField("Version", "3.14.7"))
		g.Expect(cpy.LaunchEnv()).To(HaveKeyWithValue("PORT", cnbtest.EnvVar{Default: "8080"}))
		g.Expect(cpy.LaunchEnv()).To(HaveKeyWithValue("PYTHONUNBUFFERED", cnbtest.EnvVar{Default: "1"}))
		g.Expect(cpy.LaunchEnv()).To(HaveKeyWithValue("PYTHONDONTWRITEBYTECODE", cnbtest.EnvVar{Default: "1"}))
		g.Expect(cpy.SBOM).To(ConsistOf("cpython.sbom.cdx.json", "cpython.sbom.spdx.json"))

		venv := out.Layers["venv"]
		g.Expect(venv.Types).To(Equal(sdk.LayerTypes{Launch: true}), "needed at launch only: kept by its metadata alone")
		g.Expect(venv.SharedEnv()).To(HaveKeyWithValue("VIRTUAL_ENV", cnbtest.EnvVar{Override: venv.Path}))
		g.Expect(venv.SBOM).To(ConsistOf("venv.sbom.cdx.json", "venv.sbom.spdx.json"))
		sitePkgs, _ := filepath.Glob(filepath.Join(venv.Path, "lib", "python3*", "site-packages", "*.dist-info"))
		var names []string
		for _, s := range sitePkgs {
			names = append(names, filepath.Base(s))
		}
		g.Expect(names).To(ConsistOf("fastapi-0.92.0.dist-info", "starlette-0.26.1.dist-info", "uvicorn-0.17.6.dist-info"), "only the app's distributions, no pip")
		pyc, _ := filepath.Glob(filepath.Join(venv.Path, "lib", "python3*", "site-packages", "fastapi", "__pycache__", "*.pyc"))
		g.Expect(pyc).NotTo(BeEmpty(), "BP_PYTHON_COMPILE defaults to true")

		g.Expect(out.Layers).NotTo(HaveKey("pip"), "pip stays out of the image, made from CPython's wheel when pip runs")
		g.Expect(out.Layers["pip-cache"].Types).To(Equal(sdk.LayerTypes{Cache: true}))
		stash, err := os.ReadDir(out.Layers["pip-cache"].Path)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(stash).To(HaveLen(1), "pip's cache is kept as one file")
		for _, step := range []string{"CPython", "Dependencies", "Start command"} {
			g.Expect(out.Log).To(MatchRegexp(`(?m)^  `+step+`\n(    .*\n)*?    Completed in `), "the log times the step %s", step)
		}
		g.Expect(out.Log).To(MatchRegexp(`(?m)^    pip [0-9.]+ install: `))

		cdx, err := os.ReadFile(filepath.Join(out.LayersDir, "venv.sbom.cdx.json"))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(string(cdx)).To(ContainSubstring(`"purl": "pkg:pypi/uvicorn@0.17.6"`))
		g.Expect(string(cdx)).To(ContainSubstring(`"purl": "pkg:pypi/starlette@0.26.1"`))
		spdx, err := os.ReadFile(filepath.Join(out.LayersDir, "cpython.sbom.spdx.json"))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(string(spdx)).To(ContainSubstring(`"licenseDeclared": "PSF-2.0"`))
		g.Expect(string(spdx)).To(ContainSubstring("cpe:2.3:a:python:python:3.14.7"))
	}
}

func TestRebuild(t *testing.T) {
	t.Parallel()
	bp := buildpackDir(t)
	files := map[string]string{"app.py": fastapiApp, "requirements.txt": "fastapi\nuvicorn\n", ".python-version": "3.12\n"}
	wheels := []any{}
	_ = wheels
	first := cnbtest.Build(t, python.Build, cnbtest.Options{App: app(t, files, fastapiWheel, starletteWheel, uvicornWheel), BuildpackDir: bp})
	NewWithT(t).Expect(first.Err).NotTo(HaveOccurred(), first.Log)

	t.Run("unchanged inputs reuse everything and run no pip", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		out := cnbtest.Build(t, python.Build, cnbtest.Options{App: app(t, files, fastapiWheel, starletteWheel, uvicornWheel), BuildpackDir: bp, Layers: first.LayersDir})
		g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
		for _, l := range []string{"venv", "cpython", "pip-cache"} {
			g.Expect(out).To(cnbtest.HaveReusedLayer(l))
		}
		g.Expect(out.Layers["venv"].HasContents).To(BeFalse(), "no file of the environment is restored")
		g.Expect(out.Layers["cpython"].HasContents).To(BeFalse(), "no file of CPython is restored")
		g.Expect(out.Log).To(ContainSubstring("Reusing the virtual environment: requirements.txt, wheels/, CPython and target unchanged"))
		g.Expect(out.Log).To(ContainSubstring("Reusing CPython 3.12.14"))
		g.Expect(out.Log).To(ContainSubstring("3 distributions in the environment"))
		g.Expect(out.Log).NotTo(ContainSubstring("pip install"))
		g.Expect(out.Log).NotTo(ContainSubstring("Preparing pip"))
		g.Expect(out.Log).NotTo(ContainSubstring("Installing collected packages"))
		g.Expect(out.Processes).To(Equal(first.Processes), "the start command is chosen from the distributions the metadata lists")
		g.Expect(out.Layers["venv"].SBOM).To(HaveLen(2), "the lifecycle brings back the SBOM of a reused launch layer")
	})

	rebuilds := []struct {
		name   string
		files  map[string]string
		env    map[string]string
		target sdk.Target
		reason string
		check  func(g Gomega, out cnbtest.BuildOutcome)
	}{
		{name: "requirements changed: removed packages do not linger", files: map[string]string{"requirements.txt": "fastapi\n", "app.py": "from fastapi import FastAPI\napp = FastAPI()\n", "Procfile": "web: python -m http.server $PORT\n"},
			reason: "requirements.txt changed",
			check: func(g Gomega, out cnbtest.BuildOutcome) {
				gone, _ := filepath.Glob(filepath.Join(out.Layers["venv"].Path, "lib", "python3*", "site-packages", "uvicorn*"))
				g.Expect(gone).To(BeEmpty(), "uvicorn was removed from the requirements")
			}},
		{name: "Python version changed", files: map[string]string{".python-version": "3.13\n"}, reason: "CPython changed from 3.12.14 to 3.13.15",
			check: func(g Gomega, out cnbtest.BuildOutcome) {
				g.Expect(out.Layers["cpython"].Restored()).To(BeFalse())
				g.Expect(cnbtest.LayerMetadata[dependency.LayerMetadata](out, "cpython")).To(HaveField("Version", "3.13.15"))
			}},
		{name: "target changed", target: sdk.Target{OS: "linux", Arch: "arm64"}, reason: "the target changed from linux/amd64 to linux/arm64"},
		{name: "compile setting changed", env: map[string]string{"BP_PYTHON_COMPILE": "false"}, reason: "BP_PYTHON_COMPILE changed to false",
			check: func(g Gomega, out cnbtest.BuildOutcome) {
				pyc, _ := filepath.Glob(filepath.Join(out.Layers["venv"].Path, "lib", "python3*", "site-packages", "*", "__pycache__", "*.pyc"))
				g.Expect(pyc).To(BeEmpty())
			}},
		{name: "requirements file added", files: map[string]string{"requirements-extra.txt": "uvicorn\n"}, env: map[string]string{"BP_PIP_REQUIREMENTS": "requirements.txt requirements-extra.txt"}, reason: "requirements-extra.txt added"},
	}
	for _, tt := range rebuilds {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			f := merge(files, tt.files)
			out := cnbtest.Build(t, python.Build, cnbtest.Options{App: app(t, f, fastapiWheel, starletteWheel, uvicornWheel), BuildpackDir: bp,
				Layers: first.LayersDir, Env: tt.env, Target: tt.target})
			g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
			g.Expect(out.Layers["venv"].Restored()).To(BeFalse())
			g.Expect(out.Layers["venv"].Status).To(ContainSubstring(tt.reason))
			g.Expect(out.Log).To(ContainSubstring("Rebuilding the virtual environment from scratch (" + tt.reason))
			g.Expect(out.Layers["venv"].HasContents).To(BeTrue())
			g.Expect(out.Log).To(ContainSubstring("Unpacking pip's cache: "), "pip starts with the previous build's cache")
			if tt.check != nil {
				tt.check(g, out)
			}
		})
	}
}

// CPython and the environment are read at launch only, unless something reads them at build
// time: a later buildpack asking for them with build = true, or a Django app's build steps.
// Then they are cache layers and a rebuild brings their files back.
func TestLayersReadAtBuildTimeAreCached(t *testing.T) {
	t.Parallel()
	bp := buildpackDir(t)
	files := map[string]string{"app.py": fastapiApp, "requirements.txt": "fastapi\nuvicorn\n", ".python-version": "3.12\n"}
	tests := []struct {
		name      string
		extra     map[string]string
		env       map[string]string
		plan      []sdk.Require
		cpy, venv sdk.LayerTypes
	}{
		{name: "a later buildpack builds with the packages", plan: []sdk.Require{
			sdk.NewRequire("cpython", python.PlanMetadata{Launch: true}),
			sdk.NewRequire("python-packages", python.PlanMetadata{Launch: true}),
			sdk.NewRequire("python-packages", python.PlanMetadata{Build: true}),
		}, cpy: sdk.LayerTypes{Build: true, Launch: true, Cache: true}, venv: sdk.LayerTypes{Build: true, Launch: true, Cache: true}},
		{name: "a later buildpack builds with CPython", plan: []sdk.Require{
			sdk.NewRequire("cpython", python.PlanMetadata{Launch: true}),
			sdk.NewRequire("cpython", python.PlanMetadata{Build: true, Version: "3.12"}),
		}, cpy: sdk.LayerTypes{Build: true, Launch: true, Cache: true}, venv: sdk.LayerTypes{Launch: true}},
		{name: "a Django app's collectstatic", extra: map[string]string{"manage.py": "import sys\n"},
			cpy: sdk.LayerTypes{Launch: true, Cache: true}, venv: sdk.LayerTypes{Launch: true, Cache: true}},
		{name: "a Django app without collectstatic", extra: map[string]string{"manage.py": "import sys\n"},
			env: map[string]string{"BP_PYTHON_DJANGO_COLLECTSTATIC": "false"},
			cpy: sdk.LayerTypes{Launch: true}, venv: sdk.LayerTypes{Launch: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			opts := cnbtest.Options{App: app(t, merge(files, tt.extra), fastapiWheel, starletteWheel, uvicornWheel), BuildpackDir: bp,
				Plan: sdk.Plan{Entries: tt.plan}, Env: tt.env}
			first := cnbtest.Build(t, python.Build, opts)
			g.Expect(first.Err).NotTo(HaveOccurred(), first.Log)
			g.Expect(first.Layers["cpython"].Types).To(Equal(tt.cpy))
			g.Expect(first.Layers["venv"].Types).To(Equal(tt.venv))

			opts.Layers = first.LayersDir
			second := cnbtest.Build(t, python.Build, opts)
			g.Expect(second.Err).NotTo(HaveOccurred(), second.Log)
			for name, types := range map[string]sdk.LayerTypes{"cpython": tt.cpy, "venv": tt.venv} {
				g.Expect(second).To(cnbtest.HaveReusedLayer(name))
				g.Expect(second.Layers[name].HasContents).To(Equal(types.Cache), "%s comes back with its files only when it is cached", name)
			}
			g.Expect(second.Log).NotTo(ContainSubstring("pip install"))
			g.Expect(second.Layers["venv"].SBOM).To(HaveLen(2))
		})
	}
}
