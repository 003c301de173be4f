package pyversion

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
)

// Source names where a version request came from.
type Source string

// The places a version request is read from, highest priority first.
const (
	SourceSetting        Source = "BP_CPYTHON_VERSION"
	SourcePythonVersion  Source = ".python-version"
	SourceRuntimeTxt     Source = "runtime.txt"
	SourceRequiresPython Source = "pyproject.toml requires-python"
	SourcePoetry         Source = "pyproject.toml [tool.poetry.dependencies] python"
	SourcePipfile        Source = "Pipfile [requires]"
	SourceDefault        Source = "default"
)

// Request is one version request: where it came from, what was written there and what it
// allows.
type Request struct {
	Source Source
	Raw    string
	Spec   Specifier
}

// FileError reports a version request that cannot be understood.
type FileError struct {
	Source Source // where it was read
	Value  string // what was found there
	Reason string // why it is not accepted
}

func (e *FileError) Error() string {
	return fmt.Sprintf("reading the Python version from %s: %q %s", e.Source, e.Value, e.Reason)
}

// Read returns every version request found, highest priority first: setting is the value of
// BP_CPYTHON_VERSION ("" when unset); the others are read from fsys (the app). A request that
// is present but unreadable is an error of type *FileError, except when the setting is set:
// the setting wins over every file, so the files it overrides that cannot be read are
// returned in ignored (for a warning) instead.
func Read(fsys fs.FS, setting string) (reqs []Request, ignored []*FileError, err error) {
	var errs []*FileError
	add := func(r Request, found bool, err error) {
		var fe *FileError
		switch {
		case errors.As(err, &fe):
			errs = append(errs, fe)
		case err != nil:
			errs = append(errs, &FileError{Source: r.Source, Value: "", Reason: "cannot be read: " + err.Error()})
		case found:
			reqs = append(reqs, r)
		}
	}
	hasSetting := strings.TrimSpace(setting) != ""
	if hasSetting {
		r, err := fromValue(SourceSetting, setting)
		if err != nil {
			return nil, nil, err
		}
		reqs = append(reqs, r)
	}
	add(readPythonVersion(fsys))
	add(readRuntimeTxt(fsys))
	project, perr := readPyproject(fsys)
	if perr != nil {
		errs = append(errs, perr)
	} else {
		add(project.requiresPython())
		add(project.poetryPython())
	}
	add(readPipfile(fsys))
	if len(errs) > 0 && !hasSetting {
		return nil, nil, errs[0]
	}
	return reqs, errs, nil
}

func fromValue(src Source, value string) (Request, error) {
	value = strings.TrimSpace(value)
	spec, err := ParseSpecifier(value)
	if err != nil {
		return Request{}, &FileError{Source: src, Value: value, Reason: "is not a version: use a version like 3.12 or 3.12.4, or a range like >=3.11,<3.14"}
	}
	return Request{Source: src, Raw: value, Spec: spec}, nil
}

