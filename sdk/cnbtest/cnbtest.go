package cnbtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/cnbkit/cnbkit/internal/fstree"
	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/internal/table"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// Options describe one detect or build run. The zero value is an empty app, the target
// linux/amd64, no platform env and a minimal buildpack.toml (api 0.12).
type Options struct {
	// App is the application source, e.g. an fstest.MapFS. It is copied into a temporary
	// directory.
	App fs.FS
	// AppDir is a folder (e.g. "testdata/app") copied as the application when App is nil.
	AppDir string
	// BuildpackDir is the folder holding buildpack.toml (e.g. ".."), used as is.
	BuildpackDir string
	// Descriptor is the content of buildpack.toml when BuildpackDir is empty.
	Descriptor []byte
	// Env is the platform environment (<platform>/env files), e.g. BP_* variables.
	Env map[string]string
	// ProcessEnv is extra process environment, as the lifecycle would pass it: what
	// sdk.Platform.Environ hands to child processes and Lookup falls back to. Platform env wins
	// over it in Lookup. PATH, when not set here, is the test's own PATH, as a build image
	// gives the buildpack one.
	ProcessEnv map[string]string
	// Bindings are written to <platform>/bindings/<name>/ (type, provider and secret files).
	Bindings []sdk.Binding
	// Target is the build target (CNB_TARGET_*); zero means linux/amd64.
	Target sdk.Target
	// ExecEnv is CNB_EXEC_ENV ("production", "test", ...). Empty leaves it unset, which a
	// Buildpack API 0.12 buildpack sees as "production"; older APIs never see it.
	ExecEnv string
	// Plan is the buildpack plan given to build: the requires of the detects that chose the
	// buildpack, e.g. DetectOutcome.BuildpackPlan of this buildpack's detect, or
	// sdk.Plan{Entries: []sdk.Require{sdk.NewRequire("python", OtherBuildpacksRequest{...})}}
	// for what another buildpack asks for. It is written as the lifecycle writes the file.
	Plan sdk.Plan
	// Layers is a previous build's LayersDir. It is copied and then treated as the lifecycle's
	// analyzer and restorer would: cache=true layers come back with contents (sdk.Needs Build
	// or EveryBuild), launch=true cache=false build=false layers with their metadata only and
	// no directory (sdk.Needs{Launch: true}: HasContents is false), other layers, launch.toml
	// and build.toml are gone, store.toml stays; the SBOM files of launch and cache layers come
	// back. Every restored number is a float, as after the lifecycle's JSON round trip. The
	// previous outcome is left untouched.
	Layers string
}

// DetectOutcome is the result of Detect.
type DetectOutcome struct {
	Pass     bool
	ExitCode int    // 0, 100 or 1
	Reason   string // the fail reason
	Err      error  // the error when ExitCode is 1
	// Plans are the build plans read back from the file, primary first then the [[or]]
	// alternatives. Decode a require's metadata with sdk.RequireMetadata, or the plan with
	// sdk.Entries as build would: sdk.Entries[T](out.BuildpackPlan(), name).
	Plans []sdk.BuildPlan
	Log   string
}

// BuildpackPlan is the plan a build gets when this buildpack alone satisfies its primary
// plan's requires: pass it as Options.Plan.
func (d DetectOutcome) BuildpackPlan() sdk.Plan {
	if len(d.Plans) == 0 {
		return sdk.Plan{}
	}
	return sdk.Plan{Entries: append([]sdk.Require(nil), d.Plans[0].Requires...)}
}

// BuildOutcome is the result of Build.
type BuildOutcome struct {
	Err       error
	ExitCode  int
	Log       string
	LayersDir string // pass as Options.Layers for a second build
	AppDir    string // the application directory after build
	// Layers are the layers written; decode one's metadata with LayerMetadata.
	Layers map[string]LayerOutcome
	// Processes, Labels and Slices are launch.toml's, Unmet is build.toml's [[unmet]]: what the
	// BuildResult said, as the lifecycle reads it back.
	Processes []sdk.Process
	Labels    []sdk.Label
	Slices    []sdk.Slice
	Unmet     []string
	// Store is store.toml after the build: decode it with sdk.StoreMetadata.
	Store sdk.Store
}

