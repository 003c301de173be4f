// Package attest renders what the packager knows about a buildpackage as the predicates of
// in-toto statements: a CycloneDX 1.6 SBOM (every buildpack with its targets and layer
// digests, every bundled dependency with its purl, licences and sha256) and SLSA
// provenance v1 (the inputs, the parameters, the builder). Both are deterministic: the same
// package gives the same bytes, with no clock and no random ids.
package attest
