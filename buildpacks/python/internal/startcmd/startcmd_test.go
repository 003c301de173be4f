package startcmd_test

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/buildpacks/python/internal/startcmd"
)

func installed(names ...string) func(string) bool {
	return func(n string) bool {
		for _, m := range names {
			if m == n {
				return true
			}
		}
		return false
	}
}

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

const fastapiApp = "from fastapi import FastAPI\n\napp = FastAPI()\n\n@app.get('/')\ndef root():\n    return {'ok': True}\n"

func TestChoose(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		app        fstest.MapFS
		entrypoint string
		function   string
		installed  []string
		want       []startcmd.Process
		origin     startcmd.Origin
		warn       string
		note       string
	}{
		{
			name: "FastAPI in app.py", app: fstest.MapFS{"app.py": file(fastapiApp)}, installed: []string{"fastapi", "uvicorn"},
			want:   []startcmd.Process{{Type: "web", Script: `exec uvicorn app:app --host 0.0.0.0 --port "${PORT:-8080}"`, Default: true}},
			origin: startcmd.OriginDetected,
		},
		{
			name: "FastAPI in main.py beside a helper module", installed: []string{"uvicorn"},
			app:    fstest.MapFS{"main.py": file(fastapiApp), "models.py": file("x = 1\n")},
			want:   []startcmd.Process{{Type: "web", Script: `exec uvicorn main:app --host 0.0.0.0 --port "${PORT:-8080}"`, Default: true}},
			origin: startcmd.OriginDetected,
		},
		{
			name: "FastAPI in a package with an annotated name", installed: []string{"uvicorn"},
			app:    fstest.MapFS{"app/__init__.py": file(""), "app/main.py": file("import fastapi\napi: fastapi.FastAPI = fastapi.FastAPI(title='x')\n")},
			want:   []startcmd.Process{{Type: "web", Script: `exec uvicorn app.main:api --host 0.0.0.0 --port "${PORT:-8080}"`, Default: true}},
			origin: startcmd.OriginDetected,
		},
		{
			name: "Starlette served by hypercorn", installed: []string{"hypercorn"},
			app:    fstest.MapFS{"server.py": file("from starlette.applications import Starlette\nwebapp = Starlette(routes=[])\n")},
			want:   []startcmd.Process{{Type: "web", Script: `exec hypercorn --bind "0.0.0.0:${PORT:-8080}" server:webapp`, Default: true}},
			origin: startcmd.OriginDetected,
		},
		{
			name: "Flask with gunicorn", installed: []string{"flask", "gunicorn"},
			app:    fstest.MapFS{"app.py": file("from flask import Flask\napp = Flask(__name__)\n")},
			want:   []startcmd.Process{{Type: "web", Script: `exec gunicorn --bind "0.0.0.0:${PORT:-8080}" app:app`, Default: true}},
			origin: startcmd.OriginDetected,
		},
		{
			name: "Flask with waitress", installed: []string{"waitress"},
			app:    fstest.MapFS{"app.py": file("import flask\napp = flask.Flask(__name__)\n")},
			want:   []startcmd.Process{{Type: "web", Script: `exec waitress-serve --listen "0.0.0.0:${PORT:-8080}" app:app`, Default: true}},
			origin: startcmd.OriginDetected,
		},
		{
			name: "Flask without a server runs the script with a warning", installed: []string{"flask"},
			app:    fstest.MapFS{"app.py": file("from flask import Flask\napp = Flask(__name__)\n\nif __name__ == '__main__':\n    app.run()\n")},
			want:   []startcmd.Process{{Type: "web", Script: `exec python app.py`, Default: true}},
			origin: startcmd.OriginDetected, warn: "add gunicorn",
		},
		{
			name: "Django with gunicorn", installed: []string{"django", "gunicorn"},
			app: fstest.MapFS{"manage.py": file("import django\n"), "mysite/__init__.py": file(""),
				"mysite/wsgi.py": file("from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n"),
				"mysite/asgi.py": file("from django.core.asgi import get_asgi_application\napplication = get_asgi_application()\n")},
			want:   []startcmd.Process{{Type: "web", Script: `exec gunicorn --bind "0.0.0.0:${PORT:-8080}" mysite.wsgi:application`, Default: true}},
			origin: startcmd.OriginDetected,
		},
		{
			name: "Django ASGI with uvicorn only", installed: []string{"django", "uvicorn"},
			app: fstest.MapFS{"manage.py": file("import django\n"), "mysite/__init__.py": file(""),
				"mysite/wsgi.py": file("from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n"),
				"mysite/asgi.py": file("from django.core.asgi import get_asgi_application\napplication = get_asgi_application()\n")},
			want:   []startcmd.Process{{Type: "web", Script: `exec uvicorn mysite.asgi:application --host 0.0.0.0 --port "${PORT:-8080}"`, Default: true}},
			origin: startcmd.OriginDetected,
		},
		{
			name: "Django without a server", installed: []string{"django"},
			app: fstest.MapFS{"manage.py": file("import django\n"), "mysite/__init__.py": file(""),
				"mysite/wsgi.py": file("from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n")},
			want:   []startcmd.Process{{Type: "web", Script: `exec python manage.py runserver "0.0.0.0:${PORT:-8080}"`, Default: true}},
			origin: startcmd.OriginDetected, warn: "development server",
		},
		{
			name: "plain main.py script", app: fstest.MapFS{"main.py": file("print('hi')\n"), "other.py": file("")},
			want:   []startcmd.Process{{Type: "web", Script: `exec python main.py`, Default: true}},
			origin: startcmd.OriginScript,
		},
		{
			name: "only one python file", app: fstest.MapFS{"bot.py": file("print('hi')\n")},
			want:   []startcmd.Process{{Type: "web", Script: `exec python bot.py`, Default: true}},
			origin: startcmd.OriginScript,
		},
		{
			name: "Procfile web first, others extra", installed: []string{"uvicorn"},
			app: fstest.MapFS{"app.py": file(fastapiApp), "Procfile": file("# processes\nworker: python worker.py\nweb: gunicorn -k uvicorn.workers.UvicornWorker app:app\n\nclock: python clock.py\n")},
			want: []startcmd.Process{
				{Type: "web", Script: "exec gunicorn -k uvicorn.workers.UvicornWorker app:app", Default: true},
				{Type: "worker", Script: "exec python worker.py"},
				{Type: "clock", Script: "exec python clock.py"},
			},
			origin: startcmd.OriginProcfile,
		},
		{
			name: "Procfile without web adds the detected web", installed: []string{"uvicorn"},
			app: fstest.MapFS{"app.py": file(fastapiApp), "Procfile": file("worker: python worker.py\n")},
			want: []startcmd.Process{
				{Type: "web", Script: `exec uvicorn app:app --host 0.0.0.0 --port "${PORT:-8080}"`, Default: true},
				{Type: "worker", Script: "exec python worker.py"},
			},
			origin: startcmd.OriginDetected,
		},
		{
			name: "Procfile without web and nothing detected", app: fstest.MapFS{"a.py": file(""), "b.py": file(""), "Procfile": file("worker: python a.py\nbeat: python b.py\n")},
			want: []startcmd.Process{
				{Type: "worker", Script: "exec python a.py", Default: true},
				{Type: "beat", Script: "exec python b.py"},
			},
			origin: startcmd.OriginProcfile,
		},
		{
			name: "explicit setting beats the Procfile web", entrypoint: "python -m myapp --port $PORT",
			app: fstest.MapFS{"app.py": file(fastapiApp), "Procfile": file("web: uvicorn app:app\nworker: python w.py\n")},
			want: []startcmd.Process{
				{Type: "web", Script: "exec python -m myapp --port $PORT", Default: true},
				{Type: "worker", Script: "exec python w.py"},
			},
			origin: startcmd.OriginSetting,
		},
		{
			name:   "Procfile with shell features: exec goes in front of the last command",
			app:    fstest.MapFS{"Procfile": file("web: python manage.py migrate && gunicorn --bind \"0.0.0.0:${PORT:-8080}\" mysite.wsgi\n")},
			want:   []startcmd.Process{{Type: "web", Script: `python manage.py migrate && exec gunicorn --bind "0.0.0.0:${PORT:-8080}" mysite.wsgi`, Default: true}},
			origin: startcmd.OriginProcfile, note: "web: exec added in front of gunicorn",
		},
		{
			name:   "Procfile pipeline keeps its form and warns",
			app:    fstest.MapFS{"Procfile": file("web: gunicorn app:app | tee /tmp/log\n")},
			want:   []startcmd.Process{{Type: "web", Script: "gunicorn app:app | tee /tmp/log", Default: true}},
			origin: startcmd.OriginProcfile, warn: "will not stop on SIGTERM: it ends with a pipeline",
		},
		{
			name: "functions-framework with the only function of main.py", installed: []string{"functions-framework", "flask"},
			app:    fstest.MapFS{"main.py": file("import functions_framework\n\n@functions_framework.http\ndef hello(request):\n    return 'hi'\n\ndef _helper():\n    pass\n")},
			want:   []startcmd.Process{{Type: "web", Script: `exec functions-framework --target hello --port "${PORT:-8080}"`, Default: true}},
			origin: startcmd.OriginFunction,
		},
		{
			name: "functions-framework: decorated functions win over helpers", installed: []string{"functions-framework"},
			app:    fstest.MapFS{"main.py": file("import functions_framework\ndef helper(x):\n    return x\n\n@functions_framework.cloud_event\ndef on_event(cloud_event):\n    helper(cloud_event)\n")},
			want:   []startcmd.Process{{Type: "web", Script: `exec functions-framework --target on_event --port "${PORT:-8080}"`, Default: true}},
			origin: startcmd.OriginFunction,
		},
		{
			name: "functions-framework target from the setting", installed: []string{"functions-framework"}, function: "second",
			app:    fstest.MapFS{"main.py": file("def first(request):\n    return '1'\n\ndef second(request):\n    return '2'\n")},
			want:   []startcmd.Process{{Type: "web", Script: `exec functions-framework --target second --port "${PORT:-8080}"`, Default: true}},
			origin: startcmd.OriginFunction,
		},
		{
			name: "file names are quoted", app: fstest.MapFS{"my app.py": file("print('hi')\n")},
			want:   []startcmd.Process{{Type: "web", Script: `exec python 'my app.py'`, Default: true}},
			origin: startcmd.OriginScript,
		},
		{
			name: "command substitution in a file name stays a name", app: fstest.MapFS{"$(touch pwned).py": file("print('hi')\n")},
			want:   []startcmd.Process{{Type: "web", Script: `exec python '$(touch pwned).py'`, Default: true}},
			origin: startcmd.OriginScript,
		},
		{
			name: "a file name that looks like an option", app: fstest.MapFS{"-c.py": file("print('hi')\n")},
			want:   []startcmd.Process{{Type: "web", Script: `exec python ./-c.py`, Default: true}},
			origin: startcmd.OriginScript,
		},
		{
			name: "an app object in a file that is not a module name is not served by name", installed: []string{"uvicorn"},
			app:    fstest.MapFS{"x;id.py": file(fastapiApp + "\nimport uvicorn\nuvicorn.run(app)\n")},
			want:   []startcmd.Process{{Type: "web", Script: `exec python 'x;id.py'`, Default: true}},
			origin: startcmd.OriginScript, warn: `"x;id.py" is not a Python module name`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			res, err := startcmd.Choose(startcmd.Input{App: tt.app, Entrypoint: tt.entrypoint, Installed: installed(tt.installed...),
				FunctionTarget: tt.function, FunctionSetting: "BP_PYTHON_FUNCTION_TARGET"})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(res.Processes).To(Equal(tt.want))
			g.Expect(res.Origin).To(Equal(tt.origin))
			g.Expect(res.Reason).NotTo(BeEmpty())
			if tt.warn != "" {
				g.Expect(res.Warnings).To(ContainElement(ContainSubstring(tt.warn)))
			} else {
				g.Expect(res.Warnings).To(BeEmpty())
			}
			if tt.note != "" {
				g.Expect(res.Notes).To(ContainElement(ContainSubstring(tt.note)))
			}
			for _, p := range res.Processes {
				g.Expect(p.Command()).To(Equal([]string{"sh", "-c", p.Script}))
				if !strings.Contains(p.Script, "|") {
					g.Expect(p.Script).To(ContainSubstring("exec "), "every script execs its server")
				}
				g.Expect(p.Script).NotTo(Equal("python"), "never a REPL")
			}
		})
	}
}

