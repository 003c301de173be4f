package sdk

import (
	"fmt"
	"path/filepath"

	"github.com/cnbkit/cnbkit/sdk/internal/cnb"
	"github.com/cnbkit/cnbkit/sdk/internal/table"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// BuildResult is what build hands back besides its layers.
type BuildResult struct {
	Processes []Process // written to launch.toml [[processes]]
	Labels    []Label   // launch.toml [[labels]]
	Slices    []Slice   // launch.toml [[slices]]
	Unmet     []string  // plan entry names this buildpack did not satisfy: build.toml [[unmet]]
	// Store, made with NewStore, is written to store.toml [metadata] and given to the next
	// build as BuildRequest.Store. The zero Store leaves store.toml as the lifecycle restored
	// it, so the previous metadata carries over.
	Store Store
}

// Process is a process type of the app image.
type Process struct {
	Type       string
	Command    []string
	Args       []string
	Default    bool
	WorkingDir string
	// ExecEnv limits the process to execution environments such as "production" or "test"
	// (launch.toml exec-env); empty or "*" means all. The launcher (lifecycle v0.21, Platform
	// API 0.15 and later) finds the process type only when its CNB_EXEC_ENV (default
	// "production") is listed. It needs Buildpack API 0.12; with an older API a non-empty
	// ExecEnv is an error, as is a name with '/'.
	ExecEnv []string
}

// Label is an image label.
type Label struct {
	Key, Value string
}

// Slice is a group of application paths exported as their own layer.
type Slice struct {
	Paths []string
}

// Store is the metadata of store.toml, which a build keeps for the next one. BuildRequest.Store
// is what the previous build left (decode it with StoreMetadata); BuildResult.Store, made
// with NewStore, replaces it.
type Store struct {
	metadata map[string]any
	err      error // from encoding the author's value; reported when the store is written
	set      bool  // made by NewStore: written even when it holds no keys
}

// NewStore returns a Store holding metadata, a struct with toml tags, for BuildResult.Store (or
// for tests of code that takes a Store). A value that does not encode as a table is reported
// when build returns.
func NewStore[T any](metadata T) Store {
	md, err := table.Encode(metadata)
	return Store{metadata: md, err: err, set: true}
}

// IsZero reports whether the store holds no metadata.
func (s Store) IsZero() bool { return len(s.metadata) == 0 }

// StoreMetadata decodes the store's metadata into T strictly: keys T has no field for are a
// *DecodeError, so a changed layout is noticed. Without metadata it returns the zero T.
// Numbers come back as written, although the lifecycle hands store.toml back with every number
// a float.
func StoreMetadata[T any](s Store) (T, error) {
	if s.err != nil {
		var zero T
		return zero, fmt.Errorf("store.toml [metadata]: %w", s.err)
	}
	return decodeTable[T](s.metadata, "store.toml", "[metadata]", nil)
}

// readStore reads <layers>/store.toml, if any.
func readStore(layersDir string) (Store, error) {
	st, err := cnb.ReadStore(layersDir)
	if err != nil {
		return Store{}, err
	}
	return Store{metadata: table.FromLifecycle(st)}, nil
}

// writeResult writes launch.toml, build.toml and store.toml for r.
func writeResult(layersDir, api string, r BuildResult) error {
	var launch spec.LaunchTOML
	defaults := 0
	seen := map[string]bool{}
	for i, p := range r.Processes {
		if p.Type == "" {
			return fmt.Errorf("process %d has no type: set Type, e.g. \"web\"", i+1)
		}
		if seen[p.Type] {
			return fmt.Errorf("process type %q is declared twice", p.Type)
		}
		seen[p.Type] = true
		if len(p.Command) == 0 || p.Command[0] == "" {
			return fmt.Errorf("process %q has no command", p.Type)
		}
		if p.Default {
			defaults++
		}
		if len(p.ExecEnv) > 0 && spec.CompareAPI(api, spec.ExecEnvAPI) < 0 {
			return fmt.Errorf("process %q sets ExecEnv, which needs Buildpack API 0.12 (buildpack.toml has %s): set api = \"0.12\" or drop ExecEnv", p.Type, api)
		}
		for _, e := range p.ExecEnv {
			if e == spec.AnyExecEnv {
				continue
			}
			if err := spec.ValidateExecEnv(e); err != nil {
				return fmt.Errorf("process %q ExecEnv: %w", p.Type, err)
			}
		}
		launch.Processes = append(launch.Processes, spec.Process{
			Type: p.Type, Command: p.Command, Args: p.Args, Default: p.Default,
			WorkingDir: p.WorkingDir, ExecEnv: p.ExecEnv,
		})
	}
	if defaults > 1 {
		return fmt.Errorf("%d processes are marked Default: mark at most one", defaults)
	}
	for _, l := range r.Labels {
		if l.Key == "" {
			return fmt.Errorf("a label has an empty key")
		}
		launch.Labels = append(launch.Labels, spec.Label{Key: l.Key, Value: l.Value})
	}
	for _, s := range r.Slices {
		launch.Slices = append(launch.Slices, spec.Slice{Paths: s.Paths})
	}
	if len(launch.Processes)+len(launch.Labels)+len(launch.Slices) > 0 {
		if err := writeTOML(filepath.Join(layersDir, "launch.toml"), launch); err != nil {
			return err
		}
	}
	if len(r.Unmet) > 0 {
		var b spec.BuildTOML
		for _, u := range r.Unmet {
			b.Unmet = append(b.Unmet, spec.Unmet{Name: u})
		}
		if err := writeTOML(filepath.Join(layersDir, "build.toml"), b); err != nil {
			return err
		}
	}
	if r.Store.set {
		if r.Store.err != nil {
			return fmt.Errorf("encoding store metadata: %w", r.Store.err)
		}
		if err := cnb.WriteStore(layersDir, r.Store.metadata); err != nil {
			return err
		}
	}
	return nil
}
