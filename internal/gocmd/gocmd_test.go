package gocmd_test

import (
	"errors"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/internal/gocmd"
)

// TestPathIsTheGoRunningTheTests: go test puts its own Go first on PATH.
func TestPathIsTheGoRunningTheTests(t *testing.T) {
	g := NewWithT(t)
	p, err := gocmd.Path()
	g.Expect(err).NotTo(HaveOccurred())
	out, err := exec.Command(p, "env", "GOVERSION").Output()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(strings.TrimSpace(string(out))).To(Equal(runtime.Version()), "%s env GOVERSION", p)
}

// TestPathFallsBackToGOROOT runs with a PATH that has no go command; these tests set the
// process environment, so they do not run in parallel.
func TestPathFallsBackToGOROOT(t *testing.T) {
	g := NewWithT(t)
	goBin, err := gocmd.Path()
	g.Expect(err).NotTo(HaveOccurred())
	root := filepath.Dir(filepath.Dir(goBin))
	t.Setenv("PATH", t.TempDir())
	t.Setenv("GOROOT", root)
	p, err := gocmd.Path()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p).To(Equal(filepath.Join(root, "bin", "go")))

	t.Setenv("GOROOT", t.TempDir())
	_, err = gocmd.Path()
	g.Expect(errors.Is(err, gocmd.ErrNotFound)).To(BeTrue(), "Path() with neither: %v", err)
}
