// Package docs runs the documentation as a user would, against this checkout served from a
// local Go module proxy: the tutorial of docs/sdk.md from an empty folder, and cnbkit
// installed with `go install …@<version>` generating projects that require that version.
// docs/getting-started.md and docs/builder.md need pack and a Docker daemon: the walkthrough
// (integration/walkthrough) runs them.
package docs
