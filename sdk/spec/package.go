package spec

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/BurntSushi/toml"
)

// PackageFile is the conventional name of a package configuration.
const PackageFile = "package.toml"

// Package is a pack-compatible package.toml.
type Package struct {
	Buildpack    PackageBuildpack    `toml:"buildpack"`
	Dependencies []PackageDependency `toml:"dependencies,omitempty"`
	Platform     *PackagePlatform    `toml:"platform,omitempty"`
	Targets      []Target            `toml:"targets,omitempty"`
}

// PackageBuildpack is the [buildpack] table of package.toml.
type PackageBuildpack struct {
	URI string `toml:"uri"`
}

// PackageDependency is one [[dependencies]] entry of package.toml: a directory, .tgz, .cnb,
// docker:// reference or bare image reference.
type PackageDependency struct {
	URI       string `toml:"uri,omitempty"`
	ImageName string `toml:"image,omitempty"`
}

// PackagePlatform is the deprecated [platform] table.
type PackagePlatform struct {
	OS string `toml:"os,omitempty"`
}

// ParsePackage decodes a package.toml, rejecting unknown keys as pack does.
func ParsePackage(data []byte) (Package, error) {
	var p Package
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&p)
	if err != nil {
		return Package{}, fmt.Errorf("decoding %s: %w", PackageFile, err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		keys := make([]string, len(u))
		for i, k := range u {
			keys[i] = k.String()
		}
		return Package{}, &UnknownKeysError{File: PackageFile, Keys: keys}
	}
	return p, nil
}

// ReadPackage reads and decodes the package.toml at path.
func ReadPackage(path string) (Package, error) {
	return readParsed(path, "package configuration", ParsePackage)
}

// Validate reports every problem of the package configuration, joined, or nil.
func (p Package) Validate() error {
	var errs []error
	if p.Buildpack.URI == "" {
		errs = append(errs, errors.New("[buildpack] uri is empty: set it to the buildpack directory, e.g. uri = \".\""))
	}
	for i, d := range p.Dependencies {
		if d.URI == "" && d.ImageName == "" {
			errs = append(errs, fmt.Errorf("dependencies[%d] has no uri", i))
		}
	}
	for i, t := range p.Targets {
		if err := t.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("targets[%d]: %w", i, err))
		}
	}
	errs = append(errs, duplicateTargets(p.Targets)...)
	return errors.Join(errs...)
}
