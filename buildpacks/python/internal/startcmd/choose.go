package startcmd

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// Process is one process type of the image; Script runs with sh -c.
type Process struct {
	Type    string
	Script  string
	Default bool
}

// Command returns the process command for launch.toml.
func (p Process) Command() []string { return []string{"sh", "-c", p.Script} }

// Origin says how the web process was chosen.
type Origin string

const (
	OriginSetting   Origin = "setting"
	OriginProcfile  Origin = "Procfile"
	OriginDetected  Origin = "detected"
	OriginScript    Origin = "script"
	OriginUndecided Origin = ""
)

// Input is what the choice depends on.
type Input struct {
	App fs.FS
	// Entrypoint is the explicit web command (BP_PYTHON_ENTRYPOINT), "" when unset.
	Entrypoint string
	// Installed reports whether a distribution is installed in the app's environment; the
	// name is normalized as in PEP 503 (lower case, runs of -_. become -).
	Installed func(name string) bool
}

// Result is the chosen processes and how they were chosen.
type Result struct {
	Processes []Process
	Origin    Origin
	// Reason explains the web process in one sentence for the build log.
	Reason string
	// App is the app object the web process serves, when one was detected.
	App *AppObject
	// Warnings are things the user should fix although the build goes on.
	Warnings []string
}

// NoServerError says an app object was found but no server that can serve it is installed.
type NoServerError struct {
	App     AppObject
	Servers []string // distributions that would serve it, preferred first
}

func (e *NoServerError) Error() string {
	return fmt.Sprintf("%s app %s in %s needs a server, but none of %s is installed", e.App.Framework, e.App.Target(), e.App.File, strings.Join(e.Servers, ", "))
}

// NotFoundError says nothing in the app tells how to start it.
type NotFoundError struct {
	PythonFiles []string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no start command found among %d Python files", len(e.PythonFiles))
}

// Port is the shell expression every derived web command listens on.
const Port = `${PORT:-8080}`

