package python

import (
	"context"
	"io/fs"
	"path"
	"strings"

	"github.com/cnbkit/cnbkit/sdk"
)

// Config is the buildpack's configuration; every field is declared in buildpack.toml
// [[metadata.configurations]].
type Config struct {
	// CPythonVersion is the CPython version request (BP_CPYTHON_VERSION).
	CPythonVersion string `env:"BP_CPYTHON_VERSION"`
	// Requirements are the requirements files to install, in order (BP_PIP_REQUIREMENTS).
	Requirements []string `env:"BP_PIP_REQUIREMENTS"`
	// WheelDir is a folder of vendored wheels installed with no index (BP_PIP_WHEEL_DIR).
	WheelDir string `env:"BP_PIP_WHEEL_DIR"`
	// Entrypoint is the shell command of the web process (BP_PYTHON_ENTRYPOINT).
	Entrypoint string `env:"BP_PYTHON_ENTRYPOINT"`
	// Compile turns on deterministic bytecode compilation of the environment (BP_PYTHON_COMPILE).
	Compile bool `env:"BP_PYTHON_COMPILE"`
	// DjangoCollectStatic runs manage.py collectstatic at build time in Django projects
	// (BP_PYTHON_DJANGO_COLLECTSTATIC).
	DjangoCollectStatic bool `env:"BP_PYTHON_DJANGO_COLLECTSTATIC"`
	// FunctionTarget is the function functions-framework serves (BP_PYTHON_FUNCTION_TARGET;
	// GOOGLE_FUNCTION_TARGET is read too).
	FunctionTarget string `env:"BP_PYTHON_FUNCTION_TARGET"`
}

// Plan entry names this buildpack provides and requires. Another buildpack can require
// "cpython" (with metadata version = "3.12" and build = true) to get Python for its own build.
const (
	PlanCPython  = "cpython"
	PlanPackages = "python-packages"
)

// PlanMetadata is the metadata of the "cpython" and "python-packages" plan entries: what this
// buildpack requires, and what another buildpack may ask for when it requires "cpython" (a
// version, with the version-source it came from). Build decodes every entry into it; any other
// key fails the build with an error naming it.
type PlanMetadata struct {
	Version       string `toml:"version,omitempty"`
	VersionSource string `toml:"version-source,omitempty"`
	Build         bool   `toml:"build,omitempty"`
	Launch        bool   `toml:"launch,omitempty"`
}

// signals are the files that show an app is a Python app.
var signals = []string{
	"requirements.txt", "pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "Pipfile.lock",
	"uv.lock", "poetry.lock", ".python-version", "runtime.txt", "app.py", "main.py", "manage.py",
}

// Detect passes for anything that looks like Python: a dependency or version file or a .py
// file at the top of the app (or BP_CPYTHON_VERSION set). What is missing or contradictory is
// reported by Build as a titled error, not by failing detection silently.
func Detect(_ context.Context, req sdk.DetectRequest[sdk.None, Config]) (sdk.DetectResult, error) {
	found := findSignal(req.App)
	if found == "" && req.Config.CPythonVersion != "" {
		found = "BP_CPYTHON_VERSION"
	}
	if found == "" {
		return sdk.Fail("no Python files: none of %s, and no *.py file at the top of the app", strings.Join(signals, ", ")), nil
	}
	req.Log.Debug("Python app: found %s", found)
	return sdk.Pass(sdk.BuildPlan{
		Provides: []sdk.Provide{{Name: PlanCPython}, {Name: PlanPackages}},
		Requires: []sdk.Require{
			// This buildpack's own builds use CPython too, but a plan entry's build flag is
			// for later buildpacks: with it the layer would be restored on every build.
			sdk.NewRequire(PlanCPython, PlanMetadata{Launch: true}),
			sdk.NewRequire(PlanPackages, PlanMetadata{Launch: true}),
		},
	}), nil
}

func findSignal(app fs.FS) string {
	for _, s := range signals {
		if st, err := fs.Stat(app, s); err == nil && !st.IsDir() {
			return s
		}
	}
	py, _ := fs.Glob(app, "*.py")
	if len(py) > 0 {
		return path.Base(py[0])
	}
	return ""
}
