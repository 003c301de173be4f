package pip_test

import (
	"errors"
	"testing"
	"testing/fstest"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/buildpacks/python/internal/pip"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestNewPlan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		app       fstest.MapFS
		settings  pip.Settings
		mode      pip.Mode
		reqs      []string
		files     []string
		deps      []string
		wheelDir  string
		noteMatch string
	}{
		{name: "requirements.txt", app: fstest.MapFS{"requirements.txt": file("fastapi\n")}, mode: pip.ModeRequirements,
			reqs: []string{"requirements.txt"}, files: []string{"requirements.txt"}},
		{name: "several files with includes", settings: pip.Settings{Requirements: []string{"requirements/prod.txt", "./extra.txt"}},
			app: fstest.MapFS{"requirements/prod.txt": file("-r base.txt\n-c ../constraints.txt\nuvicorn\n"), "requirements/base.txt": file("fastapi\n"),
				"constraints.txt": file("fastapi<1\n"), "extra.txt": file("--requirement=requirements/base.txt\n")},
			mode: pip.ModeRequirements, reqs: []string{"requirements/prod.txt", "extra.txt"},
			files: []string{"constraints.txt", "extra.txt", "requirements/base.txt", "requirements/prod.txt"}},
		{name: "lock files beside requirements are noted", app: fstest.MapFS{"requirements.txt": file("x\n"), "poetry.lock": file("")},
			mode: pip.ModeRequirements, reqs: []string{"requirements.txt"}, files: []string{"requirements.txt"}, noteMatch: "poetry.lock is not used"},
		{name: "pyproject application", app: fstest.MapFS{"pyproject.toml": file("[project]\nname = \"a\"\ndependencies = [\"fastapi>=0.90\", \"uvicorn\"]\n")},
			mode: pip.ModeProjectDependencies, deps: []string{"fastapi>=0.90", "uvicorn"}, files: []string{"pyproject.toml"}},
		{name: "pyproject package", app: fstest.MapFS{"pyproject.toml": file("[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n[project]\nname = \"a\"\n")},
			mode: pip.ModePackage, files: []string{"pyproject.toml"}},
		{name: "pyproject with only tool settings", app: fstest.MapFS{"pyproject.toml": file("[tool.black]\nline-length = 100\n")}, mode: pip.ModeNone},
		{name: "Poetry project built with poetry-core, no lock file", app: fstest.MapFS{"pyproject.toml": file("[build-system]\nrequires = [\"poetry-core\"]\nbuild-backend = \"poetry.core.masonry.api\"\n[tool.poetry]\nname = \"a\"\n")},
			mode: pip.ModePackage, files: []string{"pyproject.toml"}},
		{name: "setup.py", app: fstest.MapFS{"setup.py": file("from setuptools import setup\nsetup()\n")}, mode: pip.ModePackage, files: []string{"setup.py"}},
		{name: "nothing", app: fstest.MapFS{"main.py": file("")}, mode: pip.ModeNone},
		{name: "vendored wheels by default", app: fstest.MapFS{"requirements.txt": file("x\n"), "wheels/x-1-py3-none-any.whl": file("zip")},
			mode: pip.ModeRequirements, reqs: []string{"requirements.txt"}, files: []string{"requirements.txt"}, wheelDir: "wheels"},
		{name: "conda environment beside requirements is noted", app: fstest.MapFS{"requirements.txt": file("x\n"), "environment.yml": file("name: a\n")},
			mode: pip.ModeRequirements, reqs: []string{"requirements.txt"}, files: []string{"requirements.txt"}, noteMatch: "environment.yml (Conda) is not used"},
		{name: "conda environment beside PEP 621 dependencies is noted", app: fstest.MapFS{"pyproject.toml": file("[project]\nname = \"a\"\ndependencies = [\"flask\"]\n"), "environment.yml": file("name: a\n")},
			mode: pip.ModeProjectDependencies, deps: []string{"flask"}, files: []string{"pyproject.toml"}, noteMatch: "environment.yml (Conda) is not used: pyproject.toml decides"},
		{name: "setup.cfg with tool settings only", app: fstest.MapFS{"setup.cfg": file("[flake8]\nmax-line-length = 100\n"), "main.py": file("")}, mode: pip.ModeNone},
		{name: "setup.cfg beside setup.py", app: fstest.MapFS{"setup.cfg": file("[metadata]\nname = a\n"), "setup.py": file("from setuptools import setup\nsetup()\n")},
			mode: pip.ModePackage, files: []string{"setup.cfg", "setup.py"}},
		{name: "vendored wheels by setting", settings: pip.Settings{WheelDir: "vendor/"}, app: fstest.MapFS{"requirements.txt": file("x\n"), "vendor/x-1-py3-none-any.whl": file("zip")},
			mode: pip.ModeRequirements, reqs: []string{"requirements.txt"}, files: []string{"requirements.txt"}, wheelDir: "vendor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			p, err := pip.NewPlan(tt.app, tt.settings)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(p.Mode).To(Equal(tt.mode))
			g.Expect(p.Requirements).To(Equal(tt.reqs))
			g.Expect(p.Files).To(Equal(tt.files))
			g.Expect(p.Dependencies).To(Equal(tt.deps))
			g.Expect(p.WheelDir).To(Equal(tt.wheelDir))
			g.Expect(p.Describe()).NotTo(BeEmpty())
			if tt.noteMatch != "" {
				g.Expect(p.Notes).To(ContainElement(ContainSubstring(tt.noteMatch)))
			}
		})
	}
}

