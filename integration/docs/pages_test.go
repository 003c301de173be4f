package docs

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/internal/docrun"
	"github.com/cnbkit/cnbkit/integration/internal/modproxy"
)

// shared is a folder the tests of this package share, removed by TestMain.
var shared string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cnbkit-docs-")
	if err != nil {
		panic(err)
	}
	shared = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// readerEnv is the environment of a reader who installed cnbkit as the README says,
// `go install github.com/cnbkit/cnbkit/cmd/cnbkit@latest`, here from the local module proxy
// of this checkout: GOBIN first on PATH. It is made once and shared.
var readerEnv = sync.OnceValues(func() ([]string, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return nil, err
	}
	p, err := modproxy.Build(ctxBackground(), root, filepath.Join(shared, "goproxy"))
	if err != nil {
		return nil, err
	}
	env, err := p.Env(ctxBackground(), os.Environ())
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(shared, "gobin")
	env = append(env, "GOBIN="+bin, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "NO_COLOR=1")
	if err := runIn(ctxBackground(), shared, env, "go", "install", modproxy.Module+"/cmd/cnbkit@latest"); err != nil {
		return nil, err
	}
	return env, nil
})

// installed returns readerEnv's environment, failing t when it cannot be made.
func installed(t *testing.T) []string {
	t.Helper()
	env, err := readerEnv()
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// clone returns a copy of the checkout as a clone of the repository has it (the module's
// files, tracked or new; see modproxy.Export).
func clone(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cnbkit")
	if err := modproxy.Export(t.Context(), checkout(t), dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestREADME runs the README's first command as written, `go run ./cmd/cnbkit package …`, in a
// clone of the checkout, and checks the two per-target files it names.
func TestREADME(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	part := docrun.MustFind(t, "README.md", "")
	dir := clone(t)
	out := part.Run(t.Context(), t, part.Read(t, checkout(t)), dir, os.Environ(), docrun.Options{})
	for _, arch := range []string{"amd64", "arm64"} {
		f := "build/python-ffmpeg-linux-" + arch + ".cnb"
		g.Expect(filepath.Join(dir, f)).To(BeARegularFile())
		g.Expect(out).To(ContainSubstring("wrote file " + f + " sha256:"))
	}
}

// TestFFmpegPage runs the composite's section of docs/buildpacks/ffmpeg.md in a clone of the
// checkout, with cnbkit installed as the README says.
func TestFFmpegPage(t *testing.T) {
	t.Parallel()
	env := installed(t)
	part := docrun.MustFind(t, "docs/buildpacks/ffmpeg.md", "The composite")
	dir := clone(t)
	part.Run(t.Context(), t, part.Read(t, checkout(t)), dir, env, docrun.Options{})
	NewWithT(t).Expect(filepath.Join(dir, "python-ffmpeg-linux-arm64.cnb")).To(BeARegularFile())
}
