// Package cnb is where the SDK uses github.com/buildpacks/libcnb/v2 (the only place that
// imports it) and libpak/v2's log writer. It adapts what those libraries do well (reading
// service bindings, the file naming of environment modifications, the types of the build plan,
// buildpack plan, store.toml and layer types, libpak's indenting log writer) to plain types,
// so that their map[string]interface{} values never reach the public SDK.
//
// Everything here reads its inputs from arguments (an environment map, directories), never
// from the process environment or working directory, so callers can run in parallel tests.
package cnb
