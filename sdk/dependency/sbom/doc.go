// Package sbom renders software bills of materials as CycloneDX 1.6 JSON and SPDX 2.3 JSON
// from a plain list of components, the formats `pack sbom download` hands out. The documents
// are built with the formats' own Go libraries (github.com/CycloneDX/cyclonedx-go and
// github.com/spdx/tools-golang); licences are classified with the SPDX license list
// (github.com/github/go-spdx): listed identifiers and valid expressions are written as such,
// any other licence name stays a name (CycloneDX license.name, SPDX LicenseRef- defined in
// hasExtractedLicensingInfos). The output is deterministic: the same components give the
// same bytes (no clock, no random ids), so layers that hold an SBOM stay reproducible.
//
// The dependency package uses it for installed dependencies; a buildpack can use it for what
// it installs itself (Python distributions, npm packages, ...):
//
//	doc := sbom.Document{Name: "cpython", Components: []sbom.Component{{Name: "requests", Version: "2.32.3",
//		PURL: "pkg:pypi/requests@2.32.3", Licenses: []string{"Apache-2.0"}}}}
//	cdx, err := doc.CycloneDX()
//	spdx, err := doc.SPDX()
//	layer.WriteSBOM(sdk.CycloneDX, cdx) // and sdk.SPDX, spdx
package sbom
