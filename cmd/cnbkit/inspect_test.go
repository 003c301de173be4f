package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
)

// TestInspectPerTargetFiles packages a two-target buildpack with a bundled dependency into
// one file per target, then inspects the name given to cnbkit package (which names the
// files written) and one of the files (one target, its bundled dependency, the file's digest).
func TestInspectPerTargetFiles(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	artifact := []byte("the tool for amd64")
	sum := sha256.Sum256(artifact)
	hexSum := hex.EncodeToString(sum[:])
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(artifact) }))
	defer srv.Close()
	dir := t.TempDir()
	prebuilt(t, filepath.Join(dir, "bp"), "cli/two", "0.0.1",
		"[[targets]]\nos = \"linux\"\narch = \"amd64\"\n[[targets]]\nos = \"linux\"\narch = \"arm64\"\n"+
			"[metadata]\n[[metadata.dependencies]]\nid = \"tool\"\nversion = \"1.2.3\"\nuri = \""+srv.URL+"/tool\"\nchecksum = \"sha256:"+hexSum+"\"\nos = \"linux\"\narch = \"amd64\"\n")
	name := filepath.Join(dir, "out", "two.cnb")
	var stdout, stderr bytes.Buffer
	o := packageOptions{name: name, path: filepath.Join(dir, "bp"), includeDependencies: true, dependencyFilter: []string{"tool"}}
	g.Expect(runPackage(context.Background(), o, &stdout, &stderr, false)).To(Succeed())

	amd64 := filepath.Join(dir, "out", "two-linux-amd64.cnb")
	arm64 := filepath.Join(dir, "out", "two-linux-arm64.cnb")
	err := runInspect(context.Background(), inspectOptions{ref: name}, &stdout)
	g.Expect(err).To(MatchError(ContainSubstring(name + " does not exist, but these do: " + amd64 + ", " + arm64)))
	g.Expect(err).To(MatchError(ContainSubstring("--multi-arch-file")))

	stdout.Reset()
	g.Expect(runInspect(context.Background(), inspectOptions{ref: amd64}, &stdout)).To(Succeed())
	data, err := os.ReadFile(amd64)
	g.Expect(err).NotTo(HaveOccurred())
	fileSum := sha256.Sum256(data)
	out := stdout.String()
	g.Expect(out).To(ContainSubstring(fmt.Sprintf("File: %s sha256:%x\n", amd64, fileSum)))
	g.Expect(out).To(ContainSubstring("Targets: linux/amd64\n"))
	g.Expect(out).To(MatchRegexp(`cli/two\s+0\.0\.1\s+0\.10\s+linux/amd64\n`), "a one-target file lists one target")
	g.Expect(out).NotTo(ContainSubstring("linux/arm64"))
	g.Expect(out).To(MatchRegexp(`Bundled dependencies:\n\s+BUILDPACK\s+ID\s+VERSION\s+TARGET\s+SIZE\s+SHA256\n\s+cli/two@0\.0\.1\s+tool\s+1\.2\.3\s+linux/amd64\s+%d\s+%s\n`, len(artifact), hexSum))

	stdout.Reset()
	g.Expect(runInspect(context.Background(), inspectOptions{ref: arm64}, &stdout)).To(Succeed())
	g.Expect(stdout.String()).NotTo(ContainSubstring("Bundled dependencies"), "nothing is bundled for arm64")
}
