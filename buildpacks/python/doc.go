// Package python is the cnbkit reference Python buildpack: it installs CPython, installs the
// app's dependencies with pip into a virtual environment, and sets a start command that
// serves the app on $PORT (8080 by default).
//
// It is also the showcase of how a buildpack is written on the SDK: [Detect] and [Build] are
// an sdk.DetectFunc and sdk.BuildFunc, the configuration is the typed [Config], layers are
// opened with sdk.OpenLayer and typed metadata whose comparison says why a layer is rebuilt,
// and every failure the user can fix is an *sdk.Error with a title, what was found and what
// to do. cmd/main.go is the executable: sdk.Main(python.Detect, python.Build).
//
// The user documentation is docs/buildpacks/python.md.
package python
