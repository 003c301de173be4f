// Package walkthrough holds the seed's walkthrough as a test, with the real tools: Debian's
// dockerd started by the test, cnbkit-packaged buildpacks, `pack builder create`,
// `pack build`, `docker run`, `pack rebase` and `pack sbom download`. It has no library
// code; see walkthrough_test.go and docs/integration.md.
package walkthrough
