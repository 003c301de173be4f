package python

import (
	"cmp"
	"errors"
	"fmt"
	"strings"

	"github.com/cnbkit/cnbkit/buildpacks/python/internal/pip"
	"github.com/cnbkit/cnbkit/buildpacks/python/internal/pyversion"
	"github.com/cnbkit/cnbkit/buildpacks/python/internal/startcmd"
	"github.com/cnbkit/cnbkit/sdk"
)

// installError is a failed pip install together with what was being installed, so that the
// advice names the app's own files: the requirements file, the lock file and its tool, the
// wheel folder, the CPython version and target.
type installError struct {
	plan   pip.Plan
	python string // e.g. "3.12.14"
	target sdk.Target
	diag   pip.Diagnosis
	wheels []string // files of the wheel folder that belong to diag.Project
	cmd    *pip.CommandError
}

func (e *installError) Error() string { return e.cmd.Error() }
func (e *installError) Unwrap() error { return e.cmd }

// newInstallError wraps a pip failure; other errors pass through.
func newInstallError(req sdk.BuildRequest[sdk.None, Config], plan pip.Plan, py cpythonInstall, err error) error {
	var ce *pip.CommandError
	if !errors.As(err, &ce) {
		return err
	}
	e := &installError{plan: plan, python: py.Version, target: req.Target, diag: pip.Diagnose(ce.Output), cmd: ce}
	if plan.WheelDir != "" && e.diag.Project != "" {
		e.wheels = pip.WheelsFor(req.App, plan.WheelDir, e.diag.Project)
	}
	return e
}

// source names where the requirements come from, for the advice.
func (e *installError) source() string {
	switch e.plan.Mode {
	case pip.ModeRequirements:
		return strings.Join(e.plan.Requirements, ", ")
	case pip.ModeLock:
		return e.plan.LockFile
	case pip.ModeProjectDependencies:
		return "pyproject.toml [project] dependencies"
	}
	return "the project's pyproject.toml or setup.py"
}

// lockTool returns the command that rewrites the lock file.
func (e *installError) lockTool() string {
	switch e.plan.LockFile {
	case "poetry.lock":
		return "poetry lock"
	case "Pipfile.lock":
		return "pipenv lock"
	}
	return "uv lock"
}

// tags says which wheels this CPython and target install, e.g. "cp312 manylinux x86_64
// wheels, or pure-Python py3-none-any ones".
func (e *installError) tags() string {
	cp := "cp3"
	if v, err := pyversion.ParseVersion(e.python); err == nil {
		cp = strings.ReplaceAll("cp"+v.Minor(), ".", "")
	}
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[e.target.Arch]
	if arch == "" {
		arch = e.target.Arch
	}
	return fmt.Sprintf("%s manylinux %s wheels, or pure-Python py3-none-any ones", cp, arch)
}

