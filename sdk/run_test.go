package sdk_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/BurntSushi/toml"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// world is a set of lifecycle-like directories for one run.
type world struct {
	root, app, bp, platform, layers, plan, bpPlan string
	env                                           map[string]string
}

const descriptor = `api = "%s"
[buildpack]
id = "test/bp"
name = "Test BP"
version = "1.2.3"
sbom-formats = ["application/vnd.cyclonedx+json"]
`

func newWorld(t *testing.T, api string, extra string) *world { return makeWorld(t, api, extra) }

func newWorldB(b *testing.B) *world { return makeWorld(b, "0.12", "") }

func makeWorld(t testing.TB, api string, extra string) *world {
	t.Helper()
	root := t.TempDir()
	w := &world{root: root, app: filepath.Join(root, "app"), bp: filepath.Join(root, "bp"),
		platform: filepath.Join(root, "platform"), layers: filepath.Join(root, "layers"),
		plan: filepath.Join(root, "plan.toml"), bpPlan: filepath.Join(root, "bp-plan.toml")}
	for _, d := range []string{w.app, w.bp, filepath.Join(w.platform, "env"), w.layers} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, filepath.Join(w.bp, "buildpack.toml"), fmt.Sprintf(descriptor, api)+extra)
	write(t, w.bpPlan, "")
	w.env = map[string]string{
		"CNB_BUILDPACK_DIR": w.bp, "CNB_PLATFORM_DIR": w.platform, "CNB_BUILD_PLAN_PATH": w.plan,
		"CNB_LAYERS_DIR": w.layers, "CNB_BP_PLAN_PATH": w.bpPlan,
		"CNB_TARGET_OS": "linux", "CNB_TARGET_ARCH": "arm64", "CNB_TARGET_ARCH_VARIANT": "v8",
		"CNB_TARGET_DISTRO_NAME": "ubuntu", "CNB_TARGET_DISTRO_VERSION": "24.04",
	}
	return w
}

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (w *world) run(phase string, detect sdk.DetectFunc[sdk.None, sdk.None], build sdk.BuildFunc[sdk.None, sdk.None]) (sdk.Exit, string) {
	var out bytes.Buffer
	exit := sdk.Run(context.Background(), sdk.Invocation{Phase: phase, Env: w.env, AppDir: w.app, Stdout: &out, Stderr: &out}, detect, build)
	return exit, out.String()
}

func passDetect(context.Context, sdk.DetectRequest[sdk.None, sdk.None]) (sdk.DetectResult, error) {
	return sdk.Pass(), nil
}

func TestRunExitCodes(t *testing.T) {
	t.Parallel()
	userErr := &sdk.Error{Title: "Broken thing", Detail: "found x", Fixes: []string{"do y"}}
	tests := []struct {
		name   string
		detect sdk.DetectFunc[sdk.None, sdk.None]
		code   int
		log    []string
	}{
		{"pass", passDetect, 0, nil},
		{"fail", func(context.Context, sdk.DetectRequest[sdk.None, sdk.None]) (sdk.DetectResult, error) {
			return sdk.Fail("no %s found", "go.mod"), nil
		}, 100, []string{"Test BP: no go.mod found"}},
		{"zero result is a fail", func(context.Context, sdk.DetectRequest[sdk.None, sdk.None]) (sdk.DetectResult, error) {
			return sdk.DetectResult{}, nil
		}, 100, []string{"detect did not pass"}},
		{"error", func(context.Context, sdk.DetectRequest[sdk.None, sdk.None]) (sdk.DetectResult, error) {
			return sdk.Fail("ignored"), errors.New("disk on fire")
		}, 1, []string{"ERROR: The buildpack failed unexpectedly", "disk on fire"}},
		{"wrapped user error", func(context.Context, sdk.DetectRequest[sdk.None, sdk.None]) (sdk.DetectResult, error) {
			return sdk.DetectResult{}, fmt.Errorf("reading config: %w", userErr)
		}, 1, []string{"ERROR: Broken thing\n  found x\n\n  To fix this:\n    1. do y\n\n  While: reading config\n"}},
		{"panic", func(context.Context, sdk.DetectRequest[sdk.None, sdk.None]) (sdk.DetectResult, error) {
			panic("boom")
		}, 1, []string{"detect panicked: boom"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			w := newWorld(t, "0.10", "")
			exit, log := w.run("detect", tt.detect, nil)
			g.Expect(exit.Code).To(Equal(tt.code), "log:\n%s", log)
			for _, l := range tt.log {
				g.Expect(log).To(ContainSubstring(l))
			}
			if tt.code == 1 {
				g.Expect(exit.Err).To(HaveOccurred())
			} else {
				g.Expect(exit.Err).NotTo(HaveOccurred())
			}
		})
	}
}