func TestChooseErrors(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)

	_, err := startcmd.Choose(startcmd.Input{App: fstest.MapFS{"app.py": file(fastapiApp)}, Installed: installed("fastapi")})
	var ns *startcmd.NoServerError
	g.Expect(errors.As(err, &ns)).To(BeTrue(), "Choose returned %v, want *NoServerError", err)
	g.Expect(ns.App.Target()).To(Equal("app:app"))
	g.Expect(ns.Servers).To(ContainElement("uvicorn"))

	_, err = startcmd.Choose(startcmd.Input{App: fstest.MapFS{"a.py": file(""), "b.py": file("")}})
	var nf *startcmd.NotFoundError
	g.Expect(errors.As(err, &nf)).To(BeTrue(), "Choose returned %v, want *NotFoundError", err)
	g.Expect(nf.PythonFiles).To(Equal([]string{"a.py", "b.py"}))

	_, err = startcmd.Choose(startcmd.Input{App: fstest.MapFS{"app.py": file(""), "Procfile": file("web uvicorn app:app\n")}})
	var pe *startcmd.ProcfileError
	g.Expect(errors.As(err, &pe)).To(BeTrue(), "Choose returned %v, want *ProcfileError", err)
	g.Expect(pe.Line).To(Equal(1))

	_, err = startcmd.Choose(startcmd.Input{App: fstest.MapFS{"app.py": file(""), "Procfile": file("# comment\nweb: gunicorn 'app:app\n")}})
	var se *startcmd.ScriptError
	g.Expect(errors.As(err, &se)).To(BeTrue(), "Choose returned %v, want *ScriptError", err)
	g.Expect(se.Source).To(Equal("line 2 of the Procfile"))

	_, err = startcmd.Choose(startcmd.Input{App: fstest.MapFS{"app.py": file("")}, Entrypoint: "gunicorn (app"})
	g.Expect(errors.As(err, &se)).To(BeTrue(), "Choose returned %v, want *ScriptError", err)
	g.Expect(se.Source).To(Equal("BP_PYTHON_ENTRYPOINT"))

	// A Flask app in a file that only defines it: run as a script it would exit at once.
	_, err = startcmd.Choose(startcmd.Input{App: fstest.MapFS{"app.py": file("from flask import Flask\napp = Flask(__name__)\n")}, Installed: installed("flask")})
	g.Expect(errors.As(err, &ns)).To(BeTrue(), "Choose returned %v, want *NoServerError", err)
	g.Expect(ns.Servers).To(ContainElement("gunicorn"))
}

