package python

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cnbkit/cnbkit/buildpacks/python/internal/pip"
	"github.com/cnbkit/cnbkit/buildpacks/python/internal/pyversion"
	"github.com/cnbkit/cnbkit/buildpacks/python/internal/startcmd"
	"github.com/cnbkit/cnbkit/sdk"
)

// All user-facing failures are written here, in one place, each with a title, what was
// found and what to do. userError turns the internal packages' typed errors into them;
// anything else passes through unchanged (and the SDK shows it as an unexpected failure).

const (
	settingsHint = "Settings are environment variables given to the build, e.g. pack build --env NAME=value."
)

func userError(err error) error {
	if err == nil {
		return nil
	}
	var (
		fileErr     *pyversion.FileError
		unavailable *pyversion.UnavailableError
		conflict    *pyversion.ConflictError
		missing     *pip.MissingFileError
		unsupported *pip.UnsupportedError
		project     *pip.ProjectError
		lock        *pip.LockError
		command     *pip.CommandError
		noServer    *startcmd.NoServerError
		notFound    *startcmd.NotFoundError
		procfile    *startcmd.ProcfileError
	)
	switch {
	case errors.As(err, &fileErr):
		return versionFileError(fileErr)
	case errors.As(err, &unavailable):
		return unavailableError(unavailable)
	case errors.As(err, &conflict):
		return &sdk.Error{
			Title: "Python version conflicts with requires-python",
			Detail: fmt.Sprintf("%s asks for %s, which selects CPython %s, but pyproject.toml says requires-python = %q.",
				conflict.Chosen.Request.Source, conflict.Chosen.Request.Raw, conflict.Chosen.Version, conflict.RequiresPython.Raw),
			Fixes: []string{
				fmt.Sprintf("Change %s to a version that requires-python allows.", conflict.Chosen.Request.Source),
				"Or, if the project does run on that version, widen requires-python in pyproject.toml.",
			},
		}
	case errors.As(err, &missing):
		if missing.From != "" {
			return &sdk.Error{
				Title:  "Requirements file not found",
				Detail: fmt.Sprintf("%s includes %q (with -r or -c), but there is no such file in the app.", missing.From, missing.Path),
				Fixes:  []string{fmt.Sprintf("Add %s to the app, or remove the line that includes it from %s. Paths are relative to the including file.", missing.Path, missing.From)},
			}
		}
		what := "requirements file"
		if missing.Setting == "BP_PIP_WHEEL_DIR" {
			what = "wheel folder"
		}
		return &sdk.Error{
			Title:  fmt.Sprintf("%s not found", capitalize(what)),
			Detail: fmt.Sprintf("%s is %q, but the app has no %s at that path.", missing.Setting, missing.Path, what),
			Fixes: []string{
				fmt.Sprintf("Check the spelling of %s; paths are relative to the app's root folder.", missing.Setting),
				fmt.Sprintf("Or unset %s to use the default.", missing.Setting),
			},
		}
	case errors.As(err, &unsupported) && unsupported.File == "Pipfile":
		return &sdk.Error{
			Title:  "Pipfile.lock not found",
			Detail: "The app has a Pipfile but no Pipfile.lock. This buildpack installs the locked versions of a Pipenv project, so that the image gets what you tested.",
			Fixes: []string{
				"Run 'pipenv lock' and commit Pipfile.lock.",
				"Or export a requirements file and commit it: pipenv requirements > requirements.txt",
			},
		}
	case errors.As(err, &unsupported):
		return &sdk.Error{
			Title:  fmt.Sprintf("%s is not supported", unsupported.Tool),
			Detail: fmt.Sprintf("The app has %s, so it is managed with %s. This buildpack installs dependencies with pip, from requirements files, a PEP 621 pyproject.toml (with or without a uv.lock or poetry.lock), a Pipfile.lock, or a setup.py.", unsupported.File, unsupported.Tool),
			Fixes: []string{
				fmt.Sprintf("Export the locked dependencies to a requirements file and commit it: %s", unsupported.Export),
				"Then build again: with a requirements.txt present, the lock file is ignored (and a note says so).",
			},
		}
	case errors.As(err, &project):
		return &sdk.Error{
			Title:  "Invalid pyproject.toml",
			Detail: "pyproject.toml " + strings.TrimPrefix(project.Problem, "pyproject.toml: "),
			Fixes:  []string{"Fix pyproject.toml; 'python -c \"import tomllib; tomllib.load(open(\\\"pyproject.toml\\\", \\\"rb\\\"))\"' shows the same error locally."},
		}
	case errors.As(err, &lock):
		tool, export := "uv lock", "uv export --format requirements-txt --no-hashes --output-file requirements.txt"
		switch lock.File {
		case "poetry.lock":
			tool, export = "poetry lock", "poetry export --format requirements.txt --output requirements.txt"
		case "Pipfile.lock":
			tool, export = "pipenv lock", "pipenv requirements > requirements.txt"
		}
		return &sdk.Error{
			Title:  "Invalid lock file",
			Detail: fmt.Sprintf("%s %s.", lock.File, lock.Problem),
			Fixes: []string{
				fmt.Sprintf("Run '%s' and commit the updated %s.", tool, lock.File),
				fmt.Sprintf("Or export the locked requirements instead (a requirements.txt wins over %s): %s", lock.File, export),
			},
		}
	case errors.As(err, &command):
		return &sdk.Error{
			Title:  "Could not install the dependencies",
			Detail: fmt.Sprintf("pip failed (%v): %s", command.Err, pipMessage(command.Output)),
			Fixes: []string{
				"Read pip's message above: a misspelt distribution name or a version that does not exist is the usual cause.",
				"Check that the same requirements install locally with the same Python version: python -m venv /tmp/v && /tmp/v/bin/pip install -r requirements.txt",
				"For a private index, set PIP_INDEX_URL / PIP_EXTRA_INDEX_URL or add a binding of type pip (keys index-url, extra-index-url, username, password or pip.conf).",
			},
			Cause: err,
		}
	case errors.As(err, &noServer):
		return &sdk.Error{
			Title: "No ASGI server installed",
			Detail: fmt.Sprintf("%s defines the %s app %s, which needs an ASGI server to run, but none of %s is installed.",
				noServer.App.File, noServer.App.Framework, noServer.App.Target(), strings.Join(noServer.Servers, ", ")),
			Fixes: []string{
				"Add uvicorn to your requirements (e.g. a line 'uvicorn' in requirements.txt, or fastapi[standard]); the app is then served with: uvicorn " + noServer.App.Target() + " --host 0.0.0.0 --port $PORT",
				"Or set the start command yourself with BP_PYTHON_ENTRYPOINT or a Procfile line 'web: <command>'.",
			},
		}
	case errors.As(err, &notFound):
		files := notFound.PythonFiles
		shown := strings.Join(files, ", ")
		if len(files) > 8 {
			shown = strings.Join(files[:8], ", ") + fmt.Sprintf(" and %d more", len(files)-8)
		}
		if shown == "" {
			shown = "none"
		}
		return &sdk.Error{
			Title:  "No start command found",
			Detail: fmt.Sprintf("Nothing says how to start the app: no BP_PYTHON_ENTRYPOINT, no Procfile, no FastAPI/Starlette/Flask/Django app object, no main.py or app.py. Python files seen: %s.", shown),
			Fixes: []string{
				"Add a Procfile with a line like 'web: gunicorn --bind 0.0.0.0:$PORT myapp:app'.",
				"Or set BP_PYTHON_ENTRYPOINT to the command, e.g. 'python server.py'.",
				"Or name the entry file main.py or app.py.",
			},
		}
	case errors.As(err, &procfile):
		return &sdk.Error{
			Title:  "Invalid Procfile",
			Detail: fmt.Sprintf("Line %d of the Procfile is %q; each line must be 'type: command'.", procfile.Line, procfile.Text),
			Fixes:  []string{"Write the line as e.g. 'web: uvicorn main:app --host 0.0.0.0 --port $PORT' (a process type, a colon, the command)."},
		}
	}
	return err
}

