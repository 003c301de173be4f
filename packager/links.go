package packager

import (
	"fmt"
	"path"
	"strings"

	"github.com/cnbkit/cnbkit/packager/internal/selection"
)

// maxLinkHops is how many links a path may pass through, as Linux allows (ELOOP).
const maxLinkHops = 40

// linkProblems reports symbolic links that would not work in the image: links to absolute
// paths (they point into the builder, not the buildpack), links that climb out of the
// buildpack folder, and links to files that are not packaged (excluded or missing).
// Targets are resolved as the kernel would, through the links among the packaged files,
// so a chain of links inside the folder cannot climb out either. generated says the
// packager adds bin/build and bin/detect itself (Go buildpacks).
func linkProblems(files []selection.Entry, generated bool) []string {
	t := tree{entries: map[string]selection.Entry{}}
	for _, f := range files {
		t.entries[f.Path] = f
	}
	if generated {
		t.entries["bin"] = selection.Entry{Path: "bin"}
		t.entries["bin/build"] = selection.Entry{Path: "bin/build"}
		t.entries["bin/detect"] = selection.Entry{Path: "bin/detect", Link: "build"}
	}
	var out []string
	for _, f := range files {
		if f.Link == "" {
			continue
		}
		if path.IsAbs(f.Link) {
			out = append(out, fmt.Sprintf("%s links to the absolute path %s, which in the image is outside the buildpack: make the link relative to a file of the buildpack, or copy the file in", f.Path, f.Link))
			continue
		}
		if _, err := t.resolve(f.Path, 0); err != nil {
			out = append(out, fmt.Sprintf("%s links to %s, %v", f.Path, f.Link, err))
		}
	}
	return out
}

type tree struct {
	entries map[string]selection.Entry
}

// resolve returns the path, relative to the buildpack root, that the link at rel points to.
func (t tree) resolve(rel string, hops int) (string, error) {
	if hops >= maxLinkHops {
		return "", fmt.Errorf("which passes through more than %d links (a loop?): point it at the file itself", maxLinkHops)
	}
	link := t.entries[rel].Link
	if path.IsAbs(link) {
		return "", fmt.Errorf("which passes through %s, a link to the absolute path %s", rel, link)
	}
	var stack []string
	if d := path.Dir(rel); d != "." {
		stack = strings.Split(d, "/")
	}
	for _, c := range strings.Split(link, "/") {
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return "", fmt.Errorf("which leaves the buildpack folder: in the image it would point outside the buildpack; make it point at a file of the buildpack, or copy the file in")
			}
			stack = stack[:len(stack)-1]
			continue
		}
		p := strings.Join(append(stack, c), "/")
		e, ok := t.entries[p]
		switch {
		case !ok:
			return "", fmt.Errorf("but %s is not packaged (missing, or excluded by %s or Options.Exclude): make the link point at a packaged file", p, selection.IgnoreFile)
		case e.Link != "":
			r, err := t.resolve(p, hops+1)
			if err != nil {
				return "", err
			}
			stack = nil
			if r != "" {
				stack = strings.Split(r, "/")
			}
		default:
			stack = append(stack, c)
		}
	}
	return strings.Join(stack, "/"), nil
}
