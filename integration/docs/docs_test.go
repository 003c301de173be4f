package docs

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/internal/docrun"
	"github.com/cnbkit/cnbkit/integration/internal/modproxy"
)

// checkout is the repository root.
func checkout(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// proxyEnv builds the local module proxy of this checkout and returns the environment that
// uses it, with GOBIN in a folder of the test put first on PATH.
func proxyEnv(t *testing.T) (*modproxy.Proxy, []string, string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: the module proxy is built from git ls-files")
	}
	p, err := modproxy.Build(t.Context(), checkout(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	env, err := p.Env(t.Context(), os.Environ())
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	env = append(env, "GOBIN="+bin, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return p, env, bin
}

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	out, err := runOut(t.Context(), dir, env, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// runOut runs a command in dir with env and returns what it printed; the error says what ran
// and what it printed.
func runOut(ctx context.Context, dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s in %s: %w\n%s", name, strings.Join(args, " "), dir, err, out.String())
	}
	return out.String(), nil
}

func runIn(ctx context.Context, dir string, env []string, name string, args ...string) error {
	_, err := runOut(ctx, dir, env, name, args...)
	return err
}

func ctxBackground() context.Context { return context.Background() }

// TestSDKTutorial runs the tutorial of docs/sdk.md in an empty folder: go mod init, go get of
// the SDK (from the local proxy, as a user gets it from the module proxy), the files as the
// page shows them, go test, and the manual build of bin/.
func TestSDKTutorial(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	_, env, _ := proxyEnv(t)
	part := docrun.MustFind(t, "docs/sdk.md", "Tutorial: from an empty folder")
	dir := t.TempDir()
	out := part.Run(t.Context(), t, part.Read(t, checkout(t)), dir, env, docrun.Options{WriteFiles: true})
	g.Expect(out).To(MatchRegexp(`ok\s+example.com/hello-bp\s`), "the tutorial's tests pass")
	for _, f := range []string{"buildpack.toml", "hello.go", "hello_test.go", "cmd/hello/main.go", "bin/main"} {
		g.Expect(filepath.Join(dir, "hello-bp", f)).To(BeARegularFile())
	}
	link, err := os.Readlink(filepath.Join(dir, "hello-bp", "bin", "build"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(link).To(Equal("main"))
	gomod, err := os.ReadFile(filepath.Join(dir, "hello-bp", "go.mod"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(gomod)).To(MatchRegexp(`github.com/cnbkit/cnbkit v0\.0\.0-test\.[0-9a-f]{12}`), "go get took the SDK from the module proxy")
}

// TestNewRequiresTheVersionOfItsBuild builds cnbkit the ways users get it and runs
// cnbkit new with each: installed with go install …@<version> from the module proxy, built
// with the version stamped the way scripts/release stamps it, and built from the checkout
// (a development build) inside and outside a checkout.
func TestNewRequiresTheVersionOfItsBuild(t *testing.T) {
	t.Parallel()
	p, env, bin := proxyEnv(t)
	root := checkout(t)
	// 1. go install from the module proxy: the build info records the version.
	run(t, t.TempDir(), env, "go", "install", modproxy.Module+"/cmd/cnbkit@"+p.Version)
	// 2. A release build: -X main.version, no VCS information.
	stamped := filepath.Join(t.TempDir(), "cnbkit")
	run(t, root, env, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-X main.version=v0.98.7", "-o", stamped, "./cmd/cnbkit")
	// 3. A development build from the checkout.
	devel := filepath.Join(t.TempDir(), "cnbkit")
	run(t, root, env, "go", "build", "-buildvcs=false", "-o", devel, "./cmd/cnbkit")

	tests := []struct {
		name, binary string
		inCheckout   bool
		wantVersion  string
		wantGoMod    []string
		wantOut      []string
		tidy         bool
	}{
		{name: "go install", binary: filepath.Join(bin, "cnbkit"), wantVersion: "cnbkit " + p.Version + " (",
			wantGoMod: []string{"require github.com/cnbkit/cnbkit " + p.Version + "\n"}, tidy: true},
		{name: "release build", binary: stamped, wantVersion: "cnbkit v0.98.7 (",
			wantGoMod: []string{"require github.com/cnbkit/cnbkit v0.98.7\n"}},
		{name: "development build in a checkout", binary: devel, inCheckout: true, wantVersion: "cnbkit (devel) (",
			wantGoMod: []string{"replace github.com/cnbkit/cnbkit => "}, wantOut: []string{"go.mod uses the cnbkit checkout you are in"}, tidy: true},
		{name: "development build elsewhere", binary: devel, wantVersion: "cnbkit (devel) (",
			wantOut: []string{"go mod edit -replace github.com/cnbkit/cnbkit=" + root + "\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			g.Expect(run(t, t.TempDir(), env, tc.binary, "version")).To(HavePrefix(tc.wantVersion))
			g.Expect(run(t, t.TempDir(), env, tc.binary, "--version")).To(HavePrefix(tc.wantVersion))
			wd := t.TempDir()
			project := filepath.Join(wd, "hello")
			args := []string{"new", "my-org/hello"}
			if tc.inCheckout {
				wd = filepath.Join(root, "scaffold", "testdata")
				args = append(args, "--path", project)
			}
			out := run(t, wd, env, tc.binary, args...)
			for _, w := range tc.wantOut {
				g.Expect(out).To(ContainSubstring(w))
			}
			gomod, err := os.ReadFile(filepath.Join(project, "go.mod"))
			g.Expect(err).NotTo(HaveOccurred())
			for _, w := range tc.wantGoMod {
				g.Expect(string(gomod)).To(ContainSubstring(w))
			}
			if tc.tidy {
				run(t, project, env, "go", "mod", "tidy")
				g.Expect(run(t, project, env, "go", "test", "./...")).To(ContainSubstring("ok  \tmy-org/hello"))
			}
		})
	}
}
