package gotool_test

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/internal/gotool"
)

// A failed go get is an error naming the command and carrying go's output, and the
// throw-away module is gone afterwards. GOPROXY=off keeps the test off the network.
func TestBuildFailureRemovesTheModule(t *testing.T) {
	t.Setenv("GOPROXY", "off")
	g := NewWithT(t)
	dir := filepath.Join(t.TempDir(), "src")
	out := filepath.Join(t.TempDir(), "tool")
	err := gotool.Build(t.Context(), gotool.Module{Dir: dir, Path: "cnbkit-test-build", Get: "example.com/no/such/module@v1.0.0"},
		gotool.Program{Package: "example.com/no/such/module", Out: out})
	g.Expect(err).To(MatchError(ContainSubstring("running go get example.com/no/such/module@v1.0.0: exit status 1: ")))
	g.Expect(err).To(MatchError(ContainSubstring("GOPROXY=off")))
	_, statErr := os.Stat(dir)
	g.Expect(os.IsNotExist(statErr)).To(BeTrue(), "the module directory %s is removed (stat: %v)", dir, statErr)
	g.Expect(out).NotTo(BeAnExistingFile())
}

// A replace directive go cannot read stops the build before go get, with go's message.
func TestBuildBadReplace(t *testing.T) {
	t.Setenv("GOPROXY", "off")
	g := NewWithT(t)
	dir := filepath.Join(t.TempDir(), "src")
	err := gotool.Build(t.Context(), gotool.Module{Dir: dir, Path: "cnbkit-test-build", Get: "example.com/no/such/module@v1.0.0",
		Replace: []string{"example.com/dep"}}, gotool.Program{Package: "example.com/no/such/module", Out: filepath.Join(t.TempDir(), "tool")})
	g.Expect(err).To(MatchError(ContainSubstring("running go mod edit -replace example.com/dep: exit status 1: ")))
	g.Expect(err).NotTo(MatchError(ContainSubstring("go get")))
}
