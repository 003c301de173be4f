package sdk

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"

	"github.com/cnbkit/cnbkit/sdk/spec"
)

// CheckDescriptor checks, for a unit test, that the buildpack.toml in buildpackDir fits the
// buildpack's types, so that mistakes show up before packaging and not at detect time:
//   - the descriptor parses, its values are valid and its api is one the SDK implements;
//   - [metadata] decodes strictly into M;
//   - [[metadata.configurations]] parses, every configuration has a field in C (env tag) and
//     every field of C has a configuration, and each default is a valid value for its field.
//
// Every problem is reported, joined.
func CheckDescriptor[M, C any](buildpackDir string) error {
	path := filepath.Join(buildpackDir, spec.BuildpackFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading buildpack descriptor: %w", err)
	}
	desc, err := spec.ParseBuildpack(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var errs []error
	if err := desc.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := checkAPI(desc.API); err != nil {
		errs = append(errs, err)
	}
	if _, err := decodeBuildpackMetadata[M](data); err != nil {
		errs = append(errs, err)
	}
	declared, err := desc.Configurations()
	if err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, checkConfigBinding[C](declared)...)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// checkConfigBinding compares the declared configurations with C's env tags both ways and
// checks every default against its field.
func checkConfigBinding[C any](declared []spec.Configuration) []error {
	t := reflect.TypeFor[C]()
	if t == reflect.TypeFor[None]() {
		return nil
	}
	if err := checkConfigType(t); err != nil {
		return []error{err}
	}
	fields := map[string]configField{}
	for _, f := range configFields(t) {
		if _, dup := fields[f.env]; dup {
			return []error{fmt.Errorf("configuration type %s binds %s to two fields", t, f.env)}
		}
		fields[f.env] = f
	}
	var errs []error
	seen := map[string]bool{}
	for _, d := range declared {
		seen[d.Name] = true
		f, ok := fields[d.Name]
		if !ok {
			errs = append(errs, fmt.Errorf("[[metadata.configurations]] declares %s but %s has no field with `env:%q`", d.Name, t, d.Name))
			continue
		}
		if d.Default == "" {
			continue
		}
		v := reflect.New(f.typ).Elem()
		if err := setConfigField(v, f, d.Default); err != nil {
			errs = append(errs, fmt.Errorf("[[metadata.configurations]] default of %s: %w", d.Name, err))
		}
	}
	for _, f := range configFields(t) {
		if !seen[f.env] {
			errs = append(errs, fmt.Errorf("%s.%s reads %s but [[metadata.configurations]] does not declare it: add an entry with name = %q", t, f.name, f.env, f.env))
		}
	}
	return errs
}
