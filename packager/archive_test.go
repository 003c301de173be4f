package packager_test

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
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
		{"dot-dot names are refused", func() map[string]string {
			f := bashBuildpack("x/tgz", "1.0.0", "")
			f["../../outside.txt"] = "x"
			return f
		}(), nil, `refusing archive entry "../../outside.txt": path contains ".."`},
		{"escaping link", bashBuildpack("x/tgz", "1.0.0", ""), map[string]string{"lib/evil": "../../../etc/passwd"}, `refusing archive entry "lib/evil": symlink to "../../../etc/passwd" escapes the destination`},
		{"not a tarball", map[string]string{}, nil, "not a tar or zip archive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			root := t.TempDir()
			if tc.name == "not a tarball" {
				writeTree(t, root, map[string]string{"bp.tgz": "#!/bin/sh\necho not an archive\n"})
			} else {
				writeTgz(t, filepath.Join(root, "bp.tgz"), tc.files, tc.links)
			}
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

// TestBuildpackArchiveCannotWriteOutside is the attack of issue 13, point 1: a link to its
// own parent folder (a/b -> ../a), then a link placed "deep" under it that climbs to / and
// descends to a folder of the attacker's choice, then a file written through that link.
// Checking link targets as text accepts all three; the rooted extractor refuses the second.
func TestBuildpackArchiveCannotWriteOutside(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	root := t.TempDir()
	victim := filepath.Join(root, "victim")
	g.Expect(os.Mkdir(victim, 0o755)).To(Succeed())
	deep := "a/" + strings.Repeat("b/", 16)                              // resolves to a/ on disk, 17 levels deep as text
	climb := strings.Repeat("../", 16) + strings.TrimPrefix(victim, "/") // up to /, then down
	f, err := os.Create(filepath.Join(root, "bp.tgz"))
	g.Expect(err).NotTo(HaveOccurred())
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	for _, h := range []*tar.Header{
		{Name: "a/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "a/b", Typeflag: tar.TypeSymlink, Linkname: "../a"},
		{Name: deep + "x", Typeflag: tar.TypeSymlink, Linkname: climb},
		{Name: deep + "x/pwned", Typeflag: tar.TypeReg, Mode: 0o755, Size: 4},
	} {
		g.Expect(tw.WriteHeader(h)).To(Succeed())
		if h.Size > 0 {
			_, err := tw.Write([]byte("evil"))
			g.Expect(err).NotTo(HaveOccurred())
		}
	}
	g.Expect(tw.Close()).To(Succeed())
	g.Expect(zw.Close()).To(Succeed())
	g.Expect(f.Close()).To(Succeed())
	writeTree(t, filepath.Join(root, "comp"), map[string]string{
		"buildpack.toml": "api = \"0.10\"\n[buildpack]\nid = \"x/comp\"\nversion = \"1.0.0\"\n[[order]]\n[[order.group]]\nid = \"x/tgz\"\nversion = \"1.0.0\"\n",
		"package.toml":   "[buildpack]\nuri = \".\"\n[[dependencies]]\nuri = \"../bp.tgz\"\n",
	})

	p, err := packager.Build(ctx(t), packager.Options{Path: filepath.Join(root, "comp")})

	g.Expect(p).To(BeNil())
	g.Expect(err).To(MatchError(SatisfyAll(
		ContainSubstring(filepath.Join(root, "bp.tgz")),
		ContainSubstring(`refusing archive entry "`+deep+`x"`),
	)))
	var verr *packager.ValidationError
	g.Expect(errors.As(err, &verr)).To(BeTrue())
	g.Expect(verr.Problems).To(HaveLen(1), "one cause, one message: %v", err)
	written, err := os.ReadDir(victim)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(written).To(BeEmpty(), "the archive wrote into %s", victim)
}
