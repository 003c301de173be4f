package python_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/buildpacks/python"
	"github.com/cnbkit/cnbkit/buildpacks/python/internal/testwheel"
	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/cnbtest"
)

func sh(script string) []string { return []string{"sh", "-c", script} }

// Start commands chosen through a real build (pip installs the servers, detection reads what
// was installed).
func TestStartCommands(t *testing.T) {
	t.Parallel()
	bp := buildpackDir(t)
	djangoFiles := map[string]string{
		"manage.py":          "import os, sys\n",
		"mysite/__init__.py": "",
		"mysite/wsgi.py":     "from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n",
	}
	tests := []struct {
		name   string
		files  map[string]string
		wheels []testwheel.Wheel
		env    map[string]string
		want   []sdk.Process
		log    string
		warn   string
	}{
		{name: "Flask with gunicorn", files: map[string]string{"app.py": "from flask import Flask\napp = Flask(__name__)\n", "requirements.txt": "flask\ngunicorn\n"},
			wheels: []testwheel.Wheel{flaskWheel, gunicornWheel},
			want:   []sdk.Process{{Type: "web", Default: true, Command: sh(`exec gunicorn --bind "0.0.0.0:${PORT:-8080}" app:app`)}},
			log:    "Flask app app:app found in app.py, served with gunicorn"},
		{name: "Flask without a server", files: map[string]string{"app.py": "from flask import Flask\napp = Flask(__name__)\n\nif __name__ == '__main__':\n    app.run()\n", "requirements.txt": "flask\n"},
			wheels: []testwheel.Wheel{flaskWheel},
			want:   []sdk.Process{{Type: "web", Default: true, Command: sh(`exec python app.py`)}},
			warn:   "add gunicorn to your requirements"},
		{name: "Django with gunicorn", files: merge(djangoFiles, map[string]string{"requirements.txt": "django\ngunicorn\n"}),
			wheels: []testwheel.Wheel{djangoWheel, gunicornWheel}, env: map[string]string{"BP_PYTHON_DJANGO_COLLECTSTATIC": "false"}, // a stand-in Django
			want: []sdk.Process{{Type: "web", Default: true, Command: sh(`exec gunicorn --bind "0.0.0.0:${PORT:-8080}" mysite.wsgi:application`)}},
			log:  "Django app mysite.wsgi:application found in mysite/wsgi.py"},
		{name: "Procfile web first, others extra", files: map[string]string{"main.py": fastapiApp, "requirements.txt": "fastapi\nuvicorn\n",
			"Procfile": "worker: python worker.py\nweb: uvicorn main:app --host 0.0.0.0 --port $PORT --workers 2\n"},
			wheels: []testwheel.Wheel{fastapiWheel, starletteWheel, uvicornWheel},
			want: []sdk.Process{{Type: "web", Default: true, Command: sh("exec uvicorn main:app --host 0.0.0.0 --port $PORT --workers 2")},
				{Type: "worker", Command: sh("exec python worker.py")}},
			log: "web: exec added in front of uvicorn, so that it replaces sh and receives SIGTERM"},
		{name: "explicit BP_PYTHON_ENTRYPOINT", files: map[string]string{"main.py": fastapiApp, "Procfile": "web: python other.py\n"},
			env:  map[string]string{"BP_PYTHON_ENTRYPOINT": "python -m http.server $PORT"},
			want: []sdk.Process{{Type: "web", Default: true, Command: sh("exec python -m http.server $PORT")}},
			log:  "set by BP_PYTHON_ENTRYPOINT"},
		{name: "functions-framework with the only function of main.py", files: map[string]string{"main.py": "import functions_framework\n\n@functions_framework.http\ndef hello(request):\n    return 'hi'\n", "requirements.txt": "functions-framework\n"},
			wheels: []testwheel.Wheel{functionsFrameworkWheel},
			want:   []sdk.Process{{Type: "web", Default: true, Command: sh(`exec functions-framework --target hello --port "${PORT:-8080}"`)}},
			log:    "functions-framework is installed and hello is the only function in main.py"},
		{name: "functions-framework target from GOOGLE_FUNCTION_TARGET", files: map[string]string{"main.py": "def hello(request):\n    return 'hi'\n\ndef bye(request):\n    return 'bye'\n", "requirements.txt": "functions-framework\n"},
			wheels: []testwheel.Wheel{functionsFrameworkWheel}, env: map[string]string{"GOOGLE_FUNCTION_TARGET": "bye"},
			want: []sdk.Process{{Type: "web", Default: true, Command: sh(`exec functions-framework --target bye --port "${PORT:-8080}"`)}},
			log:  "functions-framework is installed and GOOGLE_FUNCTION_TARGET names the function bye"},
		{name: "plain script", files: map[string]string{"main.py": "print('batch job')\n"},
			want: []sdk.Process{{Type: "web", Default: true, Command: sh("exec python main.py")}},
			log:  "main.py exists and defines no ASGI or WSGI app object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			out := cnbtest.Build(t, python.Build, cnbtest.Options{App: app(t, tt.files, tt.wheels...), BuildpackDir: bp, Env: tt.env})
			g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
			g.Expect(out.Processes).To(Equal(tt.want))
			if tt.log != "" {
				g.Expect(out.Log).To(ContainSubstring(tt.log))
			}
			if tt.warn != "" {
				g.Expect(out.Log).To(ContainSubstring("WARNING: "))
				g.Expect(out.Log).To(ContainSubstring(tt.warn))
			}
		})
	}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// installed returns the distribution folders in the venv layer of out.
