package greeter_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

// TestMigrationGuideShowsThisCode keeps docs/migrating-from-libpak.md honest: the files it
// shows are this package's (with the guide's module path) and sdk/paketo's example.
func TestMigrationGuideShowsThisCode(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "migrating-from-libpak.md"))
	g.Expect(err).NotTo(HaveOccurred())
	for _, name := range []string{"buildpack.toml", "greeter.go", filepath.Join("cmd", "greeter", "main.go")} {
		src, err := os.ReadFile(name)
		g.Expect(err).NotTo(HaveOccurred())
		text := strings.ReplaceAll(string(src), `"github.com/cnbkit/cnbkit/sdk/examples/greeter"`, `"example.com/greeter-bp"`)
		g.Expect(string(doc)).To(ContainSubstring(text), "docs/migrating-from-libpak.md must show %s as it is in sdk/examples/greeter", name)
	}
	ex, err := os.ReadFile(filepath.Join("..", "..", "paketo", "example_test.go"))
	g.Expect(err).NotTo(HaveOccurred())
	body := string(ex)[strings.Index(string(ex), "func ExampleInventory() {"):]
	g.Expect(string(doc)).To(ContainSubstring(body), "the guide shows sdk/paketo's ExampleInventory")
}
