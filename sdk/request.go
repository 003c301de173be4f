package sdk

import (
	"context"
	"io/fs"
	"runtime"
	"slices"
	"strings"

	"github.com/cnbkit/cnbkit/sdk/spec"
)

// DetectFunc decides whether the buildpack applies to the app. Return Pass or Fail as a value;
// an error means detection itself broke (exit code 1), whatever it wraps.
type DetectFunc[M, C any] func(ctx context.Context, req DetectRequest[M, C]) (DetectResult, error)

// BuildFunc contributes layers and launch configuration. Everything opened with OpenLayer is
// persisted when it returns without error.
type BuildFunc[M, C any] func(ctx context.Context, req BuildRequest[M, C]) (BuildResult, error)

// None is the type parameter for a buildpack without [metadata] or without configuration.
// With None as M, any [metadata] key other than the SDK-owned ones is reported as unknown.
type None struct{}

// DetectRequest is everything detect gets.
type DetectRequest[M, C any] struct {
	App       fs.FS  // the application source, rooted at AppDir
	AppDir    string // absolute path of the application source
	Platform  Platform
	Target    Target
	Buildpack Buildpack
	Metadata  M // buildpack.toml [metadata], decoded strictly
	Config    C // typed configuration
	// ExecEnv is CNB_EXEC_ENV (Buildpack API 0.12): "production", "test", "development" or
	// another name the platform chose. With API 0.12 it is never empty: an unset CNB_EXEC_ENV
	// is "production" (spec.DefaultExecEnv), as the spec requires. With an older API it is
	// empty: the lifecycle passes CNB_EXEC_ENV only to 0.12 buildpacks.
	//
	// One build produces an image for one execution environment, so environment-specific
	// layers and env files are written by testing ExecEnv in build; there are no exec-env
	// scoped env directories (see Layer.LaunchEnv).
	ExecEnv string
	Log     *Logger
}

// BuildRequest is everything build gets.
type BuildRequest[M, C any] struct {
	App       fs.FS
	AppDir    string
	Platform  Platform
	Target    Target
	Buildpack Buildpack
	Metadata  M
	Config    C
	ExecEnv   string // see DetectRequest.ExecEnv
	Log       *Logger
	Plan      Plan    // the buildpack plan entries this buildpack should satisfy
	Layers    *Layers // open layers with OpenLayer; all opened layers are persisted
	Store     Store   // store.toml metadata written by the previous build
}

// Platform is what the platform provides: its directory, the environment variables in
// <platform>/env, and service bindings.
type Platform struct {
	Dir      string
	Env      map[string]string // <platform>/env/<NAME> files
	Bindings Bindings
	// process is the process environment the buildpack runs with (from the lifecycle).
	process map[string]string
}

// Lookup returns a variable from the platform env files, falling back to the process
// environment the lifecycle gave the buildpack.
func (p Platform) Lookup(name string) (string, bool) {
	if v, ok := p.Env[name]; ok {
		return v, true
	}
	v, ok := p.process[name]
	return v, ok
}

// Environ is the environment for a child process the buildpack runs (pip, a compiler, ...):
// the process environment the lifecycle gave the buildpack, sorted, as KEY=value strings.
// Under sdk/cnbtest it is what the test case set, so a test sees what the child sees. The
// platform env files (Env) are not in it: the buildpack decides which of them to pass on.
// Buildpacks never read os.Environ themselves.
func (p Platform) Environ() []string {
	out := make([]string, 0, len(p.process))
	for k, v := range p.process {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// lookupSource is Lookup that also names where the value came from.
func (p Platform) lookupSource(name string) (string, string, bool) {
	if v, ok := p.Env[name]; ok {
		return v, "platform env", true
	}
	if v, ok := p.process[name]; ok {
		return v, "process env", true
	}
	return "", "", false
}

// Binding is a service binding (Kubernetes service binding spec, or a VCAP_SERVICES entry).
type Binding struct {
	Name     string
	Type     string
	Provider string
	Path     string            // directory of the binding; empty for VCAP_SERVICES bindings
	Secret   map[string]string // file name -> content
}

// Bindings is a list of service bindings.
type Bindings []Binding

// OfType returns the bindings whose type equals t, ignoring case.
func (b Bindings) OfType(t string) Bindings {
	var out Bindings
	for _, x := range b {
		if strings.EqualFold(x.Type, t) {
			out = append(out, x)
		}
	}
	return out
}

// Target is the build target, from the CNB_TARGET_* variables (Buildpack API 0.10+).
type Target struct {
	OS            string // CNB_TARGET_OS, e.g. linux
	Arch          string // CNB_TARGET_ARCH, e.g. amd64
	Variant       string // CNB_TARGET_ARCH_VARIANT, e.g. v8
	DistroName    string // CNB_TARGET_DISTRO_NAME, e.g. ubuntu
	DistroVersion string // CNB_TARGET_DISTRO_VERSION, e.g. 24.04
}

// Spec returns the target as spec data.
func (t Target) Spec() spec.Target {
	st := spec.Target{OS: t.OS, Arch: t.Arch, Variant: t.Variant}
	if t.DistroName != "" {
		st.Distros = []spec.Distro{{Name: t.DistroName, Version: t.DistroVersion}}
	}
	return st
}

// String renders the target as os/arch[/variant][:distro@version].
func (t Target) String() string { return t.Spec().String() }

// targetFromEnv reads CNB_TARGET_*; without CNB_TARGET_OS it falls back to the running
// program's GOOS/GOARCH, which is what a platform older than target support builds for.
func targetFromEnv(env map[string]string) (Target, bool) {
	t := Target{
		OS:            env["CNB_TARGET_OS"],
		Arch:          env["CNB_TARGET_ARCH"],
		Variant:       env["CNB_TARGET_ARCH_VARIANT"],
		DistroName:    env["CNB_TARGET_DISTRO_NAME"],
		DistroVersion: env["CNB_TARGET_DISTRO_VERSION"],
	}
	if t.OS == "" && t.Arch == "" {
		return Target{OS: runtime.GOOS, Arch: runtime.GOARCH}, false
	}
	return t, true
}

// Buildpack describes the running buildpack.
type Buildpack struct {
	ID      string
	Name    string
	Version string
	API     string
	Dir     string // CNB_BUILDPACK_DIR
	// Descriptor is buildpack.toml as parsed (targets, sbom-formats, configurations, ...). Its
	// [metadata] table is the file's raw form: read the request's Metadata, decoded strictly
	// into your type, instead.
	Descriptor spec.Buildpack
}
