package scaffold_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/scaffold"
)

var project = []scaffold.File{
	{Path: "buildpack.toml", Mode: 0o644, Data: []byte("api = \"0.12\"\n")},
	{Path: "cmd/main.go", Mode: 0o644, Data: []byte("package main\n")},
	{Path: "bin/tool", Mode: 0o755, Data: []byte("#!/bin/sh\n")},
}

// tree reads every file under dir into path -> content, and path -> mode.
func tree(t *testing.T, dir string) (map[string]string, map[string]os.FileMode) {
	t.Helper()
	files, modes := map[string]string{}, map[string]os.FileMode{}
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(data)
		modes[filepath.ToSlash(rel)] = info.Mode().Perm()
		return nil
	})
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
	return files, modes
}

func TestWrite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		prepare func(dir string) error
	}{
		{name: "missing folder", prepare: func(string) error { return nil }},
		{name: "missing parents", prepare: func(string) error { return nil }},
		{name: "empty folder", prepare: func(dir string) error { return os.Mkdir(dir, 0o755) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			root := t.TempDir()
			dir := filepath.Join(root, "bp")
			if tc.name == "missing parents" {
				dir = filepath.Join(root, "a", "b", "bp")
			}
			g.Expect(tc.prepare(dir)).To(Succeed())

			g.Expect(scaffold.Write(context.Background(), dir, project, scaffold.WriteOptions{})).To(Succeed())

			files, modes := tree(t, dir)
			g.Expect(files).To(Equal(map[string]string{
				"buildpack.toml": "api = \"0.12\"\n", "cmd/main.go": "package main\n", "bin/tool": "#!/bin/sh\n",
			}))
			g.Expect(modes).To(HaveKeyWithValue("bin/tool", os.FileMode(0o755)))
			g.Expect(modes).To(HaveKeyWithValue("cmd/main.go", os.FileMode(0o644)))
			info, err := os.Stat(dir)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o755)))
			// No temporary folder is left next to the project.
			entries, err := os.ReadDir(filepath.Dir(dir))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(entries).To(HaveLen(1))
		})
	}
}

func TestWriteRefusesAFolderThatIsNotEmpty(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	g.Expect(os.WriteFile(filepath.Join(dir, "buildpack.toml"), []byte("mine"), 0o644)).To(Succeed())

	err := scaffold.Write(context.Background(), dir, project, scaffold.WriteOptions{})
	var ne *scaffold.NotEmptyError
	g.Expect(errors.As(err, &ne)).To(BeTrue(), "Write into a non-empty folder returned %v, want *NotEmptyError", err)
	g.Expect(err.Error()).To(ContainSubstring("is not empty (it holds buildpack.toml)"))
	files, _ := tree(t, dir)
	g.Expect(files).To(Equal(map[string]string{"buildpack.toml": "mine"}))
	entries, err := os.ReadDir(filepath.Dir(dir))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(HaveLen(1), "no temporary folder left behind")
}

func TestWriteForceReplacesGeneratedFilesAndKeepsOthers(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := filepath.Join(t.TempDir(), "bp")
	g.Expect(os.MkdirAll(filepath.Join(dir, "cmd"), 0o755)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(dir, "buildpack.toml"), []byte("old"), 0o644)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(dir, "NOTES.md"), []byte("keep me"), 0o644)).To(Succeed())

	g.Expect(scaffold.Write(context.Background(), dir, project, scaffold.WriteOptions{Force: true})).To(Succeed())

	files, _ := tree(t, dir)
	g.Expect(files).To(Equal(map[string]string{
		"buildpack.toml": "api = \"0.12\"\n", "cmd/main.go": "package main\n", "bin/tool": "#!/bin/sh\n", "NOTES.md": "keep me",
	}))
	entries, err := os.ReadDir(filepath.Dir(dir))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(HaveLen(1), "no temporary folder left behind")
}

func TestWriteForceChangesNothingOnAConflict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		prepare func(dir string) error
		want    string
	}{
		{
			name:    "folder where a file goes",
			prepare: func(dir string) error { return os.MkdirAll(filepath.Join(dir, "buildpack.toml"), 0o755) },
			want:    "buildpack.toml is a folder",
		},
		{
			name:    "file where a folder goes",
			prepare: func(dir string) error { return os.WriteFile(filepath.Join(dir, "cmd"), []byte("x"), 0o644) },
			want:    "cmd is a file",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			dir := filepath.Join(t.TempDir(), "bp")
			g.Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
			g.Expect(os.WriteFile(filepath.Join(dir, "NOTES.md"), []byte("keep me"), 0o644)).To(Succeed())
			g.Expect(tc.prepare(dir)).To(Succeed())
			before, _ := tree(t, dir)

			err := scaffold.Write(context.Background(), dir, project, scaffold.WriteOptions{Force: true})
			g.Expect(err).To(MatchError(ContainSubstring(tc.want)))
			after, _ := tree(t, dir)
			g.Expect(after).To(Equal(before))
		})
	}
}

func TestWriteRejectsBadPathsAndFiles(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", "/etc/passwd", "../x", "a/../../x", "./a"} {
		g := NewWithT(t)
		dir := filepath.Join(t.TempDir(), "bp")
		err := scaffold.Write(context.Background(), dir, []scaffold.File{{Path: p, Data: []byte("x")}}, scaffold.WriteOptions{})
		g.Expect(err).To(MatchError(ContainSubstring("not a clean relative path")), "path %q", p)
		_, statErr := os.Stat(dir)
		g.Expect(os.IsNotExist(statErr)).To(BeTrue())
	}

	g := NewWithT(t)
	file := filepath.Join(t.TempDir(), "file")
	g.Expect(os.WriteFile(file, []byte("x"), 0o644)).To(Succeed())
	g.Expect(scaffold.Write(context.Background(), file, project, scaffold.WriteOptions{})).To(HaveOccurred())
}

func TestWriteHonoursCancellation(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := filepath.Join(t.TempDir(), "bp")
	g.Expect(scaffold.Write(ctx, dir, project, scaffold.WriteOptions{})).To(MatchError(context.Canceled))
	_, err := os.Stat(dir)
	g.Expect(os.IsNotExist(err)).To(BeTrue())
}

func TestWriteKeepsAnEmptyFolder(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := filepath.Join(t.TempDir(), "bp")
	g.Expect(os.Mkdir(dir, 0o700)).To(Succeed())
	before, err := os.Stat(dir)
	g.Expect(err).NotTo(HaveOccurred())

	g.Expect(scaffold.Write(context.Background(), dir, project, scaffold.WriteOptions{})).To(Succeed())

	after, err := os.Stat(dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(os.SameFile(before, after)).To(BeTrue(), "the folder (maybe a shell's working directory) is the same one")
	g.Expect(after.Mode().Perm()).To(Equal(os.FileMode(0o700)))
	files, _ := tree(t, dir)
	g.Expect(files).To(HaveLen(len(project)))
}

func TestWriteRelativeDir(t *testing.T) {
	// "." and relative paths are resolved against the working directory.
	dir := t.TempDir()
	t.Chdir(dir)
	g := NewWithT(t)
	g.Expect(scaffold.Write(context.Background(), ".", project, scaffold.WriteOptions{})).To(Succeed())
	files, _ := tree(t, dir)
	g.Expect(files).To(HaveLen(len(project)))
	g.Expect(scaffold.Write(context.Background(), "sub/bp", project, scaffold.WriteOptions{})).To(Succeed())
	g.Expect(filepath.Join(dir, "sub", "bp", "buildpack.toml")).To(BeARegularFile())
}
