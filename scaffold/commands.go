package scaffold

import "fmt"

// The commands the generated READMEs and docs show for packaging a project.

// packageOutput is where the README's package command writes the buildpackage.
func packageOutput(d data) string { return fmt.Sprintf("out/%s.cnb", d.Slug) }

// packageCommand packages the project for all of its targets into packageOutput.
func packageCommand(d data) string {
	return fmt.Sprintf("cnbkit package --output %s .", packageOutput(d))
}

func packageNote(d data) string {
	return "This compiles `cmd/main.go` for every target in `buildpack.toml` and writes one multi-platform buildpackage."
}
