package python_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/buildpacks/python"
	"github.com/cnbkit/cnbkit/sdk/cnbtest"
)

// pip and the buildpack's helpers run isolated from the app's modules and from the PYTHON*
// variables the platform sets for the app: an app's own pip/ package, typing.py or venv.py
// never replaces what the build runs.
func TestAppModulesDoNotReachTheBuild(t *testing.T) {
	t.Parallel()
	bp := buildpackDir(t)
	shadow := "raise SystemExit('the app module %s was imported by the build')\n"
	tests := []struct {
		name  string
		files map[string]string
		env   map[string]string
	}{
		{name: "a top-level pip package", files: map[string]string{"pip/__init__.py": "", "pip/__main__.py": "print('not pip: nothing installed')\n"}},
		{name: "typing.py", files: map[string]string{"typing.py": strings.ReplaceAll(shadow, "%s", "typing")}},
		{name: "venv.py, compileall.py and site.py", files: map[string]string{"venv.py": strings.ReplaceAll(shadow, "%s", "venv"),
			"compileall.py": strings.ReplaceAll(shadow, "%s", "compileall"), "site.py": strings.ReplaceAll(shadow, "%s", "site")}},
		{name: "the platform's PYTHON* variables", files: map[string]string{"lib/typing.py": strings.ReplaceAll(shadow, "%s", "lib/typing")},
			env: map[string]string{"PYTHONPATH": "lib", "PYTHONVERBOSE": "1", "PYTHONWARNINGS": "error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			files := merge(map[string]string{"main.py": scriptApp, "requirements.txt": "uvicorn\n"}, tt.files)
			out := cnbtest.Build(t, python.Build, cnbtest.Options{App: app(t, files, uvicornWheel), BuildpackDir: bp, Env: tt.env})
			g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
			g.Expect(installed(t, out)).To(ConsistOf("uvicorn-0.17.6.dist-info"), out.Log)
			g.Expect(out.Log).NotTo(ContainSubstring("was imported by the build"))
			g.Expect(out.Log).NotTo(ContainSubstring("# installing zipimport hook"), "PYTHONVERBOSE reached pip")
		})
	}
}

// Start commands built from file names are quoted: run under sh as the image would, the file
// runs and no part of its name runs as shell code.
func TestFileNamesInStartCommands(t *testing.T) {
	t.Parallel()
	bp := buildpackDir(t)
	py, err := hostPython()
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	for file, want := range map[string]string{
		"my app.py":         `exec python 'my app.py'`,
		"$(touch pwned).py": `exec python '$(touch pwned).py'`,
		"x;id.py":           `exec python 'x;id.py'`,
		"`touch pwned`.py":  "exec python '`touch pwned`.py'",
	} {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			out := cnbtest.Build(t, python.Build, cnbtest.Options{App: app(t, map[string]string{file: "import os\nprint('ran', os.path.basename(__file__))\n"}), BuildpackDir: bp})
			g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
			g.Expect(out.Processes[0].Command).To(Equal([]string{"sh", "-c", want}))

			bin := t.TempDir()
			g.Expect(os.Symlink(py, filepath.Join(bin, "python"))).To(Succeed())
			cmd := exec.Command("sh", out.Processes[0].Command[1:]...)
			cmd.Dir = out.AppDir
			cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin"}
			output, err := cmd.CombinedOutput()
			g.Expect(err).NotTo(HaveOccurred(), string(output))
			g.Expect(string(output)).To(Equal("ran " + file + "\n"))
			_, err = os.Stat(filepath.Join(out.AppDir, "pwned"))
			g.Expect(os.IsNotExist(err)).To(BeTrue(), "the file name ran as shell code")
		})
	}
}

// An offline install (a wheel folder: pip runs with --no-index) makes no network request, as
// the docs say: a requirements file that points pip at a server anyway is refused before pip
// runs, and the server sees nothing.
func TestOfflineInstallMakesNoRequest(t *testing.T) {
	t.Parallel()
	bp := buildpackDir(t)
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	g := NewWithT(t)
	for _, reqs := range []string{
		"--no-index\n-f " + srv.URL + "/links/\nuvicorn\n",
		"uvicorn\nhello @ " + srv.URL + "/hello-1.0-py3-none-any.whl\n",
		"-r " + srv.URL + "/more.txt\nuvicorn\n",
	} {
		out := cnbtest.Build(t, python.Build, cnbtest.Options{App: app(t, map[string]string{"main.py": scriptApp, "requirements.txt": reqs}, uvicornWheel), BuildpackDir: bp})
		g.Expect(out.ExitCode).To(Equal(1), out.Log)
		g.Expect(out.Log).To(ContainSubstring("Network source in an offline install"))
		g.Expect(out.Log).To(ContainSubstring("requirements.txt line "))
		g.Expect(out.Log).To(ContainSubstring(srv.URL))
	}
	out := cnbtest.Build(t, python.Build, cnbtest.Options{App: app(t, map[string]string{"main.py": scriptApp, "requirements.txt": "uvicorn\n"}, uvicornWheel),
		BuildpackDir: bp, Env: map[string]string{"PIP_FIND_LINKS": srv.URL + "/links/", "PIP_INDEX_URL": srv.URL + "/simple/"}})
	g.Expect(out.ExitCode).To(Equal(1), out.Log)
	g.Expect(out.Log).To(ContainSubstring("PIP_FIND_LINKS: " + srv.URL + "/links/"))
	g.Expect(requests.Load()).To(BeZero(), "the offline build reached the server")

	// The index settings are turned off by --no-index: the install succeeds offline.
	out = cnbtest.Build(t, python.Build, cnbtest.Options{App: app(t, map[string]string{"main.py": scriptApp, "requirements.txt": "-i " + srv.URL + "/simple/\nuvicorn\n"}, uvicornWheel),
		BuildpackDir: bp, Env: map[string]string{"PIP_INDEX_URL": srv.URL + "/simple/", "PIP_EXTRA_INDEX_URL": srv.URL + "/extra/"}})
	g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
	g.Expect(installed(t, out)).To(ConsistOf("uvicorn-0.17.6.dist-info"))
	g.Expect(requests.Load()).To(BeZero(), "the offline build reached the server")
}
