package python

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cnbkit/cnbkit/buildpacks/python/internal/pip"
	"github.com/cnbkit/cnbkit/buildpacks/python/internal/sitepackages"
	"github.com/cnbkit/cnbkit/buildpacks/python/internal/startcmd"
	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/dependency"
)

// Build installs CPython, the app's dependencies and sets the start command. Failures the
// user can fix come back as *sdk.Error (see errors.go).
func Build(ctx context.Context, req sdk.BuildRequest[sdk.None, Config]) (sdk.BuildResult, error) {
	res, err := build(ctx, req)
	return res, userError(err)
}

func build(ctx context.Context, req sdk.BuildRequest[sdk.None, Config]) (sdk.BuildResult, error) {
	log := req.Log
	if bad := pip.Unsafe(req.Platform.Env); len(bad) > 0 {
		return sdk.BuildResult{}, unsafeEnvError(bad)
	}
	bindingEnv, err := pipBindings(req.Platform.Bindings)
	if err != nil {
		return sdk.BuildResult{}, err
	}
	pipEnv := pip.Environ(req.Platform.Environ(), req.Platform.Env, bindingEnv)
	// Read everything the app says before downloading anything, so that mistakes fail fast.
	plan, err := pip.NewPlan(req.App, pip.Settings{Requirements: req.Config.Requirements, WheelDir: req.Config.WheelDir, FindLinks: lookupEnv(pipEnv, "PIP_FIND_LINKS")})
	if err != nil {
		return sdk.BuildResult{}, err
	}

	cpythonNeeds, venvNeeds, err := layerNeeds(req)
	if err != nil {
		return sdk.BuildResult{}, err
	}

	done := log.Timed("CPython")
	dep, err := chooseCPython(req)
	if err != nil {
		return sdk.BuildResult{}, err
	}
	py, err := installCPython(ctx, req, dep, cpythonNeeds)
	if err != nil {
		return sdk.BuildResult{}, err
	}
	done()
	inst := pip.Installer{Python: py.Python, Env: pipEnv, Out: log.Writer()}

	var names []string
	done = log.Timed("Dependencies")
	for _, n := range plan.Notes {
		log.Detail("Note: %s", n)
	}
	venv := ""
	if plan.Mode == pip.ModeNone {
		log.Detail("No requirements.txt, pyproject.toml dependencies or setup.py: no packages to install")
	} else {
		names, venv, err = installDependencies(ctx, req, plan, py, inst, venvNeeds)
		if err != nil {
			return sdk.BuildResult{}, err
		}
	}
	done()
	installedNames := map[string]bool{}
	for _, n := range names {
		installedNames[n] = true
	}
	installed := func(n string) bool { return installedNames[n] }

	if venv != "" {
		if venvNeeds.EveryBuild {
			// collectstatic runs the app with the environment and CPython: both are cache
			// layers then, with their files (Refill does nothing).
			if err := py.files(ctx, req); err != nil {
				return sdk.BuildResult{}, err
			}
		}
		if err := collectStatic(ctx, req, inst, venv, installed); err != nil {
			return sdk.BuildResult{}, err
		}
	}

	done = log.Timed("Start command")
	defer done()
	target, targetSetting := req.Config.FunctionTarget, "BP_PYTHON_FUNCTION_TARGET"
	if google, ok := req.Platform.Lookup("GOOGLE_FUNCTION_TARGET"); ok && strings.TrimSpace(google) != "" {
		switch {
		case target == "":
			target, targetSetting = strings.TrimSpace(google), "GOOGLE_FUNCTION_TARGET"
		case strings.TrimSpace(google) != target:
			log.Warn("GOOGLE_FUNCTION_TARGET=%s is ignored because BP_PYTHON_FUNCTION_TARGET=%s is set: make them agree", google, target)
		}
	}
	choice, err := startcmd.Choose(startcmd.Input{App: req.App, Entrypoint: req.Config.Entrypoint, Installed: installed,
		FunctionTarget: target, FunctionSetting: targetSetting})
	if err != nil {
		return sdk.BuildResult{}, err
	}
	var procs []sdk.Process
	for _, p := range choice.Processes {
		procs = append(procs, sdk.Process{Type: p.Type, Command: p.Command(), Default: p.Default})
		log.Detail("%s: %s", p.Type, p.Script)
	}
	log.Detail("Chosen because: %s", choice.Reason)
	for _, n := range choice.Notes {
		log.Detail("Note: %s", n)
	}
	for _, w := range choice.Warnings {
		log.Warn("%s", w)
	}
	switch choice.Origin {
	case startcmd.OriginSetting:
		log.Detail("To change it: change or unset BP_PYTHON_ENTRYPOINT")
	case startcmd.OriginProcfile:
		log.Detail("To change it: edit the Procfile, or set BP_PYTHON_ENTRYPOINT (wins over the Procfile's web process)")
	case startcmd.OriginFunction:
		log.Detail("To change it: set BP_PYTHON_FUNCTION_TARGET to another function, add a Procfile line 'web: <command>' or set BP_PYTHON_ENTRYPOINT")
	default:
		log.Detail("To change it: add a Procfile line 'web: <command>' or set BP_PYTHON_ENTRYPOINT")
	}
	return sdk.BuildResult{Processes: procs}, nil
}