func TestRunAPIGate(t *testing.T) {
	t.Parallel()
	for _, api := range []string{"0.10", "0.11", "0.12"} {
		t.Run("accepts "+api, func(t *testing.T) {
			t.Parallel()
			exit, log := newWorld(t, api, "").run("detect", passDetect, nil)
			NewWithT(t).Expect(exit.Code).To(Equal(0), log)
		})
	}
	for _, api := range []string{"0.9", "0.13", "1.0", "0.1x"} {
		t.Run("rejects "+api, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			exit, log := newWorld(t, api, "").run("build", nil, func(context.Context, sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
				t.Error("build must not run")
				return sdk.BuildResult{}, nil
			})
			g.Expect(exit.Code).To(Equal(1))
			g.Expect(log).To(ContainSubstring("ERROR: Unsupported Buildpack API"))
			g.Expect(log).To(ContainSubstring(fmt.Sprintf("buildpack.toml declares api = %q; the cnbkit SDK implements Buildpack API 0.10 to 0.12", api)))
			g.Expect(log).To(ContainSubstring(`Set api = "0.12"`))
		})
	}
}

func TestRunInvocation(t *testing.T) {
	t.Parallel()
	t.Run("unknown phase", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		exit, log := newWorld(t, "0.12", "").run("generate", passDetect, nil)
		g.Expect(exit.Code).To(Equal(1))
		g.Expect(log).To(ContainSubstring(`the program was started as "generate"`))
	})
	t.Run("phase from the first argument", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		w := newWorld(t, "0.12", "")
		var out bytes.Buffer
		exit := sdk.Run(context.Background(), sdk.Invocation{Phase: "motd", Args: []string{"detect"}, Env: w.env, AppDir: w.app, Stdout: &out},
			func(context.Context, sdk.DetectRequest[sdk.None, sdk.None]) (sdk.DetectResult, error) {
				return sdk.Fail("x"), nil
			}, nil)
		g.Expect(exit.Code).To(Equal(100))
	})
	t.Run("missing CNB_BUILDPACK_DIR", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		w := newWorld(t, "0.12", "")
		delete(w.env, "CNB_BUILDPACK_DIR")
		exit, log := w.run("detect", passDetect, nil)
		g.Expect(exit.Code).To(Equal(1))
		g.Expect(log).To(ContainSubstring("ERROR: CNB_BUILDPACK_DIR is not set"))
	})
	t.Run("positional arguments of older lifecycles", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		w := newWorld(t, "0.12", "")
		delete(w.env, "CNB_LAYERS_DIR")
		delete(w.env, "CNB_BP_PLAN_PATH")
		delete(w.env, "CNB_PLATFORM_DIR")
		write(t, filepath.Join(w.platform, "env", "BP_X"), "from-platform")
		var seen string
		exit := sdk.Run(context.Background(), sdk.Invocation{Phase: "build", Args: []string{w.layers, w.platform, w.bpPlan}, Env: w.env, AppDir: w.app},
			nil, func(_ context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
				seen, _ = req.Platform.Lookup("BP_X")
				return sdk.BuildResult{Labels: []sdk.Label{{Key: "k", Value: "v"}}}, nil
			})
		g.Expect(exit.Code).To(Equal(0), fmt.Sprint(exit.Err))
		g.Expect(seen).To(Equal("from-platform"))
		g.Expect(filepath.Join(w.layers, "launch.toml")).To(BeAnExistingFile())
	})
	t.Run("missing plan path", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		w := newWorld(t, "0.12", "")
		delete(w.env, "CNB_BUILD_PLAN_PATH")
		exit, log := w.run("detect", passDetect, nil)
		g.Expect(exit.Code).To(Equal(1))
		g.Expect(log).To(ContainSubstring("CNB_BUILD_PLAN_PATH is not set"))
	})
}

