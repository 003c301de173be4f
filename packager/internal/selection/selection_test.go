package selection_test

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/packager/internal/selection"
)

func TestSelect(t *testing.T) {
	t.Parallel()
	files := []string{
		"buildpack.toml", "bin/build", "bin/detect", "README.md", "main.go", "go.mod", "cmd/main.go",
		".git/HEAD", ".github/workflows/ci.yml", "testdata/x", "package.toml", "out.cnb",
		"lib/a.sh", "lib/a_test.sh", "docs/guide.md", "vendor/x/y.go", "resources/.keep",
	}
	cases := []struct {
		name   string
		ignore string
		extra  []string
		want   []string
	}{
		{"defaults", "", nil, []string{"README.md", "bin", "bin/build", "bin/detect", "buildpack.toml", "docs", "docs/guide.md", "lib", "lib/a.sh", "lib/a_test.sh"}},
		{".cnbignore", "*_test.sh\n/docs/\n!resources/.keep\n# comment\n", nil, []string{"README.md", "bin", "bin/build", "bin/detect", "buildpack.toml", "lib", "lib/a.sh", "resources", "resources/.keep"}},
		{"rules after the file win", "*.md\n", []string{"!README.md", "lib/"}, []string{"README.md", "bin", "bin/build", "bin/detect", "buildpack.toml"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			dir := t.TempDir()
			for _, f := range files {
				g.Expect(os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755)).To(Succeed())
				g.Expect(os.WriteFile(filepath.Join(dir, f), []byte(f), 0o644)).To(Succeed())
			}
			if tc.ignore != "" {
				g.Expect(os.WriteFile(filepath.Join(dir, selection.IgnoreFile), []byte(tc.ignore), 0o644)).To(Succeed())
			}
			rules, err := selection.Rules(dir, tc.extra)
			g.Expect(err).NotTo(HaveOccurred())
			entries, err := selection.Select(dir, rules, nil)
			g.Expect(err).NotTo(HaveOccurred())
			var got []string
			for _, e := range entries {
				got = append(got, e.Path)
			}
			g.Expect(got).To(Equal(tc.want))
		})
	}
}

func TestMalformedRulesAreAllReported(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	_, err := selection.ParseRules([]string{"[a", "ok", "!", "b[", ""})
	g.Expect(err).To(MatchError(And(ContainSubstring(`"[a"`), ContainSubstring(`"!" is empty`), ContainSubstring(`"b["`))))
}
