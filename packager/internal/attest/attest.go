package attest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// Predicate types of the two attestations.
const (
	SBOMPredicateType       = "https://cyclonedx.org/bom"
	ProvenancePredicateType = "https://slsa.dev/provenance/v1"
	// BuildType names how cnbkit builds a buildpackage; docs/signing.md describes it.
	BuildType = "https://github.com/cnbkit/cnbkit/blob/main/docs/signing.md#provenance"
	// BuilderID is the id of the builder; the cnbkit version is in the builder's version.
	BuilderID = "https://github.com/cnbkit/cnbkit/cmd/cnbkit"
)

// Package is what is attested about a buildpackage.
type Package struct {
	ID, Version, Name string
	// Targets are the targets of the package's images, e.g. "linux/amd64".
	Targets    []string
	Buildpacks []Buildpack
	// Dependencies are the artifacts bundled into buildpack layers.
	Dependencies []Dependency
	// Inputs are the resolved inputs: source folders, package.toml files, component
	// packages, bundled artifacts.
	Inputs []Input
	// Parameters are the options the package was built with.
	Parameters map[string]any
	// BuilderVersion is the cnbkit version; GoVersion the Go toolchain cnbkit was built with.
	BuilderVersion, GoVersion string
}

// Buildpack is one buildpack of the package.
type Buildpack struct {
	ID, Version, Name, API, Homepage string
	Targets                          []string
	// Layers has the buildpack's layer in each image.
	Layers []Layer
}

// Layer is a buildpack's layer in the image of one target.
type Layer struct {
	Target string
	// DiffID is the sha256 of the uncompressed layer (the label's layerDiffID); Digest the
	// sha256 of the compressed blob.
	DiffID, Digest string
}

// Dependency is an artifact bundled into a buildpack's layer.
type Dependency struct {
	// Buildpack is the id@version of the buildpack that bundles it.
	Buildpack               string
	Target                  string
	ID, Name, Version, PURL string
	URI, SHA256             string
	CPEs                    []string
	Licenses                []License
}

// License is a licence of a dependency: an SPDX identifier or expression, or a link.
type License struct{ Type, URI string }

// Input is a resolved input of the build.
type Input struct {
	Name   string            `json:"name,omitempty"`
	URI    string            `json:"uri,omitempty"`
	Digest map[string]string `json:"digest,omitempty"`
	// Annotations add facts such as {"dirty": true} for a source folder with changes not
	// committed.
	Annotations map[string]any `json:"annotations,omitempty"`
}

func buildpackRef(id, version string) string { return "buildpack:" + id + "@" + version }

func dependencyRef(d Dependency) string {
	return "dependency:" + d.ID + "@" + d.Version + ":" + d.SHA256
}

// SBOM renders the CycloneDX 1.6 JSON document of p.
func SBOM(p Package) ([]byte, error) {
	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + uuidOf(p)
	mainRef := buildpackRef(p.ID, p.Version)
	bom.Metadata = &cdx.Metadata{
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: "cnbkit", Version: p.BuilderVersion}}},
		Component: &cdx.Component{
			BOMRef: "buildpackage:" + p.ID + "@" + p.Version, Type: cdx.ComponentTypeApplication,
			Name: p.ID, Version: p.Version, Description: p.Name,
			Properties: props("cnbkit:target", p.Targets),
		},
	}
	var comps []cdx.Component
	deps := map[string][]string{}
	for _, b := range p.Buildpacks {
		c := cdx.Component{
			BOMRef: buildpackRef(b.ID, b.Version), Type: cdx.ComponentTypeApplication,
			Name: b.ID, Version: b.Version, Description: b.Name,
			Properties: props("cnbkit:target", b.Targets),
		}
		if b.API != "" {
			*c.Properties = append(*c.Properties, cdx.Property{Name: "cnbkit:buildpack:api", Value: b.API})
		}
		if b.Homepage != "" {
			c.ExternalReferences = &[]cdx.ExternalReference{{Type: cdx.ERTypeWebsite, URL: b.Homepage}}
		}
		var layers []cdx.Component
		for _, l := range b.Layers {
			layers = append(layers, cdx.Component{
				BOMRef: "layer:" + b.ID + "@" + b.Version + ":" + l.Target, Type: cdx.ComponentTypeFile,
				Name:   "layer of " + b.ID + "@" + b.Version + " for " + l.Target,
				Hashes: &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: strings.TrimPrefix(l.DiffID, "sha256:")}},
				Properties: &[]cdx.Property{
					{Name: "cnbkit:target", Value: l.Target},
					{Name: "cnbkit:layer:diffID", Value: l.DiffID},
					{Name: "cnbkit:layer:digest", Value: l.Digest},
				},
			})
		}
		if len(layers) > 0 {
			c.Components = &layers
		}
		comps = append(comps, c)
		if b.ID != p.ID || b.Version != p.Version {
			deps[mainRef] = append(deps[mainRef], c.BOMRef)
		}
	}
	seen := map[string]bool{}
	for _, d := range p.Dependencies {
		ref := dependencyRef(d)
		owner := "buildpack:" + d.Buildpack
		deps[owner] = append(deps[owner], ref)
		if seen[ref] {
			continue
		}
		seen[ref] = true
		c := cdx.Component{
			BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: d.ID, Version: d.Version, Description: d.Name,
			PackageURL: d.PURL,
			Hashes:     &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: d.SHA256}},
			Properties: &[]cdx.Property{{Name: "cnbkit:target", Value: d.Target}},
		}
		if len(d.CPEs) > 0 {
			c.CPE = d.CPEs[0]
		}
		if ls := licenses(d.Licenses); len(ls) > 0 {
			c.Licenses = &ls
		}
		if d.URI != "" {
			c.ExternalReferences = &[]cdx.ExternalReference{{Type: cdx.ERTypeDistribution, URL: d.URI}}
		}
		comps = append(comps, c)
	}
	bom.Components = &comps
	var graph []cdx.Dependency
	for ref, on := range deps {
		on = unique(on)
		graph = append(graph, cdx.Dependency{Ref: ref, Dependencies: &on})
	}
	sort.Slice(graph, func(i, j int) bool { return graph[i].Ref < graph[j].Ref })
	if len(graph) > 0 {
		bom.Dependencies = &graph
	}
	var buf bytes.Buffer
	enc := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return nil, fmt.Errorf("encoding the CycloneDX SBOM: %w", err)
	}
	return buf.Bytes(), nil
}

