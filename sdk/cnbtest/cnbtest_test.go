package cnbtest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/cnbtest"
)

type meta struct {
	V string `toml:"v"`
}

type xRequest struct {
	X int `toml:"x"`
}

// layersBuild opens one layer per types entry, each with metadata v and a file inside.
func layersBuild(v string, types map[string]sdk.LayerKind) sdk.BuildFunc[sdk.None, sdk.None] {
	return func(_ context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		for name, tp := range types {
			l, err := sdk.OpenLayer(req.Layers, name, tp, meta{V: v}, nil)
			if err != nil {
				return sdk.BuildResult{}, err
			}
			if l.HasContents() && !l.Status.Restored {
				if err := os.WriteFile(filepath.Join(l.Path, "file"), []byte(v), 0o644); err != nil {
					return sdk.BuildResult{}, err
				}
				l.LaunchEnv().Override("V", v)
				if err := l.WriteSBOM(sdk.CycloneDX, []byte("{}")); err != nil {
					return sdk.BuildResult{}, err
				}
			}
		}
		return sdk.BuildResult{Processes: []sdk.Process{{Type: "web", Command: []string{"run"}, Default: true}}}, nil
	}
}

const descriptor = "api = \"0.12\"\n[buildpack]\nid = \"t/t\"\nversion = \"1.0.0\"\nsbom-formats = [\"application/vnd.cyclonedx+json\"]\n"

