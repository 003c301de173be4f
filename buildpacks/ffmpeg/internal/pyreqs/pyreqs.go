package pyreqs

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// Requirement is one distribution the application declares.
type Requirement struct {
	// Name is the PEP 503 normalised distribution name, e.g. "ffmpeg-python".
	Name string
	// Source says where it was declared, e.g. "requirements.txt:3" or "pyproject.toml".
	Source string
}

// maxFiles bounds how many requirement files one scan reads (-r chains included).
const maxFiles = 200

var normalizeRE = regexp.MustCompile(`[-_.]+`)

// Normalize returns the PEP 503 normalised form of a distribution name.
func Normalize(name string) string {
	return normalizeRE.ReplaceAllString(strings.ToLower(strings.TrimSpace(name)), "-")
}

// Scan reads the requirement files at the root of fsys and returns every requirement that
// applies on Linux, in file order. Files that are absent are skipped. Files that cannot be
// read or parsed are reported in the returned error (joined, one per file) while the
// requirements of every other file are still returned.
func Scan(fsys fs.FS) ([]Requirement, error) {
	s := &scanner{fsys: fsys, seen: map[string]bool{}}
	roots, err := fs.Glob(fsys, "requirements*.txt")
	if err != nil {
		return nil, fmt.Errorf("listing requirements files: %w", err)
	}
	more, _ := fs.Glob(fsys, "requirements/*.txt")
	roots = append(roots, more...)
	sort.Strings(roots)
	for _, r := range roots {
		s.requirementsFile(r)
	}
	s.pyproject("pyproject.toml")
	s.pipfile("Pipfile")
	return s.reqs, errors.Join(s.problems...)
}

type scanner struct {
	fsys     fs.FS
	seen     map[string]bool
	reqs     []Requirement
	problems []error
}

func (s *scanner) add(name, source string) {
	if n := Normalize(name); n != "" {
		s.reqs = append(s.reqs, Requirement{Name: n, Source: source})
	}
}

// readOptional reads a file, returning ok=false (and no problem) when it does not exist.
func (s *scanner) readOptional(name string) ([]byte, bool) {
	data, err := fs.ReadFile(s.fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		s.problems = append(s.problems, fmt.Errorf("reading %s: %w", name, err))
		return nil, false
	}
	return data, true
}

// requirementsFile reads a pip requirements file and the files it includes with -r.
func (s *scanner) requirementsFile(name string) {
	name = path.Clean(name)
	if s.seen[name] || len(s.seen) >= maxFiles {
		return
	}
	s.seen[name] = true
	data, ok := s.readOptional(name)
	if !ok {
		return
	}
	for _, l := range logicalLines(string(data)) {
		source := fmt.Sprintf("%s:%d", name, l.number)
		text := l.text
		if strings.HasPrefix(text, "-") {
			opt, arg := splitOption(text)
			switch opt {
			case "-r", "--requirement":
				if arg != "" && !path.IsAbs(arg) && !strings.Contains(arg, "://") {
					s.requirementsFile(path.Join(path.Dir(name), arg))
				}
			case "-e", "--editable":
				if n := nameFromLocation(arg); n != "" {
					s.add(n, source)
				}
			}
			// -c/--constraint files only constrain versions; other options are not requirements.
			continue
		}
		if n, ok := parseRequirement(text); ok {
			s.add(n, source)
		}
	}
}

type line struct {
	number int
	text   string
}

