package dependency

import (
	"cmp"
	"fmt"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// NoMatchError says that no entry of an id satisfies a constraint for a target. Callers find
// it with errors.As; Available lists what the user could ask for instead.
type NoMatchError struct {
	ID         string
	Constraint string
	Target     spec.Target
	// Available are the versions of ID for Target, highest first.
	Available []string
	// OtherTargets are targets for which ID has versions, when Available is empty.
	OtherTargets []string
}

func (e *NoMatchError) Error() string {
	want := cmp.Or(e.Constraint, "any version")
	switch {
	case len(e.Available) > 0:
		return fmt.Sprintf("no version of %s matches %q for target %s: versions available for this target: %s",
			e.ID, want, e.Target, strings.Join(e.Available, ", "))
	case len(e.OtherTargets) > 0:
		return fmt.Sprintf("%s has no versions for target %s (wanted %q): it has versions for %s",
			e.ID, e.Target, want, strings.Join(e.OtherTargets, ", "))
	default:
		return fmt.Sprintf("the buildpack declares no dependency with id %q (wanted %q for target %s)", e.ID, want, e.Target)
	}
}

// Resolve returns the highest version of id that satisfies constraint and runs on target
// (the build target from CNB_TARGET_*, e.g. req.Target.Spec(), not the architecture of the
// buildpack's own binary). When several entries have that version, the one naming the target
// most precisely wins (a distro-specific build beats an "any distro" one). No match gives a
// *NoMatchError listing the versions available for the target.
func (inv Inventory) Resolve(id, constraint string, target spec.Target) (Dependency, error) {
	c, err := sdk.ParseVersionConstraint(constraint)
	if err != nil {
		return Dependency{}, fmt.Errorf("resolving %s: %w", id, err)
	}
	return inv.ResolveConstraint(id, c, target)
}

// ResolveConstraint is Resolve with a parsed constraint, e.g. a configuration field of type
// sdk.VersionConstraint.
func (inv Inventory) ResolveConstraint(id string, c sdk.VersionConstraint, target spec.Target) (Dependency, error) {
	var best *Dependency
	var bestV *semver.Version
	for i := range inv {
		d := &inv[i]
		if d.ID != id || !d.Target.Matches(target) || !c.Check(d.Version) {
			continue
		}
		v, _ := semver.NewVersion(d.Version) // Check succeeded, so it parses
		if best == nil || v.GreaterThan(bestV) || v.Equal(bestV) && specificity(d.Target) > specificity(best.Target) {
			best, bestV = d, v
		}
	}
	if best != nil {
		return *best, nil
	}
	return Dependency{}, &NoMatchError{
		ID: id, Constraint: c.String(), Target: target,
		Available: inv.Versions(id, target), OtherTargets: inv.targetsOf(id),
	}
}

// Versions lists the distinct versions of id available for target, highest first.
func (inv Inventory) Versions(id string, target spec.Target) []string {
	type pair struct {
		raw string
		v   *semver.Version
	}
	seen := map[string]bool{}
	var vs []pair
	for _, d := range inv {
		if d.ID != id || !d.Target.Matches(target) || seen[d.Version] {
			continue
		}
		seen[d.Version] = true
		v, err := semver.NewVersion(d.Version)
		if err != nil {
			continue
		}
		vs = append(vs, pair{d.Version, v})
	}
	sort.Slice(vs, func(a, b int) bool { return vs[a].v.GreaterThan(vs[b].v) })
	out := make([]string, len(vs))
	for i, p := range vs {
		out[i] = p.raw
	}
	return out
}

func (inv Inventory) targetsOf(id string) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range inv {
		if t := d.Target.String(); d.ID == id && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

func specificity(t spec.Target) int {
	n := 0
	for _, f := range []string{t.OS, t.Arch, t.Variant} {
		if f != "" && f != "*" {
			n++
		}
	}
	if len(t.Distros) > 0 {
		n++
		for _, d := range t.Distros {
			if d.Version != "" {
				n++
				break
			}
		}
	}
	return n
}