func versionFileError(e *pyversion.FileError) error {
	fixes := []string{}
	switch e.Source {
	case pyversion.SourceSetting:
		fixes = append(fixes, "Set BP_CPYTHON_VERSION to a version such as 3.13 (the newest 3.13 release) or 3.13.1, or unset it. "+settingsHint)
	case pyversion.SourcePythonVersion:
		fixes = append(fixes, "Write only a CPython version on the first line of .python-version, e.g. 3.13 (the newest 3.13 release).")
	case pyversion.SourceRuntimeTxt:
		fixes = append(fixes, "Replace runtime.txt with a .python-version file containing e.g. 3.13.", "Or write runtime.txt as python-3.13.1.")
	default:
		fixes = append(fixes, fmt.Sprintf("Fix %s.", e.Source))
	}
	return &sdk.Error{
		Title:  "Invalid Python version",
		Detail: fmt.Sprintf("%s contains %q, which %s.", e.Source, e.Value, e.Reason),
		Fixes:  fixes,
	}
}

func unavailableError(e *pyversion.UnavailableError) error {
	var avail []string
	for _, v := range e.Available {
		avail = append(avail, v.String())
	}
	detail := fmt.Sprintf("%s asks for %q, but this buildpack provides CPython %s for this target.", e.Request.Source, e.Request.Raw, strings.Join(avail, ", "))
	for _, m := range e.Request.Spec.Minors() {
		if eol, ok := pyversion.EndOfLife(m); ok && len(e.Available) > 0 && minorLess(m, e.Available[len(e.Available)-1].Minor()) {
			detail += fmt.Sprintf(" Python %s reached its end of life on %s and gets no more security fixes.", m, eol)
		}
	}
	newest := ""
	if len(e.Available) > 0 {
		newest = e.Available[0].Minor()
	}
	return &sdk.Error{
		Title:  "Requested Python version is not available",
		Detail: detail,
		Fixes: []string{
			fmt.Sprintf("Change %s to a supported version, e.g. %s (X.Y always gets the newest patch release).", e.Request.Source, newest),
			"If you need this exact version, use a buildpack release that still ships it, or add it to buildpack.toml [[metadata.dependencies]] of your own build of this buildpack.",
		},
	}
}