func TestChooseInertScripts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		app   fstest.MapFS
		files []string
		funcs []string
	}{
		{"main.py with only functions", fstest.MapFS{"main.py": file("import json\n\ndef handler(request):\n    return json.dumps({})\n")}, []string{"main.py"}, []string{"handler"}},
		{"main.py and app.py with only definitions", fstest.MapFS{"main.py": file("X = 1\n"), "app.py": file("class A:\n    pass\n")}, []string{"main.py", "app.py"}, nil},
		{"the only file defines a class", fstest.MapFS{"bot.py": file("class Bot:\n    def run(self):\n        pass\n")}, []string{"bot.py"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			_, err := startcmd.Choose(startcmd.Input{App: tt.app})
			var ie *startcmd.InertScriptError
			g.Expect(errors.As(err, &ie)).To(BeTrue(), "Choose returned %v, want *InertScriptError", err)
			g.Expect(ie.Files).To(Equal(tt.files))
			g.Expect(ie.Functions).To(Equal(tt.funcs))
		})
	}
	// Each of these runs something, so it is started as a script.
	for _, src := range []string{
		"def main():\n    pass\n\nif __name__ == \"__main__\":\n    main()\n",
		"import asyncio\nasync def serve():\n    pass\nasyncio.run(serve())\n",
		"import time\nwhile True:\n    time.sleep(1)\n",
		"from http.server import HTTPServer, SimpleHTTPRequestHandler\nHTTPServer(('', 8080), SimpleHTTPRequestHandler).serve_forever()\n",
	} {
		res, err := startcmd.Choose(startcmd.Input{App: fstest.MapFS{"main.py": file(src)}})
		NewWithT(t).Expect(err).NotTo(HaveOccurred(), "main.py:\n%s", src)
		NewWithT(t).Expect(res.Processes[0].Script).To(Equal("exec python main.py"))
	}
}

