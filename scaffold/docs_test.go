package scaffold_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/scaffold"
)

// TestGettingStartedShowsGeneratedCode checks that every Go excerpt of docs/getting-started.md
// is, verbatim, part of the project `cnbkit new` generates for the tutorial, so the tutorial
// cannot drift from the templates.
func TestGettingStartedShowsGeneratedCode(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	doc, err := os.ReadFile(filepath.Join("..", "docs", "getting-started.md"))
	g.Expect(err).NotTo(HaveOccurred())

	var generated []string
	for _, opts := range []scaffold.Options{
		{ID: "my-org/hello", Template: scaffold.TemplatePlain},
		{ID: "my-org/tools", Template: scaffold.TemplateDependency},
	} {
		files, err := scaffold.Generate(context.Background(), opts)
		g.Expect(err).NotTo(HaveOccurred())
		for _, f := range files {
			generated = append(generated, string(f.Data))
		}
	}
	blocks := codeBlocks(string(doc), "go")
	g.Expect(blocks).NotTo(BeEmpty())
	for _, b := range blocks {
		found := false
		for _, f := range generated {
			if strings.Contains(f, b) {
				found = true
				break
			}
		}
		g.Expect(found).To(BeTrue(), "this Go excerpt of docs/getting-started.md is not in the generated projects:\n%s", b)
	}
}

// codeBlocks returns the fenced code blocks of Markdown text in language lang.
func codeBlocks(md, lang string) []string {
	var blocks []string
	var cur []string
	in := false
	for _, line := range strings.Split(md, "\n") {
		switch {
		case !in && strings.TrimSpace(line) == "```"+lang:
			in, cur = true, nil
		case in && strings.TrimSpace(line) == "```":
			in = false
			blocks = append(blocks, strings.Join(cur, "\n")+"\n")
		case in:
			cur = append(cur, line)
		}
	}
	return blocks
}
