// Package sbom renders the software bill of materials of a Python environment (its installed
// distributions) as CycloneDX 1.5 and SPDX 2.3 JSON. Output is deterministic: no timestamps
// other than a fixed one, no random identifiers.
package sbom
