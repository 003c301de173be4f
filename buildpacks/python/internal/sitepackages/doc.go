// Package sitepackages reads the distributions installed in a Python environment from their
// *.dist-info metadata (name, version, licence, summary), so that the SBOM lists what is
// really in the image rather than what a requirements file asked for.
package sitepackages
