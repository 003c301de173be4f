package startcmd_test

import (
	"errors"
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
		installed  []string
		want       []startcmd.Process
		origin     startcmd.Origin
		warn       string
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
			app:    fstest.MapFS{"app.py": file("from flask import Flask\napp = Flask(__name__)\n")},
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
				{Type: "web", Script: "gunicorn -k uvicorn.workers.UvicornWorker app:app", Default: true},
				{Type: "worker", Script: "python worker.py"},
				{Type: "clock", Script: "python clock.py"},
			},
			origin: startcmd.OriginProcfile,
		},
		{
			name: "Procfile without web adds the detected web", installed: []string{"uvicorn"},
			app: fstest.MapFS{"app.py": file(fastapiApp), "Procfile": file("worker: python worker.py\n")},
			want: []startcmd.Process{
				{Type: "web", Script: `exec uvicorn app:app --host 0.0.0.0 --port "${PORT:-8080}"`, Default: true},
				{Type: "worker", Script: "python worker.py"},
			},
			origin: startcmd.OriginDetected,
		},
		{
			name: "Procfile without web and nothing detected", app: fstest.MapFS{"a.py": file(""), "b.py": file(""), "Procfile": file("worker: python a.py\nbeat: python b.py\n")},
			want: []startcmd.Process{
				{Type: "worker", Script: "python a.py", Default: true},
				{Type: "beat", Script: "python b.py"},
			},
			origin: startcmd.OriginProcfile,
		},
		{
			name: "explicit setting beats the Procfile web", entrypoint: "python -m myapp --port $PORT",
			app: fstest.MapFS{"app.py": file(fastapiApp), "Procfile": file("web: uvicorn app:app\nworker: python w.py\n")},
			want: []startcmd.Process{
				{Type: "web", Script: "python -m myapp --port $PORT", Default: true},
				{Type: "worker", Script: "python w.py"},
			},
			origin: startcmd.OriginSetting,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			res, err := startcmd.Choose(startcmd.Input{App: tt.app, Entrypoint: tt.entrypoint, Installed: installed(tt.installed...)})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(res.Processes).To(Equal(tt.want))
			g.Expect(res.Origin).To(Equal(tt.origin))
			g.Expect(res.Reason).NotTo(BeEmpty())
			if tt.warn != "" {
				g.Expect(res.Warnings).To(ContainElement(ContainSubstring(tt.warn)))
			} else {
				g.Expect(res.Warnings).To(BeEmpty())
			}
			for _, p := range res.Processes {
				g.Expect(p.Command()).To(Equal([]string{"sh", "-c", p.Script}))
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
}
