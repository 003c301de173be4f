package startcmd

import (
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
)

// Kind is the interface an app object speaks.
type Kind string

const (
	ASGI Kind = "ASGI"
	WSGI Kind = "WSGI"
)

// AppObject is a web application object found in the code.
type AppObject struct {
	File      string // e.g. "app.py" or "mysite/wsgi.py"
	Module    string // e.g. "app" or "mysite.wsgi"
	Variable  string // e.g. "app" or "application"
	Framework string // e.g. "FastAPI", "Flask", "Django"
	Kind      Kind
}

// Target returns "module:variable", the form uvicorn and gunicorn take.
func (a AppObject) Target() string { return a.Module + ":" + a.Variable }

type pattern struct {
	re        *regexp.Regexp
	framework string
	kind      Kind
}

// assignment of a constructor call to a top-level name, with an optional type annotation and
// an optional module prefix: "app = FastAPI(", "app: Flask = flask.Flask(".
func constructor(names string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*[A-Za-z0-9_.\[\]]+\s*)?=\s*(?:[A-Za-z_][A-Za-z0-9_]*\.)*(` + names + `)\(`)
}

var patterns = []pattern{
	{constructor("FastAPI"), "FastAPI", ASGI},
	{constructor("Starlette"), "Starlette", ASGI},
	{constructor("Quart"), "Quart", ASGI},
	{constructor("Litestar"), "Litestar", ASGI},
	{constructor("get_asgi_application"), "Django", ASGI},
	{constructor("Flask"), "Flask", WSGI},
	{constructor("Bottle"), "Bottle", WSGI},
	{constructor("get_wsgi_application"), "Django", WSGI},
}

// preferred file names, searched first and in this order.
var preferred = []string{"main.py", "app.py", "server.py", "application.py", "api.py", "asgi.py", "wsgi.py", "web.py"}

// pythonFiles lists the .py files at the top of the app and in its top-level packages
// (folders with an __init__.py), preferred names first.
func pythonFiles(app fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(app, ".")
	if err != nil {
		return nil, err
	}
	var top, nested []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		if e.IsDir() {
			if _, err := fs.Stat(app, path.Join(name, "__init__.py")); err != nil {
				continue
			}
			sub, err := fs.ReadDir(app, name)
			if err != nil {
				return nil, err
			}
			for _, s := range sub {
				if !s.IsDir() && strings.HasSuffix(s.Name(), ".py") {
					nested = append(nested, path.Join(name, s.Name()))
				}
			}
			continue
		}
		if strings.HasSuffix(name, ".py") {
			top = append(top, name)
		}
	}
	rank := func(p string) int {
		if i := slices.Index(preferred, path.Base(p)); i >= 0 {
			return i
		}
		return len(preferred)
	}
	sortFiles := func(files []string) {
		slices.SortStableFunc(files, func(a, b string) int {
			if ra, rb := rank(a), rank(b); ra != rb {
				return ra - rb
			}
			return strings.Compare(a, b)
		})
	}
	sortFiles(top)
	sortFiles(nested)
	return append(top, nested...), nil
}

// identifier is a Python name (ASCII; keywords are refused separately).
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

var keywords = map[string]bool{
	"False": true, "None": true, "True": true, "and": true, "as": true, "assert": true, "async": true, "await": true,
	"break": true, "class": true, "continue": true, "def": true, "del": true, "elif": true, "else": true, "except": true,
	"finally": true, "for": true, "from": true, "global": true, "if": true, "import": true, "in": true, "is": true,
	"lambda": true, "nonlocal": true, "not": true, "or": true, "pass": true, "raise": true, "return": true, "try": true,
	"while": true, "with": true, "yield": true,
}

// moduleName returns the dotted module a .py file is imported as ("app/main.py" -> "app.main"),
// and false when a part of its path is not a Python name ("my app.py", "x;id.py"): a server
// cannot import such a file by name.
func moduleName(file string) (string, bool) {
	parts := strings.Split(strings.TrimSuffix(file, ".py"), "/")
	for _, p := range parts {
		if !identifier.MatchString(p) || keywords[p] {
			return "", false
		}
	}
	return strings.Join(parts, "."), true
}

// findAppObjects returns the app objects defined in files, in file order; unnamed are those
// found in files whose names are not Python module names (no server can import them).
func findAppObjects(app fs.FS, files []string) (objects, unnamed []AppObject, err error) {
	for _, f := range files {
		data, err := fs.ReadFile(app, f)
		if err != nil {
			return nil, nil, err
		}
		src := string(data)
		module, ok := moduleName(f)
		type hit struct {
			pos int
			obj AppObject
		}
		var hits []hit
		for _, p := range patterns {
			for _, m := range p.re.FindAllStringSubmatchIndex(src, -1) {
				hits = append(hits, hit{m[0], AppObject{File: f, Module: module, Variable: src[m[2]:m[3]], Framework: p.framework, Kind: p.kind}})
			}
		}
		// Several objects in one file (e.g. a sub-app mounted on the main one): the last
		// assignment is usually the one served, but "app" and "application" are the names
		// frameworks document, so they win.
		slices.SortFunc(hits, func(a, b hit) int { return a.pos - b.pos })
		best := -1
		for i, h := range hits {
			if h.obj.Variable == "app" || h.obj.Variable == "application" {
				best = i
				break
			}
		}
		if best < 0 && len(hits) > 0 {
			best = 0
		}
		switch {
		case best < 0:
		case ok:
			objects = append(objects, hits[best].obj)
		default:
			unnamed = append(unnamed, hits[best].obj)
		}
	}
	return objects, unnamed, nil
}

var (
	mainBlock = regexp.MustCompile(`(?m)^if\s+(?:__name__\s*==\s*['"]__main__['"]|['"]__main__['"]\s*==\s*__name__)\s*:`)
	// a statement at the top level that does something when the file runs: a call
	// ("main()", "app.run()", "asyncio.run(main())") or a loop.
	topLevelRun = regexp.MustCompile(`(?m)^(?:[A-Za-z_][A-Za-z0-9_.]*\s*\(|(?:while|for|with|async\s+with|async\s+for)\b)`)
	topLevelDef = regexp.MustCompile(`(?m)^(?:async[ \t]+)?def[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(`)
	// functions-framework's decorators mark the functions it serves.
	frameworkDef = regexp.MustCompile(`(?m)^@(?:functions_framework\.)?(?:http|cloud_event|typed)\b[^\n]*\n(?:@[^\n]*\n)*(?:async[ \t]+)?def[ \t]+([A-Za-z_][A-Za-z0-9_]*)`)
)

// runsSomething reports whether running file as a script does anything: it has a __main__
// block, or a call or a loop at the top level.
func runsSomething(app fs.FS, file string) (bool, error) {
	data, err := fs.ReadFile(app, file)
	if err != nil {
		return false, err
	}
	for _, m := range topLevelRun.FindAllString(string(data), -1) {
		word := strings.TrimRight(m, " \t(")
		if !keywords[word] || word == "while" || word == "for" || word == "with" || strings.HasPrefix(word, "async") {
			return true, nil
		}
	}
	return mainBlock.Match(data), nil
}

// functions returns the functions file defines at the top level that functions-framework can
// serve: those with its decorators when there are any, else every public one.
func functions(app fs.FS, file string) ([]string, error) {
	data, err := fs.ReadFile(app, file)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range frameworkDef.FindAllSubmatch(data, -1) {
		out = append(out, string(m[1]))
	}
	if len(out) > 0 {
		return out, nil
	}
	for _, m := range topLevelDef.FindAllSubmatch(data, -1) {
		if name := string(m[1]); !strings.HasPrefix(name, "_") && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}
