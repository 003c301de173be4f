// Package sbomcheck validates the SBOM documents cnbkit writes: CycloneDX documents against
// the official CycloneDX JSON schema of their specVersion (1.5 or 1.6, from the schemas the
// fixtures fetch with npm pack), SPDX 2.3 documents with spdx/tools-golang (read back into
// its typed document, element ids of relationships checked) and the SPDX 2.3 rules a schema
// cannot express: identifiers, licence expressions on the SPDX list, and every LicenseRef-
// defined in hasExtractedLicensingInfos.
package sbomcheck
