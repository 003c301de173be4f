// Package spec holds plain data types for every file of the Cloud Native Buildpacks
// specifications that cnbkit reads or writes: buildpack.toml, package.toml, the build plan
// written by detect, the buildpack plan read by build, launch.toml, build.toml, layer
// metadata files and store.toml. It also validates buildpack IDs, versions, APIs and targets.
//
// The types carry the spec's own key names in their toml tags, so files written from them are
// read by the lifecycle and by pack. Metadata tables stay untyped here
// (map[string]any); the sdk package decodes them into an author's own structs.
//
// spec imports nothing else of cnbkit: the SDK, the packager and the scaffold all build on it.
package spec