func (e *installError) userError() *sdk.Error {
	d := e.diag
	project := d.Project
	if project == "" {
		project = "the package"
	}
	detail := fmt.Sprintf("pip failed while installing the dependencies (%s) for CPython %s on %s: %s", e.plan.Describe(), e.python, e.target.Spec(), d.Message)
	privateIndex := "For a private index, set PIP_INDEX_URL / PIP_EXTRA_INDEX_URL or add a binding of type pip (keys index-url, extra-index-url, username, password or pip.conf)."
	offline := e.plan.WheelDir != ""
	download := fmt.Sprintf("pip download --only-binary=:all: --python-version %s --platform manylinux2014_%s -d %s <requirement>",
		pyMinor(e.python), map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[e.target.Arch], e.plan.WheelDir)
	switch d.Kind {
	case pip.FailureHashMismatch, pip.FailureHashesMissing:
		fixes := []string{}
		switch {
		case d.Kind == pip.FailureHashesMissing:
			fixes = append(fixes, fmt.Sprintf("With hashes (--require-hashes, or --hash on any line), pip needs a hash on every requirement, dependencies included: regenerate %s with hashes (pip-compile --generate-hashes, uv pip compile --generate-hashes).", e.source()))
		case e.plan.Mode == pip.ModeLock:
			fixes = append(fixes,
				fmt.Sprintf("The file pip got for %s is not the one %s locked: the index or mirror the build uses (PIP_INDEX_URL, else PyPI) serves other bytes for that version. Point PIP_INDEX_URL at the index the lock was made against.", project, e.plan.LockFile),
				fmt.Sprintf("Or lock again against the index the build uses: run '%s' and commit %s.", e.lockTool(), e.plan.LockFile))
		default:
			fixes = append(fixes, fmt.Sprintf("%s pins hashes (--hash) that the file pip got for %s does not have: regenerate it against the index the build uses (pip-compile --generate-hashes).", e.source(), project))
		}
		return &sdk.Error{Title: "Hashes do not match", Detail: detail, Fixes: fixes, Cause: e.cmd}
	case pip.FailureWrongPython, pip.FailureBuild:
		detail += fmt.Sprintf(". CPython %s on %s installs %s", e.python, e.target.Spec(), e.tags())
		if len(e.wheels) > 0 {
			detail += fmt.Sprintf("; %s/ holds for %s only %s", e.plan.WheelDir, project, strings.Join(e.wheels, ", "))
		}
		detail += "."
		fixes := []string{
			fmt.Sprintf("Use a version of %s that publishes wheels for CPython %s (pin it in %s), or build with a CPython it supports: set BP_CPYTHON_VERSION or write the version into .python-version.", project, pyMinor(e.python), e.source()),
		}
		if d.Kind == pip.FailureBuild {
			fixes = append(fixes, fmt.Sprintf("pip built %s from source because no wheel fits, and that failed: the build image has no C compiler. A wheel for this Python avoids building.", project))
		}
		if offline {
			fixes = append(fixes, "Add the right wheel to the wheel folder: "+download)
		}
		return &sdk.Error{Title: "No wheel for this Python", Detail: detail, Fixes: fixes, Cause: e.cmd}
	case pip.FailureNotFound:
		var fixes []string
		switch {
		case offline && len(e.wheels) > 0:
			detail += fmt.Sprintf(". %s/ holds for %s only %s, none of which CPython %s on %s installs (it takes %s).", e.plan.WheelDir, project, strings.Join(e.wheels, ", "), e.python, e.target.Spec(), e.tags())
			return &sdk.Error{Title: "No wheel for this Python", Detail: detail, Cause: e.cmd, Fixes: []string{
				"Replace them with wheels for this Python and target: " + download,
				"Or build with the CPython those wheels were made for: set BP_CPYTHON_VERSION or write the version into .python-version.",
			}}
		case offline:
			detail += fmt.Sprintf(". The install is offline (--no-index): %s/ has no file of %s.", e.plan.WheelDir, project)
			fixes = append(fixes, fmt.Sprintf("Add %s and its dependencies to %s/: %s", project, e.plan.WheelDir, download),
				fmt.Sprintf("Or remove %s/ (and BP_PIP_WHEEL_DIR) to install from the index.", e.plan.WheelDir))
		case e.plan.Mode == pip.ModeLock:
			fixes = append(fixes,
				fmt.Sprintf("%s pins %s, which the index the build uses (PIP_INDEX_URL, else PyPI) does not have: point PIP_INDEX_URL at the index the lock was made against.", e.plan.LockFile, project),
				fmt.Sprintf("Or lock again against that index: run '%s' and commit %s.", e.lockTool(), e.plan.LockFile), privateIndex)
		default:
			fixes = append(fixes, fmt.Sprintf("Check the name and version of %s in %s: a misspelt name or a version that does not exist is the usual cause.", project, e.source()), privateIndex)
		}
		return &sdk.Error{Title: "Package not found", Detail: detail, Fixes: fixes, Cause: e.cmd}
	case pip.FailureNetwork:
		return &sdk.Error{Title: "Package index not reachable", Detail: detail, Cause: e.cmd, Fixes: []string{
			"Check that the index (PIP_INDEX_URL, else PyPI) is reachable from the build: a server on the same machine needs pack build --network host; an index over plain http needs PIP_TRUSTED_HOST.",
			"For builds without network, vendor the wheels in wheels/ (pip download -d wheels -r requirements.txt).",
		}}
	case pip.FailureAuth:
		return &sdk.Error{Title: "Package index refused access", Detail: detail, Cause: e.cmd, Fixes: []string{
			"Give the build the index's credentials with a binding of type pip (keys index-url, username, password): they reach pip only, not the log or the image.",
			"Check that the user may read the packages of " + e.source() + ".",
		}}
	case pip.FailureInvalid:
		return &sdk.Error{Title: "Could not install the dependencies", Detail: detail, Cause: e.cmd, Fixes: []string{
			fmt.Sprintf("Fix the requirement pip quotes in %s: one requirement per line, as 'name==version' or 'name>=version'.", e.source()),
		}}
	case pip.FailureConflict:
		fixes := []string{fmt.Sprintf("The requirements of %s cannot all be met together (pip's output above names them): relax the pins that conflict.", e.source())}
		if e.plan.Mode == pip.ModeLock {
			fixes = append(fixes, fmt.Sprintf("Run '%s' and commit %s.", e.lockTool(), e.plan.LockFile))
		}
		return &sdk.Error{Title: "Could not install the dependencies", Detail: detail, Cause: e.cmd, Fixes: fixes}
	}
	fixes := []string{fmt.Sprintf("Read pip's output above; check that %s installs locally with CPython %s: python -m venv /tmp/v && /tmp/v/bin/pip install ...", e.source(), pyMinor(e.python))}
	if offline {
		fixes = append(fixes, fmt.Sprintf("The install is offline: every package must be in %s/.", e.plan.WheelDir))
	} else {
		fixes = append(fixes, privateIndex)
	}
	return &sdk.Error{Title: "Could not install the dependencies", Detail: detail, Cause: e.cmd, Fixes: fixes}
}

