package sdk

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
)

// The lifecycle restores layer and store metadata from JSON: integers come back as floats.
func TestMetadataRestoredByTheLifecycleKeepsIntegers(t *testing.T) {
	t.Parallel()
	type meta struct {
		Lines int     `toml:"lines"`
		Ratio float64 `toml:"ratio"`
		Sizes []int   `toml:"sizes"`
	}
	restored := "[types]\n  launch = true\n  cache = true\n\n[metadata]\n  lines = 3.0\n  ratio = 2.0\n  sizes = [1.0, 2.0]\n"
	tests := []struct {
		name string
		want meta
		kept bool
	}{
		{name: "same values", want: meta{Lines: 3, Ratio: 2, Sizes: []int{1, 2}}, kept: true},
		{name: "changed value", want: meta{Lines: 4, Ratio: 2, Sizes: []int{1, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			dir := t.TempDir()
			g.Expect(os.WriteFile(filepath.Join(dir, "numbers.toml"), []byte(restored), 0o644)).To(Succeed())
			g.Expect(os.Mkdir(filepath.Join(dir, "numbers"), 0o755)).To(Succeed())
			status, prev, err := decideLayer(dir, "numbers", LayerTypes{Launch: true, Cache: true}, tt.want, nil)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(status.Restored).To(Equal(tt.kept), "status: %s", status)
			if tt.kept {
				g.Expect(prev).To(Equal(tt.want))
			} else {
				g.Expect(status.Reason.Kind).To(Equal(ReasonMetadataChanged))
				g.Expect(status.Reason.Detail).To(Equal("lines: 3 -> 4"))
			}
		})
	}
	t.Run("store", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		dir := t.TempDir()
		g.Expect(os.WriteFile(filepath.Join(dir, "store.toml"), []byte("[metadata]\n  count = 1.0\n  share = 0.5\n"), 0o644)).To(Succeed())
		st, err := readStore(dir)
		g.Expect(err).NotTo(HaveOccurred())
		v, err := StoreMetadata[struct {
			Count int     `toml:"count"`
			Share float64 `toml:"share"`
		}](st)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(v.Count).To(Equal(1))
		g.Expect(v.Share).To(Equal(0.5))
	})
}
