// Package sdk is the cnbkit SDK for Cloud Native Buildpack authors: typed detect and build
// contracts on top of the Buildpack Interface specification (Buildpack API 0.10 to 0.12).
//
// A buildpack is one program; bin/detect and bin/build are the same executable and Main
// dispatches on the program name:
//
//	func main() { sdk.Main(detect, build) }
//
// Detect gets a DetectRequest with the application as an fs.FS, the platform (env, service
// bindings), the build target, the buildpack.toml [metadata] decoded into the author's type M
// and the configuration decoded into the author's type C. It returns Pass with build plans or
// Fail with a reason: both are values, so exit code 100 (fail) and 1 (error) are never
// confused, however errors are wrapped.
//
// Detect's requires carry the author's metadata type (NewRequire). Build gets a BuildRequest
// with the plan entries to satisfy (decode them into the author's type with Entries), the
// layers directory and the previous build's store (StoreMetadata). The buildpack drives its
// layers: OpenLayer takes who reads a layer (Needs: the app at launch, later buildpacks while
// they build, this buildpack on every build), picks the lifecycle's flags from it, returns a
// layer with typed metadata and says whether the previous one was kept or why it was rebuilt.
// A layer needed at launch only is kept by its metadata alone, which costs an unchanged
// rebuild nothing; Refill gives it its directory back when a build needs its files. Every
// opened layer is persisted when build returns, and previous layers this build did not open
// are removed. The BuildResult lists processes, labels, slices, unmet plan entries and the
// store for the next build (NewStore); every file is written with the specification's key
// names. Metadata of every kind is the author's structs, decoded strictly with unknown keys
// reported; the raw tables stay in sdk/spec's models of the files.
//
// Configuration is a struct with `env:"BP_..."` tags; defaults come from buildpack.toml
// [[metadata.configurations]]. A bad value is a *ConfigError naming the variable, the value and
// what is accepted. CheckDescriptor catches a descriptor that does not fit M and C in a unit
// test. Errors meant for users are *Error values with a title, detail and fixes, rendered once
// by Main. The test kit is sdk/cnbtest.
//
// Only sdk/internal imports libcnb and libpak (and sdk/paketo, the explicit compatibility
// API, libpak); none of their untyped maps reach this API. docs/architecture.md says which
// parts are libcnb's, libpak's and the SDK's own.
package sdk
