// Package dependency installs the software a buildpack declares in buildpack.toml
// [[metadata.dependencies]]: it decodes and validates the inventory, resolves a version
// constraint for the build target, downloads with retries and sha256 verification, honours
// mirrors, dependency-mapping bindings and dependencies bundled inside the buildpack, extracts
// archives safely, warns about deprecated versions and writes SBOM entries.
package dependency
