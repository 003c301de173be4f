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
	forbidden := []string{"ARCHITECTURE" + ".md", "../shared" + "/", "/work" + "/"}
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

// TestMarkdownLinksResolve checks every relative link of every tracked Markdown file.
func TestMarkdownLinksResolve(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	root, files := trackedFiles(t)
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
			if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			p := path.Join(path.Dir(f), target)
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(p))); err != nil {
				broken = append(broken, f+": "+m[1])
			}
		}
	}
	g.Expect(broken).To(BeEmpty(), "Markdown links to files that do not exist")
}
