package packager

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/cnbkit/cnbkit/packager/internal/format"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// DefaultTarget is used when neither the caller, package.toml nor buildpack.toml name one.
var DefaultTarget = spec.Target{OS: "linux", Arch: "amd64"}

// resolveTargets picks the targets to package for, expanded to one distro each.
func (l *loader) resolveTargets(main *module, config string) []spec.Target {
	targets := l.opts.Targets
	fromFiles := len(targets) == 0
	if len(targets) == 0 && config != "" {
		if p, err := spec.ReadPackage(config); err == nil {
			targets = p.Targets
		}
	}
	if len(targets) == 0 {
		if main.bp.IsComposite() {
			targets = l.commonTargets()
		} else {
			targets = main.bp.Targets
		}
	}
	if len(targets) == 0 {
		targets = []spec.Target{DefaultTarget}
	}
	if fromFiles {
		// A declared target without an architecture serves any: package it for the default one.
		targets = append([]spec.Target(nil), targets...)
		for i := range targets {
			if targets[i].Arch == "" || targets[i].Arch == "*" {
				targets[i].Arch, targets[i].Variant = DefaultTarget.Arch, ""
			}
		}
	}
	var out []spec.Target
	seen := map[string]bool{}
	for _, t := range targets {
		if t.OS == "" || t.OS == "*" {
			t.OS = "linux"
		}
		if t.Arch == "*" {
			t.Arch = ""
		}
		if t.Arch == "" {
			l.problem("target %s has no architecture: name one in Options.Targets, e.g. %s/amd64", t, t.OS)
			continue
		}
		if t.OS == "windows" {
			l.problem("target %s: cnbkit packages Linux buildpacks only", t)
			continue
		}
		distros := t.Distros
		if len(distros) == 0 {
			distros = []spec.Distro{{}}
		}
		for _, d := range distros {
			c := spec.Target{OS: t.OS, Arch: t.Arch, Variant: t.Variant}
			if d.Name != "" {
				c.Distros = []spec.Distro{d}
			}
			if !seen[c.String()] {
				seen[c.String()] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// commonTargets are the os/arch/variant triples that every component declaring targets
// supports, in a fixed order.
func (l *loader) commonTargets() []spec.Target {
	var candidates []spec.Target
	seen := map[string]bool{}
	for _, m := range l.order {
		for _, t := range m.bp.Targets {
			c := spec.Target{OS: t.OS, Arch: t.Arch, Variant: t.Variant}
			if c.Arch == "" || seen[c.String()] {
				continue
			}
			seen[c.String()] = true
			candidates = append(candidates, c)
		}
	}
	var out []spec.Target
	for _, c := range candidates {
		ok := true
		for _, m := range l.order {
			if len(m.bp.Targets) > 0 && !supports(m.bp, c) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func supports(bp spec.Buildpack, t spec.Target) bool {
	if len(bp.Targets) == 0 {
		return true
	}
	for _, d := range bp.Targets {
		if d.Matches(t) {
			return true
		}
	}
	return false
}

// checkTargets reports components that do not support a target.
func (l *loader) checkTargets(targets []spec.Target) {
	for _, m := range l.order {
		if m.bp.IsComposite() {
			continue
		}
		var unsupported []string
		for _, t := range targets {
			if m.pkg != nil {
				if _, err := m.pkg.Select(t); err != nil {
					l.problem("buildpack %s from %s: %v", m.key(), m.origin, err)
					continue
				}
			}
			if !supports(m.bp, t) {
				unsupported = append(unsupported, t.String())
			}
		}
		if len(unsupported) > 0 {
			declared := make([]string, len(m.bp.Targets))
			for i, d := range m.bp.Targets {
				declared[i] = d.String()
			}
			l.problem("buildpack %s does not declare target %s (it declares %s): add it to its [[targets]] or package for the declared targets",
				m.key(), strings.Join(unsupported, ", "), strings.Join(declared, ", "))
		}
	}
}

// checkOrders reports order entries that name no packaged buildpack and dependencies no order uses.
func (l *loader) checkOrders() {
	used := map[string]bool{}
	for _, m := range l.order {
		for i, o := range m.bp.Order {
			for _, g := range o.Group {
				if g.Version == "" {
					var have []string
					for _, c := range l.order {
						if c.bp.Info.ID == g.ID {
							have = append(have, c.bp.Info.Version)
						}
					}
					hint := ""
					if len(have) > 0 {
						hint = fmt.Sprintf(" (the package has version %s)", strings.Join(have, ", "))
					}
					l.problem("buildpack %s: order[%d] names %s without a version: set version%s", m.key(), i, g.ID, hint)
					continue
				}
				k := g.ID + "@" + g.Version
				if _, ok := l.modules[k]; !ok {
					if l.failedDeps > 0 {
						continue // most likely in the dependency that could not be read
					}
					l.problem("buildpack %s: order[%d] names %s, which is not in the package: add it to package.toml as [[dependencies]] uri = \"<directory, .cnb file or image>\"", m.key(), i, k)
					continue
				}
				used[k] = true
			}
		}
	}
	for _, d := range l.deps {
		for _, top := range d.top {
			if !used[top.key()] {
				l.problem("dependency %q (%s) is not used by any [[order]] group of %s: remove it from package.toml or reference it in an order",
					d.uri, top.key(), d.from.key())
			}
		}
	}
}

// resolvedStacks computes the stacks of the package metadata label as pack does.
func (l *loader) resolvedStacks(main *module) []format.Stack {
	stacksOf := func(m *module) []format.Stack {
		s := format.StacksOf(m.bp)
		if len(s) == 0 && !m.bp.IsComposite() {
			s = []format.Stack{{ID: "*"}}
		}
		return s
	}
	stacks := stacksOf(main)
	for _, m := range l.order {
		if m == main {
			continue
		}
		s := stacksOf(m)
		if len(stacks) == 0 {
			stacks = s
		} else if len(s) > 0 {
			stacks = mergeStacks(stacks, s)
		}
	}
	return stacks
}

func mergeStacks(a, b []format.Stack) []format.Stack {
	wild := func(s []format.Stack) bool {
		for _, x := range s {
			if x.ID == "*" {
				return true
			}
		}
		return false
	}
	switch {
	case wild(a) && wild(b):
		return []format.Stack{{ID: "*"}}
	case wild(a):
		return b
	case wild(b):
		return a
	}
	set := map[string][]string{}
	for _, s := range a {
		set[s.ID] = s.Mixins
	}
	var out []format.Stack
	for _, s := range b {
		mixins, ok := set[s.ID]
		if !ok {
			continue
		}
		u := map[string]bool{}
		for _, x := range append(append([]string(nil), mixins...), s.Mixins...) {
			u[x] = true
		}
		ms := slices.Sorted(maps.Keys(u))
		out = append(out, format.Stack{ID: s.ID, Mixins: ms})
	}
	return out
}

// checkCycles reports an order that contains, directly or through its components, the
// buildpack it belongs to: the lifecycle would never reach a buildpack that runs.
func (l *loader) checkCycles() {
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	reported := map[string]bool{}
	var path []string
	var visit func(m *module)
	visit = func(m *module) {
		k := m.key()
		switch state[k] {
		case done:
			return
		case visiting:
			start := 0
			for i, p := range path {
				if p == k {
					start = i
				}
			}
			cycle := append(append([]string(nil), path[start:]...), k)
			if !reported[k] {
				for _, c := range cycle {
					reported[c] = true
				}
				l.problem("buildpack %s contains itself through its order (%s): an order may only name other buildpacks; remove the entry that leads back",
					k, strings.Join(cycle, " -> "))
			}
			return
		}
		state[k] = visiting
		path = append(path, k)
		for _, o := range m.bp.Order {
			for _, g := range o.Group {
				if c, ok := l.modules[g.ID+"@"+g.Version]; ok {
					visit(c)
				}
			}
		}
		path = path[:len(path)-1]
		state[k] = done
	}
	for _, m := range l.order {
		visit(m)
	}
}
