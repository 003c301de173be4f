package spec

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// BuildpackFile is the name of the buildpack descriptor inside a buildpack directory.
const BuildpackFile = "buildpack.toml"

// Buildpack is the content of a buildpack.toml file.
type Buildpack struct {
	API      string         `toml:"api"`
	Info     BuildpackInfo  `toml:"buildpack"`
	Order    []Order        `toml:"order,omitempty"`
	Stacks   []Stack        `toml:"stacks,omitempty"`
	Targets  []Target       `toml:"targets,omitempty"`
	Metadata map[string]any `toml:"metadata,omitempty"`
}

// BuildpackInfo is the [buildpack] table of buildpack.toml.
type BuildpackInfo struct {
	ID          string    `toml:"id"`
	Name        string    `toml:"name,omitempty"`
	Version     string    `toml:"version"`
	Homepage    string    `toml:"homepage,omitempty"`
	Description string    `toml:"description,omitempty"`
	Keywords    []string  `toml:"keywords,omitempty"`
	Licenses    []License `toml:"licenses,omitempty"`
	ClearEnv    bool      `toml:"clear-env,omitempty"`
	SBOMFormats []string  `toml:"sbom-formats,omitempty"`
	// ExecEnv lists the execution environments (Buildpack API 0.12) the buildpack supports; "*"
	// or an empty list means all. It is a list of names, as lifecycle v0.21 reads it (the
	// spec's text shows [[buildpack.exec-env]] tables, which that lifecycle cannot decode).
	// The lifecycle skips the buildpack in detection when CNB_EXEC_ENV is not in the list
	// (Platform API 0.15 and later).
	ExecEnv []string `toml:"exec-env,omitempty"`
}

// License is one entry of [[buildpack.licenses]].
type License struct {
	Type string `toml:"type,omitempty"`
	URI  string `toml:"uri,omitempty"`
}

// Order is one [[order]] table of a composite buildpack.
type Order struct {
	Group []GroupEntry `toml:"group"`
}

// GroupEntry is one buildpack reference inside an [[order.group]].
type GroupEntry struct {
	ID       string `toml:"id"`
	Version  string `toml:"version,omitempty"`
	Optional bool   `toml:"optional,omitempty"`
}

// Stack is a deprecated [[stacks]] entry. ID "*" means any stack.
type Stack struct {
	ID     string   `toml:"id"`
	Mixins []string `toml:"mixins,omitempty"`
}

// IsComposite reports whether the buildpack is a composite (meta) buildpack, one with an order.
func (b Buildpack) IsComposite() bool { return len(b.Order) > 0 }

// DirName is the directory name the lifecycle expects for a buildpack ID: '/' becomes '_'.
func DirName(id string) string { return strings.ReplaceAll(id, "/", "_") }

// ParseBuildpack decodes a buildpack.toml. Keys outside [metadata] that the spec does not
// define are reported as errors, all at once; [metadata] is kept as an untyped table.
// ParseBuildpack does not validate values: call Buildpack.Validate for that.
func ParseBuildpack(data []byte) (Buildpack, error) {
	var b Buildpack
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&b)
	if err != nil {
		if execEnvTables(data) {
			// The spec text shows [[buildpack.exec-env]] tables with a name; lifecycle v0.21
			// decodes [buildpack] exec-env as a list of strings and fails on tables.
			return Buildpack{}, fmt.Errorf("decoding %s: [[buildpack.exec-env]] tables are not read by the lifecycle (v0.21), "+
				"which expects a list of names: write exec-env = [\"production\", \"test\"] under [buildpack]: %w", BuildpackFile, err)
		}
		return Buildpack{}, fmt.Errorf("decoding %s: %w", BuildpackFile, err)
	}
	var unknown []string
	for _, k := range md.Undecoded() {
		if len(k) > 0 && k[0] == "metadata" {
			continue
		}
		// lifecycle v0.21 spells the target variant "arch-variant"; accept it as an alias.
		// (TOML keys of array tables carry no index: the key is targets.arch-variant.)
		if len(k) == 2 && k[0] == "targets" && k[1] == "arch-variant" {
			continue
		}
		unknown = append(unknown, k.String())
	}
	if len(unknown) > 0 {
		return Buildpack{}, &UnknownKeysError{File: BuildpackFile, Keys: unknown}
	}
	if err := b.readArchVariantAlias(data); err != nil {
		return Buildpack{}, err
	}
	return b, nil
}

// execEnvTables reports whether data spells [buildpack] exec-env as an array of tables.
func execEnvTables(data []byte) bool {
	var probe struct {
		Buildpack struct {
			ExecEnv []map[string]any `toml:"exec-env"`
		} `toml:"buildpack"`
	}
	_, err := toml.Decode(string(data), &probe)
	return err == nil && len(probe.Buildpack.ExecEnv) > 0
}

