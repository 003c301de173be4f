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
	// supportedSources are the dependency files this buildpack installs from.
	supportedSources = "requirements files, a PEP 621 pyproject.toml (with or without a uv.lock or poetry.lock), a Pipfile.lock, or a setup.py"
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
		setupCfg    *pip.SetupCfgError
		remote      *pip.RemoteSourceError
		install     *installError
		noServer    *startcmd.NoServerError
		notFound    *startcmd.NotFoundError
		procfile    *startcmd.ProcfileError
		inert       *startcmd.InertScriptError
		function    *startcmd.FunctionError
		script      *startcmd.ScriptError
		name        *startcmd.NameError
		django      *djangoError
		staticRoot  *staticRootError
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
			Title: fmt.Sprintf("%s is not supported", unsupported.Tool),
			Detail: fmt.Sprintf("The app declares its dependencies in %s, a file of %s, and nowhere this buildpack reads. It installs dependencies with pip, from %s; "+
				"building on would give an image without the app's dependencies.", unsupported.File, unsupported.Tool, supportedSources),
			Fixes: []string{
				fmt.Sprintf("Write the dependencies into a requirements.txt and commit it: %s", unsupported.Export),
				fmt.Sprintf("Then build again: with a requirements.txt present, %s is not used (and a note says so).", unsupported.File),
			},
		}
	case errors.As(err, &setupCfg):
		return &sdk.Error{
			Title:  "setup.cfg without setup.py or pyproject.toml",
			Detail: "setup.cfg describes a package ([metadata] or [options]), but pip can build a package only with a setup.py or a pyproject.toml beside it, and the app has neither.",
			Fixes: []string{
				"Add a pyproject.toml with the lines: [build-system] requires = [\"setuptools\"] build-backend = \"setuptools.build_meta\"",
				"Or list the app's dependencies in a requirements.txt (setup.cfg then only holds tool settings, which are fine).",
			},
		}
	case errors.As(err, &remote):
		var shown []string
		for _, r := range remote.Sources {
			where := r.File
			if r.Line > 0 {
				where = fmt.Sprintf("%s line %d", r.File, r.Line)
			}
			shown = append(shown, fmt.Sprintf("%s: %s", where, r.Text))
		}
		return &sdk.Error{
			Title: "Network source in an offline install",
			Detail: fmt.Sprintf("The app vendors wheels in %s/, so pip installs from that folder alone (--no-index) and the build makes no network request. "+
				"But pip would still fetch these from the network: %s.", remote.WheelDir, strings.Join(shown, "; ")),
			Fixes: []string{
				fmt.Sprintf("Download what they point at into %s/ and remove the lines (pip download -d %s <requirement>).", remote.WheelDir, remote.WheelDir),
				fmt.Sprintf("Or, to install from an index or links instead, remove %s/ (or unset BP_PIP_WHEEL_DIR).", remote.WheelDir),
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
	case errors.As(err, &django):
		detail := fmt.Sprintf("%s failed", django.Command)
		if django.Problem != "" {
			detail += ": " + django.Problem
		} else if django.Err != nil {
			detail += fmt.Sprintf(" (%v)", django.Err)
		}
		if out := strings.TrimSpace(django.Output); out != "" {
			detail += ". Its output ends with:\n" + lastLines(out, 15)
		}
		return &sdk.Error{
			Title:  "Django collectstatic failed",
			Detail: detail,
			Fixes: []string{
				"Fix what the output says; a setting that reads a variable only the running app has (SECRET_KEY, DATABASE_URL, ...) needs a default at build time.",
				"Check it locally: python manage.py collectstatic --noinput",
				"Or turn the step off with BP_PYTHON_DJANGO_COLLECTSTATIC=false (then collect the static files another way). " + settingsHint,
			},
		}
	case errors.As(err, &staticRoot):
		return &sdk.Error{
			Title:  "STATIC_ROOT is outside the app",
			Detail: fmt.Sprintf("The Django settings set STATIC_ROOT to %s, outside the app folder %s: collected files would not be part of the image.", staticRoot.Root, staticRoot.AppDir),
			Fixes: []string{
				"Set STATIC_ROOT inside the project, e.g. STATIC_ROOT = BASE_DIR / \"staticfiles\" (whitenoise serves it from there).",
				"Or turn the step off with BP_PYTHON_DJANGO_COLLECTSTATIC=false.",
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
			Detail: fmt.Sprintf("Nothing says how to start the app: no BP_PYTHON_ENTRYPOINT, no Procfile, no FastAPI/Starlette/Flask/Django app object, no main.py or app.py, no functions-framework. Python files seen: %s.", shown),
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
	case errors.As(err, &install):
		return install.userError()
	case errors.As(err, &command):
		return &sdk.Error{
			Title:  "Could not install the dependencies",
			Detail: fmt.Sprintf("%s failed (%v): %s", command.Command, command.Err, pip.Diagnose(command.Output).Message),
			Fixes:  []string{"Read the command's output above; if it looks like a problem of the buildpack, report it with this output."},
			Cause:  err,
		}
	case errors.As(err, &noServer):
		kind, fix := "ASGI", "Add uvicorn to your requirements (e.g. a line 'uvicorn' in requirements.txt, or fastapi[standard]); the app is then served with: uvicorn "+noServer.App.Target()+" --host 0.0.0.0 --port $PORT"
		if noServer.App.Kind == startcmd.WSGI {
			kind, fix = "WSGI", "Add gunicorn to your requirements (a line 'gunicorn' in requirements.txt); the app is then served with: gunicorn --bind 0.0.0.0:$PORT "+noServer.App.Target()
		}
		detail := fmt.Sprintf("%s defines the %s app %s, which needs a %s server to run, but none of %s is installed.",
			noServer.App.File, noServer.App.Framework, noServer.App.Target(), kind, strings.Join(noServer.Servers, ", "))
		if kind == "WSGI" {
			detail += fmt.Sprintf(" Run as a script, %s would define the app and exit: it has no __main__ block that starts it.", noServer.App.File)
		}
		return &sdk.Error{
			Title:  fmt.Sprintf("No %s server installed", kind),
			Detail: detail,
			Fixes:  []string{fix, "Or set the start command yourself with BP_PYTHON_ENTRYPOINT or a Procfile line 'web: <command>'."},
		}
	case errors.As(err, &inert):
		detail := fmt.Sprintf("%s defines no ASGI or WSGI app object (FastAPI(), Flask(), ...), has no 'if __name__ == \"__main__\":' block and calls nothing at the top level: started with python, it would exit at once and the container with it.",
			strings.Join(inert.Files, " and "))
		if len(inert.Functions) > 0 {
			detail += fmt.Sprintf(" %s defines the functions %s.", inert.Files[0], strings.Join(inert.Functions, ", "))
		}
		return &sdk.Error{
			Title:  "The app starts no server",
			Detail: detail,
			Fixes: []string{
				"If it is a Cloud Function (a function that takes a request), add functions-framework to your requirements: it is then started with functions-framework --target <function> --port $PORT.",
				"Or add a block that starts the server on $PORT: if __name__ == \"__main__\": app.run(host=\"0.0.0.0\", port=int(os.environ.get(\"PORT\", 8080)))",
				"Or say how to start the app: a Procfile line 'web: <command>', or BP_PYTHON_ENTRYPOINT.",
			},
		}
	case errors.As(err, &function):
		return functionError(function)
	case errors.As(err, &script):
		return &sdk.Error{
			Title:  "Invalid start command",
			Detail: fmt.Sprintf("The command in %s, %q, is not a command sh can run: %s.", script.Source, script.Script, script.Problem),
			Fixes: []string{
				"Fix the command: check its quotes and brackets (sh -n -c '<command>' shows the same problem locally).",
				"Processes run with sh (a POSIX shell), not bash: for bash syntax, start bash yourself, e.g. bash -c '...'.",
			},
		}
	case errors.As(err, &name):
		return &sdk.Error{
			Title:  "File name cannot be used in a start command",
			Detail: fmt.Sprintf("The start command would run the file %q, whose name sh cannot represent: %s.", name.File, name.Problem),
			Fixes:  []string{"Rename the file to a name of letters, digits, '_', '-' and '.', or set the command with BP_PYTHON_ENTRYPOINT or a Procfile."},
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

// minorLess compares "3.9" < "3.11" numerically.
func minorLess(a, b string) bool {
	va, err1 := pyversion.ParseVersion(a)
	vb, err2 := pyversion.ParseVersion(b)
	return err1 == nil && err2 == nil && va.Compare(vb) < 0
}