func TestPlanDigests(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	app := fstest.MapFS{"requirements.txt": file("-r base.txt\n"), "base.txt": file("fastapi\n")}
	a, err := pip.NewPlan(app, pip.Settings{})
	g.Expect(err).NotTo(HaveOccurred())
	b, err := pip.NewPlan(app, pip.Settings{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(a.Digests).To(Equal(b.Digests))
	app["base.txt"] = file("fastapi\nuvicorn\n")
	c, err := pip.NewPlan(app, pip.Settings{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Digests["base.txt"]).NotTo(Equal(a.Digests["base.txt"]), "an included file's change must change the digest")
	g.Expect(c.Digests["requirements.txt"]).To(Equal(a.Digests["requirements.txt"]))

	pkg := fstest.MapFS{"setup.py": file("setup()\n"), "mypkg/__init__.py": file("")}
	d, err := pip.NewPlan(pkg, pip.Settings{})
	g.Expect(err).NotTo(HaveOccurred())
	pkg["mypkg/__init__.py"] = file("x = 1\n")
	e, err := pip.NewPlan(pkg, pip.Settings{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(e.Digests["source tree"]).NotTo(Equal(d.Digests["source tree"]), "pip install . copies the source: a change must rebuild")
}

func TestNewPlanErrors(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)

	_, err := pip.NewPlan(fstest.MapFS{}, pip.Settings{Requirements: []string{"reqs.txt"}})
	var mf *pip.MissingFileError
	g.Expect(errors.As(err, &mf)).To(BeTrue(), "got %v", err)
	g.Expect(mf.Setting).To(Equal("BP_PIP_REQUIREMENTS"))
	g.Expect(mf.Path).To(Equal("reqs.txt"))

	_, err = pip.NewPlan(fstest.MapFS{"requirements.txt": file("-r missing.txt\n")}, pip.Settings{})
	g.Expect(errors.As(err, &mf)).To(BeTrue(), "got %v", err)
	g.Expect(mf.From).To(Equal("requirements.txt"))

	_, err = pip.NewPlan(fstest.MapFS{"requirements.txt": file("x\n")}, pip.Settings{WheelDir: "nowhere"})
	g.Expect(errors.As(err, &mf)).To(BeTrue(), "got %v", err)
	g.Expect(mf.Setting).To(Equal("BP_PIP_WHEEL_DIR"))

	for _, tc := range []struct {
		app  fstest.MapFS
		tool string
	}{
		{fstest.MapFS{"pyproject.toml": file("[tool.poetry]\nname='a'\n")}, "Poetry"},
		{fstest.MapFS{"poetry.lock": file(""), "main.py": file("")}, "Poetry"},
		{fstest.MapFS{"uv.lock": file("version = 1\n"), "main.py": file("")}, "uv"},
		{fstest.MapFS{"Pipfile": file("[packages]\n")}, "Pipenv"},
	} {
		_, err = pip.NewPlan(tc.app, pip.Settings{})
		var ue *pip.UnsupportedError
		g.Expect(errors.As(err, &ue)).To(BeTrue(), "got %v", err)
		g.Expect(ue.Tool).To(Equal(tc.tool))
		g.Expect(ue.Export).To(ContainSubstring("requirements"))
	}

	for _, tc := range []struct {
		app  fstest.MapFS
		tool string
		file string
	}{
		{fstest.MapFS{"environment.yml": file("name: a\ndependencies: [flask]\n"), "app.py": file("")}, "Conda", "environment.yml"},
		{fstest.MapFS{"environment.yaml": file("name: a\n"), "pyproject.toml": file("[tool.black]\n")}, "Conda", "environment.yaml"},
		{fstest.MapFS{"pdm.lock": file(""), "pyproject.toml": file("[project]\nname = \"a\"\ndependencies = [\"flask\"]\n")}, "PDM", "pdm.lock"},
		{fstest.MapFS{"pixi.toml": file("[project]\n"), "main.py": file("")}, "Pixi", "pixi.toml"},
		{fstest.MapFS{"requirements.in": file("flask\n"), "main.py": file("")}, "pip-tools", "requirements.in"},
	} {
		_, err = pip.NewPlan(tc.app, pip.Settings{})
		var ue *pip.UnsupportedError
		g.Expect(errors.As(err, &ue)).To(BeTrue(), "%v: got %v", tc.app, err)
		g.Expect(ue.Tool).To(Equal(tc.tool))
		g.Expect(ue.File).To(Equal(tc.file))
		g.Expect(ue.Export).NotTo(BeEmpty())
	}

	_, err = pip.NewPlan(fstest.MapFS{"setup.cfg": file("[metadata]\nname = a\n[options]\ninstall_requires = flask\n")}, pip.Settings{})
	var sc *pip.SetupCfgError
	g.Expect(errors.As(err, &sc)).To(BeTrue(), "got %v", err)

	_, err = pip.NewPlan(fstest.MapFS{"pyproject.toml": file("[project\n")}, pip.Settings{})
	var pe *pip.ProjectError
	g.Expect(errors.As(err, &pe)).To(BeTrue(), "got %v", err)
}

func TestUnsafeAndEnviron(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	g.Expect(pip.Unsafe(map[string]string{"PIP_TARGET": "/x", "VIRTUAL_ENV": "/v", "PIP_INDEX_URL": "http://i", "PYTHONHOME": "/h"})).
		To(Equal([]string{"PIP_TARGET", "PYTHONHOME", "VIRTUAL_ENV"}))
	g.Expect(pip.Unsafe(map[string]string{"PIP_INDEX_URL": "http://i", "BP_CPYTHON_VERSION": "3.12"})).To(BeEmpty())
	for k, why := range pip.Forbidden {
		g.Expect(why).NotTo(BeEmpty(), "%s needs a reason", k)
	}

	env := pip.Environ([]string{"PATH=/bin", "VIRTUAL_ENV=/somewhere", "PIP_INDEX_URL=http://base"},
		map[string]string{"PIP_INDEX_URL": "http://platform"}, map[string]string{"PIP_EXTRA_INDEX_URL": "http://binding"})
	g.Expect(env).To(Equal([]string{"PATH=/bin", "PIP_EXTRA_INDEX_URL=http://binding", "PIP_INDEX_URL=http://platform"}))
}

func TestBindingEnv(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	env, err := pip.BindingEnv(map[string]string{"index-url": "https://pkgs.example.com/simple", "extra-index-url": "https://a.example/simple https://b.example/simple",
		"username": "me", "password": "s3cret/!"}, "/bindings/pip")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(env).To(Equal(map[string]string{
		"PIP_INDEX_URL":       "https://me:s3cret%2F%21@pkgs.example.com/simple",
		"PIP_EXTRA_INDEX_URL": "https://me:s3cret%2F%21@a.example/simple https://me:s3cret%2F%21@b.example/simple",
	}))

	env, err = pip.BindingEnv(map[string]string{"pip.conf": "[global]\n"}, "/bindings/pip")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(env).To(Equal(map[string]string{"PIP_CONFIG_FILE": "/bindings/pip/pip.conf"}))

	_, err = pip.BindingEnv(map[string]string{"username": "me"}, "/b")
	g.Expect(err).To(MatchError(ContainSubstring("no index-url")))
	_, err = pip.BindingEnv(map[string]string{"index-url": "not a url"}, "/b")
	g.Expect(err).To(MatchError(ContainSubstring("not an absolute URL")))
	_, err = pip.BindingEnv(map[string]string{"other": "x"}, "/b")
	g.Expect(err).To(MatchError(ContainSubstring("none of the keys")))
}

const uvLockFile = `version = 1
requires-python = ">=3.11"

[[package]]
name = "anyio"
version = "4.4.0"
source = { registry = "https://index.example.com/simple" }
dependencies = [
    { name = "idna" },
    { name = "sniffio" },
]
wheels = [
    { url = "https://files.example/anyio-4.4.0-py3-none-any.whl", hash = "sha256:c1b2d8f46a8a812513012e1107cb0e68c17159a7a594208005a57dc776e1bdc7", size = 86780 },
]

[[package]]
name = "colorama"
version = "0.4.6"
source = { registry = "https://index.example.com/simple" }

[[package]]
name = "click"
version = "8.1.7"
source = { registry = "https://index.example.com/simple" }
dependencies = [
    { name = "colorama", marker = "platform_system == 'Windows'" },
]

[[package]]
name = "idna"
version = "3.7"
source = { registry = "https://index.example.com/simple" }

[[package]]
name = "pytest"
version = "8.2.0"
source = { registry = "https://index.example.com/simple" }

[[package]]
name = "sniffio"
version = "1.3.1"
source = { registry = "https://index.example.com/simple" }

[[package]]
name = "svc"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "uvicorn", extra = ["standard"] },
]

[package.dev-dependencies]
dev = [
    { name = "pytest" },
]

[package.metadata]
requires-dist = [{ name = "uvicorn", extras = ["standard"] }]

[[package]]
name = "uvicorn"
version = "0.30.1"
source = { registry = "https://index.example.com/simple" }
dependencies = [
    { name = "click" },
]

[package.optional-dependencies]
standard = [
    { name = "anyio" },
]
`

func TestUVLock(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	app := fstest.MapFS{"uv.lock": file(uvLockFile), "pyproject.toml": file("[project]\nname = \"svc\"\nversion = \"0.1.0\"\ndependencies = [\"uvicorn[standard]\"]\n")}
	p, err := pip.NewPlan(app, pip.Settings{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Mode).To(Equal(pip.ModeLock))
	g.Expect(p.Package).To(BeFalse())
	g.Expect(p.Dependencies).To(Equal([]string{
		"anyio==4.4.0",
		"click==8.1.7",
		"colorama==0.4.6 ; platform_system == 'Windows'",
		"idna==3.7",
		"sniffio==1.3.1",
		"uvicorn==0.30.1",
	}), "the runtime closure with extras, no dev dependencies, markers kept for pip")
	g.Expect(p.Files).To(Equal([]string{"pyproject.toml", "uv.lock"}))
	g.Expect(p.Describe()).To(Equal("pip install --no-deps of the 6 packages locked in uv.lock"))

	app["pyproject.toml"] = file("[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n[project]\nname = \"svc\"\nversion = \"0.1.0\"\n")
	p, err = pip.NewPlan(app, pip.Settings{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Package).To(BeTrue())
	g.Expect(p.Digests).To(HaveKey("source tree"))

	for _, tc := range []struct{ lock, project, problem string }{
		{"version = 2\n", "svc", "has version 2"},
		{"version = 1\n[[package]]\nname = \"other\"\nversion = \"1\"\nsource = { virtual = \".\" }\n", "svc", `no package for the project "svc"`},
		{"version = [\n", "svc", "not valid TOML"},
		{"version = 1\n[[package]]\nname = \"svc\"\nversion = \"1\"\nsource = { virtual = \".\" }\ndependencies = [{ name = \"x\" }]\n[[package]]\nname = \"x\"\nversion = \"0.1\"\nsource = { git = \"https://git.example/x\" }\n", "svc", "locks x from a git source"},
		{"version = 1\n[[package]]\nname = \"svc\"\nversion = \"1\"\nsource = { virtual = \".\" }\ndependencies = [{ name = \"x\" }]\n", "svc", `dependency "x" matches 0 packages`},
	} {
		_, err := pip.NewPlan(fstest.MapFS{"uv.lock": file(tc.lock), "pyproject.toml": file("[project]\nname = \"" + tc.project + "\"\n")}, pip.Settings{})
		var le *pip.LockError
		g.Expect(errors.As(err, &le)).To(BeTrue(), "got %v", err)
		g.Expect(le.Problem).To(ContainSubstring(tc.problem))
	}
}

const poetryLockFile = `# This file is automatically @generated by Poetry and should not be changed by hand.

[[package]]
name = "anyio"
version = "3.6.2"
description = "High level compatibility layer for multiple asynchronous event loop implementations"
optional = false
python-versions = ">=3.6.2"
files = [
    {file = "anyio-3.6.2-py3-none-any.whl", hash = "sha256:fbbe32bd270d2a2ef3ed1c5d45041250284e31fc0a4df4a5a6071842051a51e3"},
]

[package.dependencies]
idna = ">=2.8"
sniffio = ">=1.1"
typing-extensions = {version = "*", markers = "python_version < \"3.8\""}

[package.extras]
trio = ["trio (>=0.16,<0.22)"]

[[package]]
name = "black"
version = "23.1.0"
description = "The uncompromising code formatter."
optional = false
python-versions = ">=3.7"
files = []

[[package]]
name = "colorama"
version = "0.4.6"
description = "Cross-platform colored terminal text."
optional = false
python-versions = "*"
files = []

[[package]]
name = "idna"
version = "3.3"
description = "Internationalized Domain Names in Applications (IDNA)"
optional = false
python-versions = ">=3.5"
files = []

[[package]]
name = "sniffio"
version = "1.2.0"
description = "Sniff out which async library your code is running under"
optional = false
python-versions = ">=3.5"
files = []

[[package]]
name = "typing-extensions"
version = "4.4.0"
description = "Backported and Experimental Type Hints for Python 3.7+"
optional = false
python-versions = ">=3.7"
files = []

[[package]]
name = "uvicorn"
version = "0.17.6"
description = "The lightning-fast ASGI server."
optional = false
python-versions = ">=3.7"
files = []

[package.dependencies]
colorama = {version = ">=0.4", optional = true, markers = "sys_platform == \"win32\""}
h11 = {version = ">=0.8", optional = true}

[package.extras]
standard = ["colorama (>=0.4)"]

[metadata]
lock-version = "2.0"
python-versions = "^3.11"
content-hash = "0123456789abcdef"
`

func TestPoetryLock(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	pyproject := `[tool.poetry]
name = "svc"
version = "0.1.0"
package-mode = false

[tool.poetry.dependencies]
python = "^3.11"
anyio = "^3.6"
uvicorn = {version = "^0.17", extras = ["standard"]}
trio = {version = "*", optional = true}

[tool.poetry.group.dev.dependencies]
black = "^23.1"
`
	app := fstest.MapFS{"poetry.lock": file(poetryLockFile), "pyproject.toml": file(pyproject)}
	p, err := pip.NewPlan(app, pip.Settings{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Mode).To(Equal(pip.ModeLock))
	g.Expect(p.LockFile).To(Equal("poetry.lock"))
	g.Expect(p.Package).To(BeFalse())
	g.Expect(p.Dependencies).To(Equal([]string{
		"anyio==3.6.2",
		`colorama==0.4.6 ; sys_platform == "win32"`,
		"idna==3.3",
		"sniffio==1.2.0",
		`typing-extensions==4.4.0 ; python_version < "3.8"`,
		"uvicorn==0.17.6",
	}), "main dependencies and extras; no dev group, no optional trio, no h11 (optional, not in the extra)")
	g.Expect(p.Describe()).To(Equal("pip install --no-deps of the 6 packages locked in poetry.lock"))

	// Poetry 2: [project] dependencies.
	app["pyproject.toml"] = file("[project]\nname = \"svc\"\nversion = \"0.1.0\"\ndependencies = [\"anyio>=3.6\"]\n[build-system]\nrequires = [\"poetry-core\"]\nbuild-backend = \"poetry.core.masonry.api\"\n")
	p, err = pip.NewPlan(app, pip.Settings{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Dependencies).To(Equal([]string{"anyio==3.6.2", "idna==3.3", "sniffio==1.2.0", `typing-extensions==4.4.0 ; python_version < "3.8"`}))
	g.Expect(p.Package).To(BeTrue())

	for _, tc := range []struct{ lock, problem string }{
		{"[metadata]\nlock-version = \"9.0\"\n", `lock-version "9.0"`},
		{"[metadata]\nlock-version = \"2.0\"\n", "has no package anyio"},
		{"[[package]]\nname = \"anyio\"\nversion = \"1\"\n[[package]]\nname = \"anyio\"\nversion = \"2\"\n[metadata]\nlock-version = \"2.0\"\n", "locks anyio more than once"},
		{"[[package]]\nname = \"anyio\"\nversion = \"1\"\n[package.source]\ntype = \"git\"\nurl = \"https://git.example/anyio\"\n[metadata]\nlock-version = \"2.0\"\n", "locks anyio from a git source"},
	} {
		_, err := pip.NewPlan(fstest.MapFS{"poetry.lock": file(tc.lock), "pyproject.toml": file("[project]\nname = \"svc\"\ndependencies = [\"anyio\"]\n")}, pip.Settings{})
		var le *pip.LockError
		g.Expect(errors.As(err, &le)).To(BeTrue(), "got %v", err)
		g.Expect(le.Problem).To(ContainSubstring(tc.problem))
	}
}

// A Poetry dependency is a constraint, a table or an array of tables (one per platform or
// Python version): it is needed where any entry applies, and a python constraint becomes a
// marker. A value of another kind is reported with the dependency's name.
func TestPoetryDependencyForms(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	pyproject := `[tool.poetry]
package-mode = false

[tool.poetry.dependencies]
python = "^3.11"
anyio = [{version = "^3.6", markers = "sys_platform == 'linux'"}, {version = "^3.5", python = ">=3.12"}]
uvicorn = {version = "*", python = ">=3.10,<3.14"}
`
	app := fstest.MapFS{"poetry.lock": file(poetryLockFile), "pyproject.toml": file(pyproject)}
	p, err := pip.NewPlan(app, pip.Settings{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Dependencies).To(ContainElements(
		`anyio==3.6.2 ; (sys_platform == 'linux') or (python_full_version >= '3.12')`,
		`uvicorn==0.17.6 ; python_full_version >= '3.10' and python_full_version < '3.14'`,
	))

	app["pyproject.toml"] = file("[tool.poetry]\npackage-mode = false\n[tool.poetry.dependencies]\nanyio = 3\n")
	_, err = pip.NewPlan(app, pip.Settings{})
	g.Expect(err).To(MatchError(ContainSubstring("dependency anyio is neither a constraint, a table of markers, optional, extras and python, nor an array of such tables")))
}

func TestPipfileLock(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	lock := `{
    "_meta": {"hash": {"sha256": "x"}, "pipfile-spec": 6, "requires": {"python_version": "3.11"},
              "sources": [{"name": "pypi", "url": "https://index.example.com/simple", "verify_ssl": true}]},
    "default": {
        "flask": {"hashes": ["sha256:aa"], "index": "pypi", "markers": "python_version >= '3.7'", "version": "==2.2.2"},
        "Werkzeug": {"hashes": ["sha256:bb"], "version": "==2.2.2"}
    },
    "develop": {
        "pytest": {"hashes": ["sha256:cc"], "version": "==8.0.0"}
    }
}`
	p, err := pip.NewPlan(fstest.MapFS{"Pipfile": file("[packages]\nflask = \"*\"\n"), "Pipfile.lock": file(lock)}, pip.Settings{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Mode).To(Equal(pip.ModeLock))
	g.Expect(p.LockFile).To(Equal("Pipfile.lock"))
	g.Expect(p.Dependencies).To(Equal([]string{"flask==2.2.2 ; python_version >= '3.7' --hash=sha256:aa", "werkzeug==2.2.2 --hash=sha256:bb"}),
		"every entry has hashes: pip checks them")
	g.Expect(p.Files).To(Equal([]string{"Pipfile.lock"}))

	for _, tc := range []struct{ lock, problem string }{
		{"{", "not valid JSON"},
		{`{"_meta": {"pipfile-spec": 5}}`, "pipfile-spec 5"},
		{`{"_meta": {"pipfile-spec": 6}, "default": {"x": {"git": "https://git.example/x"}}}`, "locks x from a git repository"},
		{`{"_meta": {"pipfile-spec": 6}, "default": {"x": {"version": "*"}}}`, "no pinned version for x"},
	} {
		_, err := pip.NewPlan(fstest.MapFS{"Pipfile.lock": file(tc.lock)}, pip.Settings{})
		var le *pip.LockError
		g.Expect(errors.As(err, &le)).To(BeTrue(), "got %v", err)
		g.Expect(le.Problem).To(ContainSubstring(tc.problem))
	}
}

// With a wheel folder pip runs with --no-index: anything that would still reach the network
// is refused, with the file and line.
func TestRemoteSourcesOffline(t *testing.T) {
	t.Parallel()
	wheel := file("zip")
	tests := []struct {
		name      string
		app       fstest.MapFS
		findLinks string
		want      []pip.RemoteSource // nil: accepted
	}{
		{name: "remote find-links", app: fstest.MapFS{"requirements.txt": file("--no-index\n-f http://127.0.0.1:1/links/\nuvicorn\n")},
			want: []pip.RemoteSource{{File: "requirements.txt", Line: 2, Text: "-f http://127.0.0.1:1/links/"}}},
		{name: "every spelling", app: fstest.MapFS{"requirements.txt": file("--find-links=https://h/l\n-fhttps://h/l2\n--find-links https://h/l3 # links\n-r https://h/r.txt\n--constraint=https://h/c.txt\n" +
			"x @ https://h/x-1-py3-none-any.whl\nhttps://h/y-1-py3-none-any.whl\n-e git+https://h/z.git#egg=z\ngit+ssh://git@h/w.git\n")},
			want: []pip.RemoteSource{
				{File: "requirements.txt", Line: 1, Text: "--find-links=https://h/l"},
				{File: "requirements.txt", Line: 2, Text: "-fhttps://h/l2"},
				{File: "requirements.txt", Line: 3, Text: "--find-links https://h/l3"},
				{File: "requirements.txt", Line: 4, Text: "-r https://h/r.txt"},
				{File: "requirements.txt", Line: 5, Text: "--constraint=https://h/c.txt"},
				{File: "requirements.txt", Line: 6, Text: "x @ https://h/x-1-py3-none-any.whl"},
				{File: "requirements.txt", Line: 7, Text: "https://h/y-1-py3-none-any.whl"},
				{File: "requirements.txt", Line: 8, Text: "-e git+https://h/z.git#egg=z"},
				{File: "requirements.txt", Line: 9, Text: "git+ssh://git@h/w.git"},
			}},
		{name: "in an included file", app: fstest.MapFS{"requirements.txt": file("-r base.txt\n"), "base.txt": file("# base\n--find-links http://h/\n")},
			want: []pip.RemoteSource{{File: "base.txt", Line: 2, Text: "--find-links http://h/"}}},
		{name: "PIP_FIND_LINKS", app: fstest.MapFS{"requirements.txt": file("uvicorn\n")}, findLinks: "/opt/wheels http://h/links",
			want: []pip.RemoteSource{{File: "PIP_FIND_LINKS", Text: "http://h/links"}}},
		{name: "PEP 621 direct reference", app: fstest.MapFS{"pyproject.toml": file("[project]\nname = \"a\"\ndependencies = [\"x @ https://h/x.whl\"]\n")},
			want: []pip.RemoteSource{{File: "pyproject.toml [project] dependencies", Text: "x @ https://h/x.whl"}}},
		{name: "index options are turned off by --no-index", app: fstest.MapFS{"requirements.txt": file("-i https://h/simple\n--extra-index-url https://h2/simple\n--trusted-host h\nuvicorn==1 --hash=sha256:00\n")}},
		{name: "local links and files", app: fstest.MapFS{"requirements.txt": file("-f ./vendor\n--find-links file:///w/links\n./libs/a\nb @ file:///w/b.whl\n# https://example.com/not-a-line\nc  # see https://h/c\n")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			tt.app["wheels/uvicorn-1-py3-none-any.whl"] = wheel
			_, err := pip.NewPlan(tt.app, pip.Settings{FindLinks: tt.findLinks})
			if tt.want == nil {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			var re *pip.RemoteSourceError
			g.Expect(errors.As(err, &re)).To(BeTrue(), "NewPlan returned %v, want a *RemoteSourceError", err)
			g.Expect(re.WheelDir).To(Equal("wheels"))
			g.Expect(re.Sources).To(Equal(tt.want))

			delete(tt.app, "wheels/uvicorn-1-py3-none-any.whl")
			_, err = pip.NewPlan(tt.app, pip.Settings{FindLinks: tt.findLinks})
			g.Expect(err).NotTo(HaveOccurred(), "without a wheel folder the install may use the network")
		})
	}
}