func TestRunRequestInputs(t *testing.T) {
	t.Parallel()
	type seen struct {
		target   sdk.Target
		execEnv  string
		bp       sdk.Buildpack
		lookups  map[string]string
		bindings sdk.Bindings
		appFile  string
	}
	collect := func(s *seen, req sdk.DetectRequest[sdk.None, sdk.None]) {
		s.target, s.execEnv, s.bp, s.bindings = req.Target, req.ExecEnv, req.Buildpack, req.Platform.Bindings
		s.lookups = map[string]string{}
		for _, n := range []string{"BP_A", "BP_B", "BP_C"} {
			if v, ok := req.Platform.Lookup(n); ok {
				s.lookups[n] = v
			}
		}
		data, _ := os.ReadFile(filepath.Join(req.AppDir, "app.txt"))
		s.appFile = string(data)
	}
	for _, api := range []string{"0.11", "0.12"} {
		t.Run("api "+api, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			w := newWorld(t, api, "")
			w.env["CNB_EXEC_ENV"] = "test"
			w.env["BP_A"] = "process"
			w.env["BP_B"] = "process"
			write(t, filepath.Join(w.platform, "env", "BP_B"), "platform\n") // a hand-written file ends with a newline
			write(t, filepath.Join(w.platform, "bindings", "db", "type"), "postgres")
			write(t, filepath.Join(w.platform, "bindings", "db", "password"), "s3cret")
			write(t, filepath.Join(w.app, "app.txt"), "hello")
			var s seen
			exit, log := w.run("detect", func(_ context.Context, req sdk.DetectRequest[sdk.None, sdk.None]) (sdk.DetectResult, error) {
				collect(&s, req)
				return sdk.Pass(), nil
			}, nil)
			g.Expect(exit.Code).To(Equal(0), log)
			g.Expect(s.target).To(Equal(sdk.Target{OS: "linux", Arch: "arm64", Variant: "v8", DistroName: "ubuntu", DistroVersion: "24.04"}))
			if api == "0.12" {
				g.Expect(s.execEnv).To(Equal("test"))
			} else {
				g.Expect(s.execEnv).To(BeEmpty(), "CNB_EXEC_ENV is API 0.12 only")
			}
			g.Expect(s.bp).To(MatchFields(s.bp, "test/bp", "Test BP", "1.2.3", api, w.bp))
			g.Expect(s.lookups).To(Equal(map[string]string{"BP_A": "process", "BP_B": "platform"}))
			g.Expect(s.bindings).To(HaveLen(1))
			g.Expect(s.bindings[0].Name).To(Equal("db"))
			g.Expect(s.bindings[0].Type).To(Equal("postgres"))
			g.Expect(s.bindings[0].Secret).To(HaveKeyWithValue("password", "s3cret"))
			g.Expect(s.bindings.OfType("POSTGRES")).To(HaveLen(1))
			g.Expect(s.bindings.OfType("mysql")).To(BeEmpty())
			g.Expect(s.appFile).To(Equal("hello"))
		})
	}
	t.Run("VCAP_SERVICES bindings", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		w := newWorld(t, "0.12", "")
		w.env["VCAP_SERVICES"] = `{"elephantsql":[{"name":"db2","label":"postgres","credentials":{"uri":"postgres://x","port":5432}}]}`
		var bs sdk.Bindings
		exit, log := w.run("detect", func(_ context.Context, req sdk.DetectRequest[sdk.None, sdk.None]) (sdk.DetectResult, error) {
			bs = req.Platform.Bindings
			return sdk.Pass(), nil
		}, nil)
		g.Expect(exit.Code).To(Equal(0), log)
		g.Expect(bs).To(Equal(sdk.Bindings{{Name: "db2", Type: "postgres", Provider: "elephantsql",
			Secret: map[string]string{"uri": "postgres://x", "port": "5432"}}}))
	})
	t.Run("no target variables", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		w := newWorld(t, "0.12", "")
		for _, k := range []string{"CNB_TARGET_OS", "CNB_TARGET_ARCH", "CNB_TARGET_ARCH_VARIANT", "CNB_TARGET_DISTRO_NAME", "CNB_TARGET_DISTRO_VERSION"} {
			delete(w.env, k)
		}
		var target sdk.Target
		exit, _ := w.run("detect", func(_ context.Context, req sdk.DetectRequest[sdk.None, sdk.None]) (sdk.DetectResult, error) {
			target = req.Target
			return sdk.Pass(), nil
		}, nil)
		g.Expect(exit.Code).To(Equal(0))
		g.Expect(target.OS).NotTo(BeEmpty())
		g.Expect(target.Arch).NotTo(BeEmpty())
	})
}

func TestRunExecEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, api string
		set       bool   // whether CNB_EXEC_ENV is in the environment
		value     string // its value
		want      string // ExecEnv seen by detect and build
		err       string // the error, for both phases
	}{
		{"0.12 test", "0.12", true, "test", "test", ""},
		{"0.12 custom name", "0.12", true, "staging", "staging", ""},
		{"0.12 unset is production", "0.12", false, "", "production", ""},
		{"0.12 empty is production", "0.12", true, "", "production", ""},
		{"0.12 slash", "0.12", true, "test/unit", "", `Invalid CNB_EXEC_ENV`},
		{"0.11 ignores it", "0.11", true, "test", "", ""},
		{"0.11 unset", "0.11", false, "", "", ""},
		{"0.10 ignores a bad value", "0.10", true, "a/b", "", ""},
	}
	for _, tt := range tests {
		for _, phase := range []string{"detect", "build"} {
			t.Run(tt.name+" "+phase, func(t *testing.T) {
				t.Parallel()
				g := NewWithT(t)
				w := newWorld(t, tt.api, "")
				delete(w.env, "CNB_EXEC_ENV")
				if tt.set {
					w.env["CNB_EXEC_ENV"] = tt.value
				}
				got := "not called"
				exit, log := w.run(phase, func(_ context.Context, req sdk.DetectRequest[sdk.None, sdk.None]) (sdk.DetectResult, error) {
					got = req.ExecEnv
					return sdk.Pass(), nil
				}, func(_ context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
					got = req.ExecEnv
					return sdk.BuildResult{}, nil
				})
				if tt.err != "" {
					g.Expect(exit.Code).To(Equal(1))
					g.Expect(log).To(ContainSubstring(tt.err))
					g.Expect(log).To(ContainSubstring(`execution environment "test/unit" contains '/'`))
					g.Expect(got).To(Equal("not called"))
					return
				}
				g.Expect(exit.Code).To(Equal(0), log)
				g.Expect(got).To(Equal(tt.want))
			})
		}
	}
}

// MatchFields checks the plain fields of a Buildpack.
func MatchFields(_ sdk.Buildpack, id, name, version, api, dir string) OmegaMatcher {
	return And(
		HaveField("ID", id), HaveField("Name", name), HaveField("Version", version),
		HaveField("API", api), HaveField("Dir", dir), HaveField("Descriptor.Info.ID", id),
	)
}

