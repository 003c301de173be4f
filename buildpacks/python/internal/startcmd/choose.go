package startcmd

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// Process is one process type of the image; Script runs with sh -c and ends by exec'ing its
// server (see [WithExec]).
type Process struct {
	Type    string
	Script  string
	Default bool
}

// Command returns the process command for launch.toml: a direct process whose first entry,
// sh, the launcher execs; sh reads the script and execs the server.
func (p Process) Command() []string { return []string{"sh", "-c", p.Script} }

// Origin says how the web process was chosen.
type Origin string

const (
	OriginSetting   Origin = "setting"
	OriginProcfile  Origin = "Procfile"
	OriginDetected  Origin = "detected"
	OriginScript    Origin = "script"
	OriginFunction  Origin = "function"
	OriginUndecided Origin = ""
)

// Input is what the choice depends on.
type Input struct {
	App fs.FS
	// Entrypoint is the explicit web command (BP_PYTHON_ENTRYPOINT), "" when unset.
	Entrypoint string
	// FunctionTarget is the function functions-framework serves, "" when unset; FunctionSetting
	// names the setting it came from (BP_PYTHON_FUNCTION_TARGET or GOOGLE_FUNCTION_TARGET).
	FunctionTarget, FunctionSetting string
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
	// Notes say what the buildpack changed in the commands it was given (exec added).
	Notes []string
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

// InertScriptError says the only candidates for the web process are scripts that start
// nothing: no app object, no __main__ block, no call at the top level. Run as
// "python main.py", such a file exits at once.
type InertScriptError struct {
	Files []string // e.g. ["main.py"]
	// Functions are the functions the first file defines (a Cloud Function without
	// functions-framework installed looks like this).
	Functions []string
}

func (e *InertScriptError) Error() string {
	return fmt.Sprintf("%s defines no app object, no __main__ block and calls nothing at the top level", strings.Join(e.Files, " and "))
}

// FunctionProblem says what is wrong with a functions-framework target.
type FunctionProblem string

const (
	// FunctionSeveral: main.py defines several functions and no setting names one.
	FunctionSeveral FunctionProblem = "several"
	// FunctionNone: main.py defines no function (or there is no main.py).
	FunctionNone FunctionProblem = "none"
	// FunctionNotDefined: the setting names a function main.py does not define.
	FunctionNotDefined FunctionProblem = "not-defined"
	// FunctionInvalid: the setting is not a Python function name.
	FunctionInvalid FunctionProblem = "invalid"
	// FunctionNotInstalled: a target is set but functions-framework is not installed.
	FunctionNotInstalled FunctionProblem = "not-installed"
)

// FunctionError says the functions-framework start command cannot be made.
type FunctionError struct {
	Problem    FunctionProblem
	Target     string   // the target found in the setting, if any
	Setting    string   // the setting it came from
	Candidates []string // the functions main.py defines
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("functions-framework target: %s (target %q, functions in main.py: %s)", e.Problem, e.Target, strings.Join(e.Candidates, ", "))
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
// detection from the code and installed packages. Every script ends by exec'ing its server
// (exec is added where the command is a simple command or ends with one), so that the server
// receives the signals sent to the container; Notes and Warnings say where this was done or
// not possible.
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
	sources := map[string]string{} // process type -> where its command was written
	if e := strings.TrimSpace(in.Entrypoint); e != "" {
		res = Result{Processes: []Process{{Type: "web", Script: e, Default: true}}, Origin: OriginSetting,
			Reason: "set by BP_PYTHON_ENTRYPOINT"}
		sources["web"] = "BP_PYTHON_ENTRYPOINT"
	} else if i := slices.IndexFunc(procs, func(p procfileEntry) bool { return p.Type == "web" }); i >= 0 {
		res = Result{Processes: []Process{{Type: "web", Script: procs[i].Command, Default: true}}, Origin: OriginProcfile,
			Reason: "the web process of the Procfile"}
		sources["web"] = fmt.Sprintf("line %d of the Procfile", procs[i].Line)
	} else {
		res, err = detect(in)
		var nf *NotFoundError
		var inert *InertScriptError
		if (errors.As(err, &nf) || errors.As(err, &inert)) && len(procs) > 0 {
			// A Procfile without web: its first process becomes the default.
			res, err = Result{Origin: OriginProcfile, Reason: fmt.Sprintf("the %s process of the Procfile (it has no web process)", procs[0].Type)}, nil
			res.Processes = append(res.Processes, Process{Type: procs[0].Type, Script: procs[0].Command, Default: true})
			sources[procs[0].Type] = fmt.Sprintf("line %d of the Procfile", procs[0].Line)
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
		sources[p.Type] = fmt.Sprintf("line %d of the Procfile", p.Line)
	}
	for i, p := range res.Processes {
		script, note, err := WithExec(p.Script)
		if err != nil {
			var se *ScriptError
			if errors.As(err, &se) {
				se.Source = cmp.Or(sources[p.Type], "the "+p.Type+" process")
			}
			return Result{}, err
		}
		res.Processes[i].Script = script
		switch {
		case note.Added:
			res.Notes = append(res.Notes, fmt.Sprintf("%s: exec added in front of %s, so that it replaces sh and receives SIGTERM when the container stops", p.Type, note.Program))
		case note.Problem != "":
			res.Warnings = append(res.Warnings, fmt.Sprintf("The %s process will not stop on SIGTERM: %s, so sh stays the main process and the signal never reaches the server; "+
				"the container is killed after the grace period. Make the server the last command and start it with exec, e.g. 'python manage.py migrate && exec gunicorn ...'", p.Type, note.Problem))
		}
	}
	return res, nil
}

func detect(in Input) (Result, error) {
	files, err := pythonFiles(in.App)
	if err != nil {
		return Result{}, fmt.Errorf("listing Python files: %w", err)
	}
	if in.FunctionTarget != "" {
		// An explicit function target wins over app objects found in the code.
		return serveFunction(in)
	}
	objects, unnamed, err := findAppObjects(in.App, files)
	if err != nil {
		return Result{}, fmt.Errorf("reading Python files: %w", err)
	}
	res, err := detectFrom(in, files, objects)
	for _, o := range unnamed {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s defines the %s app %s, but %q is not a Python module name, so no server can import it: rename it (letters, digits and _ only, not starting with a digit)",
			o.File, o.Framework, o.Variable, o.File))
	}
	return res, err
}