func installed(t *testing.T, out cnbtest.BuildOutcome) []string {
	t.Helper()
	infos, _ := filepath.Glob(filepath.Join(out.Layers["venv"].Path, "lib", "python3*", "site-packages", "*.dist-info"))
	var names []string
	for _, i := range infos {
		names = append(names, filepath.Base(i))
	}
	return names
}

func TestDependencySources(t *testing.T) {
	t.Parallel()
	bp := buildpackDir(t)
	t.Run("several requirements files with BP_PIP_REQUIREMENTS", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		out := cnbtest.Build(t, python.Build, cnbtest.Options{BuildpackDir: bp,
			App: app(t, map[string]string{"main.py": fastapiApp, "requirements/base.txt": "fastapi\n", "requirements/web.txt": "-r base.txt\nuvicorn\n", "requirements.txt": "flask\n"},
				fastapiWheel, starletteWheel, uvicornWheel, flaskWheel),
			Env: map[string]string{"BP_PIP_REQUIREMENTS": "requirements/base.txt,requirements/web.txt"}})
		g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
		g.Expect(installed(t, out)).To(ConsistOf("fastapi-0.92.0.dist-info", "starlette-0.26.1.dist-info", "uvicorn-0.17.6.dist-info"))
		g.Expect(out.Log).To(ContainSubstring("pip install -r requirements/base.txt -r requirements/web.txt"))
	})
	t.Run("vendored wheels from BP_PIP_WHEEL_DIR, no index", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		a := app(t, map[string]string{"main.py": scriptApp, "requirements.txt": "uvicorn\n"}, uvicornWheel)
		for name, f := range a { // move wheels/ to vendor/wheels/
			if filepath.Dir(name) == "wheels" {
				a["vendor/wheels/"+filepath.Base(name)] = f
				delete(a, name)
			}
		}
		out := cnbtest.Build(t, python.Build, cnbtest.Options{BuildpackDir: bp, App: a,
			Env: map[string]string{"BP_PIP_WHEEL_DIR": "vendor/wheels", "PIP_INDEX_URL": "http://127.0.0.1:9/simple"}})
		g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
		g.Expect(installed(t, out)).To(ConsistOf("uvicorn-0.17.6.dist-info"))
	})
	t.Run("uv.lock pins exactly", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		newer := testwheel.Wheel{Name: "uvicorn", Version: "0.99.0", License: "BSD-3-Clause"}
		lock := `version = 1
requires-python = ">=3.11"

[[package]]
name = "svc"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "fastapi" },
    { name = "uvicorn" },
]

[package.dev-dependencies]
dev = [{ name = "flask" }]

[[package]]
name = "fastapi"
version = "0.92.0"
source = { registry = "https://index.example.com/simple" }
dependencies = [{ name = "starlette" }]

[[package]]
name = "flask"
version = "2.2.2"
source = { registry = "https://index.example.com/simple" }

[[package]]
name = "starlette"
version = "0.26.1"
source = { registry = "https://index.example.com/simple" }

[[package]]
name = "uvicorn"
version = "0.17.6"
source = { registry = "https://index.example.com/simple" }
`
		out := cnbtest.Build(t, python.Build, cnbtest.Options{BuildpackDir: bp,
			App: app(t, map[string]string{"main.py": fastapiApp, "uv.lock": lock, "pyproject.toml": "[project]\nname = \"svc\"\nversion = \"0.1.0\"\ndependencies = [\"fastapi\", \"uvicorn\"]\n"},
				fastapiWheel, starletteWheel, uvicornWheel, newer, flaskWheel)})
		g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
		g.Expect(installed(t, out)).To(ConsistOf("fastapi-0.92.0.dist-info", "starlette-0.26.1.dist-info", "uvicorn-0.17.6.dist-info"),
			"the locked uvicorn, not the newest; no dev dependency")
		g.Expect(out.Log).To(ContainSubstring("pip install --no-deps of the 3 packages locked in uv.lock"))
		g.Expect(out.Processes[0].Command).To(Equal(sh(`exec uvicorn main:app --host 0.0.0.0 --port "${PORT:-8080}"`)))
	})
	t.Run("Pipfile.lock pins exactly", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		lock := `{"_meta": {"pipfile-spec": 6, "requires": {"python_version": "3.12"}},
 "default": {"flask": {"version": "==2.2.2"}, "gunicorn": {"version": "==20.1.0", "markers": "python_version >= '3.5'"}},
 "develop": {"uvicorn": {"version": "==0.17.6"}}}`
		out := cnbtest.Build(t, python.Build, cnbtest.Options{BuildpackDir: bp,
			App: app(t, map[string]string{"app.py": "from flask import Flask\napp = Flask(__name__)\n", "Pipfile": "[packages]\nflask = \"*\"\ngunicorn = \"*\"\n\n[requires]\npython_version = \"3.12\"\n", "Pipfile.lock": lock},
				flaskWheel, gunicornWheel, uvicornWheel)})
		g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
		g.Expect(installed(t, out)).To(ConsistOf("Flask-2.2.2.dist-info", "gunicorn-20.1.0.dist-info"))
		g.Expect(out.Log).To(ContainSubstring("Using CPython 3.12.14, as Pipfile [requires] asks"))
		g.Expect(out.Processes[0].Command).To(Equal(sh(`exec gunicorn --bind "0.0.0.0:${PORT:-8080}" app:app`)))
	})
	t.Run("hashes in the lock are enforced", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		dir := t.TempDir()
		path, err := testwheel.Write(dir, uvicornWheel)
		g.Expect(err).NotTo(HaveOccurred())
		data, err := os.ReadFile(path)
		g.Expect(err).NotTo(HaveOccurred())
		sum := sha256.Sum256(data)
		lock := func(hash string) string {
			return `{"_meta": {"pipfile-spec": 6}, "default": {"uvicorn": {"version": "==0.17.6", "hashes": ["sha256:` + hash + `"]}}}`
		}
		good := cnbtest.Build(t, python.Build, cnbtest.Options{BuildpackDir: bp,
			App: app(t, map[string]string{"main.py": scriptApp, "Pipfile.lock": lock(hex.EncodeToString(sum[:]))}, uvicornWheel)})
		g.Expect(good.Err).NotTo(HaveOccurred(), good.Log)
		g.Expect(installed(t, good)).To(ConsistOf("uvicorn-0.17.6.dist-info"))

		bad := cnbtest.Build(t, python.Build, cnbtest.Options{BuildpackDir: bp,
			App: app(t, map[string]string{"main.py": scriptApp, "Pipfile.lock": lock(strings.Repeat("0", 64))}, uvicornWheel)})
		g.Expect(bad.ExitCode).To(Equal(1))
		g.Expect(bad.Log).To(ContainSubstring("Hashes do not match"))
		g.Expect(bad.Log).To(ContainSubstring("DO NOT MATCH THE HASHES"))
		g.Expect(bad.Log).To(ContainSubstring("The file pip got for uvicorn is not the one Pipfile.lock locked"))
		g.Expect(bad.Log).To(ContainSubstring("run 'pipenv lock'"))
	})
	t.Run("pyproject.toml application dependencies", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		out := cnbtest.Build(t, python.Build, cnbtest.Options{BuildpackDir: bp,
			App: app(t, map[string]string{"main.py": fastapiApp, "pyproject.toml": "[project]\nname = \"svc\"\nversion = \"1\"\nrequires-python = \">=3.11\"\ndependencies = [\"fastapi\", \"uvicorn>=0.17\"]\n"},
				fastapiWheel, starletteWheel, uvicornWheel)})
		g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
		g.Expect(installed(t, out)).To(ConsistOf("fastapi-0.92.0.dist-info", "starlette-0.26.1.dist-info", "uvicorn-0.17.6.dist-info"))
		g.Expect(out.Processes[0].Command).To(Equal(sh(`exec uvicorn main:app --host 0.0.0.0 --port "${PORT:-8080}"`)))
	})
}

