// Package scaffold generates a new buildpack project on the cnbkit SDK: the code behind
// `cnbkit new`.
//
// A project comes from one of the embedded templates (see Templates): "plain", a buildpack that
// detects a file, builds a layer and declares a process, and "dependency", a buildpack that
// installs a tool listed in its buildpack.toml [[metadata.dependencies]]. Every project has a
// buildpack.toml valid for the chosen Buildpack API, a package.toml, a go.mod requiring the SDK,
// a cmd/main.go, detect and build code using typed metadata, plan entries, configuration and
// layers, unit tests on sdk/cnbtest, a README and a .gitignore.
//
// Generate validates the options and renders the files in memory, deterministically: the same
// options give the same bytes. Write puts them on disk atomically and refuses to overwrite a
// folder that is not empty unless told to.
package scaffold
