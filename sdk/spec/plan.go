package spec

// BuildPlan is the build plan a buildpack's detect writes (the file at the path given as
// CNB_BUILD_PLAN_PATH): what it provides and requires, with alternatives in Or.
type BuildPlan struct {
	Provides []Provide `toml:"provides,omitempty"`
	Requires []Require `toml:"requires,omitempty"`
	Or       []PlanAlt `toml:"or,omitempty"`
}

// PlanAlt is one [[or]] alternative of a build plan.
type PlanAlt struct {
	Provides []Provide `toml:"provides,omitempty"`
	Requires []Require `toml:"requires,omitempty"`
}

// Provide names a dependency a buildpack can provide.
type Provide struct {
	Name string `toml:"name"`
}

// Require names a dependency a buildpack needs, with free-form metadata.
type Require struct {
	Name     string         `toml:"name"`
	Metadata map[string]any `toml:"metadata,omitempty"`
}

// BuildpackPlan is the buildpack plan given to build (the file at CNB_BP_PLAN_PATH): the
// entries this buildpack must satisfy.
type BuildpackPlan struct {
	Entries []PlanEntry `toml:"entries,omitempty"`
}

// PlanEntry is one entry of the buildpack plan.
type PlanEntry struct {
	Name     string         `toml:"name"`
	Metadata map[string]any `toml:"metadata,omitempty"`
}
