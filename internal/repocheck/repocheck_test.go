package repocheck

import (
	"bytes"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

// trackedFiles lists the files git tracks (and new ones not ignored) from the repository root.
func trackedFiles(t *testing.T) (string, []string) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("git", "ls-files", "--cached", "--others", "--exclude-standard")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("git ls-files in %s: %v (not a git checkout)", root, err)
	}
	var files []string
	for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if _, err := os.Lstat(filepath.Join(root, f)); err == nil {
			files = append(files, f)
		}
	}
	return root, files
}

// TestNothingRefersOutsideTheRepository: the project's architecture page is
// docs/architecture.md; no file points at pages or folders beside the repository.
func TestNothingRefersOutsideTheRepository(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	root, files := trackedFiles(t)
	// The names are assembled so that this file does not contain what it looks for.
	forbidden := []string{
		strings.ToUpper("architecture") + ".md",         // the design notes the project started from
		strings.Join([]string{"..", "shared", ""}, "/"), // the folder beside the checkout that holds them
		strings.Join([]string{"", "work", ""}, "/"),     // the machine's workspace
	}
	var found []string
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil || bytes.IndexByte(data, 0) >= 0 {
			continue // unreadable or binary
		}
		for i, line := range strings.Split(string(data), "\n") {
			for _, bad := range forbidden {
				if strings.Contains(line, bad) {
					found = append(found, f+":"+strconv.Itoa(i+1)+": "+strings.TrimSpace(line))
				}
			}
		}
	}
	g.Expect(found).To(BeEmpty(), "references to files outside the repository")
}

var (
	mdLink     = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	fence      = regexp.MustCompile("(?ms)^```.*?^```")
	inlineCode = regexp.MustCompile("`[^`\n]*`")
)

// TestMarkdownLinksResolve checks every relative link of every tracked Markdown file: the
// file exists, and a #fragment names a heading (or an explicit anchor) of the page it leads
// to, as GitHub makes anchors of headings.
func TestMarkdownLinksResolve(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	root, files := trackedFiles(t)
	anchors := map[string]map[string]bool{} // page → its anchors
	pageAnchors := func(p string) map[string]bool {
		if a, ok := anchors[p]; ok {
			return a
		}
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil {
			return nil
		}
		anchors[p] = markdownAnchors(string(data))
		return anchors[p]
	}
	var broken []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".md") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue
		}
		text := fence.ReplaceAllString(string(data), "")
		text = inlineCode.ReplaceAllString(text, "")
		for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			target, frag, _ := strings.Cut(target, "#")
			p := f
			if target != "" {
				p = path.Join(path.Dir(f), target)
				if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(p))); err != nil {
					broken = append(broken, f+": "+m[1])
					continue
				}
			}
			if frag != "" && strings.HasSuffix(p, ".md") && !pageAnchors(p)[frag] {
				broken = append(broken, f+": "+m[1]+" (no such heading in "+p+")")
			}
		}
	}
	g.Expect(broken).To(BeEmpty(), "Markdown links to files or headings that do not exist")
}

var (
	heading      = regexp.MustCompile(`(?m)^#{1,6}\s+(.+?)\s*#*\s*$`)
	htmlAnchor   = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
	headingLink  = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	notSlugChars = regexp.MustCompile(`[^\p{L}\p{M}\p{N}\p{Pc} -]`)
)

// markdownAnchors returns the anchors GitHub gives a page: one per heading (the text lower
// case, without punctuation, spaces as hyphens, "-1", "-2" … for repeats) and the explicit
// <a id="…"> ones.
func markdownAnchors(md string) map[string]bool {
	md = fence.ReplaceAllString(md, "")
	out := map[string]bool{}
	seen := map[string]int{}
	for _, m := range heading.FindAllStringSubmatch(md, -1) {
		text := headingLink.ReplaceAllString(m[1], "$1")
		text = strings.NewReplacer("`", "", "*", "").Replace(text)
		slug := strings.ReplaceAll(notSlugChars.ReplaceAllString(strings.ToLower(text), ""), " ", "-")
		if n := seen[slug]; n > 0 {
			out[slug+"-"+strconv.Itoa(n)] = true
		} else {
			out[slug] = true
		}
		seen[slug]++
	}
	for _, m := range htmlAnchor.FindAllStringSubmatch(md, -1) {
		out[m[1]] = true
	}
	return out
}

func TestMarkdownAnchors(t *testing.T) {
	t.Parallel()
	got := markdownAnchors("# The SDK\n\n## 4. ffmpeg, from a mirror\n\n### `cnbkit new` and [links](x.md)\n\n```\n# not a heading\n```\n\n## Notes\n\n## Notes\n\n<a id=\"provenance\"></a>\n")
	NewWithT(t).Expect(got).To(Equal(map[string]bool{"the-sdk": true, "4-ffmpeg-from-a-mirror": true, "cnbkit-new-and-links": true,
		"notes": true, "notes-1": true, "provenance": true}))
}

// TestReadmeNamesEveryPage: the README's documentation list links every page of docs/ (the
// generated CLI reference as its folder).
func TestReadmeNamesEveryPage(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	root, files := trackedFiles(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	g.Expect(err).NotTo(HaveOccurred())
	linked := map[string]bool{}
	for _, m := range mdLink.FindAllStringSubmatch(string(readme), -1) {
		target, _, _ := strings.Cut(m[1], "#")
		linked[path.Clean(target)] = true
	}
	var missing []string
	for _, f := range files {
		if !strings.HasPrefix(f, "docs/") || !strings.HasSuffix(f, ".md") {
			continue
		}
		if strings.HasPrefix(f, "docs/cli/") {
			f = "docs/cli"
		}
		if !linked[f] {
			missing = append(missing, f)
		}
	}
	g.Expect(missing).To(BeEmpty(), "pages of docs/ the README's Documentation list does not link")
}

// testName is a Go test, fuzz target, benchmark or example named in backquotes.
var testName = regexp.MustCompile("`((?:Test|Fuzz|Benchmark|Example)[A-Z][A-Za-z0-9_]*)(?:/[^`]*)?`")

// TestDocsNameRealTests: every test, fuzz target, benchmark or example a Markdown page names
// (in backquotes, e.g. `TestInventory` or `TestE2E/FastAPI`) is a function of the repository.
func TestDocsNameRealTests(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	root, files := trackedFiles(t)
	funcs := map[string]bool{}
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue
		}
		for _, m := range goFunc.FindAllStringSubmatch(string(data), -1) {
			funcs[m[1]] = true
		}
	}
	var missing []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".md") && !strings.HasSuffix(f, ".md.tmpl") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue
		}
		for _, m := range testName.FindAllStringSubmatch(string(data), -1) {
			if !funcs[m[1]] {
				missing = append(missing, f+": "+m[1])
			}
		}
	}
	g.Expect(missing).To(BeEmpty(), "tests the docs name that do not exist")
}

var goFunc = regexp.MustCompile(`(?m)^func (?:\([^)]*\) )?((?:Test|Fuzz|Benchmark|Example)[A-Za-z0-9_]*)\(`)
