package sdk

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/cnbkit/cnbkit/sdk/internal/cnb"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// BuildResult is what build hands back besides its layers.
type BuildResult struct {
	Processes []Process // written to launch.toml [[processes]]
	Labels    []Label   // launch.toml [[labels]]
	Slices    []Slice   // launch.toml [[slices]]
	Unmet     []string  // plan entry names this buildpack did not satisfy: build.toml [[unmet]]
	// Store is encoded into store.toml [metadata] and given to the next build as
	// BuildRequest.Store. Use a struct (or a map). nil leaves store.toml as the lifecycle
	// restored it, so the previous metadata carries over.
	Store any
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

// Store is the store.toml metadata the previous build wrote.
type Store struct {
	metadata map[string]any
}

// NewStore returns a Store holding metadata, for tests of code that takes a Store.
func NewStore(metadata map[string]any) Store { return Store{metadata: metadata} }

// IsZero reports whether the previous build left no store metadata.
func (s Store) IsZero() bool { return len(s.metadata) == 0 }

// Decode decodes the previous store metadata into v (a pointer to a struct or map). Keys v
// has no field for are an error, so a changed layout is noticed; without metadata, v is left
// untouched.
func (s Store) Decode(v any) error {
	if len(s.metadata) == 0 {
		return nil
	}
	buf, err := encodeTOML(s.metadata)
	if err != nil {
		return fmt.Errorf("decoding store.toml metadata: %w", err)
	}
	md, err := toml.Decode(buf, v)
	if err != nil {
		return &DecodeError{File: "store.toml", Table: "[metadata]", Type: fmt.Sprintf("%T", v), Err: err}
	}
	if keys := unknownKeys(md, reflect.TypeOf(v), 0, nil); len(keys) > 0 {
		return &DecodeError{File: "store.toml", Table: "[metadata]", Type: fmt.Sprintf("%T", v), Keys: collapseKeys(keys)}
	}
	return nil
}

// readStore reads <layers>/store.toml, if any.
func readStore(layersDir string) (Store, error) {
	st, err := cnb.ReadStore(layersDir)
	if err != nil {
		return Store{}, err
	}
	metadata, _ := lifecycleNumbers(st).(map[string]any)
	return Store{metadata: metadata}, nil
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
	if r.Store != nil {
		md, err := toTable(r.Store)
		if err != nil {
			return fmt.Errorf("encoding store metadata: %w", err)
		}
		if err := cnb.WriteStore(layersDir, md); err != nil {
			return err
		}
	}
	return nil
}

func encodeTOML(v any) (string, error) {
	var b strings.Builder
	if err := toml.NewEncoder(&b).Encode(v); err != nil {
		return "", err
	}
	return b.String(), nil
}