func readFile(fsys fs.FS, name string) (string, bool, error) {
	data, err := fs.ReadFile(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return string(data), true, nil
}

// readPythonVersion reads .python-version as pyenv, uv and other tools write it: blank lines
// and # comments are skipped, the first remaining line decides. It holds X.Y (the newest X.Y
// release), X.Y.Z, optionally prefixed with "cpython-", "cpython@" or "python", or a
// constraint such as ">= 3.10" (the newest release it allows).
func readPythonVersion(fsys fs.FS) (Request, bool, error) {
	content, ok, err := readFile(fsys, string(SourcePythonVersion))
	if err != nil || !ok {
		return Request{Source: SourcePythonVersion}, false, err
	}
	var lines []string
	for _, l := range strings.Split(content, "\n") {
		if i := strings.Index(l, " #"); i >= 0 {
			l = l[:i] // a comment after the version
		}
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return Request{}, false, &FileError{Source: SourcePythonVersion, Value: "", Reason: "is empty: write one version such as 3.12 on the first line"}
	}
	v := lines[0]
	for _, prefix := range []string{"cpython-", "cpython@", "cpython", "python-", "python"} {
		if rest, ok := strings.CutPrefix(v, prefix); ok && rest != "" && (rest[0] >= '0' && rest[0] <= '9') {
			v = rest
			break
		}
	}
	if strings.ContainsAny(v[:1], "<>=!~") {
		// A constraint, as uv accepts it: ">= 3.10", ">=3.11,<3.14".
		r, err := fromValue(SourcePythonVersion, v)
		return r, err == nil, err
	}
	if _, err := ParseVersion(strings.TrimSuffix(v, ".*")); err != nil {
		reason := "is not a CPython version: write X.Y (for example 3.12, the newest 3.12 release), X.Y.Z, or a constraint such as >=3.11"
		switch {
		case strings.HasPrefix(v, "pypy"), strings.HasPrefix(v, "graalpy"):
			reason = "names a Python implementation other than CPython, which this buildpack does not provide: write a CPython version such as 3.12"
		case v == "system":
			reason = "asks for the system Python, which the image does not have: write a version such as 3.12"
		case freeThreaded.MatchString(v):
			reason = "asks for a free-threaded build, which this buildpack does not provide: write a version such as 3.13"
		}
		return Request{}, false, &FileError{Source: SourcePythonVersion, Value: lines[0], Reason: reason}
	}
	r, err := fromValue(SourcePythonVersion, v)
	return r, err == nil, err
}

var freeThreaded = regexp.MustCompile(`^3\.[0-9]+(\.[0-9]+)?t$`)

// readRuntimeTxt reads the older runtime.txt format "python-3.12.4".
func readRuntimeTxt(fsys fs.FS) (Request, bool, error) {
	content, ok, err := readFile(fsys, string(SourceRuntimeTxt))
	if err != nil || !ok {
		return Request{Source: SourceRuntimeTxt}, false, err
	}
	raw := strings.TrimSpace(content)
	v, found := strings.CutPrefix(raw, "python-")
	if !found {
		return Request{}, false, &FileError{Source: SourceRuntimeTxt, Value: raw, Reason: "is not in the form python-X.Y.Z: write for example python-3.12.4, or better, replace runtime.txt with a .python-version file containing 3.12"}
	}
	if _, err := ParseVersion(v); err != nil {
		return Request{}, false, &FileError{Source: SourceRuntimeTxt, Value: raw, Reason: "is not in the form python-X.Y.Z: write for example python-3.12.4, or better, replace runtime.txt with a .python-version file containing 3.12"}
	}
	r, err := fromValue(SourceRuntimeTxt, v)
	return r, err == nil, err
}

// pyproject is what pyproject.toml says about the Python version.
type pyproject struct {
	Project struct {
		RequiresPython string `toml:"requires-python"`
	} `toml:"project"`
	Tool struct {
		Poetry struct {
			// Dependencies map names to a constraint, a table or an array of tables; only
			// python is read here, as a constraint.
			Dependencies map[string]toml.Primitive `toml:"dependencies"`
		} `toml:"poetry"`
	} `toml:"tool"`
	md toml.MetaData
}

func readPyproject(fsys fs.FS) (pyproject, *FileError) {
	var doc pyproject
	content, ok, err := readFile(fsys, "pyproject.toml")
	if err != nil {
		return doc, &FileError{Source: "pyproject.toml", Reason: "cannot be read: " + err.Error()}
	}
	if !ok {
		return doc, nil
	}
	md, err := toml.Decode(content, &doc)
	if err != nil {
		return doc, &FileError{Source: "pyproject.toml", Value: firstLine(err.Error()), Reason: "is a TOML syntax error: fix pyproject.toml"}
	}
	doc.md = md
	return doc, nil
}

// requiresPython is [project] requires-python.
func (p pyproject) requiresPython() (Request, bool, error) {
	if strings.TrimSpace(p.Project.RequiresPython) == "" {
		return Request{}, false, nil
	}
	r, err := fromValue(SourceRequiresPython, p.Project.RequiresPython)
	return r, err == nil, err
}

// poetryPython is [tool.poetry.dependencies] python, a Poetry constraint ("^3.11"); "*"
// asks for nothing.
func (p pyproject) poetryPython() (Request, bool, error) {
	raw, ok := p.Tool.Poetry.Dependencies["python"]
	if !ok {
		return Request{}, false, nil
	}
	var value string
	if err := p.md.PrimitiveDecode(raw, &value); err != nil {
		var found any
		_ = p.md.PrimitiveDecode(raw, &found)
		return Request{}, false, &FileError{Source: SourcePoetry, Value: fmt.Sprint(found), Reason: "is not a string: write a constraint such as \"^3.11\""}
	}
	spec, err := ParsePoetryConstraint(value)
	if err != nil {
		return Request{}, false, &FileError{Source: SourcePoetry, Value: value, Reason: "is not a Poetry version constraint: write one such as \"^3.11\" or \">=3.10,<3.14\""}
	}
	if spec.IsZero() {
		return Request{}, false, nil
	}
	return Request{Source: SourcePoetry, Raw: strings.TrimSpace(value), Spec: spec}, true, nil
}

// readPipfile reads [requires] python_full_version or python_version from a Pipfile.
func readPipfile(fsys fs.FS) (Request, bool, error) {
	content, ok, err := readFile(fsys, "Pipfile")
	if err != nil || !ok {
		return Request{Source: "Pipfile"}, false, err
	}
	var doc struct {
		Requires struct {
			Full    string `toml:"python_full_version"`
			Version string `toml:"python_version"`
		} `toml:"requires"`
	}
	if _, err := toml.Decode(content, &doc); err != nil {
		return Request{}, false, &FileError{Source: "Pipfile", Value: firstLine(err.Error()), Reason: "is a TOML syntax error: fix the Pipfile"}
	}
	v := doc.Requires.Full
	if v == "" {
		v = doc.Requires.Version
	}
	if strings.TrimSpace(v) == "" {
		return Request{}, false, nil
	}
	r, err := fromValue(SourcePipfile, v)
	return r, err == nil, err
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
