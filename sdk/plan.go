package sdk

import (
	"fmt"
	"sort"
	"strings"
)

// Plan is the buildpack plan: the entries this buildpack was chosen to satisfy, each the
// Require of some buildpack's detect, in the order the lifecycle gives them. Decode them with
// Entries.
type Plan struct {
	Entries []Require
}

// Has reports whether the plan has at least one entry named name.
func (p Plan) Has(name string) bool {
	for _, e := range p.Entries {
		if e.Name == name {
			return true
		}
	}
	return false
}

// Merged is the typed, merged view of every plan entry with one name.
type Merged[T any] struct {
	Name string
	// Build and Launch are true when any entry's metadata sets "build" or "launch" to true.
	Build, Launch bool
	// Entries holds each entry's metadata decoded into T, in plan order.
	Entries []T
	// Versions holds the "version" of every entry that has one, most important first: see
	// Entries for the order.
	Versions []VersionRequest
}

// VersionRequest is a version an entry asks for and where that request came from.
type VersionRequest struct {
	Version string // metadata "version", e.g. "3.12.*"
	Source  string // metadata "version-source", e.g. "BP_PYTHON_VERSION" or ".python-version"
}

// Version returns the most important version request, if any.
func (m Merged[T]) Version() (VersionRequest, bool) {
	if len(m.Versions) == 0 {
		return VersionRequest{}, false
	}
	return m.Versions[0], true
}

// planKeys are the conventional metadata keys Entries merges; a T need not declare them.
var planKeys = map[string]bool{"build": true, "launch": true, "version": true, "version-source": true}

// Entries merges every entry named name. It returns ok=false when the plan has none.
//
// Merge rules, when several buildpacks require the same name:
//   - Build and Launch are OR-ed: a dependency one buildpack needs at launch is kept for launch.
//   - Each entry's metadata is decoded strictly into T; keys T has no field for are an error,
//     except "build", "launch", "version" and "version-source", which Entries reads itself.
//     Values of "build"/"launch" that are not booleans, or a "version" that is not a string, are
//     errors naming the entry.
//   - Versions are ordered by the priority of their source: a source that names an
//     environment variable (all upper case, like BP_PYTHON_VERSION) comes first, then a source
//     naming a file or anything else (like ".python-version"), then entries without a source or
//     with source "default". Within one priority, plan order is kept. Empty versions are
//     dropped.
func Entries[T any](p Plan, name string) (Merged[T], bool, error) {
	m := Merged[T]{Name: name}
	found := false
	for i, e := range p.Entries {
		if e.Name != name {
			continue
		}
		found = true
		where := fmt.Sprintf("buildpack plan entry %d (%q)", i+1, name)
		for _, flag := range []string{"build", "launch"} {
			v, ok := e.metadata[flag]
			if !ok {
				continue
			}
			b, isBool := v.(bool)
			if !isBool {
				return m, true, fmt.Errorf("%s: metadata %q is %v (%T): want true or false", where, flag, v, v)
			}
			if flag == "build" {
				m.Build = m.Build || b
			} else {
				m.Launch = m.Launch || b
			}
		}
		var vr VersionRequest
		for key, dst := range map[string]*string{"version": &vr.Version, "version-source": &vr.Source} {
			v, ok := e.metadata[key]
			if !ok {
				continue
			}
			s, isString := v.(string)
			if !isString {
				return m, true, fmt.Errorf("%s: metadata %q is %v (%T): want a string", where, key, v, v)
			}
			*dst = s
		}
		if vr.Version != "" {
			m.Versions = append(m.Versions, vr)
		}
		t, err := decodeRequire[T](e, where)
		if err != nil {
			return m, true, err
		}
		m.Entries = append(m.Entries, t)
	}
	sort.SliceStable(m.Versions, func(i, j int) bool {
		return sourcePriority(m.Versions[i].Source) < sourcePriority(m.Versions[j].Source)
	})
	return m, found, nil
}

// sourcePriority ranks version sources: environment variables, then files and others, then
// defaults.
func sourcePriority(source string) int {
	switch {
	case source == "" || strings.EqualFold(source, "default"):
		return 2
	case isEnvName(source):
		return 0
	default:
		return 1
	}
}

func isEnvName(s string) bool {
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return s != "" && !(s[0] >= '0' && s[0] <= '9')
}