func TestChooseFunctionErrors(t *testing.T) {
	t.Parallel()
	two := fstest.MapFS{"main.py": file("def hello(request):\n    return 'hi'\n\ndef bye(request):\n    return 'bye'\n")}
	tests := []struct {
		name      string
		app       fstest.MapFS
		target    string
		installed []string
		problem   startcmd.FunctionProblem
		cands     []string
	}{
		{"several functions", two, "", []string{"functions-framework"}, startcmd.FunctionSeveral, []string{"hello", "bye"}},
		{"no function", fstest.MapFS{"main.py": file("X = 1\n")}, "", []string{"functions-framework"}, startcmd.FunctionNone, nil},
		{"target not defined", two, "greet", []string{"functions-framework"}, startcmd.FunctionNotDefined, []string{"hello", "bye"}},
		{"target not a name", two, "hello;id", []string{"functions-framework"}, startcmd.FunctionInvalid, []string{"hello", "bye"}},
		{"target without functions-framework", two, "hello", nil, startcmd.FunctionNotInstalled, []string{"hello", "bye"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			_, err := startcmd.Choose(startcmd.Input{App: tt.app, FunctionTarget: tt.target, FunctionSetting: "GOOGLE_FUNCTION_TARGET", Installed: installed(tt.installed...)})
			var fe *startcmd.FunctionError
			g.Expect(errors.As(err, &fe)).To(BeTrue(), "Choose returned %v, want *FunctionError", err)
			g.Expect(fe.Problem).To(Equal(tt.problem))
			g.Expect(fe.Candidates).To(Equal(tt.cands))
		})
	}
}
