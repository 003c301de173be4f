package packager_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/packager"
)

// snapshot returns every file under dir with its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readIndexJSON(t *testing.T, dir string) v1.IndexManifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(data, &idx); err != nil {
		t.Fatal(err)
	}
	return idx
}

// TestWritingIntoAnExistingLayoutAddsToIt is issue 13, point 4: a folder holding an image
// layout (here one written by go-containerregistry, with a file of the user's beside it)
// is added to, never emptied.
func TestWritingIntoAnExistingLayoutAddsToIt(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "shared")
	lp, err := layout.Write(out, empty.Index)
	g.Expect(err).NotTo(HaveOccurred())
	other, err := random.Image(256, 1)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(lp.AppendImage(other)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(out, "blobs", "sha256", "0000000000000000000000000000000000000000000000000000000000000000"), []byte("x"), 0o644)).To(Succeed())
	before := snapshot(t, out)
	otherDigest, _ := other.Digest()

	write := func(version string) packager.Output {
		o, err := one(packager.LayoutSink{Dir: out}.Write(ctx(t), builtBash(t, dir, "x/layout", version)))
		g.Expect(err).NotTo(HaveOccurred())
		return o
	}
	first := write("1.0.0")
	write("1.0.0") // the same name again: its entry is replaced
	second := write("2.0.0")

	after := snapshot(t, out)
	for name, content := range before {
		if name == "index.json" {
			continue
		}
		g.Expect(after).To(HaveKeyWithValue(name, content), "%s was changed or removed", name)
	}
	idx := readIndexJSON(t, out)
	g.Expect(idx.Manifests).To(HaveLen(3))
	g.Expect(idx.Manifests[0].Digest).To(Equal(otherDigest))
	g.Expect(idx.Manifests[1].Digest.String()).To(Equal(first.Digest))
	g.Expect(idx.Manifests[1].Annotations).To(HaveKeyWithValue("org.opencontainers.image.ref.name", "x/layout:1.0.0"))
	g.Expect(idx.Manifests[2].Digest.String()).To(Equal(second.Digest))
	g.Expect(idx.Manifests[2].Annotations).To(HaveKeyWithValue("org.opencontainers.image.ref.name", "x/layout:2.0.0"))
	// go-containerregistry still reads the layout and finds every image.
	back, err := layout.FromPath(out)
	g.Expect(err).NotTo(HaveOccurred())
	ii, err := back.ImageIndex()
	g.Expect(err).NotTo(HaveOccurred())
	for _, d := range idx.Manifests {
		_, err := ii.Image(d.Digest)
		g.Expect(err).NotTo(HaveOccurred())
	}
}

func TestWritingIntoAFolderThatIsNotALayoutIsRefused(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	p := builtBash(t, dir, "x/layout", "1.0.0")
	broken := filepath.Join(dir, "broken")
	writeTree(t, broken, map[string]string{"oci-layout": "{}", "index.json": "not json", "keep.txt": "x"})
	before := snapshot(t, broken)
	_, err := one(packager.LayoutSink{Dir: broken}.Write(ctx(t), p))
	g.Expect(err).To(MatchError(ContainSubstring("is not a valid image index")))
	g.Expect(snapshot(t, broken)).To(Equal(before))

	empty := filepath.Join(dir, "empty")
	g.Expect(os.Mkdir(empty, 0o755)).To(Succeed())
	o, err := one(packager.LayoutSink{Dir: empty}.Write(ctx(t), p))
	g.Expect(err).NotTo(HaveOccurred())
	info, err := packager.Inspect(ctx(t), empty, packager.RegistryOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.Digest).To(Equal(o.Digest))
}

// TestFileOutputMustBeANewNameOrARegularFile is issue 13, point 5.
func TestFileOutputMustBeANewNameOrARegularFile(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	p := builtBash(t, dir, "x/out", "1.0.0")
	fifo := filepath.Join(dir, "stream")
	g.Expect(syscall.Mkfifo(fifo, 0o644)).To(Succeed())
	fifoCNB := filepath.Join(dir, "pipe.cnb")
	g.Expect(syscall.Mkfifo(fifoCNB, 0o644)).To(Succeed())
	folder := filepath.Join(dir, "folder.cnb")
	g.Expect(os.Mkdir(folder, 0o755)).To(Succeed())

	for _, tc := range []struct{ name, want string }{
		{fifo, "does not end in .cnb: name it stream.cnb"},
		{fifoCNB, "is a named pipe (FIFO), not a regular file"},
		{folder, "is a folder: give a file name ending in .cnb"},
	} {
		_, err := packager.FileSink{Name: tc.name}.Write(ctx(t), p)
		g.Expect(err).To(MatchError(ContainSubstring(tc.want)), "writing to %s", tc.name)
	}
	g.Expect(fifo + ".cnb").NotTo(BeAnExistingFile())
	info, err := os.Lstat(fifoCNB)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.Mode()&os.ModeNamedPipe).NotTo(BeZero(), "the pipe was replaced")
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*"))
	g.Expect(leftovers).To(BeEmpty())
}