// logicalLines joins backslash continuations, drops comments and blank lines.
func logicalLines(data string) []line {
	var out []line
	var buf strings.Builder
	start := 0
	raw := strings.Split(strings.ReplaceAll(data, "\r\n", "\n"), "\n")
	for i, l := range raw {
		if buf.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(l, `\`) {
			buf.WriteString(strings.TrimSuffix(l, `\`))
			buf.WriteString(" ")
			continue
		}
		buf.WriteString(l)
		text := stripComment(buf.String())
		buf.Reset()
		if text != "" {
			out = append(out, line{number: start, text: text})
		}
	}
	if buf.Len() > 0 {
		if text := stripComment(buf.String()); text != "" {
			out = append(out, line{number: start, text: text})
		}
	}
	return out
}

// stripComment removes a comment: "#" at the start of a line or after whitespace (a "#"
// inside a URL, as in "#egg=name", is not a comment).
func stripComment(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			s = s[:i]
			break
		}
	}
	return strings.TrimSpace(s)
}

// splitOption splits "-r file", "-rfile", "--requirement=file" and "--requirement file".
func splitOption(text string) (opt, arg string) {
	if strings.HasPrefix(text, "--") {
		opt, arg, found := strings.Cut(text, "=")
		if !found {
			opt, arg, _ = strings.Cut(text, " ")
		}
		return strings.TrimSpace(opt), firstField(arg)
	}
	if len(text) >= 2 {
		return text[:2], firstField(text[2:])
	}
	return text, ""
}

func firstField(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

var (
	nameRE    = regexp.MustCompile(`^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*)$`)
	eggRE     = regexp.MustCompile(`[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)`)
	sdistRE   = regexp.MustCompile(`^(.+?)-[0-9]`)
	optionsRE = regexp.MustCompile(`\s--?[A-Za-z]`)
)

// parseRequirement reads one PEP 508 requirement (or a pip URL/path line) and reports the
// distribution name when the requirement applies on Linux.
func parseRequirement(text string) (string, bool) {
	if isLocation(text) {
		n := nameFromLocation(text)
		return n, n != ""
	}
	m := nameRE.FindStringSubmatch(text)
	if m == nil {
		return "", false
	}
	rest := m[3]
	// Per-requirement pip options (--hash=..., --global-option ...) follow the requirement.
	if loc := optionsRE.FindStringIndex(" " + rest); loc != nil {
		if loc[0] == 0 {
			rest = ""
		} else {
			rest = rest[:loc[0]-1]
		}
	}
	if strings.HasPrefix(rest, "@") {
		// "name @ url ; marker": the marker must be separated from the URL by whitespace.
		if i := strings.Index(rest, " ;"); i >= 0 {
			rest = rest[i+1:]
		} else {
			rest = ""
		}
	}
	if _, marker, found := strings.Cut(rest, ";"); found && !markerApplies(marker) {
		return "", false
	}
	if rest != "" && !strings.ContainsAny(rest[:1], "<>=!~(;@,") {
		return "", false // not a requirement this package understands
	}
	return m[1], true
}

// isLocation reports whether a requirements line is a URL or a local path, not a PEP 508 name.
func isLocation(text string) bool {
	return strings.Contains(strings.SplitN(text, " ", 2)[0], "://") ||
		strings.HasPrefix(text, ".") || strings.HasPrefix(text, "/") ||
		strings.HasSuffix(firstField(text), ".whl") || strings.HasSuffix(firstField(text), ".tar.gz") ||
		strings.HasSuffix(firstField(text), ".zip")
}

// nameFromLocation finds the distribution name of a URL or path: its #egg= fragment, or the
// wheel or sdist file name.
func nameFromLocation(loc string) string {
	loc = firstField(loc)
	if m := eggRE.FindStringSubmatch(loc); m != nil {
		return m[1]
	}
	base := path.Base(strings.SplitN(strings.SplitN(loc, "#", 2)[0], "?", 2)[0])
	switch {
	case strings.HasSuffix(base, ".whl"):
		return strings.SplitN(base, "-", 2)[0]
	case strings.HasSuffix(base, ".tar.gz"), strings.HasSuffix(base, ".zip"), strings.HasSuffix(base, ".tar.bz2"):
		if m := sdistRE.FindStringSubmatch(base); m != nil {
			return m[1]
		}
	}
	return ""
}

// pyproject reads PEP 621 [project] dependencies and Poetry's [tool.poetry.dependencies].
// Optional dependencies and development groups are not runtime requirements and are skipped.
func (s *scanner) pyproject(name string) {
	data, ok := s.readOptional(name)
	if !ok {
		return
	}
	var doc struct {
		Project struct {
			Dependencies []string `toml:"dependencies"`
		} `toml:"project"`
		Tool struct {
			Poetry struct {
				Dependencies map[string]toml.Primitive `toml:"dependencies"`
			} `toml:"poetry"`
		} `toml:"tool"`
	}
	md, err := toml.Decode(string(data), &doc)
	if err != nil {
		s.problems = append(s.problems, fmt.Errorf("decoding %s: %w", name, err))
		return
	}
	for _, d := range doc.Project.Dependencies {
		if n, ok := parseRequirement(strings.TrimSpace(d)); ok {
			s.add(n, name)
		}
	}
	s.tables(name, md, doc.Tool.Poetry.Dependencies)
}

// pipfile reads the [packages] table of a Pipfile ([dev-packages] is not for runtime).
func (s *scanner) pipfile(name string) {
	data, ok := s.readOptional(name)
	if !ok {
		return
	}
	var doc struct {
		Packages map[string]toml.Primitive `toml:"packages"`
	}
	md, err := toml.Decode(string(data), &doc)
	if err != nil {
		s.problems = append(s.problems, fmt.Errorf("decoding %s: %w", name, err))
		return
	}
	s.tables(name, md, doc.Packages)
}

// tables adds the keys of a Poetry/Pipfile dependency table, honouring the markers and
// platform keys their values may carry. A value of an unexpected form counts (the package may
// be installed) and is reported.
func (s *scanner) tables(source string, md toml.MetaData, deps map[string]toml.Primitive) {
	names := slices.Sorted(maps.Keys(deps))
	for _, n := range names {
		if Normalize(n) == "python" {
			continue
		}
		specs, err := dependencySpecs(md, deps[n])
		if err != nil {
			s.problems = append(s.problems, fmt.Errorf("%s: dependency %s %w", source, n, err))
		}
		if err != nil || appliesOnLinux(specs) {
			s.add(n, source)
		}
	}
}

// dependencySpec is one entry of a Poetry or Pipfile dependency: a version string is an entry
// without keys, a table is one entry, and a Poetry array of tables has one per platform.
type dependencySpec struct {
	Optional       bool   `toml:"optional"`
	Markers        string `toml:"markers"`
	Platform       string `toml:"platform"`
	SysPlatform    string `toml:"sys_platform"`
	OSName         string `toml:"os_name"`
	PlatformSystem string `toml:"platform_system"`
}

// dependencySpecs decodes the value of one dependency.
func dependencySpecs(md toml.MetaData, v toml.Primitive) ([]dependencySpec, error) {
	var version string
	if md.PrimitiveDecode(v, &version) == nil {
		return []dependencySpec{{}}, nil
	}
	var one dependencySpec
	if md.PrimitiveDecode(v, &one) == nil {
		return []dependencySpec{one}, nil
	}
	var many []dependencySpec
	if err := md.PrimitiveDecode(v, &many); err != nil {
		return nil, fmt.Errorf("is neither a version, a table nor an array of tables: %v", err)
	}
	return many, nil
}

// appliesOnLinux decides whether a dependency applies: when any of its entries does (an empty
// array counts), an entry applying unless it is optional (an extra, installed only on
// request) or its markers or platform keys exclude Linux.
func appliesOnLinux(specs []dependencySpec) bool {
	for _, d := range specs {
		if d.applies() {
			return true
		}
	}
	return len(specs) == 0
}

func (d dependencySpec) applies() bool {
	if d.Optional {
		return false
	}
	if d.Markers != "" && !markerApplies(d.Markers) {
		return false
	}
	if d.Platform != "" && !markerApplies(fmt.Sprintf("sys_platform == %q", d.Platform)) {
		return false
	}
	for _, c := range []struct{ key, cond string }{
		{"sys_platform", d.SysPlatform}, {"os_name", d.OSName}, {"platform_system", d.PlatformSystem},
	} {
		if c.cond != "" && !markerApplies(c.key+" "+c.cond) {
			return false
		}
	}
	return true
}
