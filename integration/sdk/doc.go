// Package sdk holds the end-to-end tests of the cnbkit SDK under the real lifecycle: the SDK's
// example buildpack sdk/examples/motd, and testdata/probe (a buildpack written on the SDK for
// what the example has no reason to show: targets, store carry-over and a launch-only layer),
// are packaged with the packager into .cnb files and built, rebuilt and run through
// integration/harness. The package has no code besides its tests.
package sdk
