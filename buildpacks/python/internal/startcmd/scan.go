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

// findAppObjects returns the app objects defined in files, in file order.
func findAppObjects(app fs.FS, files []string) ([]AppObject, error) {
	var out []AppObject
	for _, f := range files {
		data, err := fs.ReadFile(app, f)
		if err != nil {
			return nil, err
		}
		src := string(data)
		module := strings.ReplaceAll(strings.TrimSuffix(f, ".py"), "/", ".")
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
		if best >= 0 {
			out = append(out, hits[best].obj)
		}
	}
	return out, nil
}