// LayerOutcome is one layer as written.
type LayerOutcome struct {
	Name, Path string
	Types      sdk.LayerTypes
	ExecD      []string // names in exec.d
	SBOM       []string // file names of <layers>/<name>.sbom.*
	Status     string   // sdk.LayerStatus.String(), e.g. "reused: previous layer kept"
	// HasContents is false for a launch-only layer kept without its directory.
	HasContents bool

	metadata map[string]any
	env      map[string]Env // by directory: "env", "env.build", "env.launch", "env.launch/<process>"
	status   sdk.LayerStatus
}

// Reason returns the typed reason OpenLayer gave.
func (l LayerOutcome) Reason() sdk.Reason { return l.status.Reason }

// Restored reports whether the previous layer was kept.
func (l LayerOutcome) Restored() bool { return l.status.Restored }

// SharedEnv is what the layer sets for both build and launch (<layer>/env), as written with
// sdk.Layer.SharedEnv.
func (l LayerOutcome) SharedEnv() Env { return l.env["env"] }

// BuildEnv is what the layer sets for later buildpacks' build (<layer>/env.build).
func (l LayerOutcome) BuildEnv() Env { return l.env["env.build"] }

// LaunchEnv is what the layer sets for every process of the app (<layer>/env.launch).
func (l LayerOutcome) LaunchEnv() Env { return l.env["env.launch"] }

// ProcessEnv is what the layer sets for one process type (<layer>/env.launch/<process>).
func (l LayerOutcome) ProcessEnv(process string) Env { return l.env["env.launch/"+process] }

// Env is the environment one scope of a layer sets, by variable name. Reading a variable the
// layer does not set gives the zero EnvVar.
type Env map[string]EnvVar

// EnvVar is what a layer does to one environment variable, read back from the files the
// lifecycle reads (NAME.override, NAME.default, NAME.prepend, NAME.append, NAME.delim): the
// values given to sdk.Env's Override, Default, Prepend and Append, and the delimiter.
type EnvVar struct {
	Override, Default, Prepend, Append string
	Delim                              string
}

// LayerMetadata decodes the metadata of the layer name into T strictly, as sdk.OpenLayer
// decodes a previous layer's: a key T has no field for is an *sdk.DecodeError. A missing layer is
// an error listing the layers the build has.
func LayerMetadata[T any](out BuildOutcome, name string) (T, error) {
	var zero T
	l, ok := out.Layers[name]
	if !ok {
		return zero, fmt.Errorf("cnbtest: no layer %q: the build has %s%s", name, layerNames(out), errSuffix(out))
	}
	v, unknown, err := table.Decode[T](l.metadata, nil)
	if err != nil {
		return zero, &sdk.DecodeError{File: name + ".toml", Table: "[metadata]", Type: reflect.TypeFor[T]().String(), Err: err}
	}
	if len(unknown) > 0 {
		return zero, &sdk.DecodeError{File: name + ".toml", Table: "[metadata]", Type: reflect.TypeFor[T]().String(), Keys: unknown}
	}
	return v, nil
}

// fixedClock makes durations in logs reproducible.
func fixedClock() time.Time { return time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC) }

// Detect runs detect in-process.
func Detect[M, C any](t testing.TB, detect sdk.DetectFunc[M, C], opts Options) DetectOutcome {
	t.Helper()
	root := t.TempDir()
	env := setup(t, root, opts)
	planPath := filepath.Join(root, "plan.toml")
	env["CNB_BUILD_PLAN_PATH"] = planPath
	var log bytes.Buffer
	exit := sdk.Run(context.Background(), sdk.Invocation{
		Phase: "detect", Env: env, AppDir: filepath.Join(root, "app"), Stdout: &log, Stderr: &log,
	}, detect, nil, sdk.WithClock(fixedClock))
	out := DetectOutcome{Pass: exit.Code == sdk.ExitPass, ExitCode: exit.Code, Reason: exit.FailReason, Err: exit.Err, Log: log.String()}
	if out.Pass {
		var plan spec.BuildPlan
		if data, err := os.ReadFile(planPath); err == nil {
			decodeStrict(t, planPath, data, &plan)
		} else if !os.IsNotExist(err) {
			t.Fatalf("cnbtest: reading the build plan: %v", err)
		}
		out.Plans = append(out.Plans, sdkPlan(plan.Provides, plan.Requires))
		for _, alt := range plan.Or {
			out.Plans = append(out.Plans, sdkPlan(alt.Provides, alt.Requires))
		}
	}
	return out
}

