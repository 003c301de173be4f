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
// is present but unreadable is an error of type *FileError.
func Read(fsys fs.FS, setting string) ([]Request, error) {
	var out []Request
	var errs []error
	add := func(r Request, found bool, err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		if found {
			out = append(out, r)
		}
	}
	if strings.TrimSpace(setting) != "" {
		r, err := fromValue(SourceSetting, setting)
		add(r, true, err)
	}
	add(readPythonVersion(fsys))
	add(readRuntimeTxt(fsys))
	add(readRequiresPython(fsys))
	add(readPipfile(fsys))
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return out, nil
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
		return "", false, fmt.Errorf("reading %s: %w", name, err)
	}
	return string(data), true, nil
}

// readPythonVersion reads .python-version: the first line that is not a comment, holding
// X.Y or X.Y.Z (pyenv's format, also written by uv python pin).
func readPythonVersion(fsys fs.FS) (Request, bool, error) {
	content, ok, err := readFile(fsys, string(SourcePythonVersion))
	if err != nil || !ok {
		return Request{}, false, err
	}
	var lines []string
	for _, l := range strings.Split(content, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return Request{}, false, &FileError{Source: SourcePythonVersion, Value: "", Reason: "is empty: write one version such as 3.12 on the first line"}
	}
	v := strings.TrimPrefix(strings.TrimPrefix(lines[0], "cpython-"), "python-")
	if _, err := ParseVersion(strings.TrimSuffix(v, ".*")); err != nil {
		reason := "is not a CPython version: write X.Y (for example 3.12, the newest 3.12 release) or X.Y.Z"
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
		return Request{}, false, err
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

// readRequiresPython reads [project] requires-python from pyproject.toml.
func readRequiresPython(fsys fs.FS) (Request, bool, error) {
	content, ok, err := readFile(fsys, "pyproject.toml")
	if err != nil || !ok {
		return Request{}, false, err
	}
	var doc struct {
		Project struct {
			RequiresPython string `toml:"requires-python"`
		} `toml:"project"`
	}
	if _, err := toml.Decode(content, &doc); err != nil {
		return Request{}, false, &FileError{Source: "pyproject.toml", Value: firstLine(err.Error()), Reason: "is a TOML syntax error: fix pyproject.toml"}
	}
	if strings.TrimSpace(doc.Project.RequiresPython) == "" {
		return Request{}, false, nil
	}
	r, err := fromValue(SourceRequiresPython, doc.Project.RequiresPython)
	return r, err == nil, err
}

// readPipfile reads [requires] python_full_version or python_version from a Pipfile.
func readPipfile(fsys fs.FS) (Request, bool, error) {
	content, ok, err := readFile(fsys, "Pipfile")
	if err != nil || !ok {
		return Request{}, false, err
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
