package paketo

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/paketo-buildpacks/libpak/v2"

	"github.com/cnbkit/cnbkit/sdk/dependency"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// Dependency converts a libpak dependency into cnbkit's, reading the fields as libpak's own
// getters do: the checksum (checksum, else sha256), the purls (purls, else purl), the end of
// life (eol-date, else deprecation_date) and the architecture (arch, else the purl's arch
// qualifier). The result is validated like an inventory entry; a sha512 checksum is an error
// (see the package documentation).
func Dependency(d libpak.BuildModuleDependency) (dependency.Dependency, error) {
	purls := d.GetPURLS()
	var purl string
	if len(purls) > 0 {
		purl = purls[0]
	}
	out := dependency.Dependency{
		ID:              d.ID,
		Name:            d.Name,
		Version:         d.Version,
		URI:             d.URI,
		Target:          spec.Target{OS: d.OS, Arch: d.Arch},
		Stacks:          d.Stacks,
		PURL:            purl,
		CPEs:            d.CPEs,
		Source:          d.Source,
		DeprecationDate: d.GetEOLDate().UTC(),
		StripComponents: int(d.StripComponents),
	}
	if out.Target.Arch == "" && purl != "" {
		// As libpak's GetArch: the purl's arch qualifier. (Without any purl libpak assumes
		// amd64; cnbkit leaves the architecture open.)
		if u, err := url.Parse(purl); err == nil {
			out.Target.Arch = u.Query().Get("arch")
		}
	}
	for _, ds := range d.Distros {
		out.Target.Distros = append(out.Target.Distros, spec.Distro{Name: ds.Name, Version: ds.Version})
	}
	for _, l := range d.Licenses {
		out.Licenses = append(out.Licenses, dependency.License{Type: l.Type, URI: l.URI})
	}
	var errs []error
	if c := d.GetChecksum(); c != "" {
		sum, err := dependency.ParseChecksum(string(c))
		if err != nil {
			errs = append(errs, err)
		}
		out.SHA256 = sum
	}
	if d.SourceChecksum != "" {
		sum, err := dependency.ParseChecksum(string(d.SourceChecksum))
		if err != nil {
			errs = append(errs, fmt.Errorf("source-checksum: %w", err))
		}
		out.SourceSHA256 = sum
	}
	if err := (dependency.Inventory{out}).Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return out, fmt.Errorf("converting libpak dependency %s %s: %w", d.ID, d.Version, err)
	}
	return out, nil
}

// BuildModuleDependency converts cnbkit's dependency into libpak's, with the current keys
// (checksum, purls, eol-date) that libpak v2.2.0 prefers. A libpak buildpack can hand it to
// libpak's DependencyCache and layer contributors.
func BuildModuleDependency(d dependency.Dependency) libpak.BuildModuleDependency {
	out := libpak.BuildModuleDependency{
		ID:              d.ID,
		Name:            d.Name,
		Version:         d.Version,
		URI:             d.URI,
		Stacks:          d.Stacks,
		CPEs:            d.CPEs,
		EOLDate:         d.DeprecationDate,
		Arch:            d.Target.Arch,
		OS:              d.Target.OS,
		Source:          d.Source,
		StripComponents: uint(max(d.StripComponents, 0)),
	}
	if d.SHA256 != "" {
		out.Checksum = libpak.Checksum(d.Checksum())
	}
	if d.SourceSHA256 != "" {
		out.SourceChecksum = libpak.Checksum("sha256:" + d.SourceSHA256)
	}
	if d.PURL != "" {
		out.PURLS = []string{d.PURL}
	}
	for _, ds := range d.Target.Distros {
		out.Distros = append(out.Distros, libpak.BuildModuleDependencyDistro{Name: ds.Name, Version: ds.Version})
	}
	for _, l := range d.Licenses {
		out.Licenses = append(out.Licenses, libpak.BuildModuleDependencyLicense{Type: l.Type, URI: l.URI})
	}
	return out
}

// Inventory converts the dependencies of libpak's buildpack metadata, reporting every entry
// that does not convert.
func Inventory(md libpak.BuildModuleMetadata) (dependency.Inventory, error) {
	inv := make(dependency.Inventory, 0, len(md.Dependencies))
	var errs []error
	for _, d := range md.Dependencies {
		dep, err := Dependency(d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		inv = append(inv, dep)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := inv.Validate(); err != nil {
		return nil, fmt.Errorf("converting libpak dependencies: %w", err)
	}
	return inv, nil
}
