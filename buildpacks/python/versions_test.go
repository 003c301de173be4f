package python_test

import (
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/buildpacks/python"
	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/cnbtest"
	"github.com/cnbkit/cnbkit/sdk/dependency"
)

func TestVersionResolution(t *testing.T) {
	t.Parallel()
	bp := buildpackDir(t)
	tests := []struct {
		name  string
		files map[string]string
		env   map[string]string
		plan  []sdk.Require
		want  string
		log   string
		warn  string
	}{
		{name: "default is the newest", want: "3.14.7", log: "Using CPython 3.14.7, the newest this buildpack provides (the default: no version source asks for a version)"},
		{name: ".python-version with comments and blank lines", files: map[string]string{".python-version": "# pinned for production\n\n3.12   # see the changelog\n"}, want: "3.12.14", log: "as .python-version asks (3.12)"},
		{name: ".python-version constraint", files: map[string]string{".python-version": ">= 3.10\n"}, want: "3.14.7", log: "as .python-version asks (>= 3.10, a constraint: the newest release it allows)"},
		{name: ".python-version range", files: map[string]string{".python-version": ">=3.11,<3.13\n"}, want: "3.12.14", log: "(>=3.11,<3.13, a constraint"},
		{name: "Poetry python", files: map[string]string{"pyproject.toml": "[tool.poetry.dependencies]\npython = \"~3.12\"\n", "requirements.txt": ""}, want: "3.12.14", log: "as pyproject.toml [tool.poetry.dependencies] python asks (~3.12, a constraint"},
		{name: "requires-python above Poetry python", files: map[string]string{"pyproject.toml": "[project]\nname = \"a\"\nrequires-python = \">=3.13\"\n[tool.poetry.dependencies]\npython = \"^3.11\"\n", "requirements.txt": ""},
			want: "3.14.7", log: "as pyproject.toml requires-python asks (>=3.13"},
		{name: "Pipfile full version", files: map[string]string{"Pipfile": "[requires]\npython_version = \"3.12\"\npython_full_version = \"3.12.14\"\n", "requirements.txt": ""}, want: "3.12.14", log: "as Pipfile [requires] asks (3.12.14)"},
		{name: "setting wins over an unreadable .python-version", env: map[string]string{"BP_CPYTHON_VERSION": "3.13"}, files: map[string]string{".python-version": "pypy3.10\n"},
			want: "3.13.15", log: "as BP_CPYTHON_VERSION asks (3.13)", warn: `.python-version is ignored because BP_CPYTHON_VERSION is set: "pypy3.10" names a Python implementation other than CPython`},
		{name: ".python-version X.Y", files: map[string]string{".python-version": "3.12\n"}, want: "3.12.14", log: "as .python-version asks (3.12)"},
		{name: ".python-version X.Y.Z", files: map[string]string{".python-version": "3.11.16\n"}, want: "3.11.16"},
		{name: "runtime.txt accepted with a note", files: map[string]string{"runtime.txt": "python-3.13.15\n"}, want: "3.13.15", warn: "runtime.txt is accepted but outdated"},
		{name: "requires-python", files: map[string]string{"pyproject.toml": "[project]\nname = \"a\"\nrequires-python = \">=3.11,<3.13\"\n"}, want: "3.12.14", log: "pyproject.toml requires-python"},
		{name: "Pipfile", files: map[string]string{"Pipfile": "[requires]\npython_version = \"3.11\"\n", "requirements.txt": ""}, want: "3.11.16", log: "Pipfile [requires]"},
		{name: "setting wins over everything", env: map[string]string{"BP_CPYTHON_VERSION": "3.13"}, files: map[string]string{".python-version": "3.12\n", "runtime.txt": "python-3.11.16"},
			want: "3.13.15", warn: ".python-version asks for 3.12, which is ignored because BP_CPYTHON_VERSION (higher priority) asks for 3.13"},
		{name: ".python-version wins over runtime.txt", files: map[string]string{".python-version": "3.12\n", "runtime.txt": "python-3.11.16"}, want: "3.12.14", warn: "runtime.txt asks for 3.11.16, which is ignored"},
		{name: "setting range", env: map[string]string{"BP_CPYTHON_VERSION": ">=3.11,<3.14"}, want: "3.13.15"},
		{name: "another buildpack's plan request", plan: []sdk.Require{sdk.NewRequire("cpython", python.PlanMetadata{Version: "3.12", VersionSource: "BP_OTHER", Build: true})}, want: "3.12.14", log: "as BP_OTHER asks"},
		{name: "app request beats the plan", files: map[string]string{".python-version": "3.11\n"}, plan: []sdk.Require{sdk.NewRequire("cpython", python.PlanMetadata{Version: "3.12"})}, want: "3.11.16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			files := map[string]string{"main.py": "print('hi')\n"}
			for k, v := range tt.files {
				files[k] = v
			}
			out := cnbtest.Build(t, python.Build, cnbtest.Options{App: app(t, files), BuildpackDir: bp, Env: tt.env, Plan: sdk.Plan{Entries: tt.plan}})
			g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
			g.Expect(cnbtest.LayerMetadata[dependency.LayerMetadata](out, "cpython")).To(HaveField("Version", tt.want), out.Log)
			g.Expect(out.Log).To(ContainSubstring("Using CPython " + tt.want))
			if tt.log != "" {
				g.Expect(out.Log).To(ContainSubstring(tt.log))
			}
			if tt.warn != "" {
				g.Expect(out.Log).To(ContainSubstring("WARNING: " + tt.warn))
			} else {
				g.Expect(out.Log).NotTo(ContainSubstring("WARNING"))
			}
		})
	}
}

// Another buildpack's "cpython" entry decodes strictly into python.PlanMetadata: a key the
// buildpack does not read fails the build with the key named, instead of being ignored.
func TestPlanEntryWithAnUnknownKey(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	other := sdk.NewRequire(python.PlanCPython, struct {
		Version  string `toml:"version"`
		Vendored bool   `toml:"vendored"`
	}{"3.12", true})
	out := cnbtest.Build(t, python.Build, cnbtest.Options{App: app(t, map[string]string{"main.py": scriptApp}), BuildpackDir: buildpackDir(t),
		Plan: sdk.Plan{Entries: []sdk.Require{other}}})
	g.Expect(out).To(cnbtest.HaveErrored(`buildpack plan entry 1 ("cpython") metadata has unknown key vendored: python.PlanMetadata has no field for it`))
}

func TestArm64Target(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	out := cnbtest.Build(t, python.Build, cnbtest.Options{App: app(t, map[string]string{"main.py": scriptApp}), BuildpackDir: buildpackDir(t),
		Target: sdk.Target{OS: "linux", Arch: "arm64"}})
	g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
	g.Expect(cnbtest.LayerMetadata[dependency.LayerMetadata](out, "cpython")).To(HaveField("Target", "linux/arm64"))
}
