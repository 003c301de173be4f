package sdk

import (
	"bytes"
	"fmt"

	"github.com/BurntSushi/toml"

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

// Require names a dependency the buildpack needs. Metadata is any struct or map; it is
// TOML-encoded into the plan (keys "version", "version-source", "build" and "launch" are the
// conventional ones that Entries merges).
type Require struct {
	Name     string
	Metadata any
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
			md, err := toTable(rq.Metadata)
			if err != nil {
				return spec.BuildPlan{}, fmt.Errorf("build plan %d: metadata of require %q: %w", i+1, rq.Name, err)
			}
			requires = append(requires, spec.Require{Name: rq.Name, Metadata: md})
		}
		if i == 0 {
			out.Provides, out.Requires = provides, requires
			continue
		}
		out.Or = append(out.Or, spec.PlanAlt{Provides: provides, Requires: requires})
	}
	return out, nil
}

// toTable TOML-encodes v (a struct, pointer or map) and decodes it back into a table, the form
// every metadata table has in a file. nil gives nil.
func toTable(v any) (map[string]any, error) {
	if v == nil {
		return nil, nil
	}
	if m, ok := v.(map[string]any); ok && m == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(v); err != nil {
		return nil, fmt.Errorf("encoding as TOML: %w", err)
	}
	var out map[string]any
	if _, err := toml.Decode(buf.String(), &out); err != nil {
		return nil, fmt.Errorf("decoding TOML: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