func TestRunDetectWritesThePlan(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	w := newWorld(t, "0.12", "")
	type req struct {
		Version string `toml:"version"`
		Launch  bool   `toml:"launch"`
	}
	exit, log := w.run("detect", func(context.Context, sdk.DetectRequest[sdk.None, sdk.None]) (sdk.DetectResult, error) {
		return sdk.Pass(
			sdk.BuildPlan{Provides: []sdk.Provide{{Name: "python"}}, Requires: []sdk.Require{sdk.NewRequire("python", req{Version: "3.12", Launch: true})}},
			sdk.BuildPlan{Requires: []sdk.Require{{Name: "python"}}},
		), nil
	}, nil)
	g.Expect(exit.Code).To(Equal(0), log)
	data, err := os.ReadFile(w.plan)
	g.Expect(err).NotTo(HaveOccurred())
	var plan spec.BuildPlan
	md, err := toml.Decode(string(data), &plan)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(md.Undecoded()).To(BeEmpty())
	g.Expect(plan).To(Equal(spec.BuildPlan{
		Provides: []spec.Provide{{Name: "python"}},
		Requires: []spec.Require{{Name: "python", Metadata: map[string]any{"version": "3.12", "launch": true}}},
		Or:       []spec.PlanAlt{{Requires: []spec.Require{{Name: "python"}}}},
	}))
}

// A plan detect cannot write is an error (exit 1) naming the plan and the require, and no plan
// file is left.
func TestRunDetectPlanErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		plan sdk.BuildPlan
		err  string
	}{
		{"provide without name", sdk.BuildPlan{Provides: []sdk.Provide{{}}}, "writing the build plan: build plan 1: a provide has no name"},
		{"require without name", sdk.BuildPlan{Requires: []sdk.Require{{}}}, "writing the build plan: build plan 1: a require has no name"},
		{"metadata not a table", sdk.BuildPlan{Requires: []sdk.Require{sdk.NewRequire("python", []string{"3.12"})}},
			`writing the build plan: build plan 1: metadata of require "python": a value of type []string is not a table: use a struct with toml tags`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			w := newWorld(t, "0.12", "")
			exit, log := w.run("detect", func(context.Context, sdk.DetectRequest[sdk.None, sdk.None]) (sdk.DetectResult, error) {
				return sdk.Pass(tt.plan), nil
			}, nil)
			g.Expect(exit.Code).To(Equal(1), log)
			g.Expect(exit.Err).To(MatchError(tt.err))
			g.Expect(w.plan).NotTo(BeAnExistingFile())
		})
	}
}

func TestRunBuildFailureWritesNothing(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	w := newWorld(t, "0.12", "")
	exit, log := w.run("build", nil, func(_ context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		if _, err := sdk.OpenLayer(req.Layers, "l", sdk.LayerTypes{Launch: true}, sdk.None{}, nil); err != nil {
			return sdk.BuildResult{}, err
		}
		return sdk.BuildResult{Processes: []sdk.Process{{Type: "web", Command: []string{"x"}}}}, sdk.Errorf("Nope", "no %s", "way")
	})
	g.Expect(exit.Code).To(Equal(1))
	g.Expect(log).To(ContainSubstring("ERROR: Nope\n  no way\n"))
	g.Expect(filepath.Join(w.layers, "l.toml")).NotTo(BeAnExistingFile())
	g.Expect(filepath.Join(w.layers, "launch.toml")).NotTo(BeAnExistingFile())
}

func TestRunBuildPanicIsAnError(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	w := newWorld(t, "0.12", "")
	exit, log := w.run("build", nil, func(context.Context, sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		panic("boom")
	})
	g.Expect(exit.Code).To(Equal(1), "log:\n%s", log)
	g.Expect(exit.Err).To(MatchError("build panicked: boom"))
	g.Expect(log).To(ContainSubstring("build panicked: boom"))
}

