package pip

import (
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// uv.lock (uv's universal lock file, version 1): every package of every platform and group,
// with the dependency edges between them. The runtime set of the project is the closure of
// the root package's dependencies (not its dev-dependencies), following extras; the markers
// on the edges say on which platforms an edge exists, and pip evaluates them.

type uvLock struct {
	Version  int         `toml:"version"`
	Packages []uvPackage `toml:"package"`
}

type uvPackage struct {
	Name                 string                    `toml:"name"`
	Version              string                    `toml:"version"`
	Source               map[string]toml.Primitive `toml:"source"` // one key: registry, virtual, editable, git, path, ...
	Dependencies         []uvEdge                  `toml:"dependencies"`
	OptionalDependencies map[string][]uvEdge       `toml:"optional-dependencies"`
	DevDependencies      map[string][]uvEdge       `toml:"dev-dependencies"`
	Sdist                *uvFile                   `toml:"sdist"`
	Wheels               []uvFile                  `toml:"wheels"`
}

type uvFile struct {
	Hash string `toml:"hash"`
}

type uvEdge struct {
	Name    string   `toml:"name"`
	Version string   `toml:"version"`
	Marker  string   `toml:"marker"`
	Extra   []string `toml:"extra"`
}

// LockError says uv.lock cannot be used.
type LockError struct {
	File    string
	Problem string
}

func (e *LockError) Error() string { return e.File + ": " + e.Problem }

var lockSeparators = regexp.MustCompile(`[-_.]+`)

func normalizeName(n string) string { return lockSeparators.ReplaceAllString(strings.ToLower(n), "-") }

// readUVLock returns the pinned runtime requirements of the project named project, as
// requirement lines "name==version" or "name==version ; <marker>", sorted by name.
func readUVLock(app fs.FS, project string) ([]string, error) {
	data, err := fs.ReadFile(app, "uv.lock")
	if err != nil {
		return nil, fmt.Errorf("reading uv.lock: %w", err)
	}
	var lock uvLock
	if _, err := toml.Decode(string(data), &lock); err != nil {
		return nil, &LockError{File: "uv.lock", Problem: "is not valid TOML: " + firstLine(err.Error())}
	}
	if lock.Version != 1 {
		return nil, &LockError{File: "uv.lock", Problem: fmt.Sprintf("has version %d; this buildpack reads version 1", lock.Version)}
	}
	byName := map[string][]int{}
	root := -1
	for i, p := range lock.Packages {
		n := normalizeName(p.Name)
		byName[n] = append(byName[n], i)
		if _, ok := p.Source["virtual"]; ok && n == normalizeName(project) {
			root = i
		}
		if _, ok := p.Source["editable"]; ok && n == normalizeName(project) {
			root = i
		}
	}
	if root < 0 {
		for _, i := range byName[normalizeName(project)] {
			root = i
		}
	}
	if root < 0 {
		return nil, &LockError{File: "uv.lock", Problem: fmt.Sprintf("has no package for the project %q of pyproject.toml: run uv lock", project)}
	}
	resolve := func(e uvEdge) (int, error) {
		cands := byName[normalizeName(e.Name)]
		if e.Version != "" {
			cands = slices.DeleteFunc(slices.Clone(cands), func(i int) bool { return lock.Packages[i].Version != e.Version })
		}
		if len(cands) != 1 {
			return 0, &LockError{File: "uv.lock", Problem: fmt.Sprintf("dependency %q matches %d packages: run uv lock", e.Name, len(cands))}
		}
		return cands[0], nil
	}
	conds := conditions{}
	type item struct {
		pkg  int
		cond string
		deps []uvEdge
	}
	queue := []item{{pkg: root, deps: lock.Packages[root].Dependencies}}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		for _, e := range it.deps {
			child, err := resolve(e)
			if err != nil {
				return nil, err
			}
			c, added := conds.add(child, andMarker(it.cond, e.Marker))
			if !added {
				continue
			}
			queue = append(queue, item{pkg: child, cond: c, deps: lock.Packages[child].Dependencies})
			for _, x := range e.Extra {
				queue = append(queue, item{pkg: child, cond: c, deps: lock.Packages[child].OptionalDependencies[x]})
			}
		}
	}
	var out []pinned
	for i, set := range conds {
		if i == root {
			continue
		}
		p := lock.Packages[i]
		if _, ok := p.Source["registry"]; !ok {
			kinds := slices.Sorted(maps.Keys(p.Source))
			return nil, &LockError{File: "uv.lock", Problem: fmt.Sprintf("locks %s from a %s source, which pip cannot install by version: export a requirements file with uv export", p.Name, strings.Join(kinds, "/"))}
		}
		line := pinLine(p.Name, p.Version, set)
		var hashes []string
		if p.Sdist != nil && p.Sdist.Hash != "" {
			hashes = append(hashes, p.Sdist.Hash)
		}
		for _, w := range p.Wheels {
			if w.Hash != "" {
				hashes = append(hashes, w.Hash)
			}
		}
		out = append(out, pinned{line: line, hashes: hashes})
	}
	return withHashes(out), nil
}

// pinLine is the requirement line that pins name to version, under the environment markers
// that reach it in the lock (OR-ed); the empty marker means "always", so none is written.
func pinLine(name, version string, markers map[string]bool) string {
	line := normalizeName(name) + "==" + version
	if markers[""] {
		return line
	}
	terms := slices.Sorted(maps.Keys(markers))
	if len(terms) == 1 {
		return line + " ; " + terms[0]
	}
	return line + " ; (" + strings.Join(terms, ") or (") + ")"
}

// pinned is one locked requirement line and the sha256 hashes ("sha256:<hex>") of the files
// the lock allows for it.
type pinned struct {
	line   string
	hashes []string
}

// withHashes renders the lines, sorted, adding --hash options when every requirement has at
// least one hash (pip's hash-checking mode is all or nothing): then pip refuses any file
// that is not the one locked.
func withHashes(reqs []pinned) []string {
	all := len(reqs) > 0
	for _, r := range reqs {
		if len(r.hashes) == 0 {
			all = false
		}
	}
	out := make([]string, 0, len(reqs))
	for _, r := range reqs {
		line := r.line
		if all {
			hs := append([]string(nil), r.hashes...)
			sort.Strings(hs)
			for _, h := range hs {
				line += " --hash=" + h
			}
		}
		out = append(out, line)
	}
	sort.Strings(out)
	return out
}

// conditions holds, for each package of a lock file (by index), the markers under which it
// is needed, OR-ed; "" is always.
type conditions map[int]map[string]bool

// add records that package i is needed under marker c. It returns the marker to carry to
// i's dependencies, and false when it adds nothing (i is needed always, or under c already).
// After eight paths a package counts as always needed.
func (cs conditions) add(i int, c string) (string, bool) {
	set := cs[i]
	if set == nil {
		set = map[string]bool{}
		cs[i] = set
	}
	if set[""] || set[c] {
		return "", false
	}
	if len(set) >= 8 {
		c = ""
	}
	set[c] = true
	return c, true
}

func andMarker(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return "(" + a + ") and (" + b + ")"
}
