package selection

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cnbkit/cnbkit/sdk/spec"
)

// IgnoreFile is the name of the optional rules file in a buildpack directory.
const IgnoreFile = ".cnbignore"

// Defaults are the rules applied before any other: hidden files (.git, .github, ...), Go
// sources and module files, test data, package.toml and built .cnb files stay out.
var Defaults = []string{
	".*",
	"*.go",
	"go.mod",
	"go.sum",
	"go.work",
	"go.work.sum",
	"vendor/",
	"testdata/",
	"package.toml",
	"*.cnb",
}

// Rule is one parsed pattern.
type Rule struct {
	Pattern string
	Include bool
	DirOnly bool
	Rooted  bool
}

// ParseRule reads one pattern line.
func ParseRule(line string) (Rule, error) {
	var r Rule
	s := strings.TrimSpace(line)
	if strings.HasPrefix(s, "!") {
		r.Include = true
		s = s[1:]
	}
	if strings.HasSuffix(s, "/") {
		r.DirOnly = true
		s = strings.TrimSuffix(s, "/")
	}
	if strings.HasPrefix(s, "/") {
		r.Rooted = true
		s = strings.TrimPrefix(s, "/")
	}
	if strings.Contains(s, "/") {
		r.Rooted = true
	}
	if s == "" {
		return Rule{}, fmt.Errorf("pattern %q is empty", line)
	}
	if _, err := path.Match(s, ""); err != nil {
		return Rule{}, fmt.Errorf("pattern %q is malformed: %w", line, err)
	}
	r.Pattern = s
	return r, nil
}

// ParseRules reads patterns, one per entry; empty entries and lines starting with '#' are
// skipped. All malformed patterns are reported.
func ParseRules(lines []string) ([]Rule, error) {
	var rules []Rule
	var errs []error
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		r, err := ParseRule(t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rules = append(rules, r)
	}
	return rules, errors.Join(errs...)
}

func (r Rule) matches(rel string, dir bool) bool {
	if r.DirOnly && !dir {
		return false
	}
	if r.Rooted {
		ok, _ := path.Match(r.Pattern, rel)
		return ok
	}
	ok, _ := path.Match(r.Pattern, path.Base(rel))
	return ok
}

// Excluded reports whether the rules exclude rel (last match wins).
func Excluded(rules []Rule, rel string, dir bool) bool {
	excluded := false
	for _, r := range rules {
		if r.matches(rel, dir) {
			excluded = !r.Include
		}
	}
	return excluded
}

// Entry is a selected file or directory.
type Entry struct {
	// Path is slash-separated and relative to the root.
	Path string
	// Source is the path on disk.
	Source string
	// Mode is the file's mode as found (not following symbolic links).
	Mode fs.FileMode
	// Link is the target of a symbolic link.
	Link string
}

// Rules returns Defaults, then the rules of root/.cnbignore if present, then extra.
func Rules(root string, extra []string) ([]Rule, error) {
	lines := append([]string(nil), Defaults...)
	data, err := spec.ReadFile(filepath.Join(root, IgnoreFile))
	switch {
	case err == nil:
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("reading %s: %w", IgnoreFile, err)
	}
	lines = append(lines, extra...)
	rules, err := ParseRules(lines)
	if err != nil {
		return nil, fmt.Errorf("reading include and exclude rules: %w", err)
	}
	return rules, nil
}

// Select walks root and returns the selected entries, parents before children, in a fixed
// order (byte order of names within each directory) whatever the file system's order.
// skip reports extra paths to leave out (e.g. files the packager generates itself).
func Select(root string, rules []Rule, skip func(rel string) bool) ([]Entry, error) {
	var out []Entry
	if err := walk(root, "", rules, skip, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func walk(root, rel string, rules []Rule, skip func(string) bool, out *[]Entry) error {
	dir := filepath.Join(root, filepath.FromSlash(rel))
	des, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading directory %s: %w", dir, err)
	}
	names := make([]string, len(des))
	for i, d := range des {
		names[i] = d.Name()
	}
	sort.Strings(names)
	for _, name := range names {
		r := path.Join(rel, name)
		src := filepath.Join(dir, name)
		info, err := os.Lstat(src)
		if err != nil {
			return fmt.Errorf("reading %s: %w", src, err)
		}
		isDir := info.IsDir()
		if Excluded(rules, r, isDir) || (skip != nil && skip(r)) {
			continue
		}
		e := Entry{Path: r, Source: src, Mode: info.Mode()}
		switch {
		case isDir:
			before := len(*out)
			*out = append(*out, e)
			if err := walk(root, r, rules, skip, out); err != nil {
				return err
			}
			if len(*out) == before+1 {
				*out = (*out)[:before] // nothing selected inside: drop the directory
			}
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(src)
			if err != nil {
				return fmt.Errorf("reading link %s: %w", src, err)
			}
			e.Link = link
			*out = append(*out, e)
		case info.Mode().IsRegular():
			*out = append(*out, e)
		default:
			return fmt.Errorf("%s is a %s: only files, directories and symbolic links can be packaged (exclude it in %s)", r, info.Mode().Type(), IgnoreFile)
		}
	}
	return nil
}