// A private index that needs credentials, given as a binding of type pip; and PIP_INDEX_URL.
func TestPrivateIndex(t *testing.T) {
	t.Parallel()
	bp := buildpackDir(t)
	root := t.TempDir()
	NewWithT(t).Expect(testwheel.WriteIndex(root, uvicornWheel)).To(Succeed())
	files := http.FileServer(http.Dir(root))
	const user, pass = "builder", "s3cret-Passw0rd"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="index"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	open := httptest.NewServer(files)
	t.Cleanup(open.Close)

	t.Run("binding with credentials", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		out := cnbtest.Build(t, python.Build, cnbtest.Options{BuildpackDir: bp, App: app(t, map[string]string{"main.py": scriptApp, "requirements.txt": "uvicorn\n"}),
			Bindings: []sdk.Binding{{Name: "index", Type: "pip", Secret: map[string]string{"index-url": srv.URL + "/simple", "username": user, "password": pass}}}})
		g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
		g.Expect(installed(t, out)).To(ConsistOf("uvicorn-0.17.6.dist-info"))
		g.Expect(out.Log).NotTo(ContainSubstring(pass), "secrets never reach the log")
		venvTOML, err := os.ReadFile(filepath.Join(out.LayersDir, "venv.toml"))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(string(venvTOML)).NotTo(ContainSubstring(pass), "nor the layer metadata")
	})
	t.Run("PIP_INDEX_URL", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		out := cnbtest.Build(t, python.Build, cnbtest.Options{BuildpackDir: bp, App: app(t, map[string]string{"main.py": scriptApp, "requirements.txt": "uvicorn\n"}),
			Env: map[string]string{"PIP_INDEX_URL": open.URL + "/simple"}})
		g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
		g.Expect(installed(t, out)).To(ConsistOf("uvicorn-0.17.6.dist-info"))
	})
	t.Run("without the credentials pip fails with a titled error", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		out := cnbtest.Build(t, python.Build, cnbtest.Options{BuildpackDir: bp, App: app(t, map[string]string{"main.py": scriptApp, "requirements.txt": "uvicorn\n"}),
			Env: map[string]string{"PIP_INDEX_URL": srv.URL + "/simple"}})
		g.Expect(out.ExitCode).To(Equal(1))
		g.Expect(out.Log).To(ContainSubstring("Package not found"))
		g.Expect(out.Log).To(ContainSubstring("add a binding of type pip"))
	})
}
