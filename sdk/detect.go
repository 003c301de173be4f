package sdk

import (
	"fmt"

	"github.com/cnbkit/cnbkit/sdk/internal/table"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// DetectResult is the outcome of detect: a pass with build plans, or a fail with a reason.
// It is a value, not an error, so wrapping can never turn a fail (exit 100) into an error
// (exit 1). The zero value is a fail without a reason.
type DetectResult struct {
	pass   bool
	reason string
	plans  []BuildPlan
}

// Pass says the buildpack applies. The first plan is the primary one; further plans become
// [[or]] alternatives the lifecycle tries when the primary cannot be satisfied.
func Pass(plans ...BuildPlan) DetectResult {
	return DetectResult{pass: true, plans: plans}
}

// Fail says the buildpack does not apply, with a reason printed for the user.
func Fail(format string, args ...any) DetectResult {
	return DetectResult{reason: fmt.Sprintf(format, args...)}
}

// Passed reports whether the result is a pass.
func (r DetectResult) Passed() bool { return r.pass }

// Reason returns the reason of a fail.
func (r DetectResult) Reason() string { return r.reason }

// Plans returns the build plans of a pass, primary first.
func (r DetectResult) Plans() []BuildPlan { return append([]BuildPlan(nil), r.plans...) }

// BuildPlan is one alternative of what the buildpack provides and requires.
type BuildPlan struct {
	Provides []Provide
	Requires []Require
}

// Provide names a dependency the buildpack can provide.
type Provide struct {
	Name string
}

// Require names a dependency the buildpack needs. Require{Name: "x"} has no metadata; make
// one with metadata for the buildpack that provides it with NewRequire. In build, the
// buildpack plan's entries are the Requires of the detects that chose this buildpack
// (Plan.Entries): decode them with Entries, or one with RequireMetadata.
type Require struct {
	Name string

	metadata map[string]any // as the plan file holds it
	err      error          // from encoding the author's metadata; reported when the plan is written
}

// NewRequire returns a Require whose metadata is the author's value, a struct with toml tags:
// the plan file holds it as a TOML table, and the providing buildpack decodes it into its own
// type. The keys "version", "version-source", "build" and "launch" are the conventional ones
// Entries merges. A value that does not encode as a table is reported when detect returns.
func NewRequire[T any](name string, metadata T) Require {
	md, err := table.Encode(metadata)
	return Require{Name: name, metadata: md, err: err}
}

// RequireMetadata decodes the metadata of r into T strictly: a key T has no field for, or a
// value of the wrong type, is a *DecodeError naming it. The conventional keys "version",
// "version-source", "build" and "launch" need no field in T. Without metadata it returns the
// zero T.
func RequireMetadata[T any](r Require) (T, error) {
	return decodeRequire[T](r, fmt.Sprintf("plan entry %q", r.Name))
}

func decodeRequire[T any](r Require, where string) (T, error) {
	if r.err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %w", where, r.err)
	}
	return decodeTable[T](r.metadata, where, "metadata", func(k string) bool { return planKeys[k] })
}

// specPlan converts the result into the build plan file's data.
func (r DetectResult) specPlan() (spec.BuildPlan, error) {
	var out spec.BuildPlan
	for i, p := range r.plans {
		provides := make([]spec.Provide, 0, len(p.Provides))
		for _, pr := range p.Provides {
			if pr.Name == "" {
				return spec.BuildPlan{}, fmt.Errorf("build plan %d: a provide has no name", i+1)
			}
			provides = append(provides, spec.Provide{Name: pr.Name})
		}
		requires := make([]spec.Require, 0, len(p.Requires))
		for _, rq := range p.Requires {
			if rq.Name == "" {
				return spec.BuildPlan{}, fmt.Errorf("build plan %d: a require has no name", i+1)
			}
			if rq.err != nil {
				return spec.BuildPlan{}, fmt.Errorf("build plan %d: metadata of require %q: %w", i+1, rq.Name, rq.err)
			}
			requires = append(requires, spec.Require{Name: rq.Name, Metadata: rq.metadata})
		}
		if i == 0 {
			out.Provides, out.Requires = provides, requires
			continue
		}
		out.Or = append(out.Or, spec.PlanAlt{Provides: provides, Requires: requires})
	}
	return out, nil
}