// lookupEnv returns the value of name in an environment list, "" when absent.
func lookupEnv(env []string, name string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

// pipBindings reads the bindings of type pip into environment variables for pip.
func pipBindings(bindings sdk.Bindings) (map[string]string, error) {
	env := map[string]string{}
	for _, b := range bindings.OfType(pip.BindingType) {
		e, err := pip.BindingEnv(b.Secret, b.Path)
		if err != nil {
			return nil, bindingError(b.Name, err)
		}
		for k, v := range e {
			if k == "PIP_EXTRA_INDEX_URL" && env[k] != "" {
				v = env[k] + " " + v
			}
			env[k] = v
		}
	}
	return env, nil
}

// layerNeeds says who reads the CPython and virtual environment layers. The app's processes
// do, at launch: an unchanged rebuild then keeps both by their metadata alone and restores
// none of their files. A later buildpack that requires cpython or python-packages with
// build = true reads them while it builds, and Django's collectstatic (an app with manage.py,
// BP_PYTHON_DJANGO_COLLECTSTATIC not false) runs the app's code with them on every build:
// then they are cache layers, restored by the lifecycle on every build.
func layerNeeds(req sdk.BuildRequest[sdk.None, Config]) (cpython, venv sdk.Needs, err error) {
	later := map[string]bool{}
	for _, name := range []string{PlanCPython, PlanPackages} {
		merged, ok, err := sdk.Entries[PlanMetadata](req.Plan, name)
		if err != nil {
			return sdk.Needs{}, sdk.Needs{}, fmt.Errorf("reading the %s plan entries: %w", name, err)
		}
		later[name] = ok && merged.Build
	}
	everyBuild := req.Config.DjangoCollectStatic && fileExists(filepath.Join(req.AppDir, "manage.py"))
	venv = sdk.Needs{Launch: true, Build: later[PlanPackages], EveryBuild: everyBuild}
	// The environment's interpreter is CPython's: whoever reads the environment reads CPython.
	cpython = sdk.Needs{Launch: true, Build: later[PlanCPython] || later[PlanPackages], EveryBuild: everyBuild}
	if venv.Build || venv.EveryBuild || cpython.Build {
		req.Log.Debug("CPython is read by %s; the virtual environment by %s", cpython, venv)
	}
	return cpython, venv, nil
}

// venvMetadata is what the environment layer depends on; any change rebuilds it from scratch.
type venvMetadata struct {
	Python       string `toml:"python"`
	PythonSHA256 string `toml:"python-sha256"`
	Target       string `toml:"target"`
	Mode         string `toml:"mode"`
	// Inputs are "<file>=<sha256>" for each file the install reads, sorted.
	Inputs   []string `toml:"inputs"`
	WheelDir string   `toml:"wheel-dir"`
	Compile  bool     `toml:"compile"`
	// Distributions are the normalized names of the distributions installed, sorted: what a
	// build that keeps the environment without its files (launch-only) knows of it.
	Distributions []string `toml:"distributions"`
}

func inputsOf(digests map[string]string) []string {
	out := make([]string, 0, len(digests))
	for n, d := range digests {
		out = append(out, n+"="+d)
	}
	slices.Sort(out)
	return out
}

func inputMap(in []string) map[string]string {
	m := make(map[string]string, len(in))
	for _, i := range in {
		if k := strings.LastIndexByte(i, '='); k >= 0 {
			m[i[:k]] = i[k+1:]
		}
	}
	return m
}

// rebuildReason compares the previous environment with the wanted one and says what changed,
// in words the user recognises; "" means nothing did.
func rebuildReason(prev, want venvMetadata) string {
	switch {
	case prev.Python != want.Python:
		return fmt.Sprintf("CPython changed from %s to %s", prev.Python, want.Python)
	case prev.Target != want.Target:
		return fmt.Sprintf("the target changed from %s to %s", prev.Target, want.Target)
	case prev.PythonSHA256 != want.PythonSHA256:
		return fmt.Sprintf("the CPython %s build changed (sha256 %.12s, was %.12s)", want.Python, want.PythonSHA256, prev.PythonSHA256)
	case prev.Mode != want.Mode:
		return fmt.Sprintf("the dependencies are now declared differently (%s, was %s)", want.Mode, prev.Mode)
	case prev.WheelDir != want.WheelDir:
		return fmt.Sprintf("the vendored wheel folder changed from %q to %q", prev.WheelDir, want.WheelDir)
	case prev.Compile != want.Compile:
		return fmt.Sprintf("BP_PYTHON_COMPILE changed to %t", want.Compile)
	}
	var changes []string
	prevInputs, wantInputs := inputMap(prev.Inputs), inputMap(want.Inputs)
	for name, sum := range wantInputs {
		old, ok := prevInputs[name]
		switch {
		case !ok:
			changes = append(changes, name+" added")
		case old != sum:
			changes = append(changes, name+" changed")
		}
	}
	for name := range prevInputs {
		if _, ok := wantInputs[name]; !ok {
			changes = append(changes, name+" removed")
		}
	}
	slices.Sort(changes)
	if len(changes) == 0 && prev.Distributions == nil {
		// A build that keeps the environment without its files needs the list.
		return "the previous environment does not list its distributions (an older buildpack made it)"
	}
	return strings.Join(changes, ", ")
}

// installDependencies installs the plan into the venv layer (or reuses it) and returns the
// normalized names of the distributions installed and the environment's path.
func installDependencies(ctx context.Context, req sdk.BuildRequest[sdk.None, Config], plan pip.Plan, py cpythonInstall, inst pip.Installer, needs sdk.Needs) ([]string, string, error) {
	log := req.Log
	target := req.Target.Spec().String()
	want := venvMetadata{Python: py.Version, PythonSHA256: py.SHA256, Target: target, Mode: string(plan.Mode),
		Inputs: inputsOf(plan.Digests), WheelDir: plan.WheelDir, Compile: req.Config.Compile}
	venv, err := sdk.OpenLayer(req.Layers, "venv", needs, want,
		func(prev venvMetadata) sdk.Decision {
			if r := rebuildReason(prev, want); r != "" {
				return sdk.Rebuild("%s", r)
			}
			return sdk.Keep()
		})
	if err != nil {
		return nil, "", fmt.Errorf("opening the environment layer: %w", err)
	}
	// pip's download and wheel cache, packed into one file: unpacked only when pip runs.
	cache, err := dependency.OpenStash(req.Layers, "pip-cache")
	if err != nil {
		return nil, "", fmt.Errorf("opening the pip cache: %w", err)
	}

	venv.SharedEnv().Override("VIRTUAL_ENV", venv.Path)
	if venv.Status.Restored {
		log.Detail("Reusing the virtual environment: %s, CPython and target unchanged", inputsText(plan))
		if !venv.HasContents() {
			// Kept by its metadata alone: the image's layer, with its SBOM, is reused as it is.
			log.Detail("%d distributions in the environment", len(venv.Metadata.Distributions))
			return venv.Metadata.Distributions, venv.Path, nil
		}
	} else {
		if venv.Status.Reason.Kind == sdk.ReasonNoPrevious {
			log.Detail("Installing with %s", plan.Describe())
		} else {
			log.Detail("Rebuilding the virtual environment from scratch (%s): %s", venv.Status.Reason.Detail, plan.Describe())
		}
		if err := pipInstall(ctx, req, plan, py, inst, venv.Path, cache); err != nil {
			return nil, "", err
		}
	}
	site, err := pip.SitePackages(venv.Path)
	if err != nil {
		return nil, "", err
	}
	dists, err := sitepackages.Read(site)
	if err != nil {
		return nil, "", err
	}
	log.Detail("%d distributions in the environment", len(dists))
	names := make([]string, 0, len(dists))
	for _, d := range dists {
		log.Debug("  %s %s", d.Name, d.Version)
		names = append(names, d.NormalizedName())
	}
	slices.Sort(names)
	venv.Metadata.Distributions = names
	if err := writeEnvironmentSBOM(venv, dists); err != nil {
		return nil, "", err
	}
	return names, venv.Path, nil
}

// pipInstall makes the environment at venv and installs the plan into it with the pip that
// comes with CPython, unpacked outside the image for this build, and pip's cache from the
// stash.
func pipInstall(ctx context.Context, req sdk.BuildRequest[sdk.None, Config], plan pip.Plan, py cpythonInstall, inst pip.Installer, venv string, cache *dependency.Stash) error {
	log := req.Log
	if err := py.files(ctx, req); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "cnbkit-pip-")
	if err != nil {
		return fmt.Errorf("making pip's work folder: %w", err)
	}
	defer os.RemoveAll(work)
	pipDir, cacheDir := filepath.Join(work, "pip"), filepath.Join(work, "cache")
	if err := os.Mkdir(cacheDir, 0o755); err != nil {
		return fmt.Errorf("making pip's cache folder: %w", err)
	}

	done := log.TimedDetail("Preparing pip (kept out of the image)")
	pipVersion, err := inst.PreparePip(ctx, pipDir)
	if err != nil {
		return err
	}
	done()
	done = log.TimedDetail("Unpacking pip's cache")
	warm, err := cache.Unpack(ctx, cacheDir)
	if err != nil {
		// A damaged cache costs downloads, not the build.
		log.Warn("pip's cache from the previous build could not be unpacked, pip starts without it: %v", err)
		if err := os.RemoveAll(cacheDir); err != nil {
			return fmt.Errorf("clearing pip's cache folder: %w", err)
		}
	}
	if warm {
		done()
	}

	done = log.TimedDetail(fmt.Sprintf("pip %s install", pipVersion))
	if err := inst.MakeVenv(ctx, venv); err != nil {
		return err
	}
	if err := inst.Install(ctx, pipDir, venv, req.AppDir, cacheDir, plan); err != nil {
		return newInstallError(req, plan, py, err)
	}
	done()
	if req.Config.Compile {
		done = log.TimedDetail("Compiling bytecode")
		if err := inst.Compile(ctx, venv); err != nil {
			return err
		}
		done()
	}
	done = log.TimedDetail("Packing pip's cache for the next change")
	if err := cache.Pack(ctx, cacheDir); err != nil {
		return err
	}
	done()
	return nil
}

func inputsText(plan pip.Plan) string {
	var names []string
	for n := range plan.Digests {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