func pyMinor(v string) string {
	if pv, err := pyversion.ParseVersion(v); err == nil {
		return pv.Minor()
	}
	return v
}

// functionError explains a functions-framework target that cannot be used.
func functionError(e *startcmd.FunctionError) *sdk.Error {
	set := "Set BP_PYTHON_FUNCTION_TARGET (or GOOGLE_FUNCTION_TARGET) to the function to serve. " + settingsHint
	defined := strings.Join(e.Candidates, ", ")
	switch e.Problem {
	case startcmd.FunctionSeveral:
		return &sdk.Error{Title: "Function target not set",
			Detail: fmt.Sprintf("functions-framework is installed and main.py defines several functions (%s); nothing says which one to serve.", defined),
			Fixes:  []string{set, "Or mark the one to serve with @functions_framework.http (or .cloud_event) and leave the helpers undecorated."}}
	case startcmd.FunctionNone:
		return &sdk.Error{Title: "Function target not set",
			Detail: "functions-framework is installed, but there is no main.py defining a function to serve.",
			Fixes:  []string{"Define the function in main.py (functions-framework reads main.py).", "Or set the start command with a Procfile line 'web: <command>' or BP_PYTHON_ENTRYPOINT."}}
	case startcmd.FunctionNotDefined:
		return &sdk.Error{Title: "Function target not found",
			Detail: fmt.Sprintf("%s is %q, but main.py defines no such function (it defines: %s).", e.Setting, e.Target, cmp.Or(defined, "none")),
			Fixes:  []string{fmt.Sprintf("Set %s to one of the functions of main.py.", e.Setting)}}
	case startcmd.FunctionInvalid:
		return &sdk.Error{Title: "Invalid function target",
			Detail: fmt.Sprintf("%s is %q, which is not a Python function name.", e.Setting, e.Target),
			Fixes:  []string{fmt.Sprintf("Set %s to the name of a function in main.py (letters, digits and _).", e.Setting)}}
	}
	return &sdk.Error{Title: "functions-framework is not installed",
		Detail: fmt.Sprintf("%s is %q, but functions-framework, which serves functions, is not in the environment.", e.Setting, e.Target),
		Fixes:  []string{"Add functions-framework to your requirements.", fmt.Sprintf("Or unset %s if the app is not a function.", e.Setting)}}
}
