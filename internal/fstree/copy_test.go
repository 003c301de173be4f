package fstree_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/internal/fstree"
)

// tree writes a folder with a private script, a file, a nested folder and links.
func tree(t *testing.T) string {
	t.Helper()
	src := t.TempDir()
	for _, f := range []struct {
		path string
		mode fs.FileMode
	}{{"bin/run", 0o700}, {"data/notes.txt", 0o600}} {
		p := filepath.Join(src, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.path), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../data/notes.txt", filepath.Join(src, "bin", "notes")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/nowhere", filepath.Join(src, "dangling")); err != nil {
		t.Fatal(err)
	}
	return src
}

func mode(t *testing.T, p string) fs.FileMode {
	t.Helper()
	info, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Perm()
}

func TestCopy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                string
		opts                fstree.Options
		run, notes, dirBits fs.FileMode
	}{
		{"modes kept", fstree.Options{}, 0o700, 0o600, 0o700},
		{"readable by all", fstree.Options{ReadableByAll: true}, 0o744, 0o644, 0o755},
		{"owned", fstree.Options{Owner: &fstree.Owner{UID: os.Getuid(), GID: os.Getgid()}}, 0o700, 0o600, 0o700},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			src := tree(t)
			tmp := t.TempDir()
			dst := filepath.Join(tmp, "parent", "copy")
			g.Expect(fstree.Copy(context.Background(), src, dst, tc.opts)).To(Succeed())
			ref := filepath.Join(tmp, "ref")
			g.Expect(os.Mkdir(ref, 0o755)).To(Succeed())
			g.Expect(mode(t, filepath.Join(tmp, "parent"))).To(Equal(mode(t, ref)), "a missing parent is made as os.MkdirAll(dst, 0o755) makes it")
			data, err := os.ReadFile(filepath.Join(dst, "bin", "notes"))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(string(data)).To(Equal("data/notes.txt"), "the link is kept and resolves inside the copy")
			link, err := os.Readlink(filepath.Join(dst, "dangling"))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(link).To(Equal("/nowhere"))
			g.Expect(mode(t, filepath.Join(dst, "bin", "run"))).To(Equal(tc.run))
			g.Expect(mode(t, filepath.Join(dst, "data", "notes.txt"))).To(Equal(tc.notes))
			g.Expect(mode(t, filepath.Join(dst, "data"))).To(Equal(tc.dirBits))
		})
	}
}

func TestCopyRefusesOtherFileTypesAndStopsWithItsContext(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	src := tree(t)
	g.Expect(syscall.Mkfifo(filepath.Join(src, "pipe"), 0o600)).To(Succeed())
	err := fstree.Copy(context.Background(), src, t.TempDir(), fstree.Options{})
	g.Expect(err).To(MatchError(ContainSubstring("pipe is a named pipe (FIFO), not a regular file: give a tree of folders, regular files and links")))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g.Expect(fstree.Copy(ctx, tree(t), t.TempDir(), fstree.Options{})).To(MatchError(context.Canceled))
}
