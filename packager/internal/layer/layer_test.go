package layer_test

import (
	"io/fs"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/packager/internal/layer"
)

func TestMode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		path string
		mode fs.FileMode
		want int64
	}{
		{"bin", fs.ModeDir | 0o700, 0o755},
		{"bin/build", 0o600, 0o755},
		{"bin/detect", 0o644, 0o755},
		{"bin/generate", 0o600, 0o755},
		{"bin/helper", 0o600, 0o644},
		{"lib/run.sh", 0o744, 0o755},
		{"lib/data", 0o666, 0o644},
		{"sub/bin/build", 0o600, 0o644},
	}
	for _, tc := range cases {
		NewWithT(t).Expect(layer.Mode(tc.path, tc.mode)).To(Equal(tc.want), "Mode(%q, %v)", tc.path, tc.mode)
	}
}

func TestWriteIsReproducible(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	files := []layer.File{{Path: "bin", Mode: fs.ModeDir | 0o755}, {Path: "bin/detect", Mode: fs.ModeSymlink | 0o777, Link: "build"}}
	var digests []string
	for i := 0; i < 2; i++ {
		l, err := layer.Write(t.Context(), t.TempDir(), "a_b", "1.0.0", files)
		g.Expect(err).NotTo(HaveOccurred())
		d, err := l.Digest()
		g.Expect(err).NotTo(HaveOccurred())
		digests = append(digests, d.String())
		size, _ := l.Size()
		g.Expect(size).To(BeNumerically(">", 0))
	}
	g.Expect(digests[1]).To(Equal(digests[0]))
	_, err := layer.Write(t.Context(), t.TempDir(), "a_b", "1.0.0", []layer.File{{Path: "pipe", Mode: fs.ModeNamedPipe}})
	g.Expect(err).To(MatchError(ContainSubstring("only files, directories and symbolic links")))
}
