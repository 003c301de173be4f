package spec

// LaunchTOML is <layers>/launch.toml, written by build.
type LaunchTOML struct {
	Labels    []Label   `toml:"labels,omitempty"`
	Processes []Process `toml:"processes,omitempty"`
	Slices    []Slice   `toml:"slices,omitempty"`
}

// Label is an image label a buildpack sets.
type Label struct {
	Key   string `toml:"key"`
	Value string `toml:"value"`
}

// Process is a process type of the app image.
type Process struct {
	Type    string   `toml:"type"`
	Command []string `toml:"command"`
	Args    []string `toml:"args,omitempty"`
	Default bool     `toml:"default,omitempty"`
	// WorkingDir is "working-dir" (packit wrote "working-directory", which the lifecycle ignores).
	WorkingDir string `toml:"working-dir,omitempty"`
	// ExecEnv restricts the process to execution environments (Buildpack API 0.12).
	ExecEnv []string `toml:"exec-env,omitempty"`
}

// Slice is a group of app files exported as their own layer.
type Slice struct {
	Paths []string `toml:"paths"`
}

// BuildTOML is <layers>/build.toml, written by build.
type BuildTOML struct {
	Unmet []Unmet `toml:"unmet,omitempty"`
}

// Unmet names a buildpack plan entry this buildpack did not satisfy.
type Unmet struct {
	Name string `toml:"name"`
}

// LayerTOML is <layers>/<name>.toml, the content metadata of a layer.
type LayerTOML struct {
	Types    LayerTypes     `toml:"types"`
	Metadata map[string]any `toml:"metadata,omitempty"`
}

// LayerTypes says when a layer is available.
type LayerTypes struct {
	Launch bool `toml:"launch"`
	Build  bool `toml:"build"`
	Cache  bool `toml:"cache"`
}

// StoreTOML is <layers>/store.toml, metadata kept from one build to the next.
type StoreTOML struct {
	Metadata map[string]any `toml:"metadata,omitempty"`
}

// OrderTOML is the order.toml the lifecycle reads.
type OrderTOML struct {
	Order []Order `toml:"order"`
}