// sdkPlan turns one plan of the file into the SDK's type.
func sdkPlan(provides []spec.Provide, requires []spec.Require) sdk.BuildPlan {
	var p sdk.BuildPlan
	for _, pr := range provides {
		p.Provides = append(p.Provides, sdk.Provide{Name: pr.Name})
	}
	for _, r := range requires {
		p.Requires = append(p.Requires, sdk.NewRequire(r.Name, r.Metadata))
	}
	return p
}

// Build runs build in-process.
func Build[M, C any](t testing.TB, build sdk.BuildFunc[M, C], opts Options) BuildOutcome {
	t.Helper()
	root := t.TempDir()
	env := setup(t, root, opts)
	layersDir := filepath.Join(root, "layers")
	if opts.Layers != "" {
		if err := fstree.Copy(t.Context(), opts.Layers, layersDir, fstree.Options{}); err != nil {
			t.Fatalf("cnbtest: copying previous layers %s: %v", opts.Layers, err)
		}
		if err := restoreLayers(layersDir); err != nil {
			t.Fatalf("cnbtest: restoring previous layers: %v", err)
		}
	} else if err := os.MkdirAll(layersDir, 0o755); err != nil {
		t.Fatalf("cnbtest: %v", err)
	}
	planPath := filepath.Join(root, "bp-plan.toml")
	var plan spec.BuildpackPlan
	for _, e := range opts.Plan.Entries {
		md, err := sdk.RequireMetadata[map[string]any](e)
		if err != nil {
			t.Fatalf("cnbtest: Options.Plan: %v", err)
		}
		plan.Entries = append(plan.Entries, spec.PlanEntry{Name: e.Name, Metadata: md})
	}
	writeTOML(t, planPath, plan)
	env["CNB_LAYERS_DIR"] = layersDir
	env["CNB_BP_PLAN_PATH"] = planPath
	var log bytes.Buffer
	exit := sdk.Run(context.Background(), sdk.Invocation{
		Phase: "build", Env: env, AppDir: filepath.Join(root, "app"), Stdout: &log, Stderr: &log,
	}, nil, build, sdk.WithClock(fixedClock))
	out := BuildOutcome{Err: exit.Err, ExitCode: exit.Code, Log: log.String(), LayersDir: layersDir,
		AppDir: filepath.Join(root, "app"), Layers: map[string]LayerOutcome{}}
	if exit.Code != sdk.ExitPass {
		return out
	}
	out.Layers = readLayers(t, layersDir, exit.Layers)
	if data, err := os.ReadFile(filepath.Join(layersDir, "launch.toml")); err == nil {
		var launch spec.LaunchTOML
		decodeStrict(t, "launch.toml", data, &launch)
		for _, p := range launch.Processes {
			out.Processes = append(out.Processes, sdk.Process{Type: p.Type, Command: p.Command, Args: p.Args,
				Default: p.Default, WorkingDir: p.WorkingDir, ExecEnv: p.ExecEnv})
		}
		for _, l := range launch.Labels {
			out.Labels = append(out.Labels, sdk.Label{Key: l.Key, Value: l.Value})
		}
		for _, s := range launch.Slices {
			out.Slices = append(out.Slices, sdk.Slice{Paths: s.Paths})
		}
	}
	if data, err := os.ReadFile(filepath.Join(layersDir, "build.toml")); err == nil {
		var build spec.BuildTOML
		decodeStrict(t, "build.toml", data, &build)
		for _, u := range build.Unmet {
			out.Unmet = append(out.Unmet, u.Name)
		}
	}
	if data, err := os.ReadFile(filepath.Join(layersDir, "store.toml")); err == nil {
		var st spec.StoreTOML
		decodeStrict(t, "store.toml", data, &st)
		out.Store = sdk.NewStore(st.Metadata)
	}
	return out
}

