package python_test

import (
	"errors"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/buildpacks/python"
	"github.com/cnbkit/cnbkit/buildpacks/python/internal/testwheel"
	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/cnbtest"
)

// Every user-facing failure: its title, the value found echoed back, and what to do.
func TestErrors(t *testing.T) {
	t.Parallel()
	bp := buildpackDir(t)
	tests := []struct {
		name     string
		files    map[string]string
		env      map[string]string
		bindings []sdk.Binding
		wheels   []testwheel.Wheel
		title    string
		detail   []string
		fix      string
	}{
		{name: "unsafe env", env: map[string]string{"PIP_TARGET": "/tmp/x", "VIRTUAL_ENV": "/venv", "PIP_INDEX_URL": "http://127.0.0.1:1/simple"},
			title: "Unsafe environment variables", detail: []string{"PIP_TARGET (installs packages outside the virtual environment)", "VIRTUAL_ENV ("}, fix: "Remove them"},
		{name: "bad setting version", env: map[string]string{"BP_CPYTHON_VERSION": "latest"},
			title: "Invalid Python version", detail: []string{`BP_CPYTHON_VERSION contains "latest"`}, fix: "Set BP_CPYTHON_VERSION to a version such as 3.13"},
		{name: "bad .python-version", files: map[string]string{".python-version": "pypy3.10\n"},
			title: "Invalid Python version", detail: []string{`.python-version contains "pypy3.10"`, "other than CPython"}, fix: "Write only a CPython version"},
		{name: "bad runtime.txt", files: map[string]string{"runtime.txt": "3.12\n"},
			title: "Invalid Python version", detail: []string{`runtime.txt contains "3.12"`}, fix: "Replace runtime.txt with a .python-version"},
		{name: "end of life version", files: map[string]string{".python-version": "3.9\n"},
			title: "Requested Python version is not available", detail: []string{`.python-version asks for "3.9"`, "3.14.7, 3.13.15, 3.12.14, 3.11.16", "Python 3.9 reached its end of life on 2025-10-31"}, fix: "Change .python-version to a supported version, e.g. 3.14"},
		{name: "future version", env: map[string]string{"BP_CPYTHON_VERSION": "3.99"},
			title: "Requested Python version is not available", detail: []string{`BP_CPYTHON_VERSION asks for "3.99"`}, fix: "Change BP_CPYTHON_VERSION"},
		{name: "conflict with requires-python", files: map[string]string{".python-version": "3.11\n", "pyproject.toml": "[project]\nname = \"a\"\nrequires-python = \">=3.12\"\n"},
			title: "Python version conflicts with requires-python", detail: []string{".python-version asks for 3.11, which selects CPython 3.11.16", `requires-python = ">=3.12"`}, fix: "widen requires-python"},
		{name: "missing requirements file", env: map[string]string{"BP_PIP_REQUIREMENTS": "requirements/prod.txt"},
			title: "Requirements file not found", detail: []string{`BP_PIP_REQUIREMENTS is "requirements/prod.txt"`}, fix: "Check the spelling of BP_PIP_REQUIREMENTS"},
		{name: "missing included file", files: map[string]string{"requirements.txt": "-r base.txt\n"},
			title: "Requirements file not found", detail: []string{`requirements.txt includes "base.txt"`}, fix: "Add base.txt to the app"},
		{name: "missing wheel folder", env: map[string]string{"BP_PIP_WHEEL_DIR": "vendor"}, files: map[string]string{"requirements.txt": "x\n"},
			title: "Wheel folder not found", detail: []string{`BP_PIP_WHEEL_DIR is "vendor"`}, fix: "unset BP_PIP_WHEEL_DIR"},
		{name: "poetry without pyproject", files: map[string]string{"main.py": scriptApp, "poetry.lock": "# lock\n"},
			title: "Poetry is not supported", detail: []string{"declares its dependencies in poetry.lock", "installs dependencies with pip"}, fix: "poetry export --format requirements.txt --output requirements.txt"},
		{name: "poetry lock of an unknown version", files: map[string]string{"pyproject.toml": "[project]\nname = \"a\"\n", "poetry.lock": "[metadata]\nlock-version = \"9.0\"\n"},
			title: "Invalid lock file", detail: []string{`poetry.lock has lock-version "9.0"`}, fix: "Run 'poetry lock'"},
		{name: "uv without pyproject", files: map[string]string{"main.py": scriptApp, "uv.lock": "version = 1\n"},
			title: "uv is not supported", detail: []string{"declares its dependencies in uv.lock"}, fix: "uv export --format requirements-txt"},
		{name: "stale uv.lock", files: map[string]string{"pyproject.toml": "[project]\nname = \"a\"\n", "uv.lock": "version = 1\n"},
			title: "Invalid lock file", detail: []string{`uv.lock has no package for the project "a" of pyproject.toml`}, fix: "Run 'uv lock'"},
		{name: "pipenv", files: map[string]string{"Pipfile": "[packages]\nflask = \"*\"\n"},
			title: "Pipfile.lock not found", detail: []string{"The app has a Pipfile but no Pipfile.lock"}, fix: "Run 'pipenv lock'"},
		{name: "pipenv lock with an unpinned entry", files: map[string]string{"main.py": scriptApp, "Pipfile.lock": `{"_meta": {"pipfile-spec": 6}, "default": {"flask": {"version": "*"}}}`},
			title: "Invalid lock file", detail: []string{"Pipfile.lock has no pinned version for flask"}, fix: "Run 'pipenv lock'"},
		{name: "invalid pyproject", files: map[string]string{"pyproject.toml": "[project\n"},
			title: "Invalid pyproject.toml", detail: []string{"pyproject.toml is not valid TOML"}, fix: "Fix pyproject.toml"},
		{name: "FastAPI without a server", files: map[string]string{"app.py": fastapiApp, "requirements.txt": "fastapi\n"},
			title: "No ASGI server installed", detail: []string{"app.py defines the FastAPI app app:app", "none of uvicorn, hypercorn is installed"}, fix: "Add uvicorn to your requirements"},
		{name: "no start command", files: map[string]string{"a.py": "", "b.py": ""},
			title: "No start command found", detail: []string{"Python files seen: a.py, b.py"}, fix: "Add a Procfile"},
		{name: "bad Procfile", files: map[string]string{"main.py": scriptApp, "Procfile": "web uvicorn main:app\n"},
			title: "Invalid Procfile", detail: []string{`Line 1 of the Procfile is "web uvicorn main:app"`}, fix: "a process type, a colon, the command"},
		{name: "pip fails", files: map[string]string{"requirements.txt": "no-such-distribution==1.0\n", "main.py": scriptApp}, env: map[string]string{"BP_PIP_WHEEL_DIR": "wheels"},
			title: "Package not found", detail: []string{"No matching distribution found for no-such-distribution==1.0", "The install is offline (--no-index): wheels/ has no file of no-such-distribution"}, fix: "Add no-such-distribution and its dependencies to wheels/"},
		{name: "conda", files: map[string]string{"app.py": scriptApp, "environment.yml": "name: app\ndependencies:\n  - flask\n"},
			title: "Conda is not supported", detail: []string{"declares its dependencies in environment.yml, a file of Conda", "requirements files"}, fix: "requirements.txt"},
		{name: "pdm", files: map[string]string{"main.py": scriptApp, "pdm.lock": "", "pyproject.toml": "[project]\nname = \"a\"\ndependencies = [\"flask\"]\n"},
			title: "PDM is not supported", detail: []string{"pdm.lock"}, fix: "pdm export --output requirements.txt"},
		{name: "pip-tools input only", files: map[string]string{"main.py": scriptApp, "requirements.in": "flask\n"},
			title: "pip-tools is not supported", detail: []string{"requirements.in"}, fix: "pip-compile requirements.in"},
		{name: "setup.cfg alone", files: map[string]string{"main.py": scriptApp, "setup.cfg": "[metadata]\nname = a\n\n[options]\ninstall_requires =\n    flask\n"},
			title: "setup.cfg without setup.py or pyproject.toml", detail: []string{"pip can build a package only with a setup.py or a pyproject.toml"}, fix: "setuptools.build_meta"},
		{name: "remote find-links offline", files: map[string]string{"main.py": scriptApp, "requirements.txt": "--no-index\n--find-links https://files.example.com/links/\nuvicorn\n"}, wheels: []testwheel.Wheel{uvicornWheel},
			title: "Network source in an offline install", detail: []string{"wheels/", "requirements.txt line 2: --find-links https://files.example.com/links/"}, fix: "pip download -d wheels"},
		{name: "main.py that starts nothing", files: map[string]string{"main.py": "def handler(request):\n    return 'ok'\n"},
			title: "The app starts no server", detail: []string{"main.py defines no ASGI or WSGI app object", "main.py defines the functions handler"}, fix: "add functions-framework to your requirements"},
		{name: "Flask app file without a server", files: map[string]string{"app.py": "from flask import Flask\napp = Flask(__name__)\n", "requirements.txt": "flask\n"}, wheels: []testwheel.Wheel{flaskWheel},
			title: "No WSGI server installed", detail: []string{"app.py defines the Flask app app:app", "none of gunicorn, waitress is installed"}, fix: "Add gunicorn to your requirements"},
		{name: "several functions", files: map[string]string{"main.py": "def hello(request):\n    return 'hi'\n\ndef bye(request):\n    return 'bye'\n", "requirements.txt": "functions-framework\n"}, wheels: []testwheel.Wheel{functionsFrameworkWheel},
			title: "Function target not set", detail: []string{"main.py defines several functions (hello, bye)"}, fix: "Set BP_PYTHON_FUNCTION_TARGET (or GOOGLE_FUNCTION_TARGET)"},
		{name: "function target without functions-framework", files: map[string]string{"main.py": "def hello(request):\n    return 'hi'\n"}, env: map[string]string{"GOOGLE_FUNCTION_TARGET": "hello"},
			title: "functions-framework is not installed", detail: []string{`GOOGLE_FUNCTION_TARGET is "hello"`}, fix: "Add functions-framework to your requirements"},
		{name: "function target not defined", files: map[string]string{"main.py": "def hello(request):\n    return 'hi'\n", "requirements.txt": "functions-framework\n"}, wheels: []testwheel.Wheel{functionsFrameworkWheel},
			env: map[string]string{"BP_PYTHON_FUNCTION_TARGET": "greet"}, title: "Function target not found", detail: []string{`BP_PYTHON_FUNCTION_TARGET is "greet"`, "it defines: hello"}, fix: "one of the functions of main.py"},
		{name: "function target not a name", files: map[string]string{"main.py": "def hello(request):\n    return 'hi'\n"}, env: map[string]string{"BP_PYTHON_FUNCTION_TARGET": "hello;id"},
			title: "Invalid function target", detail: []string{`"hello;id", which is not a Python function name`}, fix: "letters, digits and _"},
		{name: "Procfile command sh cannot parse", files: map[string]string{"main.py": scriptApp, "Procfile": "web: gunicorn \"app:app\n"},
			title: "Invalid start command", detail: []string{"The command in line 1 of the Procfile", `gunicorn \"app:app`}, fix: "check its quotes"},
		{name: "wheel only for another Python", files: map[string]string{"main.py": scriptApp, "requirements.txt": "newpy\n"},
			wheels: []testwheel.Wheel{{Name: "newpy", Version: "1.0", RequiresPython: ">=3.99"}},
			title:  "No wheel for this Python", detail: []string{"requires a different Python", "CPython 3.14.7 on linux/amd64 installs cp314 manylinux x86_64 wheels"}, fix: "set BP_CPYTHON_VERSION"},
		{name: "compiled wheel for another Python", files: map[string]string{"main.py": scriptApp, "requirements.txt": "compiled\n"},
			wheels: []testwheel.Wheel{{Name: "compiled", Version: "2.0", Tag: "cp399-cp399-manylinux_2_17_x86_64"}},
			title:  "No wheel for this Python", detail: []string{"wheels/ holds for compiled only wheels/compiled-2.0-cp399-cp399-manylinux_2_17_x86_64.whl", "(it takes cp314 manylinux x86_64 wheels"}, fix: "pip download --only-binary=:all: --python-version 3.14 --platform manylinux2014_x86_64 -d wheels"},
		{name: "bad pip binding", files: map[string]string{"main.py": scriptApp}, bindings: []sdk.Binding{{Name: "my-index", Type: "pip", Secret: map[string]string{"username": "u", "password": "p"}}},
			title: "Invalid pip binding", detail: []string{`The service binding "my-index" of type pip`, "no index-url"}, fix: "index-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			files := tt.files
			if files == nil {
				files = map[string]string{"main.py": scriptApp}
			}
			a := app(t, files, tt.wheels...)
			switch tt.name {
			case "pip fails":
				a = app(t, files, uvicornWheel)
			case "FastAPI without a server":
				a = app(t, files, fastapiWheel, starletteWheel)
			}
			out := cnbtest.Build(t, python.Build, cnbtest.Options{App: a, BuildpackDir: bp, Env: tt.env, Bindings: tt.bindings})
			g.Expect(out.ExitCode).To(Equal(1), out.Log)
			var ue *sdk.Error
			g.Expect(errors.As(out.Err, &ue)).To(BeTrue(), "want an *sdk.Error, got %v", out.Err)
			g.Expect(ue.Title).To(Equal(tt.title))
			for _, d := range tt.detail {
				g.Expect(ue.Detail).To(ContainSubstring(d))
			}
			g.Expect(strings.Join(ue.Fixes, "\n")).To(ContainSubstring(tt.fix))
			g.Expect(out.Log).To(ContainSubstring(tt.title), "the error is shown to the user")
			g.Expect(titleRows(t)).To(ContainElement(tt.title), "the title is documented")
			g.Expect(ue.Error()).NotTo(ContainSubstring("\n"))
		})
	}
}

