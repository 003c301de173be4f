package dependency

import (
	"github.com/cnbkit/cnbkit/sdk/dependency/sbom"
)

// Component describes the dependency for an SBOM: name, version, purl, cpes, licences,
// sha256 and download location.
func (d Dependency) Component() sbom.Component {
	c := sbom.Component{
		Type:    "application",
		Name:    d.DisplayName(),
		Version: d.Version,
		PURL:    d.PURL,
		CPEs:    d.CPEs,
		SHA256:  d.SHA256,
		URI:     d.URI,
	}
	for _, l := range d.Licenses {
		if l.Type != "" {
			c.Licenses = append(c.Licenses, l.Type)
		}
	}
	return c
}

// SBOM returns a document listing deps, ready to render with CycloneDX() and SPDX().
func SBOM(name string, deps ...Dependency) sbom.Document {
	doc := sbom.Document{Name: name}
	for _, d := range deps {
		doc.Components = append(doc.Components, d.Component())
	}
	return doc
}
