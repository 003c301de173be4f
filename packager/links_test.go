package packager

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnbkit/cnbkit/packager/internal/selection"
)

// FuzzLinkProblems builds a buildpack folder from a line-based description ("f <path>",
// "d <path>", "l <path> -> <target>") and checks linkProblems against the kernel: every
// link it accepts must resolve, on disk, to a packaged file or folder inside the buildpack.
func FuzzLinkProblems(f *testing.F) {
	f.Add("f lib/helper.sh\nl lib/link.sh -> helper.sh\nl bin/tool -> ../lib/link.sh\n")
	f.Add("l passwd -> /etc/passwd\nl up -> ../x\n")
	f.Add("d lib\nl lib/root -> ..\nl lib/evil -> root/../etc/passwd\n")     // climbs through a link
	f.Add("l s -> .\nl e -> s/s/s/../x\nf x\n")                              // "." links and ".."
	f.Add("d a\nl a/b -> ../a\nl a/x -> b/b/b/../../../../tmp\n")            // issue 13's chain
	f.Add("l a -> b\nl b -> a\n")                                            // loop
	f.Add("f .git/config\nl secret -> .git/config\nl dir -> lib\nf lib/x\n") // excluded target
	f.Fuzz(func(t *testing.T, script string) {
		root := t.TempDir()
		n := 0
		for _, line := range strings.Split(script, "\n") {
			if len(line) < 3 || line[1] != ' ' || n > 30 {
				continue
			}
			name, target, _ := strings.Cut(line[2:], " -> ")
			if name == "" || len(name) > 100 || len(target) > 200 || strings.Contains(name, "..") || strings.HasPrefix(name, "/") || strings.ContainsRune(name+target, 0) {
				continue
			}
			p := filepath.Join(root, filepath.FromSlash(name))
			if os.MkdirAll(filepath.Dir(p), 0o755) != nil {
				continue
			}
			switch line[0] {
			case 'f':
				_ = os.WriteFile(p, []byte("x"), 0o644)
			case 'd':
				_ = os.Mkdir(p, 0o755)
			case 'l':
				_ = os.Symlink(target, p)
			default:
				continue
			}
			n++
		}
		rules, err := selection.Rules(root, nil)
		if err != nil {
			return
		}
		files, err := selection.Select(root, rules, nil)
		if err != nil {
			return
		}
		bad := map[string]bool{}
		for _, p := range linkProblems(files, false) {
			name, _, _ := strings.Cut(p, " links to ")
			bad[name] = true
		}
		realRoot, err := filepath.EvalSymlinks(root)
		if err != nil {
			t.Fatal(err)
		}
		selected := map[string]bool{"": true}
		for _, e := range files {
			selected[e.Path] = true
		}
		for _, e := range files {
			if e.Link == "" || bad[e.Path] {
				continue
			}
			resolved, err := filepath.EvalSymlinks(filepath.Join(root, filepath.FromSlash(e.Path)))
			if err != nil {
				t.Fatalf("%s -> %s was accepted but does not resolve: %v", e.Path, e.Link, err)
			}
			rel, err := filepath.Rel(realRoot, resolved)
			if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
				t.Fatalf("%s -> %s was accepted but resolves to %s, outside the buildpack", e.Path, e.Link, resolved)
			}
			if rel == "." {
				rel = ""
			}
			if !selected[filepath.ToSlash(rel)] {
				t.Fatalf("%s -> %s was accepted but resolves to %s, which is not packaged", e.Path, e.Link, rel)
			}
		}
	})
}