func detectFrom(in Input, files []string, objects []AppObject) (Result, error) {
	if slices.Contains(files, "manage.py") {
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
		return serve(in, objects[0])
	}
	if in.Installed("functions-framework") && slices.Contains(files, "main.py") {
		return serveFunction(in)
	}
	var inert []string
	for _, script := range []string{"main.py", "app.py"} {
		if !slices.Contains(files, script) {
			continue
		}
		if runs, err := runsSomething(in.App, script); err != nil || !runs {
			inert = append(inert, script)
			continue
		}
		return runScript(script, fmt.Sprintf("%s exists and defines no ASGI or WSGI app object, so it runs as a script; it must listen on $PORT itself", script))
	}
	if len(inert) > 0 {
		funcs, _ := functions(in.App, inert[0])
		return Result{}, &InertScriptError{Files: inert, Functions: funcs}
	}
	var top []string
	for _, f := range files {
		if !strings.Contains(f, "/") {
			top = append(top, f)
		}
	}
	if len(top) == 1 {
		if runs, err := runsSomething(in.App, top[0]); err != nil || !runs {
			funcs, _ := functions(in.App, top[0])
			return Result{}, &InertScriptError{Files: top, Functions: funcs}
		}
		return runScript(top[0], fmt.Sprintf("%s is the only Python file at the top of the app, so it runs as a script", top[0]))
	}
	return Result{}, &NotFoundError{PythonFiles: files}
}

// runScript runs file with python, its name quoted for sh.
func runScript(file, reason string) (Result, error) {
	arg := file
	if strings.HasPrefix(arg, "-") {
		arg = "./" + arg // not an option of python
	}
	q, err := Quote(arg)
	if err != nil {
		return Result{}, &NameError{File: file, Problem: err.Error()}
	}
	return Result{Processes: []Process{{Type: "web", Script: "exec python " + q, Default: true}}, Origin: OriginScript, Reason: reason}, nil
}

// NameError says a file name cannot be written into a start command.
type NameError struct {
	File    string
	Problem string
}

func (e *NameError) Error() string {
	return fmt.Sprintf("file name %q cannot be used in a start command: %s", e.File, e.Problem)
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

func serve(in Input, o AppObject) (Result, error) {
	if res, ok := server(in, o); ok {
		return res, nil
	}
	if o.Kind == ASGI {
		return Result{}, &NoServerError{App: o, Servers: []string{"uvicorn", "hypercorn"}}
	}
	if runs, err := runsSomething(in.App, o.File); err != nil || !runs {
		// Run as a script, the file would define the app and exit.
		return Result{}, &NoServerError{App: o, Servers: []string{"gunicorn", "waitress"}}
	}
	// A WSGI app without a server: run its file, which starts the app (app.run()).
	res, err := runScript(o.File, fmt.Sprintf("%s app %s found, but no WSGI server (gunicorn, waitress) is installed, so %s runs as a script", o.Framework, o.Target(), o.File))
	if err != nil {
		return Result{}, err
	}
	res.Origin, res.App = OriginDetected, &o
	res.Warnings = []string{fmt.Sprintf("%s runs with %s's development server, which listens on 127.0.0.1:5000 unless the code says otherwise: "+
		"add gunicorn to your requirements to serve %s on 0.0.0.0:$PORT", o.File, o.Framework, o.Target())}
	return res, nil
}

// serveFunction starts functions-framework with the target from the setting, or the only
// function of main.py.
func serveFunction(in Input) (Result, error) {
	candidates, err := functions(in.App, "main.py")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Result{}, fmt.Errorf("reading main.py: %w", err)
	}
	target, reason := in.FunctionTarget, ""
	switch {
	case target != "" && !identifier.MatchString(target):
		return Result{}, &FunctionError{Problem: FunctionInvalid, Target: target, Setting: in.FunctionSetting, Candidates: candidates}
	case target != "" && !in.Installed("functions-framework"):
		return Result{}, &FunctionError{Problem: FunctionNotInstalled, Target: target, Setting: in.FunctionSetting, Candidates: candidates}
	case target != "" && !slices.Contains(candidates, target):
		return Result{}, &FunctionError{Problem: FunctionNotDefined, Target: target, Setting: in.FunctionSetting, Candidates: candidates}
	case target != "":
		reason = fmt.Sprintf("functions-framework is installed and %s names the function %s", in.FunctionSetting, target)
	case len(candidates) == 1:
		target = candidates[0]
		reason = fmt.Sprintf("functions-framework is installed and %s is the only function in main.py", target)
	case len(candidates) == 0:
		return Result{}, &FunctionError{Problem: FunctionNone}
	default:
		return Result{}, &FunctionError{Problem: FunctionSeveral, Candidates: candidates}
	}
	return Result{
		Processes: []Process{{Type: "web", Script: fmt.Sprintf(`exec functions-framework --target %s --port "%s"`, target, Port), Default: true}},
		Origin:    OriginFunction, Reason: reason,
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
