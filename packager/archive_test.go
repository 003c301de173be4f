package packager_test

import (
	"archive/tar"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/packager"
)

// writeTgz writes a gzip-compressed tar with files and symbolic links (link → target).
func writeTgz(t *testing.T, path string, files map[string]string, links map[string]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	for n, c := range files {
		mode := int64(0o644)
		if len(c) > 1 && c[:2] == "#!" {
			mode = 0o755
		}
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: mode, Size: int64(len(c)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	for n, target := range links {
		if err := tw.WriteHeader(&tar.Header{Name: n, Linkname: target, Typeflag: tar.TypeSymlink, Mode: 0o777}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestBuildpackArchiveDependency(t *testing.T) {
	t.Parallel()
	comp := "api = \"0.10\"\n[buildpack]\nid = \"x/comp\"\nversion = \"1.0.0\"\n[[order]]\n[[order.group]]\nid = \"x/tgz\"\nversion = \"1.0.0\"\n"
	cases := []struct {
		name    string
		files   map[string]string
		links   map[string]string
		wantErr string
	}{
		{"plain", bashBuildpack("x/tgz", "1.0.0", ""), map[string]string{"lib/link": "../buildpack.toml"}, ""},
		{"dot-dot names stay inside", func() map[string]string {
			f := bashBuildpack("x/tgz", "1.0.0", "")
			f["../../outside.txt"] = "x"
			return f
		}(), nil, ""},
		{"escaping link", bashBuildpack("x/tgz", "1.0.0", ""), map[string]string{"lib/evil": "../../../etc/passwd"}, "points outside the buildpack"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			root := t.TempDir()
			writeTgz(t, filepath.Join(root, "bp.tgz"), tc.files, tc.links)
			writeTree(t, filepath.Join(root, "comp"), map[string]string{
				"buildpack.toml": comp,
				"package.toml":   "[buildpack]\nuri = \".\"\n[[dependencies]]\nuri = \"../bp.tgz\"\n",
			})
			p, err := packager.Build(ctx(t), packager.Options{Path: filepath.Join(root, "comp")})
			if tc.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			defer p.Close()
			g.Expect(p.Buildpacks).To(Equal([]string{"x/comp@1.0.0", "x/tgz@1.0.0"}))
			g.Expect(filepath.Join(root, "outside.txt")).NotTo(BeAnExistingFile())
		})
	}
}