func TestSecondBuildSeesWhatTheLifecycleRestores(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	types := map[string]sdk.LayerKind{
		"cached":       sdk.LayerTypes{Launch: true, Cache: true},
		"launch-only":  sdk.LayerTypes{Launch: true},
		"build-only":   sdk.LayerTypes{Build: true},
		"launch-build": sdk.LayerTypes{Launch: true, Build: true},
	}
	opts := cnbtest.Options{Descriptor: []byte(descriptor)}
	first := cnbtest.Build(t, layersBuild("1", types), opts)
	g.Expect(first).To(cnbtest.HavePassed())
	g.Expect(first.Layers).To(HaveLen(4))
	for name := range types {
		g.Expect(first).To(cnbtest.HaveLayer(name))
		g.Expect(first.Layers[name].Status).To(Equal("new: no previous layer"))
		g.Expect(first.Layers[name].SBOM).To(Equal([]string{name + ".sbom.cdx.json"}))
	}

	opts.Layers = first.LayersDir
	second := cnbtest.Build(t, layersBuild("1", types), opts)
	g.Expect(second).To(cnbtest.HavePassed())
	g.Expect(second).To(cnbtest.HaveReusedLayer("cached"))
	g.Expect(second.Layers["cached"].HasContents).To(BeTrue())
	g.Expect(second.Layers["cached"].SBOM).To(Equal([]string{"cached.sbom.cdx.json"}))
	g.Expect(second.Layers["cached"].LaunchEnv()).To(Equal(cnbtest.Env{"V": {Override: "1"}}), "a cached layer keeps its env files")

	g.Expect(second).To(cnbtest.HaveReusedLayer("launch-only"))
	lo := second.Layers["launch-only"]
	g.Expect(lo.HasContents).To(BeFalse(), "the exporter reuses a launch-only layer from the previous image")
	g.Expect(lo.Types).To(Equal(sdk.LayerTypes{Launch: true}))
	g.Expect(cnbtest.LayerMetadata[meta](second, "launch-only")).To(Equal(meta{V: "1"}))
	g.Expect(lo.SBOM).To(Equal([]string{"launch-only.sbom.cdx.json"}), "the analyzer restores launch SBOMs from the previous image")

	for _, name := range []string{"build-only", "launch-build"} {
		g.Expect(second.Layers[name].Status).To(Equal("new: no previous layer"), "%s is not restored by the lifecycle", name)
	}
	g.Expect(second).To(cnbtest.HaveProcess("web", "run"))

	third := cnbtest.Build(t, layersBuild("2", types), cnbtest.Options{Descriptor: []byte(descriptor), Layers: second.LayersDir})
	g.Expect(third).To(cnbtest.HaveRebuiltLayer("cached", "metadata changed: v: 1 -> 2"))
	g.Expect(third).To(cnbtest.HaveRebuiltLayer("launch-only", "v: 1 -> 2"))
	g.Expect(third.Layers["launch-only"].HasContents).To(BeTrue())
	g.Expect(third.Layers["launch-only"].Reason().Kind).To(Equal(sdk.ReasonMetadataChanged))

	// The previous outcomes are left untouched by later builds.
	data, err := os.ReadFile(filepath.Join(first.LayersDir, "build-only", "file"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(data)).To(Equal("1"))
}

// Each sdk.Needs comes back from an unchanged rebuild as the lifecycle brings it back: what is
// needed at launch only keeps its metadata and no files; what a build reads, its files.
func TestNeedsOnAnUnchangedRebuild(t *testing.T) {
	t.Parallel()
	tests := []struct {
		needs    sdk.Needs
		types    sdk.LayerTypes
		contents bool
	}{
		{sdk.Needs{Launch: true}, sdk.LayerTypes{Launch: true}, false},
		{sdk.Needs{Launch: true, Build: true}, sdk.LayerTypes{Launch: true, Build: true, Cache: true}, true},
		{sdk.Needs{Build: true}, sdk.LayerTypes{Build: true, Cache: true}, true},
		{sdk.Needs{Launch: true, EveryBuild: true}, sdk.LayerTypes{Launch: true, Cache: true}, true},
		{sdk.Needs{EveryBuild: true}, sdk.LayerTypes{Cache: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.needs.String(), func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			build := layersBuild("1", map[string]sdk.LayerKind{"l": tt.needs})
			first := cnbtest.Build(t, build, cnbtest.Options{Descriptor: []byte(descriptor)})
			g.Expect(first).To(cnbtest.HavePassed())
			g.Expect(first.Layers["l"].Types).To(Equal(tt.types))
			second := cnbtest.Build(t, build, cnbtest.Options{Descriptor: []byte(descriptor), Layers: first.LayersDir})
			g.Expect(second).To(cnbtest.HaveReusedLayer("l"))
			g.Expect(second.Layers["l"].HasContents).To(Equal(tt.contents))
			if tt.contents {
				g.Expect(filepath.Join(second.Layers["l"].Path, "file")).To(BeAnExistingFile())
			}
		})
	}
}

func TestDetectInputs(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	var got sdk.DetectRequest[sdk.None, sdk.None]
	out := cnbtest.Detect(t, func(_ context.Context, req sdk.DetectRequest[sdk.None, sdk.None]) (sdk.DetectResult, error) {
		got = req
		return sdk.Pass(sdk.BuildPlan{Provides: []sdk.Provide{{Name: "a"}}}, sdk.BuildPlan{Requires: []sdk.Require{sdk.NewRequire("b", xRequest{X: 1})}}), nil
	}, cnbtest.Options{
		App:        fstest.MapFS{"src/main.py": {Data: []byte("print(1)")}},
		Env:        map[string]string{"BP_A": "platform"},
		ProcessEnv: map[string]string{"BP_A": "process", "BP_B": "process"},
		Bindings:   []sdk.Binding{{Name: "db", Type: "postgres", Provider: "acme", Secret: map[string]string{"url": "pg://"}}},
		Target:     sdk.Target{OS: "linux", Arch: "arm64", Variant: "v8", DistroName: "ubuntu", DistroVersion: "24.04"},
		ExecEnv:    "test",
	})
	g.Expect(out).To(cnbtest.HavePassed())
	g.Expect(out.Plans).To(Equal([]sdk.BuildPlan{
		{Provides: []sdk.Provide{{Name: "a"}}},
		{Requires: []sdk.Require{sdk.NewRequire("b", xRequest{X: 1})}},
	}), "the plans read back from the file equal what detect returned")
	g.Expect(sdk.RequireMetadata[xRequest](out.Plans[1].Requires[0])).To(Equal(xRequest{X: 1}))
	g.Expect(out.BuildpackPlan().Entries).To(BeEmpty(), "the primary plan requires nothing")
	data, err := os.ReadFile(filepath.Join(got.AppDir, "src", "main.py"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(data)).To(Equal("print(1)"))
	g.Expect(got.Buildpack.ID).To(Equal("cnbtest/buildpack"))
	g.Expect(got.Target.String()).To(Equal("linux/arm64/v8:ubuntu@24.04"))
	g.Expect(got.ExecEnv).To(Equal("test"))
	a, _ := got.Platform.Lookup("BP_A")
	b, _ := got.Platform.Lookup("BP_B")
	g.Expect([]string{a, b}).To(Equal([]string{"platform", "process"}))
	env := got.Platform.Environ()
	g.Expect(env).To(ContainElements("BP_A=process", "BP_B=process", "CNB_TARGET_ARCH=arm64", HavePrefix("PATH=")),
		"a child process gets the process environment of the case, not the test's")
	g.Expect(env).NotTo(ContainElement(HavePrefix("HOME=")), "nothing of the test process but PATH")
	g.Expect(slices.IsSorted(env)).To(BeTrue())
	g.Expect(got.Platform.Bindings).To(HaveLen(1))
	g.Expect(got.Platform.Bindings[0]).To(And(HaveField("Name", "db"), HaveField("Type", "postgres"), HaveField("Provider", "acme"),
		HaveField("Secret", HaveKeyWithValue("url", "pg://"))))
}

func TestDefaultTargetAndAppDir(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	g.Expect(os.WriteFile(filepath.Join(dir, "x.txt"), []byte("x"), 0o644)).To(Succeed())
	g.Expect(os.Symlink("x.txt", filepath.Join(dir, "link"))).To(Succeed())
	var target sdk.Target
	var link string
	out := cnbtest.Detect(t, func(_ context.Context, req sdk.DetectRequest[sdk.None, sdk.None]) (sdk.DetectResult, error) {
		target = req.Target
		link, _ = os.Readlink(filepath.Join(req.AppDir, "link"))
		return sdk.Fail("nothing here"), nil
	}, cnbtest.Options{AppDir: dir})
	g.Expect(out).To(cnbtest.HaveFailedWith("nothing here"))
	g.Expect(out.Plans).To(BeEmpty())
	g.Expect(target).To(Equal(sdk.Target{OS: "linux", Arch: "amd64"}))
	g.Expect(link).To(Equal("x.txt"), "symbolic links are copied as links")
}

// fakeT records failures instead of failing the real test.
type fakeT struct {
	testing.TB
	real   *testing.T
	mu     sync.Mutex
	errors []string
}

func (f *fakeT) Helper()         {}
func (f *fakeT) TempDir() string { return f.real.TempDir() }
func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}
func (f *fakeT) Fatalf(format string, args ...any) { f.Errorf(format, args...); panic("fatal") }

func TestOutcomesAreDecodedStrictly(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ft := &fakeT{real: t}
	out := cnbtest.Build(ft, func(_ context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		// A file the SDK would never write: launch.toml with packit's key.
		err := os.WriteFile(filepath.Join(req.Layers.Path(), "launch.toml"), []byte("[[processes]]\ntype = \"web\"\ncommand = [\"x\"]\nworking-directory = \"/w\"\n"), 0o644)
		return sdk.BuildResult{}, err
	}, cnbtest.Options{})
	g.Expect(out.Err).NotTo(HaveOccurred())
	g.Expect(ft.errors).To(ConsistOf(ContainSubstring("launch.toml has keys the specification does not define: processes.working-directory")))
}

func TestMatcherMessages(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	fail := cnbtest.DetectOutcome{ExitCode: 100, Reason: "no app", Log: "the log"}
	ok, err := cnbtest.HavePassed().Match(fail)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ok).To(BeFalse())
	m := cnbtest.HavePassed()
	_, _ = m.Match(fail)
	g.Expect(m.FailureMessage(fail)).To(Equal("Expected detect to pass\nbut it exited 100 (reason \"no app\", error <nil>)\nlog:\nthe log"))

	m = cnbtest.HaveFailedWith("no app")
	ok, _ = m.Match(&fail)
	g.Expect(ok).To(BeTrue())
	g.Expect(m.NegatedFailureMessage(fail)).To(HavePrefix("Expected not detect to fail"))

	build := cnbtest.BuildOutcome{Layers: map[string]cnbtest.LayerOutcome{"a": {Name: "a", Status: "new: no previous layer"}},
		Processes: []sdk.Process{{Type: "web", Command: []string{"x", "y"}}}}
	for _, tc := range []struct {
		m    interface{ Match(any) (bool, error) }
		want bool
	}{
		{cnbtest.HavePassed(), true},
		{cnbtest.HaveLayer("a"), true},
		{cnbtest.HaveLayer("b"), false},
		{cnbtest.HaveReusedLayer("a"), false},
		{cnbtest.HaveRebuiltLayer("a", ""), false},
		{cnbtest.HaveProcess("web"), true},
		{cnbtest.HaveProcess("web", "x", "y"), true},
		{cnbtest.HaveProcess("web", "x"), false},
		{cnbtest.HaveProcess("worker"), false},
		{cnbtest.HaveErrored(""), false},
	} {
		ok, err := tc.m.Match(build)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(ok).To(Equal(tc.want), "%#v", tc.m)
	}
	m = cnbtest.HaveProcess("worker")
	_, _ = m.Match(build)
	g.Expect(m.FailureMessage(build)).To(Equal("Expected a process \"worker\"\nbut launch.toml has processes [web=[\"x\" \"y\"]]"))
	m = cnbtest.HaveReusedLayer("a")
	_, _ = m.Match(build)
	g.Expect(m.FailureMessage(build)).To(Equal("Expected layer \"a\" to be reused\nbut the build has layers a (new: no previous layer)"))
	_, err = cnbtest.HaveLayer("a").Match("not an outcome")
	g.Expect(err).To(MatchError(ContainSubstring("this matcher takes a cnbtest.BuildOutcome, got string")))
}