// Choose returns the processes: Entrypoint > Procfile (web default, the others extra) >
// detection from the code and installed packages.
func Choose(in Input) (Result, error) {
	if in.Installed == nil {
		in.Installed = func(string) bool { return false }
	}
	var procs []procfileEntry
	data, err := fs.ReadFile(in.App, "Procfile")
	switch {
	case err == nil:
		if procs, err = parseProcfile(string(data)); err != nil {
			return Result{}, err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return Result{}, fmt.Errorf("reading Procfile: %w", err)
	}

	var res Result
	if e := strings.TrimSpace(in.Entrypoint); e != "" {
		res = Result{Processes: []Process{{Type: "web", Script: e, Default: true}}, Origin: OriginSetting,
			Reason: "set by BP_PYTHON_ENTRYPOINT"}
	} else if i := slices.IndexFunc(procs, func(p procfileEntry) bool { return p.Type == "web" }); i >= 0 {
		res = Result{Processes: []Process{{Type: "web", Script: procs[i].Command, Default: true}}, Origin: OriginProcfile,
			Reason: "the web process of the Procfile"}
	} else {
		res, err = detect(in)
		var nf *NotFoundError
		if errors.As(err, &nf) && len(procs) > 0 {
			// A Procfile without web: its first process becomes the default.
			res, err = Result{Origin: OriginProcfile, Reason: fmt.Sprintf("the %s process of the Procfile (it has no web process)", procs[0].Type)}, nil
			res.Processes = append(res.Processes, Process{Type: procs[0].Type, Script: procs[0].Command, Default: true})
			procs = procs[1:]
		}
		if err != nil {
			return Result{}, err
		}
	}
	for _, p := range procs {
		if slices.ContainsFunc(res.Processes, func(q Process) bool { return q.Type == p.Type }) {
			continue
		}
		res.Processes = append(res.Processes, Process{Type: p.Type, Script: p.Command})
	}
	return res, nil
}

func detect(in Input) (Result, error) {
	files, err := pythonFiles(in.App)
	if err != nil {
		return Result{}, fmt.Errorf("listing Python files: %w", err)
	}
	objects, err := findAppObjects(in.App, files)
	if err != nil {
		return Result{}, fmt.Errorf("reading Python files: %w", err)
	}
	hasManage := slices.Contains(files, "manage.py")
	if hasManage {
		// A Django project: serve its wsgi.py (or asgi.py) module.
		var django []AppObject
		for _, o := range objects {
			if o.Framework == "Django" {
				django = append(django, o)
			}
		}
		slices.SortStableFunc(django, func(a, b AppObject) int { // WSGI first: gunicorn is Django's documented default
			return strings.Compare(string(b.Kind), string(a.Kind))
		})
		if len(django) > 0 {
			return serveDjango(in, django)
		}
	}
	if len(objects) > 0 {
		return serve(in, objects[0], files)
	}
	for _, script := range []string{"main.py", "app.py"} {
		if slices.Contains(files, script) {
			return Result{Processes: []Process{{Type: "web", Script: "exec python " + script, Default: true}}, Origin: OriginScript,
				Reason: fmt.Sprintf("%s exists and defines no ASGI or WSGI app object, so it runs as a script; it must listen on $PORT itself", script)}, nil
		}
	}
	var top []string
	for _, f := range files {
		if !strings.Contains(f, "/") {
			top = append(top, f)
		}
	}
	if len(top) == 1 {
		return Result{Processes: []Process{{Type: "web", Script: "exec python " + top[0], Default: true}}, Origin: OriginScript,
			Reason: fmt.Sprintf("%s is the only Python file at the top of the app, so it runs as a script", top[0])}, nil
	}
	return Result{}, &NotFoundError{PythonFiles: files}
}

func serveDjango(in Input, objects []AppObject) (Result, error) {
	for _, o := range objects {
		if res, ok := server(in, o); ok {
			return res, nil
		}
	}
	o := objects[0]
	return Result{
		Processes: []Process{{Type: "web", Script: `exec python manage.py runserver "0.0.0.0:` + Port + `"`, Default: true}},
		Origin:    OriginDetected, App: &o,
		Reason: "Django project (manage.py) with no production server installed",
		Warnings: []string{"Django's runserver is a development server, not meant for production: add gunicorn to your requirements " +
			"so that the project is served with gunicorn " + o.Target()},
	}, nil
}

func serve(in Input, o AppObject, files []string) (Result, error) {
	if res, ok := server(in, o); ok {
		return res, nil
	}
	if o.Kind == ASGI {
		return Result{}, &NoServerError{App: o, Servers: []string{"uvicorn", "hypercorn"}}
	}
	// A WSGI app without a server: run its file, which usually calls app.run().
	return Result{
		Processes: []Process{{Type: "web", Script: "exec python " + o.File, Default: true}},
		Origin:    OriginDetected, App: &o,
		Reason: fmt.Sprintf("%s app %s found, but no WSGI server (gunicorn, waitress) is installed, so %s runs as a script", o.Framework, o.Target(), o.File),
		Warnings: []string{fmt.Sprintf("%s runs with %s's development server, which listens on 127.0.0.1:5000 unless the code says otherwise: "+
			"add gunicorn to your requirements to serve %s on 0.0.0.0:$PORT", o.File, o.Framework, o.Target())},
	}, nil
}

// server returns the command that serves o with an installed server.
func server(in Input, o AppObject) (Result, bool) {
	var script, name string
	switch o.Kind {
	case ASGI:
		switch {
		case in.Installed("uvicorn"):
			name, script = "uvicorn", fmt.Sprintf(`exec uvicorn %s --host 0.0.0.0 --port "%s"`, o.Target(), Port)
		case in.Installed("hypercorn"):
			name, script = "hypercorn", fmt.Sprintf(`exec hypercorn --bind "0.0.0.0:%s" %s`, Port, o.Target())
		}
	case WSGI:
		switch {
		case in.Installed("gunicorn"):
			name, script = "gunicorn", fmt.Sprintf(`exec gunicorn --bind "0.0.0.0:%s" %s`, Port, o.Target())
		case in.Installed("waitress"):
			name, script = "waitress", fmt.Sprintf(`exec waitress-serve --listen "0.0.0.0:%s" %s`, Port, o.Target())
		}
	}
	if script == "" {
		return Result{}, false
	}
	return Result{
		Processes: []Process{{Type: "web", Script: script, Default: true}},
		Origin:    OriginDetected, App: &o,
		Reason: fmt.Sprintf("%s app %s found in %s, served with %s (installed)", o.Framework, o.Target(), o.File, name),
	}, true
}
