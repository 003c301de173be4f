package scaffold_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/internal/gocmd"
	"github.com/cnbkit/cnbkit/scaffold"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// TestGeneratedProjectsWork generates every template into a temporary folder, points its go.mod
// at this checkout, and runs what its README tells an author to run: go mod tidy, go vet, go test
// and cnbkit package. One parallel subtest per template; each takes a while (it compiles the
// SDK and the buildpack for every target).
func TestGeneratedProjectsWork(t *testing.T) {
	t.Parallel()
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("compiles and tests generated projects; skipped with -short outside CI")
	}
	goBin, err := gocmd.Path()
	if err != nil {
		t.Fatalf("the go command is needed to test generated projects: %v", err)
	}
	checkout, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	// One case per template: the plain one with the defaults, the dependency one with an older
	// API and targets where the first is not amd64 and one has a variant.
	cases := map[string]scaffold.Options{
		scaffold.TemplatePlain: {ID: "my-org/plain-bp"},
		scaffold.TemplateDependency: {ID: "my-org/dependency-bp", API: "0.10",
			Targets: []spec.Target{{OS: "linux", Arch: "arm64"}, {OS: "linux", Arch: "amd64", Variant: "v3"}}},
	}
	g := NewWithT(t)
	g.Expect(cases).To(HaveLen(len(scaffold.Templates())), "one case per template")
	for _, tmpl := range scaffold.Templates() {
		opts := cases[tmpl.Name]
		opts.Template, opts.SDKReplace = tmpl.Name, checkout
		t.Run(tmpl.Name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			ctx := t.Context()
			dir := filepath.Join(t.TempDir(), "project")
			files, err := scaffold.Generate(ctx, opts)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(scaffold.Write(ctx, dir, files, scaffold.WriteOptions{})).To(Succeed())

			run := func(args ...string) string {
				t.Helper()
				cmd := exec.CommandContext(ctx, goBin, args...)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "GOWORK=off", "GOTOOLCHAIN=local", "GOFLAGS=-buildvcs=false")
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				if err := cmd.Run(); err != nil {
					t.Fatalf("go %s in the generated %s project (%s): %v\n%s", strings.Join(args, " "), tmpl.Name, dir, err, out.String())
				}
				return out.String()
			}
			run("mod", "tidy")
			run("vet", "./...")
			out := run("test", "-count=1", "./...")
			g.Expect(out).To(ContainSubstring("ok  \t" + opts.ID))
			cnbkit, err := buildCNBKit()
			g.Expect(err).NotTo(HaveOccurred())
			packageProject(ctx, t, cnbkit, dir, opts)
		})
	}
}

// packageProject packages the generated project as its README says (`cnbkit package
// out/<slug>.cnb`) with the cnbkit command built from this checkout, and checks the files the
// README names with `cnbkit inspect`.
func packageProject(ctx context.Context, t *testing.T, cnbkit, dir string, opts scaffold.Options) {
	t.Helper()
	g := NewWithT(t)
	var extraEnv []string
	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.CommandContext(ctx, cnbkit, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), append([]string{"GOWORK=off", "GOTOOLCHAIN=local"}, extraEnv...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("cnbkit %s in the generated project (%s): %v\n%s%s", strings.Join(args, " "), dir, err, stdout.String(), stderr.String())
		}
		return stdout.Bytes()
	}
	slug := path.Base(opts.ID)
	run("package", filepath.Join("out", slug+".cnb"))

	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	g.Expect(err).NotTo(HaveOccurred())
	targets := opts.Targets
	if len(targets) == 0 {
		targets = scaffold.DefaultTargets()
	}
	var all []string
	for _, target := range targets {
		all = append(all, target.String())
	}
	api := opts.API
	if api == "" {
		api = spec.LatestAPI()
	}
	for _, target := range targets {
		name := filepath.Join("out", slug+"-"+strings.ReplaceAll(target.String(), "/", "-")+".cnb")
		g.Expect(string(readme)).To(ContainSubstring(name), "the README names the file cnbkit package writes")
		var info struct {
			ID         string
			Version    string
			Images     []struct{ Platform string }
			Buildpacks []struct {
				API     string
				Targets []string
			}
		}
		g.Expect(json.Unmarshal(run("inspect", "--json", name), &info)).To(Succeed())
		g.Expect(info.ID).To(Equal(opts.ID))
		g.Expect(info.Version).To(Equal(scaffold.DefaultVersion))
		g.Expect(info.Buildpacks).To(HaveLen(1))
		g.Expect(info.Buildpacks[0].API).To(Equal(api))
		g.Expect(info.Buildpacks[0].Targets).To(Equal(all))
		g.Expect(info.Images).To(HaveLen(1))
		g.Expect(info.Images[0].Platform).To(Equal(target.String()))
	}

	if opts.Template == scaffold.TemplateDependency {
		// The example inventory is consistent end to end: bundling its dependencies, with the
		// packager verifying their checksums, works when a mirror serves the testdata files.
		var requests atomic.Int32
		server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			platform, file := path.Split(r.URL.Path)
			http.ServeFile(w, r, filepath.Join(dir, "testdata", "dependencies", path.Base(platform), file))
		}))
		defer server.Close()
		extraEnv = []string{"BP_DEPENDENCY_MIRROR=" + server.URL}
		run("package", filepath.Join("offline", slug+".cnb"), "--include-dependencies")
		g.Expect(requests.Load()).To(BeEquivalentTo(len(targets)), "one download per target")
		for _, target := range targets {
			g.Expect(filepath.Join(dir, "offline", slug+"-"+strings.ReplaceAll(target.String(), "/", "-")+".cnb")).To(BeARegularFile())
		}
	}
}

// cnbkitDir holds the cnbkit binary built for the tests; TestMain removes it.
var cnbkitDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if cnbkitDir != "" {
		os.RemoveAll(cnbkitDir)
	}
	os.Exit(code)
}

// buildCNBKit compiles cmd/cnbkit of this checkout into a temporary folder, once per test run.
var buildCNBKit = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "cnbkit-scaffold-test-")
	if err != nil {
		return "", err
	}
	cnbkitDir = dir
	goBin, err := gocmd.Path()
	if err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	bin := filepath.Join(dir, "cnbkit")
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/cnbkit")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("building cmd/cnbkit: %w: %s", err, out)
	}
	return bin, nil
})
