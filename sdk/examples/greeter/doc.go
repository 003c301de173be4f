// Package greeter is the worked example of docs/migrating-from-libpak.md: a buildpack in the
// shape libpak buildpacks have (a dependency from [[metadata.dependencies]] chosen by a
// BP_*_VERSION configuration, downloaded, verified and expanded into a cached launch layer
// on PATH, a process type), written on the cnbkit SDK. Its files are shown in the guide and
// compiled and tested here.
package greeter
