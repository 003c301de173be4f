package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	. "github.com/onsi/gomega"
)

// goBuildpack is a Go buildpack with its own module and no dependencies.
func goBuildpack(t *testing.T, dir, id, main string) {
	t.Helper()
	writeFiles(t, dir, map[string]string{
		"buildpack.toml": "api = \"0.10\"\n[buildpack]\nid = \"" + id + "\"\nversion = \"0.0.1\"\n[[targets]]\nos = \"linux\"\narch = \"amd64\"\n[[targets]]\nos = \"linux\"\narch = \"arm64\"\n",
		"go.mod":         "module example.com/bp\n\ngo 1.26\n",
		"cmd/main.go":    main,
	})
}

// TestFolderOutput: --format folder writes the compiled folder of each target (packager's
// TestFolderOutput tests the folders themselves).
func TestFolderOutput(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	goBuildpack(t, dir, "cli/folder", "package main\n\nfunc main() {}\n")
	var stdout, stderr bytes.Buffer
	o := packageOptions{name: filepath.Join(dir, "out", "folder"), format: "folder", path: dir}
	g.Expect(runPackage(context.Background(), o, &stdout, &stderr, false)).To(Succeed(), stderr.String())
	for _, arch := range []string{"amd64", "arm64"} {
		out := filepath.Join(dir, "out", "folder-linux-"+arch)
		g.Expect(stdout.String()).To(ContainSubstring("wrote folder " + out + " sha256:"))
		g.Expect(filepath.Join(out, "bin", "build")).To(BeARegularFile())
	}
}

func TestCompileFailuresShowTheCompilerLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, main, gomod string
		want              []string
	}{
		{name: "type errors", main: "package main\n\nfunc main() {\n\tvar a int = \"x\"\n\tb := 1\n}\n",
			want: []string{"does not compile for linux/amd64", "\ncmd/main.go:4:14: cannot use \"x\"", "\ncmd/main.go:5:2: declared and not used: b\n"}},
		{name: "missing go.sum entries", main: "package main\n\nimport _ \"github.com/BurntSushi/toml\"\n\nfunc main() {}\n",
			gomod: "module example.com/bp\n\ngo 1.26\n\nrequire github.com/BurntSushi/toml v1.6.0\n",
			want:  []string{"missing go.sum entry", "go.sum lacks entries the build needs: run go mod tidy in "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			dir := t.TempDir()
			goBuildpack(t, dir, "cli/broken", tc.main)
			if tc.gomod != "" {
				writeFiles(t, dir, map[string]string{"go.mod": tc.gomod})
			}
			var stdout, stderr bytes.Buffer
			err := runPackage(context.Background(), packageOptions{name: filepath.Join(t.TempDir(), "x.cnb"), path: dir, targets: []string{"linux/amd64"}}, &stdout, &stderr, false)
			g.Expect(err).To(HaveOccurred())
			text := renderError(err)
			for _, w := range tc.want {
				g.Expect(text).To(ContainSubstring(w))
			}
			g.Expect(text).NotTo(ContainSubstring(" | "), "compiler lines are not joined")
		})
	}
}

// TestIncludeDependenciesDownloadFailures checks that bundling gives the mirror advice a
// build gives, and that --retries counts those downloads too. It sets no process
// environment, so it runs in parallel.
func TestIncludeDependenciesDownloadFailures(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	sum := sha256.Sum256([]byte("x"))
	dir := t.TempDir()
	prebuilt(t, dir, "cli/offline", "0.0.1", "[metadata]\n[[metadata.dependencies]]\nid = \"tool\"\nversion = \"1.0.0\"\nuri = \""+srv.URL+"/tool.tgz\"\nchecksum = \"sha256:"+hex.EncodeToString(sum[:])+"\"\nos = \"linux\"\narch = \"amd64\"\n")
	var stdout, stderr bytes.Buffer
	o := packageOptions{name: filepath.Join(dir, "out.cnb"), path: dir, includeDependencies: true, retries: 1}
	err := runPackage(context.Background(), o, &stdout, &stderr, false)
	g.Expect(err).To(HaveOccurred())
	g.Expect(requests.Load()).To(Equal(int32(2)), "--retries 1: one retry")
	text := renderError(err)
	g.Expect(text).To(HavePrefix("Error: Dependency download failed\n"))
	g.Expect(text).To(ContainSubstring(fmt.Sprintf("Check that the build can reach %s", srv.Listener.Addr())))
	g.Expect(text).To(ContainSubstring("set BP_DEPENDENCY_MIRROR"))
	g.Expect(filepath.Join(dir, "out.cnb")).NotTo(BeAnExistingFile())
}
