package python

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/cnbkit/cnbkit/buildpacks/python/internal/pyversion"
	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/dependency"
)

// cpythonInstall is the CPython the build uses.
type cpythonInstall struct {
	Version string
	SHA256  string
	Python  string // <layer>/bin/python3

	layer *sdk.Layer[dependency.LayerMetadata]
	dep   dependency.Dependency
}

// cpythonOptions install CPython without keeping its artifact for later builds: a build that
// rebuilds the virtual environment gets CPython's files back from the buildpack's bundle
// (cnbkit package --include-dependencies) or by fetching the artifact again (mirror, mapping
// or uri; sha256 checked). Keeping it in a cache layer (KeepArtifact) would save that fetch
// on a requirements change, but the lifecycle restores and caches that layer on every build:
// with a 15 MB CPython it made an unchanged rebuild about 0.1 s slower, half the lifecycle's
// own floor (docs/buildpacks/python.md has the numbers).
var cpythonOptions = dependency.InstallOptions{}

// files makes sure the CPython layer has its files: a layer reused without them (it is needed
// at launch only) is refilled with the same artifact.
func (c cpythonInstall) files(ctx context.Context, req sdk.BuildRequest[sdk.None, Config]) error {
	_, err := dependency.Refill(ctx, req, c.layer, c.dep, cpythonOptions)
	return err
}

// chooseCPython resolves the version request against the inventory for the build target.
func chooseCPython(req sdk.BuildRequest[sdk.None, Config]) (dependency.Dependency, error) {
	log := req.Log
	reqs, ignored, err := pyversion.Read(req.App, req.Config.CPythonVersion)
	if err != nil {
		return dependency.Dependency{}, err
	}
	for _, fe := range ignored {
		log.Warn("%s is ignored because BP_CPYTHON_VERSION is set: %q %s", fe.Source, fe.Value, fe.Reason)
	}
	if len(reqs) == 0 {
		// Nothing in the app: another buildpack may have asked for a version in the plan.
		merged, ok, err := sdk.Entries[PlanMetadata](req.Plan, PlanCPython)
		if err != nil {
			return dependency.Dependency{}, fmt.Errorf("reading the %s plan entries: %w", PlanCPython, err)
		}
		if vr, found := merged.Version(); ok && found {
			src := vr.Source
			if src == "" {
				src = "the build plan"
			}
			r, err := pyversion.ParseSpecifier(vr.Version)
			if err != nil {
				return dependency.Dependency{}, &pyversion.FileError{Source: pyversion.Source(src), Value: vr.Version, Reason: "is not a version: use a version like 3.12"}
			}
			reqs = append(reqs, pyversion.Request{Source: pyversion.Source(src), Raw: vr.Version, Spec: r})
		}
	}
	inv, err := dependency.Load(req.Buildpack.Dir)
	if err != nil {
		return dependency.Dependency{}, fmt.Errorf("reading the buildpack's CPython inventory: %w", err)
	}
	target := req.Target.Spec()
	var available []pyversion.Version
	for _, s := range inv.Versions("cpython", target) {
		if v, err := pyversion.ParseVersion(s); err == nil {
			available = append(available, v)
		}
	}
	choice, err := pyversion.Choose(reqs, available)
	if err != nil {
		return dependency.Dependency{}, err
	}
	switch {
	case choice.Request.Source == pyversion.SourceDefault:
		log.Detail("Using CPython %s, the newest this buildpack provides (the default: no version source asks for a version)", choice.Version)
		log.Detail("To pin it: write %s into .python-version, or set BP_CPYTHON_VERSION", choice.Version.Minor())
	case choice.Request.Spec.IsRange():
		log.Detail("Using CPython %s, as %s asks (%s, a constraint: the newest release it allows)", choice.Version, choice.Request.Source, choice.Request.Raw)
	default:
		log.Detail("Using CPython %s, as %s asks (%s)", choice.Version, choice.Request.Source, choice.Request.Raw)
	}
	if choice.Request.Source == pyversion.SourceRuntimeTxt {
		log.Warn("runtime.txt is accepted but outdated: replace it with a .python-version file containing %s", choice.Version.Minor())
	}
	for _, o := range choice.Overridden {
		log.Warn("%s asks for %s, which is ignored because %s (higher priority) asks for %s: make them agree", o.Source, o.Raw, choice.Request.Source, choice.Request.Raw)
	}
	dep, err := inv.Resolve("cpython", choice.Version.String(), target)
	if err != nil {
		return dependency.Dependency{}, fmt.Errorf("resolving CPython %s: %w", choice.Version, err)
	}
	return dep, nil
}

// installCPython installs the chosen CPython into the layer "cpython", reused while version,
// checksum and target are unchanged, and sets the runtime environment. needs says who reads
// the layer (see layerNeeds): at launch only, an unchanged rebuild keeps it without its files.
func installCPython(ctx context.Context, req sdk.BuildRequest[sdk.None, Config], dep dependency.Dependency, needs sdk.Needs) (cpythonInstall, error) {
	// Reused while the checksum is unchanged (a different version or target is a different
	// artifact); deprecation warnings and the SBOM come with it.
	layer, _, err := dependency.Install(ctx, req, "cpython", needs, dep, cpythonOptions)
	if err != nil {
		return cpythonInstall{}, err
	}
	// Runtime hygiene: output is not buffered (logs appear at once), the read-only layers get
	// no bytecode written at run time, and the web process listens on 8080 unless told.
	layer.LaunchEnv().Default("PYTHONUNBUFFERED", "1")
	layer.LaunchEnv().Default("PYTHONDONTWRITEBYTECODE", "1")
	layer.LaunchEnv().Default("PORT", "8080")
	layer.BuildEnv().Default("PYTHONUNBUFFERED", "1")

	return cpythonInstall{Version: dep.Version, SHA256: dep.SHA256, Python: filepath.Join(layer.Path, "bin", "python3"),
		layer: layer, dep: dep}, nil
}