func TestRunDebugAndColour(t *testing.T) {
	t.Parallel()
	build := func(_ context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		req.Log.Debug("secret detail")
		req.Log.Warn("careful")
		return sdk.BuildResult{}, nil
	}
	t.Run("plain", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		exit, log := newWorld(t, "0.12", "").run("build", nil, build)
		g.Expect(exit.Code).To(Equal(0))
		g.Expect(log).To(Equal("Test BP 1.2.3\n  WARNING: careful\n"))
	})
	t.Run("debug from platform env", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		w := newWorld(t, "0.12", "")
		write(t, filepath.Join(w.platform, "env", "BP_LOG_LEVEL"), "DEBUG")
		_, log := w.run("build", nil, build)
		g.Expect(log).To(ContainSubstring("    [debug] secret detail\n"))
	})
	t.Run("colour", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		w := newWorld(t, "0.12", "")
		var out bytes.Buffer
		sdk.Run(context.Background(), sdk.Invocation{Phase: "build", Env: w.env, AppDir: w.app, Stdout: &out, Color: true}, nil, build)
		g.Expect(out.String()).To(Equal("\x1b[1m\x1b[34mTest BP\x1b[0m 1.2.3\n  \x1b[33mWARNING: careful\x1b[0m\n"))
	})
}

func TestRunPlanFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, plan, err string
		entries         []sdk.Require
	}{
		{"entries", "[[entries]]\nname = \"a\"\n[entries.metadata]\nversion = \"1\"\n[[entries]]\nname = \"b\"\n", "",
			[]sdk.Require{sdk.NewRequire("a", versionRequire{Version: "1"}), {Name: "b"}}},
		{"empty", "", "", []sdk.Require{}},
		{"unknown key", "[[entries]]\nname = \"a\"\nversion = \"1\"\n", "bp-plan.toml has keys the specification does not define: entries.version", nil},
		{"not toml", "[[entries]\n", "decoding the buildpack plan", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			w := newWorld(t, "0.12", "")
			write(t, w.bpPlan, tt.plan)
			var got sdk.Plan
			exit, log := w.run("build", nil, func(_ context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
				got = req.Plan
				return sdk.BuildResult{}, nil
			})
			if tt.err != "" {
				g.Expect(exit.Err).To(MatchError(ContainSubstring(tt.err)), log)
				return
			}
			g.Expect(exit.Code).To(Equal(0), log)
			g.Expect(got.Entries).To(Equal(tt.entries))
		})
	}
	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, "0.12", "")
		os.Remove(w.bpPlan)
		exit, _ := w.run("build", nil, nil)
		NewWithT(t).Expect(exit.Err).To(MatchError(ContainSubstring("reading the buildpack plan")))
	})
}

func TestRunWarnsAboutMisspelledConfiguration(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	w := newWorld(t, "0.12", "[[metadata.configurations]]\nname = \"BP_STYLE\"\ndefault = \"plain\"\n")
	write(t, filepath.Join(w.platform, "env", "BP_STYEL"), "banner")
	type config struct {
		Style string `env:"BP_STYLE"`
	}
	var out bytes.Buffer
	var style string
	exit := sdk.Run(context.Background(), sdk.Invocation{Phase: "build", Env: w.env, AppDir: w.app, Stdout: &out}, nil,
		func(_ context.Context, req sdk.BuildRequest[sdk.None, config]) (sdk.BuildResult, error) {
			style = req.Config.Style
			return sdk.BuildResult{}, nil
		})
	g.Expect(exit.Code).To(Equal(0))
	g.Expect(style).To(Equal("plain"))
	g.Expect(out.String()).To(Equal("Test BP 1.2.3\n  WARNING: BP_STYEL is set but this buildpack does not read it; did you mean BP_STYLE?\n"))
}
