// Package cnb is the only place in cnbkit that imports github.com/buildpacks/libcnb/v2 and
// github.com/paketo-buildpacks/libpak/v2. It adapts what those libraries do well (reading
// service bindings, the file naming of environment modifications) to plain types, so that their
// map[string]interface{} values never reach the public SDK.
//
// Everything here reads its inputs from arguments (an environment map, directories), never
// from the process environment or working directory, so callers can run in parallel tests.
package cnb
