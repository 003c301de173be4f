package scaffold

import (
	"fmt"
	"strings"
)

// The packaging commands the generated READMEs show.

// packageFile is the .cnb name given to `cnbkit package`.
func packageFile(d data) string { return fmt.Sprintf("out/%s.cnb", d.Slug) }

// packageCommand packages the project for all of its targets.
func packageCommand(d data) string { return "cnbkit package " + packageFile(d) }

// packageOutput is the file `cnbkit package` writes for the first target (one file per target
// when there are several).
func packageOutput(d data) string {
	if len(d.Targets) == 1 {
		return packageFile(d)
	}
	return fmt.Sprintf("out/%s-%s.cnb", d.Slug, targetSuffix(d.Targets[0].OS, d.Targets[0].Arch, d.Targets[0].Variant))
}

func packageNote(d data) string {
	var names, targets []string
	for _, t := range d.Targets {
		targets = append(targets, t.String())
		if len(d.Targets) > 1 {
			names = append(names, fmt.Sprintf("`out/%s-%s.cnb`", d.Slug, targetSuffix(t.OS, t.Arch, t.Variant)))
		}
	}
	if len(d.Targets) == 1 {
		return fmt.Sprintf("This compiles `cmd/main.go` for %s into `bin/build` and `bin/detect` and writes `%s`.",
			targets[0], packageFile(d))
	}
	return fmt.Sprintf("This compiles `cmd/main.go` for each target of `buildpack.toml` (%s) into `bin/build` and `bin/detect` "+
		"and writes one buildpackage per target: %s. To publish one multi-platform image instead, run "+
		"`cnbkit package registry.example.com/my-org/%s:%s --publish`.",
		strings.Join(targets, ", "), strings.Join(names, ", "), d.Slug, d.Version)
}

func targetSuffix(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "-")
}