// setup creates app, buildpack and platform directories under root and returns the env.
func setup(t testing.TB, root string, opts Options) map[string]string {
	t.Helper()
	appDir := filepath.Join(root, "app")
	switch {
	case opts.App != nil:
		if err := os.CopyFS(appDir, opts.App); err != nil {
			t.Fatalf("cnbtest: copying the app: %v", err)
		}
	case opts.AppDir != "":
		if err := fstree.Copy(t.Context(), opts.AppDir, appDir, fstree.Options{}); err != nil {
			t.Fatalf("cnbtest: copying the app %s: %v", opts.AppDir, err)
		}
	default:
		if err := os.MkdirAll(appDir, 0o755); err != nil {
			t.Fatalf("cnbtest: %v", err)
		}
	}
	bpDir := opts.BuildpackDir
	if bpDir == "" {
		bpDir = filepath.Join(root, "buildpack")
		desc := opts.Descriptor
		if desc == nil {
			desc = []byte("api = \"0.12\"\n\n[buildpack]\nid = \"cnbtest/buildpack\"\nversion = \"0.0.0\"\n")
		}
		if err := os.MkdirAll(bpDir, 0o755); err != nil {
			t.Fatalf("cnbtest: %v", err)
		}
		if err := os.WriteFile(filepath.Join(bpDir, spec.BuildpackFile), desc, 0o644); err != nil {
			t.Fatalf("cnbtest: %v", err)
		}
	} else if abs, err := filepath.Abs(bpDir); err == nil {
		bpDir = abs
	}
	platformDir := filepath.Join(root, "platform")
	if err := os.MkdirAll(filepath.Join(platformDir, "env"), 0o755); err != nil {
		t.Fatalf("cnbtest: %v", err)
	}
	for k, v := range opts.Env {
		if err := os.WriteFile(filepath.Join(platformDir, "env", k), []byte(v), 0o644); err != nil {
			t.Fatalf("cnbtest: writing platform env %s: %v", k, err)
		}
	}
	for _, b := range opts.Bindings {
		dir := filepath.Join(platformDir, "bindings", b.Name)
		if b.Name == "" || strings.ContainsAny(b.Name, `/\`) {
			t.Fatalf("cnbtest: binding name %q: use a plain name", b.Name)
		}
		files := map[string]string{"type": b.Type}
		if b.Provider != "" {
			files["provider"] = b.Provider
		}
		for k, v := range b.Secret {
			files[k] = v
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("cnbtest: %v", err)
		}
		for k, v := range files {
			if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644); err != nil {
				t.Fatalf("cnbtest: writing binding %s: %v", b.Name, err)
			}
		}
	}
	target := opts.Target
	if target.OS == "" && target.Arch == "" {
		target.OS, target.Arch = "linux", "amd64"
	}
	env := map[string]string{}
	if path, ok := os.LookupEnv("PATH"); ok {
		env["PATH"] = path
	}
	for k, v := range opts.ProcessEnv {
		env[k] = v
	}
	env["CNB_BUILDPACK_DIR"] = bpDir
	env["CNB_PLATFORM_DIR"] = platformDir
	env["CNB_TARGET_OS"] = target.OS
	env["CNB_TARGET_ARCH"] = target.Arch
	for k, v := range map[string]string{
		"CNB_TARGET_ARCH_VARIANT":   target.Variant,
		"CNB_TARGET_DISTRO_NAME":    target.DistroName,
		"CNB_TARGET_DISTRO_VERSION": target.DistroVersion,
		"CNB_EXEC_ENV":              opts.ExecEnv,
	} {
		if v != "" {
			env[k] = v
		}
	}
	return env
}

// readLayers reads every layer of dir as the exporter would see it.
func readLayers(t testing.TB, dir string, statuses map[string]sdk.LayerStatus) map[string]LayerOutcome {
	t.Helper()
	out := map[string]LayerOutcome{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("cnbtest: reading layers: %v", err)
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".toml")
		if !ok || e.IsDir() || name == "launch" || name == "build" || name == "store" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatalf("cnbtest: %v", err)
		}
		var lt spec.LayerTOML
		decodeStrict(t, e.Name(), data, &lt)
		st := statuses[name]
		lo := LayerOutcome{Name: name, Path: filepath.Join(dir, name),
			Types:    sdk.LayerTypes{Build: lt.Types.Build, Launch: lt.Types.Launch, Cache: lt.Types.Cache},
			metadata: lt.Metadata, Status: st.String(), status: st}
		if fi, err := os.Stat(lo.Path); err == nil && fi.IsDir() {
			lo.HasContents = true
		}
		lo.env = readEnv(t, lo.Path)
		if des, err := os.ReadDir(filepath.Join(lo.Path, "exec.d")); err == nil {
			for _, d := range des {
				lo.ExecD = append(lo.ExecD, d.Name())
			}
		}
		sboms, _ := filepath.Glob(filepath.Join(dir, name+".sbom.*"))
		for _, s := range sboms {
			lo.SBOM = append(lo.SBOM, filepath.Base(s))
		}
		sort.Strings(lo.SBOM)
		out[name] = lo
	}
	return out
}

// readEnv reads the env directories of the layer at path, by scope ("env", "env.build",
// "env.launch", "env.launch/<process>"). A file the lifecycle would not read fails the test.
func readEnv(t testing.TB, path string) map[string]Env {
	t.Helper()
	out := map[string]Env{}
	var readDir func(scope string, processes bool)
	readDir = func(scope string, processes bool) {
		entries, err := os.ReadDir(filepath.Join(path, filepath.FromSlash(scope)))
		if err != nil {
			if !os.IsNotExist(err) {
				t.Fatalf("cnbtest: reading %s: %v", scope, err)
			}
			return
		}
		for _, e := range entries {
			if e.IsDir() {
				if !processes {
					t.Errorf("cnbtest: %s/%s: the lifecycle reads process folders only in env.launch", scope, e.Name())
					continue
				}
				readDir(scope+"/"+e.Name(), false)
				continue
			}
			data, err := os.ReadFile(filepath.Join(path, filepath.FromSlash(scope), e.Name()))
			if err != nil {
				t.Fatalf("cnbtest: %v", err)
			}
			name, action, _ := strings.Cut(e.Name(), ".") // as the lifecycle reads it: the name ends at the first dot
			env := out[scope]
			if env == nil {
				env = Env{}
				out[scope] = env
			}
			v := env[name]
			switch action {
			case "", "override":
				v.Override = string(data)
			case "default":
				v.Default = string(data)
			case "prepend":
				v.Prepend = string(data)
			case "append":
				v.Append = string(data)
			case "delim":
				v.Delim = string(data)
			default:
				t.Errorf("cnbtest: %s/%s: the lifecycle reads NAME, NAME.override, .default, .prepend, .append and .delim only", scope, e.Name())
				continue
			}
			env[name] = v
		}
	}
	readDir("env", false)
	readDir("env.build", false)
	readDir("env.launch", true)
	return out
}

// restoreLayers leaves dir as the lifecycle's analyzer and restorer would before the next build.
func restoreLayers(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		if n == "launch.toml" || n == "build.toml" || strings.HasPrefix(n, "launch.sbom.") || strings.HasPrefix(n, "build.sbom.") {
			if err := os.RemoveAll(filepath.Join(dir, n)); err != nil {
				return err
			}
		}
	}
	entries, err = os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".toml")
		if !ok || e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var lt spec.LayerTOML
		if _, err := toml.Decode(string(data), &lt); err != nil {
			return fmt.Errorf("%s: %w", e.Name(), err)
		}
		// The lifecycle keeps layer and store metadata as JSON in the image label and writes it
		// back as TOML: every number returns as a float. Do the same so tests see what real
		// rebuilds see.
		if lt.Metadata, err = throughJSON(lt.Metadata); err != nil {
			return fmt.Errorf("%s: %w", e.Name(), err)
		}
		if name == "store" {
			if err := writeFile(path, spec.LayerTOML{Metadata: lt.Metadata}); err != nil {
				return err
			}
			continue
		}
		sboms, _ := filepath.Glob(filepath.Join(dir, name+".sbom.*"))
		remove := func(paths ...string) error {
			for _, p := range paths {
				if err := os.RemoveAll(p); err != nil {
					return err
				}
			}
			return nil
		}
		// SBOM files come back for launch layers (from the previous image's SBOM layer) and
		// cache layers (from the cache), whatever happens to the layer itself.
		if lt.Types.Launch || lt.Types.Cache {
			sboms = nil
		}
		// The restored <layer>.toml never carries types: the buildpack must set them again.
		metaOnly := spec.LayerTOML{Metadata: lt.Metadata}
		switch {
		case lt.Types.Cache:
			// Restored from the cache, file by file.
			if err := writeFile(path, metaOnly); err != nil {
				return err
			}
		case lt.Types.Launch && !lt.Types.Build:
			// Reused from the previous image by its metadata alone: no directory.
			if err := remove(append(sboms, filepath.Join(dir, name))...); err != nil {
				return err
			}
			if err := writeFile(path, metaOnly); err != nil {
				return err
			}
		default:
			// Build layers that are not cached, and layers with no types, are not restored.
			if err := remove(append(sboms, path, filepath.Join(dir, name))...); err != nil {
				return err
			}
		}
	}
	return nil
}

// throughJSON returns m as it comes back from a JSON round trip.
func throughJSON(m map[string]any) (map[string]any, error) {
	if len(m) == 0 {
		return m, nil
	}
	data, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding metadata as the lifecycle does: %w", err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("decoding metadata as the lifecycle does: %w", err)
	}
	return out, nil
}

// writeFile writes the restored layer metadata: only a [metadata] table (as the lifecycle does).
func writeFile(path string, lt spec.LayerTOML) error {
	var buf bytes.Buffer
	if len(lt.Metadata) > 0 {
		if err := toml.NewEncoder(&buf).Encode(struct {
			Metadata map[string]any `toml:"metadata"`
		}{lt.Metadata}); err != nil {
			return err
		}
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

func writeTOML(t testing.TB, path string, v any) {
	t.Helper()
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(v); err != nil {
		t.Fatalf("cnbtest: encoding %s: %v", filepath.Base(path), err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatalf("cnbtest: %v", err)
	}
}

// decodeStrict decodes data into v and fails the test on keys v has no field for: every file
// the SDK writes must use the specification's key names.
func decodeStrict(t testing.TB, name string, data []byte, v any) {
	t.Helper()
	md, err := toml.Decode(string(data), v)
	if err != nil {
		t.Errorf("cnbtest: %s is not valid: %v", name, err)
		return
	}
	var unknown []string
	for _, k := range md.Undecoded() {
		if underMetadata(k) {
			continue
		}
		unknown = append(unknown, k.String())
	}
	if len(unknown) > 0 {
		t.Errorf("cnbtest: %s has keys the specification does not define: %s\n%s", name, strings.Join(unknown, ", "), data)
	}
}

// underMetadata reports whether key lies inside a free-form metadata table: [metadata] of a
// layer or store file, or the metadata of a plan entry or requirement. The TOML decoder lists
// the keys of nested tables it decoded into a map[string]any as undecoded.
func underMetadata(key toml.Key) bool {
	for i, part := range key {
		if part != "metadata" || i == len(key)-1 {
			continue
		}
		switch {
		case i == 0:
			return true
		case i == 1 && (key[0] == "entries" || key[0] == "requires"):
			return true
		case i == 2 && key[0] == "or" && key[1] == "requires":
			return true
		}
	}
	return false
}
