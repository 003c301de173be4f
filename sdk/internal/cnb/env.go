package cnb

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/buildpacks/libcnb/v2"
)

// EnvOp is one environment modification a layer makes, as the Buildpack Interface spec names
// them in its env directories.
type EnvOp struct {
	// Process is empty for all processes, or a process type (launch env only).
	Process string
	Name    string
	Action  string // "append", "prepend", "override", "default"
	Delim   string // only for append and prepend
	Value   string
}

// EnvFiles returns the files an ordered list of operations produces, keyed by their path
// relative to the env directory (for example "PATH.prepend", "PATH.delim", "web/PORT.default").
// Later operations on the same variable and action replace earlier ones, as writing the same
// file twice would. The naming is libcnb's Environment, which the lifecycle reads.
func EnvFiles(ops []EnvOp) (map[string]string, error) {
	env := libcnb.Environment{}
	for _, op := range ops {
		if err := checkEnvName(op.Name); err != nil {
			return nil, err
		}
		if op.Process != "" {
			if err := checkEnvName(op.Process); err != nil {
				return nil, fmt.Errorf("process type: %w", err)
			}
		}
		switch op.Action {
		case "append":
			env.ProcessAppend(op.Process, op.Name, op.Delim, op.Value)
		case "prepend":
			env.ProcessPrepend(op.Process, op.Name, op.Delim, op.Value)
		case "override":
			env.ProcessOverride(op.Process, op.Name, op.Value)
		case "default":
			env.ProcessDefault(op.Process, op.Name, op.Value)
		default:
			return nil, fmt.Errorf("environment variable %s: unknown action %q", op.Name, op.Action)
		}
	}
	return map[string]string(env), nil
}

func checkEnvName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\=\x00") {
		return fmt.Errorf("%q is not a valid environment variable name", name)
	}
	return nil
}

// WriteEnvDir writes files (from EnvFiles) into dir, creating sub-directories for process
// types. Each file is written to a temporary name and renamed into place.
func WriteEnvDir(dir string, files map[string]string) error {
	names := slices.Sorted(maps.Keys(files))
	for _, n := range names {
		path := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("creating env directory: %w", err)
		}
		if err := WriteFileAtomic(path, []byte(files[n]), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// WriteFileAtomic writes data to a temporary file beside path and renames it into place, so a
// reader never sees a half-written file.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	name := tmp.Name()
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(name, perm)
	}
	if werr == nil {
		werr = os.Rename(name, path)
	}
	if werr != nil {
		_ = os.Remove(name)
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}
