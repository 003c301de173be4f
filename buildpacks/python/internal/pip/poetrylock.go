package pip

import (
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// poetry.lock (lock-version 1.x and 2.x): one [[package]] per locked distribution, each
// with its dependencies as name = "constraint" or a table {version, markers, optional,
// extras, python}. The runtime set is the closure of the project's main dependencies
// ([tool.poetry.dependencies] without python and optional entries, or [project]
// dependencies), following extras; lock-version 1.x "dev" packages are never roots.

type poetryLock struct {
	Packages []poetryPackage `toml:"package"`
	Metadata struct {
		LockVersion string `toml:"lock-version"`
	} `toml:"metadata"`
}

type poetryPackage struct {
	Name         string                    `toml:"name"`
	Version      string                    `toml:"version"`
	Dependencies map[string]toml.Primitive `toml:"dependencies"`
	Extras       map[string][]string       `toml:"extras"`
	Files        []struct {
		Hash string `toml:"hash"`
	} `toml:"files"`
	Source struct {
		Type string `toml:"type"`
	} `toml:"source"`
}

// poetryEdge is one dependency of a package or of the project.
type poetryEdge struct {
	name, marker string
	optional     bool
	extras       []string
}

var requirementName = regexp.MustCompile(`^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?`)

// readPoetryLock returns the pinned runtime requirements, as in readUVLock. roots are the
// project's main dependencies.
func readPoetryLock(app fs.FS, roots []poetryEdge) ([]string, error) {
	data, err := fs.ReadFile(app, "poetry.lock")
	if err != nil {
		return nil, fmt.Errorf("reading poetry.lock: %w", err)
	}
	var lock poetryLock
	md, err := toml.Decode(string(data), &lock)
	if err != nil {
		return nil, &LockError{File: "poetry.lock", Problem: "is not valid TOML: " + firstLine(err.Error())}
	}
	if v := lock.Metadata.LockVersion; !strings.HasPrefix(v, "1.") && !strings.HasPrefix(v, "2.") {
		return nil, &LockError{File: "poetry.lock", Problem: fmt.Sprintf("has lock-version %q; this buildpack reads 1.x and 2.x", v)}
	}
	byName := map[string]int{}
	for i, p := range lock.Packages {
		n := normalizeName(p.Name)
		if _, dup := byName[n]; dup {
			return nil, &LockError{File: "poetry.lock", Problem: fmt.Sprintf("locks %s more than once (per-platform versions), which this buildpack cannot choose between: export a requirements.txt with poetry export", p.Name)}
		}
		byName[n] = i
	}
	conds := conditions{}
	type item struct {
		cond  string
		edges []poetryEdge
	}
	queue := []item{{edges: roots}}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		for _, e := range it.edges {
			if e.optional {
				continue
			}
			i, ok := byName[normalizeName(e.name)]
			if !ok {
				return nil, &LockError{File: "poetry.lock", Problem: fmt.Sprintf("has no package %s, which the project needs: run poetry lock", e.name)}
			}
			c, added := conds.add(i, andMarker(it.cond, e.marker))
			if !added {
				continue
			}
			p := lock.Packages[i]
			edges, err := poetryEdges(md, p.Dependencies)
			if err != nil {
				return nil, &LockError{File: "poetry.lock", Problem: fmt.Sprintf("package %s: %v", p.Name, err)}
			}
			// Optional dependencies come in through the extras asked for.
			wanted := map[string]bool{}
			for _, x := range e.extras {
				for _, r := range p.Extras[x] {
					if m := requirementName.FindStringSubmatch(r); m != nil {
						wanted[normalizeName(m[1])] = true
					}
				}
			}
			for k := range edges {
				if edges[k].optional && wanted[normalizeName(edges[k].name)] {
					edges[k].optional = false
				}
			}
			queue = append(queue, item{cond: c, edges: edges})
		}
	}
	var out []pinned
	for i, set := range conds {
		p := lock.Packages[i]
		if t := p.Source.Type; t != "" && t != "legacy" {
			return nil, &LockError{File: "poetry.lock", Problem: fmt.Sprintf("locks %s from a %s source, which pip cannot install by version: export a requirements file with poetry export", p.Name, t)}
		}
		line := pinLine(p.Name, p.Version, set)
		var hashes []string
		for _, f := range p.Files {
			if f.Hash != "" {
				hashes = append(hashes, f.Hash)
			}
		}
		out = append(out, pinned{line: line, hashes: hashes})
	}
	return withHashes(out), nil
}