func TestBadBooleanSetting(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	out := cnbtest.Build(t, python.Build, cnbtest.Options{App: app(t, map[string]string{"main.py": scriptApp}), BuildpackDir: buildpackDir(t),
		Env: map[string]string{"BP_PYTHON_COMPILE": "maybe"}})
	g.Expect(out.ExitCode).To(Equal(1))
	g.Expect(out.Log).To(ContainSubstring(`BP_PYTHON_COMPILE="maybe" is not valid`))
}

// pip's messages never show the buildpack's own temporary files: the requirements it derives
// from pyproject.toml or a lock file are named by where they came from.
func TestPipFailureShowsNoTemporaryPath(t *testing.T) {
	t.Parallel()
	bp := buildpackDir(t)
	g := NewWithT(t)
	out := cnbtest.Build(t, python.Build, cnbtest.Options{BuildpackDir: bp, App: app(t, map[string]string{"main.py": scriptApp,
		"pyproject.toml": "[project]\nname = \"svc\"\nversion = \"1\"\ndependencies = [\"uvicorn\", \"no-such-dist==1.0\"]\n"}, uvicornWheel)})
	g.Expect(out.ExitCode).To(Equal(1), out.Log)
	var ue *sdk.Error
	g.Expect(errors.As(out.Err, &ue)).To(BeTrue())
	g.Expect(ue.Title).To(Equal("Package not found"))
	g.Expect(ue.Detail).To(ContainSubstring("pip install of the 2 [project] dependencies in pyproject.toml"))
	g.Expect(ue.Fixes).To(ContainElement(ContainSubstring("Add no-such-dist and its dependencies to wheels/")))
	g.Expect(out.Log).To(ContainSubstring("-r requirements from pyproject.toml"))
	g.Expect(out.Log).NotTo(MatchRegexp(`/cnbkit-python-[0-9]+/`), "a temporary path of the buildpack")
	g.Expect(ue.Error()).NotTo(MatchRegexp(`/cnbkit-python-[0-9]+/`))
}
