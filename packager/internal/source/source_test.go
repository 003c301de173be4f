package source_test

import (
	"archive/tar"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/packager/internal/source"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// tarDir tars dir with names prefixed by prefix ("./" as GNU tar writes, "/" as pack does).
func tarDir(t *testing.T, dir, out, prefix string) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, _ := d.Info()
		h, _ := tar.FileInfoHeader(info, "")
		h.Name = prefix + filepath.ToSlash(rel)
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenLayoutsWrittenByOthers(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	img, err := random.Image(512, 2)
	g.Expect(err).NotTo(HaveOccurred())
	cfg, err := img.ConfigFile()
	g.Expect(err).NotTo(HaveOccurred())
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "arm64"
	img, err = mutate.ConfigFile(img, cfg)
	g.Expect(err).NotTo(HaveOccurred())
	lp, err := layout.Write(filepath.Join(dir, "layout"), empty.Index)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(lp.AppendImage(img)).To(Succeed())
	want, err := img.Digest()
	g.Expect(err).NotTo(HaveOccurred())

	paths := []string{filepath.Join(dir, "layout")}
	for i, prefix := range []string{"./", "/", ""} {
		p := filepath.Join(dir, "p"+string(rune('0'+i))+".cnb")
		tarDir(t, filepath.Join(dir, "layout"), p, prefix)
		paths = append(paths, p)
	}
	for _, p := range paths {
		pkg, err := source.Open(context.Background(), p)
		g.Expect(err).NotTo(HaveOccurred(), "opening %s", p)
		g.Expect(pkg.Images).To(HaveLen(1))
		got, err := pkg.Images[0].Image.Digest()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got).To(Equal(want))
		layers, err := pkg.Images[0].Image.Layers()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(layers).To(HaveLen(2))
		rc, err := layers[1].Compressed()
		g.Expect(err).NotTo(HaveOccurred())
		rc.Close()
		_, err = pkg.Select(spec.Target{OS: "linux", Arch: "arm64"})
		g.Expect(err).NotTo(HaveOccurred())
		_, err = pkg.Select(spec.Target{OS: "linux", Arch: "amd64"})
		g.Expect(err).To(MatchError(ContainSubstring("has no image for linux/amd64 (it has linux/arm64)")))
		g.Expect(pkg.Close()).To(Succeed())
	}
}

func TestOpenReportsWhatIsWrong(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	g.Expect(os.WriteFile(filepath.Join(dir, "junk.cnb"), []byte("not a tar"), 0o644)).To(Succeed())
	_, err := source.Open(context.Background(), filepath.Join(dir, "junk.cnb"))
	g.Expect(err).To(MatchError(ContainSubstring("a .cnb file is a tar of an OCI image layout")))
	_, err = source.Open(context.Background(), filepath.Join(dir, "missing.cnb"))
	g.Expect(err).To(MatchError(ContainSubstring("no such file or directory")))
	_, err = source.Open(context.Background(), dir)
	g.Expect(err).To(MatchError(ContainSubstring("no oci-layout file")))
}
