package hello_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

// TestTutorialShowsThisCode keeps docs/sdk.md honest: the tutorial's files are the files of this
// package (with the tutorial's module path), so the code readers copy is compiled and tested.
func TestTutorialShowsThisCode(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "sdk.md"))
	g.Expect(err).NotTo(HaveOccurred())
	for _, name := range []string{"buildpack.toml", "hello.go", "hello_test.go", filepath.Join("cmd", "hello", "main.go")} {
		src, err := os.ReadFile(name)
		g.Expect(err).NotTo(HaveOccurred())
		text := strings.ReplaceAll(string(src), `"github.com/cnbkit/cnbkit/sdk/examples/hello"`, `"example.com/hello-bp"`)
		g.Expect(string(doc)).To(ContainSubstring(text), "docs/sdk.md must show %s as it is in sdk/examples/hello", name)
	}
}