func unsafeEnvError(names []string) error {
	var lines []string
	for _, n := range names {
		lines = append(lines, fmt.Sprintf("%s (%s)", n, pip.Forbidden[n]))
	}
	return &sdk.Error{
		Title:  "Unsafe environment variables",
		Detail: "These variables would break the install or the app at run time: " + strings.Join(lines, "; ") + ".",
		Fixes: []string{
			"Remove them from the build's environment (pack build --env, project.toml [[io.buildpacks.build.env]], or the platform's settings).",
			"The buildpack already installs into its own virtual environment and activates it at run time.",
		},
	}
}

func bindingError(name string, err error) error {
	return &sdk.Error{
		Title:  "Invalid pip binding",
		Detail: fmt.Sprintf("The service binding %q of type pip cannot be used: %v.", name, err),
		Fixes:  []string{"Give the binding the keys index-url and/or extra-index-url (URLs of PEP 503 indexes), optionally username and password, or a whole pip.conf."},
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// pipMessage picks pip's own error line ("ERROR: ...") from its output, else the last line.
func pipMessage(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); strings.HasPrefix(l, "ERROR:") {
			return l
		}
	}
	if l := strings.TrimSpace(lines[len(lines)-1]); l != "" {
		return l
	}
	return "no output (the full log is above)"
}

// minorLess compares "3.9" < "3.11" numerically.
func minorLess(a, b string) bool {
	va, err1 := pyversion.ParseVersion(a)
	vb, err2 := pyversion.ParseVersion(b)
	return err1 == nil && err2 == nil && va.Compare(vb) < 0
}
