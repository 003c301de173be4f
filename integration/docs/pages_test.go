package docs

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/fixtures"
	"github.com/cnbkit/cnbkit/integration/harness"
	"github.com/cnbkit/cnbkit/integration/internal/cosigntool"
	"github.com/cnbkit/cnbkit/integration/internal/distribution"
	"github.com/cnbkit/cnbkit/integration/internal/docrun"
	"github.com/cnbkit/cnbkit/integration/internal/modproxy"
	"github.com/cnbkit/cnbkit/integration/internal/packtool"
	"github.com/cnbkit/cnbkit/integration/internal/prereq"
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

// clone returns a clone of the checkout: a git repository with one commit of the module's
// files, tracked or new, as the working tree has them (see modproxy.Export).
func clone(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cnbkit")
	if err := modproxy.Export(t.Context(), checkout(t), dir); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), gitIdentity...)
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", "the checkout under test"}} {
		run(t, dir, env, "git", args...)
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

// packEnv adds pack (built from the Go module proxy, as packager_test builds it) to env, with
// a home and a Docker configuration of the test's own: no credentials, no daemon.
func packEnv(t *testing.T, env []string) []string {
	t.Helper()
	pack, err := packtool.Binary(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	return append(env[:len(env):len(env)], "PATH="+filepath.Dir(pack)+string(os.PathListSeparator)+lookupEnv(env, "PATH"),
		"PACK_HOME="+filepath.Join(home, "pack"), "DOCKER_CONFIG="+filepath.Join(home, "docker"), "DOCKER_HOST=unix:///nonexistent/docker.sock")
}

// lookupEnv returns the last value of name in env.
func lookupEnv(env []string, name string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == name {
			v = val
		}
	}
	return v
}

// TestPackagerPage runs docs/packager.md in a clone of the checkout, with cnbkit installed as
// the README says and pack on PATH: packaging and inspecting the reference buildpacks, the
// refused buildpack, several targets, a publish to a registry on 127.0.0.1, a push Debian's
// docker-registry refuses for want of a login, and the inventory replaced by a file naming the
// fixtures' CPython on a loopback server, bundled.
func TestPackagerPage(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	env := packEnv(t, installed(t))
	reg := harness.StartRegistry(t)
	locked := distribution.Start(t, true)
	fx, err := fixtures.New(fixtures.Options{})
	g.Expect(err).NotTo(HaveOccurred())
	py, err := fx.CPython(t.Context())
	g.Expect(err).NotTo(HaveOccurred())
	artifacts, err := fixtures.ServeFiles(map[string]string{"cpython-3.12.7-linux-amd64.tar.gz": py.Path})
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(artifacts.Close)

	part := docrun.MustFind(t, "docs/packager.md", "")
	dir := clone(t)
	part.Run(t.Context(), t, part.Read(t, checkout(t)), dir, env, docrun.Options{WriteFiles: true, Substitutions: []docrun.Substitution{
		{Old: "registry.example.com", New: reg.Host},
		{Old: "127.0.0.1:5000", New: locked},
		{Old: "https://artifacts.internal.example", New: artifacts.URL},
		{Old: "<sha256 of the file>", New: py.SHA256},
	}})
	g.Expect(artifacts.Hits("/cpython-3.12.7-linux-amd64.tar.gz")).To(Equal(1), "the bundled CPython came from the organisation's server")
	_, err = crane.Digest(reg.Host+"/org/ffmpeg:1.0.0", crane.Insecure)
	g.Expect(err).NotTo(HaveOccurred(), "the published package is in the registry")
}

