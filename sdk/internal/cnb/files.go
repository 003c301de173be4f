package cnb

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"
	"github.com/buildpacks/libcnb/v2"

	"github.com/cnbkit/cnbkit/sdk/spec"
)

// The files below have schemas libcnb models as the specification has them, so cnbkit reads
// and writes them with libcnb's types: the build plan detect writes, the buildpack plan build
// reads, store.toml, and <layer>.toml (its types table; the metadata is the author's struct,
// encoded to a table first). launch.toml (no exec-env in libcnb) and build.toml (libcnb
// writes [[Unmet]], the spec says [[unmet]]) keep cnbkit's own types in sdk/spec.

// WriteBuildPlan writes the plan detect produced, as libcnb's BuildPlans.
func WriteBuildPlan(path string, p spec.BuildPlan) error {
	plans := libcnb.BuildPlans{BuildPlan: libcnbPlan(p.Provides, p.Requires)}
	for _, alt := range p.Or {
		plans.Or = append(plans.Or, libcnbPlan(alt.Provides, alt.Requires))
	}
	return writeTOML(path, plans)
}

func libcnbPlan(provides []spec.Provide, requires []spec.Require) libcnb.BuildPlan {
	var out libcnb.BuildPlan
	for _, p := range provides {
		out.Provides = append(out.Provides, libcnb.BuildPlanProvide{Name: p.Name})
	}
	for _, r := range requires {
		out.Requires = append(out.Requires, libcnb.BuildPlanRequire{Name: r.Name, Metadata: r.Metadata})
	}
	return out
}

// ReadBuildpackPlan reads the buildpack plan build gets, as libcnb's BuildpackPlan. Keys the
// specification does not define (outside entries' metadata) are returned in unknown.
func ReadBuildpackPlan(path string) (entries []spec.PlanEntry, unknown []string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the buildpack plan: %w", err)
	}
	var bp libcnb.BuildpackPlan
	md, err := toml.Decode(string(data), &bp)
	if err != nil {
		return nil, nil, fmt.Errorf("decoding the buildpack plan %s: %w", path, err)
	}
	for _, k := range md.Undecoded() {
		if len(k) >= 2 && k[0] == "entries" && k[1] == "metadata" {
			continue
		}
		unknown = append(unknown, k.String())
	}
	for _, e := range bp.Entries {
		entries = append(entries, spec.PlanEntry{Name: e.Name, Metadata: e.Metadata})
	}
	return entries, unknown, nil
}

// ReadStore reads <layers>/store.toml as libcnb's Store; a missing file is no metadata.
func ReadStore(layersDir string) (map[string]any, error) {
	data, err := os.ReadFile(filepath.Join(layersDir, "store.toml"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading store.toml: %w", err)
	}
	var st libcnb.Store
	if _, err := toml.Decode(string(data), &st); err != nil {
		return nil, fmt.Errorf("decoding store.toml: %w", err)
	}
	return st.Metadata, nil
}

// WriteStore writes <layers>/store.toml as libcnb's Store.
func WriteStore(layersDir string, metadata map[string]any) error {
	return writeTOML(filepath.Join(layersDir, "store.toml"), libcnb.Store{Metadata: metadata})
}

// WriteLayerTOML writes <layers>/<name>.toml: libcnb's LayerTypes under [types] and the
// metadata table.
func WriteLayerTOML(path string, types spec.LayerTypes, metadata map[string]any) error {
	return writeTOML(path, struct {
		Types    libcnb.LayerTypes `toml:"types"`
		Metadata map[string]any    `toml:"metadata,omitempty"`
	}{libcnb.LayerTypes{Build: types.Build, Launch: types.Launch, Cache: types.Cache}, metadata})
}

// writeTOML encodes v and writes it atomically.
func writeTOML(path string, v any) error {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(v); err != nil {
		return fmt.Errorf("encoding %s: %w", filepath.Base(path), err)
	}
	return WriteFileAtomic(path, buf.Bytes(), 0o644)
}