// poetrySpec is one entry of a Poetry dependency: "constraint" is an entry without keys; a
// table is one entry; an array of tables has one entry per platform or Python version.
type poetrySpec struct {
	Markers  string   `toml:"markers"`
	Python   string   `toml:"python"`
	Optional bool     `toml:"optional"`
	Extras   []string `toml:"extras"`
}

// poetrySpecs decodes the value of one dependency: a constraint string, a table or an array of
// tables.
func poetrySpecs(md toml.MetaData, v toml.Primitive) ([]poetrySpec, error) {
	var constraint string
	if md.PrimitiveDecode(v, &constraint) == nil {
		return []poetrySpec{{}}, nil
	}
	var one poetrySpec
	if md.PrimitiveDecode(v, &one) == nil {
		return []poetrySpec{one}, nil
	}
	var many []poetrySpec
	if err := md.PrimitiveDecode(v, &many); err != nil {
		return nil, fmt.Errorf("is neither a constraint, a table of markers, optional, extras and python, nor an array of such tables: %v", err)
	}
	return many, nil
}

// poetryEdges reads a dependencies table: name = "constraint" | {markers, optional, extras,
// python} | [ {...}, {...} ] (one entry per platform; their markers are OR-ed).
func poetryEdges(md toml.MetaData, deps map[string]toml.Primitive) ([]poetryEdge, error) {
	names := slices.Sorted(maps.Keys(deps))
	var out []poetryEdge
	for _, n := range names {
		if strings.EqualFold(n, "python") {
			continue
		}
		specs, err := poetrySpecs(md, deps[n])
		if err != nil {
			return nil, fmt.Errorf("dependency %s %w", n, err)
		}
		out = append(out, mergeEdges(n, specs))
	}
	return out, nil
}

// mergeEdges makes one edge of a dependency's entries: optional when every entry is, with the
// extras of all and their markers OR-ed (no marker when one entry has none).
func mergeEdges(name string, specs []poetrySpec) poetryEdge {
	e := poetryEdge{name: name, optional: true}
	var markers []string
	for _, s := range specs {
		te := specEdge(name, s)
		e.optional = e.optional && te.optional
		e.extras = append(e.extras, te.extras...)
		if te.marker == "" {
			markers = nil
			break
		}
		markers = append(markers, te.marker)
	}
	if len(markers) == 1 {
		e.marker = markers[0]
	} else if len(markers) > 1 {
		e.marker = "(" + strings.Join(markers, ") or (") + ")"
	}
	return e
}

func specEdge(name string, s poetrySpec) poetryEdge {
	e := poetryEdge{name: name, marker: s.Markers, optional: s.Optional, extras: s.Extras}
	if s.Python != "" {
		if m := pythonMarker(s.Python); m != "" {
			e.marker = andMarker(e.marker, m)
		}
	}
	return e
}

var pythonClause = regexp.MustCompile(`^(==|!=|<=|>=|<|>)\s*([0-9]+(?:\.[0-9]+)*)$`)

// pythonMarker turns a Poetry python constraint made of plain comparisons (">=3.8,<3.11")
// into a marker; other forms (^3.8, ~3.8, ||) give "" (no condition).
func pythonMarker(c string) string {
	var terms []string
	for _, part := range strings.Split(c, ",") {
		m := pythonClause.FindStringSubmatch(strings.TrimSpace(part))
		if m == nil {
			return ""
		}
		terms = append(terms, fmt.Sprintf("python_full_version %s '%s'", m[1], m[2]))
	}
	return strings.Join(terms, " and ")
}

// poetryRoots are the project's main dependencies, from [tool.poetry.dependencies] or, for
// Poetry 2 projects, [project] dependencies.
func poetryRoots(md toml.MetaData, poetryDeps map[string]toml.Primitive, projectDeps []string) ([]poetryEdge, error) {
	if len(poetryDeps) > 0 {
		return poetryEdges(md, poetryDeps)
	}
	var out []poetryEdge
	for _, r := range projectDeps {
		m := requirementName.FindStringSubmatch(r)
		if m == nil {
			return nil, fmt.Errorf("dependency %q is not a requirement", r)
		}
		e := poetryEdge{name: m[1]}
		if m[2] != "" {
			for _, x := range strings.Split(m[2], ",") {
				e.extras = append(e.extras, strings.TrimSpace(x))
			}
		}
		if _, marker, ok := strings.Cut(r, ";"); ok {
			e.marker = strings.TrimSpace(marker)
		}
		out = append(out, e)
	}
	return out, nil
}