// TestSigningPage runs docs/signing.md in a clone of the checkout with cnbkit installed as the
// README says, cosign v2.6.5 and pack on PATH and Debian's docker-registry on 127.0.0.1: the
// key pair, signed packages in the registry, in a file and in a layout, their verification by
// cnbkit and by cosign, a composite built only from signed parts, and a builder created only
// after every buildpack its builder.toml names verifies. The builder.toml is the reader's own:
// the test writes one naming the signed package by digest, with the harness's Debian stack
// (pushed to the registry) and lifecycle.
func TestSigningPage(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := t.Context()
	cosign, err := cosigntool.Binary(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	env := packEnv(t, installed(t))
	env = append(env, "PATH="+filepath.Dir(cosign)+string(os.PathListSeparator)+lookupEnv(env, "PATH"))
	host := distribution.Start(t, false)
	dir := clone(t)
	md := docrun.MustFind(t, "docs/signing.md", "").Read(t, checkout(t))
	registry := []docrun.Substitution{{Old: "registry.example.com", New: host}}
	o := docrun.Options{WriteFiles: true, Substitutions: registry}
	for _, c := range []string{"cosign verify", "cosign verify-attestation"} {
		o.Additions = append(o.Additions, docrun.Addition{Command: c, Flags: "--allow-http-registry=true"}, docrun.Addition{Command: c, Flags: "--trusted-root trusted-root.json"})
	}
	docrun.MustFind(t, "docs/signing.md", "").Run(ctx, t, md, dir, env, o)
	for _, f := range []string{"cosign.key", "vendor.pub", "out/python-ffmpeg.cnb.sig.json", "out/layout.sig.json", "out/stack-linux-amd64.cnb"} {
		g.Expect(filepath.Join(dir, f)).To(BeAnExistingFile())
	}

	// The reader's builder.toml: the signed package by digest, a Debian stack, a lifecycle.
	lc, err := harness.Lifecycle(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	stack, err := harness.DebianStack(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	for ref, img := range map[string]v1.Image{host + "/my-org/build:1": stack.Build, host + "/my-org/run:1": stack.Run} {
		r, err := name.ParseReference(ref)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(remote.Write(r, img, remote.WithContext(ctx))).To(Succeed())
	}
	digest, err := crane.Digest(host+"/my-org/python-ffmpeg:1.0.0", crane.Insecure)
	g.Expect(err).NotTo(HaveOccurred())
	builder := `[[buildpacks]]
uri = "` + host + `/my-org/python-ffmpeg@` + digest + `"

[[order]]
[[order.group]]
id = "cnbkit/python-ffmpeg"
version = "0.1.0"

[lifecycle]
uri = "` + lc.Tarball + `"

[build]
image = "` + host + `/my-org/build:1"

[run]
[[run.images]]
image = "` + host + `/my-org/run:1"
`
	g.Expect(os.WriteFile(filepath.Join(dir, "builder.toml"), []byte(builder), 0o644)).To(Succeed())
	part := docrun.MustFind(t, "docs/signing.md", "Requiring signatures for every buildpack in a builder")
	out := part.Run(ctx, t, md, dir, env, docrun.Options{Substitutions: registry})
	g.Expect(out).To(ContainSubstring("Verified " + host + "/my-org/python-ffmpeg@" + digest + " (registry)"))
	g.Expect(out).To(ContainSubstring("Successfully created builder image"))
	_, err = crane.Digest(host+"/my-org/builder:1", crane.Insecure)
	g.Expect(err).NotTo(HaveOccurred(), "the builder is in the registry")
}

// TestHarnessPage runs "A first test" of docs/integration.md as an author of a buildpack
// would: in a module of their own, `go get` of the harness module (from the local module proxy
// of this checkout, at its version), the page's test file, `go mod tidy` and `go test`, which
// builds an app with the real lifecycle. The author's buildpack is the harness's own test
// buildpack (integration/harness/testdata: bash, with a static Go server), in
// ../build/my-buildpack, and the app its hello.txt, in testdata/app, where the page's test
// looks for them.
func TestHarnessPage(t *testing.T) {
	t.Parallel()
	prereq.Harness(t)
	g := NewWithT(t)
	p, env, _ := proxyEnv(t)
	env = append(env, "GOFLAGS=") // an author's go command: no -mod=mod
	work := t.TempDir()
	module := filepath.Join(work, "my-buildpack")
	g.Expect(os.CopyFS(filepath.Join(module, "testdata", "app"), os.DirFS(filepath.Join(checkout(t), "integration", "harness", "testdata", "app")))).To(Succeed())
	bp := filepath.Join(work, "build", "my-buildpack")
	g.Expect(os.CopyFS(bp, os.DirFS(filepath.Join(checkout(t), "integration", "harness", "testdata", "buildpack")))).To(Succeed())
	for _, f := range []string{"bin/detect", "bin/build"} {
		g.Expect(os.Chmod(filepath.Join(bp, f), 0o755)).To(Succeed())
	}
	run(t, filepath.Join(checkout(t), "integration"), append(env, "CGO_ENABLED=0"), "go", "build", "-trimpath", "-o", filepath.Join(bp, "server", "hello-server"), "./harness/testdata/hello-server")
	run(t, module, env, "go", "mod", "init", "example.com/my-buildpack")

	part := docrun.MustFind(t, "docs/integration.md", "A first test")
	out := part.Run(t.Context(), t, part.Read(t, checkout(t)), module, env, docrun.Options{WriteFiles: true,
		Substitutions: []docrun.Substitution{{Old: "<version>", New: p.Version}}})
	g.Expect(out).To(MatchRegexp(`ok\s+example.com/my-buildpack\s`))
	gomod, err := os.ReadFile(filepath.Join(module, "go.mod"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(gomod)).To(ContainSubstring(modproxy.HarnessModule+" "+p.Version), "the harness came from the module proxy")
}

// gitIdentity is who commits in the tests' clones.
var gitIdentity = []string{"GIT_AUTHOR_NAME=cnbkit test", "GIT_AUTHOR_EMAIL=test@cnbkit.invalid",
	"GIT_COMMITTER_NAME=cnbkit test", "GIT_COMMITTER_EMAIL=test@cnbkit.invalid"}

// TestReleasingPage makes a release as docs/releasing.md says, in a throw-away clone of the
// checkout (the tags it makes go with the clone; nothing is pushed), checks the binaries the
// way the page tells a user to, in the dist folder the release wrote, and reproduces them with
// the dry run at the tag. It is the test of both modes of scripts/release in CI.
func TestReleasingPage(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := clone(t)
	env := append(os.Environ(), gitIdentity...)
	md := docrun.MustFind(t, "docs/releasing.md", "").Read(t, checkout(t))
	out := docrun.MustFind(t, "docs/releasing.md", "").Run(t.Context(), t, md, dir, env, docrun.Options{})
	g.Expect(out).To(ContainSubstring("git push origin v0.2.0 integration/v0.2.0"))
	tags := run(t, dir, env, "git", "tag", "--points-at", "HEAD")
	g.Expect(strings.Fields(tags)).To(ConsistOf("v0.2.0", "integration/v0.2.0"))

	dist := filepath.Join(dir, "dist", "v0.2.0")
	part := docrun.MustFind(t, "docs/releasing.md", "What a user verifies")
	out = part.Run(t.Context(), t, md, dist, env, docrun.Options{Substitutions: []docrun.Substitution{{Old: "linux-amd64", New: "linux-" + runtime.GOARCH}}})
	g.Expect(out).To(ContainSubstring("cnbkit v0.2.0 (commit " + strings.TrimSpace(run(t, dir, env, "git", "rev-parse", "--short=12", "v0.2.0^{commit}"))))

	// The user's clone at the tag: the dry run gives the same sums.
	part = docrun.MustFind(t, "docs/releasing.md", "Reproducing the binaries")
	part.Run(t.Context(), t, md, dir, env, docrun.Options{Substitutions: []docrun.Substitution{{Old: "<downloaded SHA256SUMS>", New: filepath.Join(dist, "SHA256SUMS")}}})
	g.Expect(filepath.Join(dir, "rebuilt", "cnbkit-v0.2.0-darwin-arm64")).To(BeARegularFile())
}
