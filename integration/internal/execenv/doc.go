// Package execenv holds what the SDK's probe buildpack (integration/sdk/testdata/probe) must
// show in each execution environment, for the tests that build it through the harness
// (integration/sdk) and through pack (integration/walkthrough): which environment the build
// reports, and which process types the launcher runs, with their output, or refuses.
package execenv