func props(name string, values []string) *[]cdx.Property {
	out := []cdx.Property{}
	for _, v := range values {
		out = append(out, cdx.Property{Name: name, Value: v})
	}
	return &out
}

func unique(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// licenses maps inventory licences: an SPDX expression (with AND, OR or WITH) as an
// expression, anything else as a licence id, a URI-only licence as a named link.
func licenses(ls []License) cdx.Licenses {
	var out cdx.Licenses
	for _, l := range ls {
		switch {
		case strings.Contains(l.Type, " AND ") || strings.Contains(l.Type, " OR ") || strings.Contains(l.Type, " WITH "):
			out = append(out, cdx.LicenseChoice{Expression: l.Type})
		case l.Type != "":
			lic := &cdx.License{ID: l.Type, URL: l.URI}
			if strings.ContainsAny(l.Type, " ()") {
				lic = &cdx.License{Name: l.Type, URL: l.URI}
			}
			out = append(out, cdx.LicenseChoice{License: lic})
		case l.URI != "":
			out = append(out, cdx.LicenseChoice{License: &cdx.License{Name: l.URI, URL: l.URI}})
		}
	}
	return out
}

// uuidOf derives a version-5-style UUID from the package's content, so the serial number
// is stable for the same package and differs between packages.
func uuidOf(p Package) string {
	raw, _ := json.Marshal(p)
	sum := sha256.Sum256(raw)
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// provenance is the SLSA provenance v1 predicate.
type provenance struct {
	BuildDefinition struct {
		BuildType            string         `json:"buildType"`
		ExternalParameters   map[string]any `json:"externalParameters"`
		InternalParameters   map[string]any `json:"internalParameters,omitempty"`
		ResolvedDependencies []Input        `json:"resolvedDependencies,omitempty"`
	} `json:"buildDefinition"`
	RunDetails struct {
		Builder struct {
			ID      string            `json:"id"`
			Version map[string]string `json:"version,omitempty"`
		} `json:"builder"`
		Metadata map[string]any `json:"metadata,omitempty"`
	} `json:"runDetails"`
}

// Provenance renders the SLSA provenance v1 predicate of p. It records no times, so that
// the same package gives the same attestation.
func Provenance(p Package) ([]byte, error) {
	var pr provenance
	pr.BuildDefinition.BuildType = BuildType
	pr.BuildDefinition.ExternalParameters = p.Parameters
	if pr.BuildDefinition.ExternalParameters == nil {
		pr.BuildDefinition.ExternalParameters = map[string]any{}
	}
	pr.BuildDefinition.ResolvedDependencies = p.Inputs
	pr.RunDetails.Builder.ID = BuilderID + "@" + p.BuilderVersion
	pr.RunDetails.Builder.Version = map[string]string{"cnbkit": p.BuilderVersion}
	if p.GoVersion != "" {
		pr.RunDetails.Builder.Version["go"] = p.GoVersion
	}
	raw, err := json.Marshal(pr)
	if err != nil {
		return nil, fmt.Errorf("encoding the SLSA provenance: %w", err)
	}
	return raw, nil
}