// The lifecycle returns layer and store metadata through JSON, so integers come back as
// floats; a second cnbtest build must see the same and still reuse the layer.
func TestSecondBuildSeesNumbersAsTheLifecycleRestoresThem(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	type counted struct {
		Count int `toml:"count"`
	}
	type store struct {
		Builds int `toml:"builds"`
	}
	build := func(_ context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		prev, err := sdk.StoreMetadata[store](req.Store)
		if err != nil {
			return sdk.BuildResult{}, err
		}
		if _, err := sdk.OpenLayer(req.Layers, "n", sdk.LayerTypes{Launch: true, Cache: true}, counted{Count: 7}, nil); err != nil {
			return sdk.BuildResult{}, err
		}
		return sdk.BuildResult{Store: sdk.NewStore(store{Builds: prev.Builds + 1})}, nil
	}
	first := cnbtest.Build(t, build, cnbtest.Options{Descriptor: []byte(descriptor)})
	g.Expect(first).To(cnbtest.HavePassed())
	restored, err := os.ReadFile(filepath.Join(first.LayersDir, "n.toml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(restored)).To(ContainSubstring("count = 7"))

	second := cnbtest.Build(t, build, cnbtest.Options{Descriptor: []byte(descriptor), Layers: first.LayersDir})
	g.Expect(second).To(cnbtest.HavePassed())
	g.Expect(second).To(cnbtest.HaveReusedLayer("n"))
	g.Expect(sdk.StoreMetadata[store](second.Store)).To(Equal(store{Builds: 2}))
	g.Expect(cnbtest.LayerMetadata[counted](second, "n")).To(Equal(counted{Count: 7}))
}

// Nested tables in layer and store metadata (structs, slices of structs, maps, free-form
// values) are written, read back strictly and compared; the layer is reused.
func TestNestedMetadataIsReused(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	type file struct {
		Name   string `toml:"name"`
		SHA256 string `toml:"sha256"`
	}
	type nested struct {
		Inputs  map[string]string `toml:"inputs"`
		Extra   map[string]any    `toml:"extra"`
		Main    file              `toml:"main"`
		Files   []file            `toml:"files"`
		Version int               `toml:"version"`
	}
	want := nested{
		Inputs:  map[string]string{"requirements.txt": "abc"},
		Extra:   map[string]any{"deep": map[string]any{"k": "v"}},
		Main:    file{Name: "app.py", SHA256: "1"},
		Files:   []file{{Name: "a", SHA256: "2"}, {Name: "b", SHA256: "3"}},
		Version: 2,
	}
	build := func(_ context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		if _, err := sdk.StoreMetadata[nested](req.Store); err != nil {
			return sdk.BuildResult{}, err
		}
		if _, err := sdk.OpenLayer(req.Layers, "n", sdk.LayerTypes{Launch: true, Cache: true}, want, nil); err != nil {
			return sdk.BuildResult{}, err
		}
		return sdk.BuildResult{Store: sdk.NewStore(want)}, nil
	}
	first := cnbtest.Build(t, build, cnbtest.Options{Descriptor: []byte(descriptor)})
	g.Expect(first).To(cnbtest.HavePassed())
	second := cnbtest.Build(t, build, cnbtest.Options{Descriptor: []byte(descriptor), Layers: first.LayersDir})
	g.Expect(second).To(cnbtest.HavePassed())
	g.Expect(second).To(cnbtest.HaveReusedLayer("n"))
	g.Expect(cnbtest.LayerMetadata[nested](second, "n")).To(Equal(want))
	g.Expect(sdk.StoreMetadata[nested](second.Store)).To(Equal(want))
}

// A bad configuration value fails the build with the designed error, and the *sdk.ConfigError
// behind it is reachable for the author's assertions.
func TestBadConfigurationIsAConfigError(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	type config struct {
		Debug bool `env:"BP_DEBUG"`
	}
	build := func(context.Context, sdk.BuildRequest[sdk.None, config]) (sdk.BuildResult, error) {
		return sdk.BuildResult{}, nil
	}
	out := cnbtest.Build(t, build, cnbtest.Options{
		Descriptor: []byte(descriptor + "[[metadata.configurations]]\nname = \"BP_DEBUG\"\ndefault = \"false\"\n"),
		Env:        map[string]string{"BP_DEBUG": "maybe"},
	})
	var ce *sdk.ConfigError
	g.Expect(errors.As(out.Err, &ce)).To(BeTrue(), "err: %v", out.Err)
	g.Expect(ce.Name).To(Equal("BP_DEBUG"))
	g.Expect(ce.Value).To(Equal("maybe"))
	var ue *sdk.Error
	g.Expect(errors.As(out.Err, &ue)).To(BeTrue())
	g.Expect(ue.Title).To(Equal("Invalid configuration"))
	g.Expect(strings.Count(out.Log, "maybe")).To(Equal(1), "the value is shown once:\n%s", out.Log)
}

// execEnvMeta is layer metadata with the spec's optional [metadata] exec-env list (Buildpack
// API 0.12), written through the author's own typed metadata.
type execEnvMeta struct {
	Version string   `toml:"version"`
	ExecEnv []string `toml:"exec-env"`
}

// execEnvBuild writes environment-specific launch env by testing req.ExecEnv: Buildpack API 0.12
// and lifecycle v0.21 have no exec-env scoped env directories, one build serves one CNB_EXEC_ENV.
func execEnvBuild(_ context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
	l, err := sdk.OpenLayer(req.Layers, "runtime", sdk.LayerTypes{Launch: true, Cache: true},
		execEnvMeta{Version: "1", ExecEnv: []string{req.ExecEnv}}, nil)
	if err != nil {
		return sdk.BuildResult{}, err
	}
	if !l.Status.Restored {
		l.LaunchEnv().Override("APP_ENV", req.ExecEnv)
		if req.ExecEnv == "test" {
			l.ProcessEnv("tests").Default("PYTEST_ADDOPTS", "-q")
		}
	}
	return sdk.BuildResult{Processes: []sdk.Process{
		{Type: "web", Command: []string{"serve"}, Default: true, ExecEnv: []string{"production"}},
		{Type: "tests", Command: []string{"pytest"}, ExecEnv: []string{"test", "development"}},
		{Type: "shell", Command: []string{"bash"}, ExecEnv: []string{"*"}},
		{Type: "worker", Command: []string{"work"}},
	}}, nil
}

func TestExecEnvBuild(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	first := cnbtest.Build(t, execEnvBuild, cnbtest.Options{Descriptor: []byte(descriptor), ExecEnv: "test"})
	g.Expect(first).To(cnbtest.HavePassed())
	g.Expect(first.Layers["runtime"].LaunchEnv()).To(Equal(cnbtest.Env{"APP_ENV": {Override: "test"}}))
	g.Expect(first.Layers["runtime"].ProcessEnv("tests")).To(Equal(cnbtest.Env{"PYTEST_ADDOPTS": {Default: "-q"}}))
	g.Expect(cnbtest.LayerMetadata[execEnvMeta](first, "runtime")).To(Equal(execEnvMeta{Version: "1", ExecEnv: []string{"test"}}))
	raw, err := os.ReadFile(filepath.Join(first.LayersDir, "runtime.toml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(raw)).To(ContainSubstring("[metadata]\n  exec-env = [\"test\"]"))

	execEnvs := map[string][]string{}
	for _, p := range first.Processes {
		execEnvs[p.Type] = p.ExecEnv
	}
	g.Expect(execEnvs).To(Equal(map[string][]string{
		"web": {"production"}, "tests": {"test", "development"}, "shell": {"*"}, "worker": nil,
	}))
	launch, err := os.ReadFile(filepath.Join(first.LayersDir, "launch.toml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(launch)).To(ContainSubstring(`exec-env = ["test", "development"]`))
	g.Expect(strings.Count(string(launch), "exec-env")).To(Equal(3), "a process without ExecEnv has no exec-env key")

	// An unset CNB_EXEC_ENV is "production": the metadata differs, so the layer is rebuilt.
	second := cnbtest.Build(t, execEnvBuild, cnbtest.Options{Descriptor: []byte(descriptor), Layers: first.LayersDir})
	g.Expect(second).To(cnbtest.HaveRebuiltLayer("runtime", "exec-env: [test] -> [production]"))
	g.Expect(second.Layers["runtime"].LaunchEnv()).To(Equal(cnbtest.Env{"APP_ENV": {Override: "production"}}))
	g.Expect(second.Layers["runtime"].ProcessEnv("tests")).To(BeEmpty())

	third := cnbtest.Build(t, execEnvBuild, cnbtest.Options{Descriptor: []byte(descriptor), Layers: second.LayersDir, ExecEnv: "production"})
	g.Expect(third).To(cnbtest.HaveReusedLayer("runtime"))
	g.Expect(third.Layers["runtime"].LaunchEnv()).To(Equal(cnbtest.Env{"APP_ENV": {Override: "production"}}))
}

func TestExecEnvNeedsAPI012(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	old := []byte("api = \"0.11\"\n[buildpack]\nid = \"t/t\"\nversion = \"1.0.0\"\n")
	var seen string
	out := cnbtest.Build(t, func(_ context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		seen = req.ExecEnv
		return sdk.BuildResult{Processes: []sdk.Process{{Type: "web", Command: []string{"serve"}, ExecEnv: []string{"production"}}}}, nil
	}, cnbtest.Options{Descriptor: old, ExecEnv: "test"})
	g.Expect(out).To(cnbtest.HaveErrored(`process "web" sets ExecEnv, which needs Buildpack API 0.12 (buildpack.toml has 0.11)`))
	g.Expect(seen).To(BeEmpty(), "the lifecycle passes CNB_EXEC_ENV to API 0.12 buildpacks only")
	g.Expect(filepath.Join(out.LayersDir, "launch.toml")).NotTo(BeAnExistingFile())
}

// Options.Plan takes the requires of other buildpacks' detects, typed; build sees them as the
// lifecycle writes them.
func TestPlanFromTypedRequires(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	type want struct {
		Version string `toml:"version"`
		Launch  bool   `toml:"launch"`
		Count   int    `toml:"count"`
	}
	var seen sdk.Merged[want]
	out := cnbtest.Build(t, func(_ context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		m, _, err := sdk.Entries[want](req.Plan, "python")
		seen = m
		return sdk.BuildResult{}, err
	}, cnbtest.Options{Plan: sdk.Plan{Entries: []sdk.Require{
		sdk.NewRequire("python", want{Version: "3.12", Launch: true, Count: 2}),
		{Name: "python"},
	}}})
	g.Expect(out).To(cnbtest.HavePassed())
	g.Expect(seen.Launch).To(BeTrue())
	g.Expect(seen.Entries).To(Equal([]want{{Version: "3.12", Launch: true, Count: 2}, {}}))

	ft := &fakeT{real: t}
	func() {
		defer func() { _ = recover() }()
		cnbtest.Build(ft, func(context.Context, sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
			return sdk.BuildResult{}, nil
		}, cnbtest.Options{Plan: sdk.Plan{Entries: []sdk.Require{sdk.NewRequire("python", "3.12")}}})
	}()
	g.Expect(ft.errors).To(ConsistOf(`cnbtest: Options.Plan: plan entry "python": a value of type string is not a table: use a struct with toml tags`))
}

// LayerMetadata decodes strictly, and says which layers there are when one is missing.
func TestLayerMetadata(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	out := cnbtest.Build(t, layersBuild("1", map[string]sdk.LayerKind{"l": sdk.Needs{Launch: true}}), cnbtest.Options{Descriptor: []byte(descriptor)})
	g.Expect(out).To(cnbtest.HavePassed())
	g.Expect(cnbtest.LayerMetadata[meta](out, "l")).To(Equal(meta{V: "1"}))

	_, err := cnbtest.LayerMetadata[sdk.None](out, "l")
	g.Expect(err).To(MatchError("l.toml [metadata] has unknown key v: sdk.None has no field for it (check the spelling, or add a field with a toml tag)"))
	var de *sdk.DecodeError
	g.Expect(errors.As(err, &de)).To(BeTrue())

	_, err = cnbtest.LayerMetadata[struct {
		V int `toml:"v"`
	}](out, "l")
	g.Expect(err).To(MatchError(ContainSubstring(`l.toml [metadata] does not fit struct { V int "toml:\"v\"" }`)))

	_, err = cnbtest.LayerMetadata[meta](out, "m")
	g.Expect(err).To(MatchError(`cnbtest: no layer "m": the build has layers l (new: no previous layer)`))
}

// Each scope of a layer's environment reads back by variable name, as sdk.Env wrote it.
func TestEnvByScope(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	out := cnbtest.Build(t, func(_ context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		l, err := sdk.OpenLayer(req.Layers, "tools", sdk.LayerTypes{Build: true, Launch: true}, sdk.None{}, nil)
		if err != nil {
			return sdk.BuildResult{}, err
		}
		l.SharedEnv().PrependPath("PATH", filepath.Join(l.Path, "bin"))
		l.SharedEnv().Append("FLAGS", " ", "-v")
		l.BuildEnv().Default("CC", "gcc")
		l.LaunchEnv().Override("MODE", "")
		l.ProcessEnv("web").Default("PORT", "8080")
		l.ProcessEnv("worker").Prepend("QUEUES", ",", "high")
		return sdk.BuildResult{}, nil
	}, cnbtest.Options{})
	g.Expect(out).To(cnbtest.HavePassed())
	l := out.Layers["tools"]
	g.Expect(l.SharedEnv()).To(Equal(cnbtest.Env{
		"PATH":  {Prepend: filepath.Join(l.Path, "bin"), Delim: string(os.PathListSeparator)},
		"FLAGS": {Append: "-v", Delim: " "},
	}))
	g.Expect(l.BuildEnv()).To(Equal(cnbtest.Env{"CC": {Default: "gcc"}}))
	g.Expect(l.LaunchEnv()).To(Equal(cnbtest.Env{"MODE": {}}))
	g.Expect(l.LaunchEnv()).To(HaveKey("MODE"), "an empty override is still there")
	g.Expect(l.ProcessEnv("web")).To(Equal(cnbtest.Env{"PORT": {Default: "8080"}}))
	g.Expect(l.ProcessEnv("worker")["QUEUES"]).To(Equal(cnbtest.EnvVar{Prepend: "high", Delim: ","}))
	g.Expect(l.ProcessEnv("tests")).To(BeEmpty())

	// A file the lifecycle would ignore fails the test.
	ft := &fakeT{real: t}
	cnbtest.Build(ft, func(_ context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		l, err := sdk.OpenLayer(req.Layers, "tools", sdk.LayerTypes{Launch: true}, sdk.None{}, nil)
		if err != nil {
			return sdk.BuildResult{}, err
		}
		if err := os.MkdirAll(filepath.Join(l.Path, "env.build", "web"), 0o755); err != nil {
			return sdk.BuildResult{}, err
		}
		return sdk.BuildResult{}, os.WriteFile(filepath.Join(l.Path, "env.build", "PATH.prepnd"), []byte("x"), 0o644)
	}, cnbtest.Options{})
	g.Expect(ft.errors).To(ConsistOf(
		"cnbtest: env.build/PATH.prepnd: the lifecycle reads NAME, NAME.override, .default, .prepend, .append and .delim only",
		"cnbtest: env.build/web: the lifecycle reads process folders only in env.launch",
	))
}

// The outcome holds what BuildResult said, in the SDK's types, read back from launch.toml,
// build.toml and store.toml.
func TestBuildOutcomeSpeaksSDKTypes(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	type storeData struct {
		Version string `toml:"version"`
	}
	result := sdk.BuildResult{
		Processes: []sdk.Process{
			{Type: "web", Command: []string{"serve"}, Args: []string{"--port", "8080"}, Default: true, WorkingDir: "/workspace/src", ExecEnv: []string{"production"}},
			{Type: "worker", Command: []string{"work"}},
		},
		Labels: []sdk.Label{{Key: "org.example.v", Value: "1"}},
		Slices: []sdk.Slice{{Paths: []string{"static/*"}}},
		Unmet:  []string{"node"},
		Store:  sdk.NewStore(storeData{Version: "1"}),
	}
	out := cnbtest.Build(t, func(context.Context, sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		return result, nil
	}, cnbtest.Options{})
	g.Expect(out).To(cnbtest.HavePassed())
	g.Expect(out.Processes).To(Equal(result.Processes))
	g.Expect(out.Labels).To(Equal(result.Labels))
	g.Expect(out.Slices).To(Equal(result.Slices))
	g.Expect(out.Unmet).To(Equal(result.Unmet))
	g.Expect(sdk.StoreMetadata[storeData](out.Store)).To(Equal(storeData{Version: "1"}))

	empty := cnbtest.Build(t, func(context.Context, sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		return sdk.BuildResult{}, nil
	}, cnbtest.Options{})
	g.Expect(empty.Processes).To(BeEmpty())
	g.Expect(empty.Store.IsZero()).To(BeTrue())
}