// readArchVariantAlias copies "arch-variant" into Variant where "variant" is absent.
func (b *Buildpack) readArchVariantAlias(data []byte) error {
	var alias struct {
		Targets []struct {
			ArchVariant string `toml:"arch-variant"`
		} `toml:"targets"`
	}
	if _, err := toml.Decode(string(data), &alias); err != nil {
		return fmt.Errorf("decoding %s: %w", BuildpackFile, err)
	}
	for i, t := range alias.Targets {
		if i < len(b.Targets) && b.Targets[i].Variant == "" {
			b.Targets[i].Variant = t.ArchVariant
		}
	}
	return nil
}

// ReadBuildpack reads and decodes the buildpack.toml at path.
func ReadBuildpack(path string) (Buildpack, error) {
	return readParsed(path, "buildpack descriptor", ParseBuildpack)
}

// readParsed reads the file at path as ReadFile does (what names it in errors) and parses
// it with parse; errors of parse are prefixed with the path.
func readParsed[T any](path, what string, parse func([]byte) (T, error)) (T, error) {
	var zero T
	data, err := ReadFile(path)
	if err != nil {
		return zero, fmt.Errorf("reading %s: %w", what, err)
	}
	v, err := parse(data)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// UnknownKeysError reports keys a file may not contain.
type UnknownKeysError struct {
	File string
	Keys []string
}

func (e *UnknownKeysError) Error() string {
	keys := append([]string(nil), e.Keys...)
	sort.Strings(keys)
	return fmt.Sprintf("%s has keys the specification does not define: %s (check their spelling and nesting)",
		e.File, strings.Join(keys, ", "))
}

// Validate checks the descriptor against the Buildpack API rules that cnbkit enforces and
// returns every problem found, joined with errors.Join, or nil.
func (b Buildpack) Validate() error {
	var errs []error
	if err := ValidateAPI(b.API); err != nil {
		errs = append(errs, err)
	}
	if err := ValidateID(b.Info.ID); err != nil {
		errs = append(errs, err)
	}
	if err := ValidateVersion(b.Info.Version); err != nil {
		errs = append(errs, fmt.Errorf("buildpack %s: %w", b.Info.ID, err))
	}
	for i, t := range b.Targets {
		if err := t.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("targets[%d]: %w", i, err))
		}
	}
	errs = append(errs, duplicateTargets(b.Targets)...)
	for i, o := range b.Order {
		if len(o.Group) == 0 {
			errs = append(errs, fmt.Errorf("order[%d] has an empty group: list at least one buildpack", i))
		}
		for j, g := range o.Group {
			if err := ValidateID(g.ID); err != nil {
				errs = append(errs, fmt.Errorf("order[%d].group[%d]: %w", i, j, err))
			}
		}
	}
	if b.IsComposite() && (len(b.Stacks) > 0 || len(b.Targets) > 0) && cmpAPI(b.API, "0.10") >= 0 {
		// Composite buildpacks take their targets from their components.
		errs = append(errs, errors.New("a composite buildpack (one with [[order]]) must not declare [[stacks]] or [[targets]]"))
	}
	if len(b.Info.ExecEnv) > 0 && cmpAPI(b.API, ExecEnvAPI) < 0 {
		errs = append(errs, fmt.Errorf("[buildpack] exec-env needs Buildpack API %s (api is %q), older APIs ignore it: set api = %q or remove exec-env",
			ExecEnvAPI, b.API, ExecEnvAPI))
	}
	for _, e := range b.Info.ExecEnv {
		if e == AnyExecEnv {
			continue
		}
		if err := ValidateExecEnv(e); err != nil {
			errs = append(errs, fmt.Errorf("[buildpack] exec-env: %w", err))
		}
	}
	for _, f := range b.Info.SBOMFormats {
		switch f {
		case MediaTypeCycloneDX, MediaTypeSPDX, MediaTypeSyft:
		default:
			errs = append(errs, fmt.Errorf("sbom-formats: %q is not a media type the lifecycle knows (use %s, %s or %s)",
				f, MediaTypeCycloneDX, MediaTypeSPDX, MediaTypeSyft))
		}
	}
	return errors.Join(errs...)
}

// SBOM media types accepted in buildpack.toml sbom-formats.
const (
	MediaTypeCycloneDX = "application/vnd.cyclonedx+json"
	MediaTypeSPDX      = "application/spdx+json"
	MediaTypeSyft      = "application/vnd.syft+json"
)
