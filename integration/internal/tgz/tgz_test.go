package tgz_test

import (
	"archive/tar"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/internal/tgz"
)

func TestReadFile(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	file := filepath.Join(t.TempDir(), "x.tgz")
	f, err := os.Create(file)
	g.Expect(err).NotTo(HaveOccurred())
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	for _, e := range []struct {
		name, body string
		typ        byte
	}{{"package/", "", tar.TypeDir}, {"./package/package.json", `{"name":"x"}`, tar.TypeReg}, {"package/link", "", tar.TypeSymlink}} {
		g.Expect(tw.WriteHeader(&tar.Header{Name: e.name, Typeflag: e.typ, Size: int64(len(e.body)), Mode: 0o644, Linkname: "package.json"})).To(Succeed())
		_, err := tw.Write([]byte(e.body))
		g.Expect(err).NotTo(HaveOccurred())
	}
	g.Expect(tw.Close()).To(Succeed())
	g.Expect(gz.Close()).To(Succeed())
	g.Expect(f.Close()).To(Succeed())

	data, err := tgz.ReadFile(file, "package/package.json")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(data)).To(Equal(`{"name":"x"}`))
	_, err = tgz.ReadFile(file, "package/link")
	g.Expect(err).To(MatchError(file+" has no package/link"), "a link is not a regular file")
	_, err = tgz.ReadFile(filepath.Join(t.TempDir(), "missing.tgz"), "x")
	g.Expect(err).To(HaveOccurred())
}
