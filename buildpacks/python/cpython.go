package python

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/cnbkit/cnbkit/buildpacks/python/internal/pyversion"
	"github.com/cnbkit/cnbkit/buildpacks/python/internal/sbom"
	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/dependency"
)

// cpythonInstall is the CPython the build uses.
type cpythonInstall struct {
	Version string
	SHA256  string
	Python  string // <layer>/bin/python3
}

// cpythonMetadata keys the CPython layer: it is reused while these are unchanged.
type cpythonMetadata struct {
	Version string `toml:"version"`
	SHA256  string `toml:"sha256"`
	Target  string `toml:"target"`
}

// chooseCPython resolves the version request against the inventory for the build target.
func chooseCPython(req sdk.BuildRequest[sdk.None, Config]) (dependency.Dependency, error) {
	log := req.Log
	reqs, err := pyversion.Read(req.App, req.Config.CPythonVersion)
	if err != nil {
		return dependency.Dependency{}, err
	}
	if len(reqs) == 0 {
		// Nothing in the app: another buildpack may have asked for a version in the plan.
		merged, ok, err := sdk.Entries[map[string]any](req.Plan, PlanCPython)
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
	switch choice.Request.Source {
	case pyversion.SourceDefault:
		log.Detail("Using CPython %s, the newest this buildpack provides (no version requested)", choice.Version)
		log.Detail("To pin it: write %s into .python-version, or set BP_CPYTHON_VERSION", choice.Version.Minor())
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
	if !dep.DeprecationDate.IsZero() {
		now := time.Now()
		switch {
		case now.After(dep.DeprecationDate):
			log.Warn("CPython %s reached its end of life on %s and gets no more security fixes: move to a newer version (e.g. %s)", choice.Version.Minor(), dep.DeprecationDate.Format(time.DateOnly), available[0].Minor())
		case now.Add(180 * 24 * time.Hour).After(dep.DeprecationDate):
			log.Warn("CPython %s reaches its end of life on %s: plan the move to a newer version", choice.Version.Minor(), dep.DeprecationDate.Format(time.DateOnly))
		}
	}
	return dep, nil
}

// installCPython installs the chosen CPython into the launch layer "cpython", reused while
// version, checksum and target are unchanged, and sets the runtime environment.
func installCPython(ctx context.Context, req sdk.BuildRequest[sdk.None, Config]) (cpythonInstall, error) {
	dep, err := chooseCPython(req)
	if err != nil {
		return cpythonInstall{}, err
	}
	want := cpythonMetadata{Version: dep.Version, SHA256: dep.SHA256, Target: req.Target.Spec().String()}
	layer, err := sdk.OpenLayer(req.Layers, "cpython", sdk.LayerTypes{Build: true, Launch: true, Cache: true}, want, nil)
	if err != nil {
		return cpythonInstall{}, fmt.Errorf("opening the CPython layer: %w", err)
	}
	if layer.Status.Restored && layer.HasContents() {
		req.Log.Detail("Reusing CPython %s (version, checksum and target unchanged)", dep.Version)
	} else {
		done := req.Log.Timed(fmt.Sprintf("Installing CPython %s", dep.Version))
		if err := fetchAndExtract(ctx, req, dep, layer.Path); err != nil {
			return cpythonInstall{}, err
		}
		done()
	}
	// Runtime hygiene: output is not buffered (logs appear at once), the read-only layers get
	// no bytecode written at run time, and the web process listens on 8080 unless told.
	layer.LaunchEnv().Default("PYTHONUNBUFFERED", "1")
	layer.LaunchEnv().Default("PYTHONDONTWRITEBYTECODE", "1")
	layer.LaunchEnv().Default("PORT", "8080")
	layer.BuildEnv().Default("PYTHONUNBUFFERED", "1")

	comp := sbom.Component{Name: dep.DisplayName(), Version: dep.Version, PURL: dep.PURL, CPEs: dep.CPEs, SHA256: dep.SHA256}
	if len(dep.Licenses) > 0 {
		comp.License = dep.Licenses[0].Type
	}
	if err := writeSBOMs(layer.WriteSBOM, "cpython", []sbom.Component{comp}); err != nil {
		return cpythonInstall{}, err
	}
	return cpythonInstall{Version: dep.Version, SHA256: dep.SHA256, Python: filepath.Join(layer.Path, "bin", "python3")}, nil
}
