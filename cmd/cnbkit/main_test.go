package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/internal/registrytest"
	"github.com/cnbkit/cnbkit/packager"
)

var update = flag.Bool("update", false, "rewrite docs/cli from the commands")

const docsDir = "../../docs/cli"

// TestCLIDocsAreUpToDate fails when docs/cli differs from what the commands generate.
// Regenerate with: go test ./cmd/cnbkit -run TestCLIDocsAreUpToDate -update
func TestCLIDocsAreUpToDate(t *testing.T) {
	g := NewWithT(t)
	if *update {
		g.Expect(writeDocs(newRootCmd(), docsDir)).To(Succeed())
	}
	tmp := t.TempDir()
	g.Expect(writeDocs(newRootCmd(), tmp)).To(Succeed())
	want, err := filepath.Glob(filepath.Join(tmp, "*.md"))
	g.Expect(err).NotTo(HaveOccurred())
	have, err := filepath.Glob(filepath.Join(docsDir, "cnbkit*.md"))
	g.Expect(err).NotTo(HaveOccurred())
	base := func(paths []string) []string {
		var out []string
		for _, p := range paths {
			out = append(out, filepath.Base(p))
		}
		return out
	}
	g.Expect(base(have)).To(Equal(base(want)), "files in docs/cli: regenerate with go test ./cmd/cnbkit -run TestCLIDocsAreUpToDate -update")
	for _, w := range want {
		wb, err := os.ReadFile(w)
		g.Expect(err).NotTo(HaveOccurred())
		hb, err := os.ReadFile(filepath.Join(docsDir, filepath.Base(w)))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(string(hb)).To(Equal(string(wb)), "docs/cli/%s is stale: regenerate with go test ./cmd/cnbkit -run TestCLIDocsAreUpToDate -update", filepath.Base(w))
	}
}

// TestPackageFlagErrors: every bad flag is reported at once, before anything is built, by
// the library's checks, in flag names.
func TestPackageFlagErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		o    packageOptions
		want []string
		// problems is how many problems are reported; 0 means one per wanted text.
		problems int
	}{
		{"unknown name", packageOptions{name: "out/thing"}, []string{`--format is not given, and "out/thing" does not end in .cnb: name a .cnb file, or choose --format layout for an OCI layout folder, --format folder for a ready-to-package buildpack folder or --publish for a registry image`}, 0},
		{"publish and format", packageOptions{name: "x.cnb", publish: true, format: "file"}, []string{"--publish writes to a registry but --format is \"file\""}, 0},
		{"format image without publish", packageOptions{name: "registry.example.com/x:1", format: "image"},
			[]string{"--format image writes to a registry", "add --publish", "--format layout"}, 1},
		{"file name", packageOptions{name: "out/x", format: "file"}, []string{"the package file out/x does not end in .cnb: name it x.cnb"}, 0},
		{"multi-arch layout", packageOptions{name: "out/layout", format: "layout", multiArchFile: true}, []string{"--multi-arch-file writes one .cnb file: it needs --format file"}, 0},
		{"negative retries", packageOptions{name: "x.cnb", retries: -1}, []string{"--retries is -1: the number of retries cannot be negative (0 turns retrying off)"}, 0},
		{"mode without inventory", packageOptions{name: "x.cnb", dependenciesMode: "replace"}, []string{"--dependencies-mode needs --dependencies"}, 0},
		{"bad flags together", packageOptions{name: "x.cnb", format: "zip", targets: []string{"linux/x86_64", "linux/amd64"}, dependenciesMode: "merge", dependencyFilter: []string{"a"}},
			[]string{`--format "zip" is not known: use one of file, layout, image, folder`, `did you mean "amd64"?`, `--dependencies-mode "merge" is not known`, "--dependencies-mode needs --dependencies",
				"--dependency-filter needs --include-dependencies"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			dir := t.TempDir() // no buildpack: the flags are refused before anything is read
			tc.o.path = dir
			var out, errOut bytes.Buffer
			err := runPackage(context.Background(), tc.o, &out, &errOut, false)
			g.Expect(err).To(HaveOccurred())
			text := renderError(err)
			for _, w := range tc.want {
				g.Expect(text).To(ContainSubstring(w))
			}
			var verr *packager.ValidationError
			g.Expect(errors.As(err, &verr)).To(BeTrue(), "a *packager.ValidationError: %v", err)
			g.Expect(verr.Problems).To(HaveLen(cmp.Or(tc.problems, len(tc.want))), "one problem per flag: %s", text)
			g.Expect(text).NotTo(MatchRegexp(`Options\.|Format(File|Layout|Image|Folder)`), "option names are translated")
			g.Expect(out.String()).To(BeEmpty())
		})
	}
}

// TestEveryOptionNameHasAFlag reads the packager's sources: every option its messages name
// (Options.X, RegistryOptions.X, SinkOptions.X, SignOptions.X, FormatX) has a flag in
// flagNames, so no Go name reaches a user of the command line.
func TestEveryOptionNameHasAFlag(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	files, err := filepath.Glob("../../packager/*.go")
	g.Expect(err).NotTo(HaveOccurred())
	internal, err := filepath.Glob("../../packager/internal/*/*.go")
	g.Expect(err).NotTo(HaveOccurred())
	seen := map[string]bool{}
	for _, f := range append(files, internal...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
		g.Expect(err).NotTo(HaveOccurred())
		ast.Inspect(file, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				for _, name := range optionNames.FindAllString(lit.Value, -1) {
					seen[name] = true
				}
			}
			return true
		})
	}
	g.Expect(seen).To(HaveKey("Options.InventoryMode"), "the search finds the option names")
	for name := range seen {
		g.Expect(flagNames).To(HaveKey(name), "packager messages name %s, which has no flag in flagNames", name)
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPackageThenInspect(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	prebuilt(t, filepath.Join(dir, "bp"), "cli/test", "0.0.1", "")
	out := filepath.Join(dir, "out", "test.cnb")
	var stdout, stderr bytes.Buffer
	err := runPackage(context.Background(), packageOptions{name: out, path: filepath.Join(dir, "bp"), json: true}, &stdout, &stderr, false)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(stderr.String()).To(BeEmpty(), "no progress when not on a terminal")
	var res struct {
		ID      string
		Outputs []struct{ Kind, Location, Digest string }
	}
	g.Expect(json.Unmarshal(stdout.Bytes(), &res)).To(Succeed())
	g.Expect(res.ID).To(Equal("cli/test"))
	g.Expect(res.Outputs).To(HaveLen(1))
	g.Expect(res.Outputs[0].Location).To(Equal(out))

	stdout.Reset()
	g.Expect(runInspect(context.Background(), inspectOptions{ref: out}, &stdout)).To(Succeed())
	g.Expect(stdout.String()).To(ContainSubstring("Buildpackage cli/test@0.0.1"))
	g.Expect(stdout.String()).To(ContainSubstring(res.Outputs[0].Digest))
	g.Expect(stdout.String()).To(ContainSubstring("linux/amd64"))

	stdout.Reset()
	err = runPackage(context.Background(), packageOptions{name: filepath.Join(dir, "layout"), format: "layout", path: filepath.Join(dir, "bp"), globalOptions: globalOptions{verbose: true}}, &stdout, &stderr, false)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(stdout.String()).To(HavePrefix("wrote layout "))
	g.Expect(stderr.String()).To(ContainSubstring("built cli/test@0.0.1"))
}

func TestVersionFormat(t *testing.T) {
	t.Parallel()
	platform := runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	vcs := []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"},
		{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "false"}}
	tests := []struct {
		name   string
		info   *debug.BuildInfo
		linked string
		want   string
	}{
		{name: "go install of a release", info: &debug.BuildInfo{Main: debug.Module{Path: "github.com/cnbkit/cnbkit", Version: "v0.2.0", Sum: "h1:x"}},
			want: "cnbkit v0.2.0 (" + platform + ")"},
		{name: "release build of the tagged commit", info: &debug.BuildInfo{Main: debug.Module{Path: "github.com/cnbkit/cnbkit", Version: "v0.2.0"}, Settings: vcs},
			want: "cnbkit v0.2.0 (commit 1a2b3c4d5e6f, 2026-12-01T10:00:00Z; " + platform + ")"},
		{name: "version set at link time", info: &debug.BuildInfo{Main: debug.Module{Path: "github.com/cnbkit/cnbkit", Version: "(devel)"}}, linked: "v0.2.0",
			want: "cnbkit v0.2.0 (" + platform + ")"},
		{name: "modified checkout", info: &debug.BuildInfo{Main: debug.Module{Path: "github.com/cnbkit/cnbkit", Version: "v0.0.0-20261201100000-1a2b3c4d5e6f+dirty"},
			Settings: append(vcs[:3:3], debug.BuildSetting{Key: "vcs.modified", Value: "true"})},
			want: "cnbkit v0.0.0-20261201100000-1a2b3c4d5e6f+dirty (commit 1a2b3c4d5e6f, 2026-12-01T10:00:00Z, modified; " + platform + ")"},
		{name: "no VCS information", info: &debug.BuildInfo{Main: debug.Module{Path: "github.com/cnbkit/cnbkit", Version: "(devel)"}},
			want: "cnbkit (devel) (" + platform + ")"},
		{name: "no build info", want: "cnbkit (devel) (" + platform + ")"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			g.Expect(readBuildVersion(tc.info, tc.info != nil, tc.linked).String()).To(Equal(tc.want))
		})
	}
}

// TestVersionCommandAndFlagAgree runs `cnbkit version` and `cnbkit --version`: one format,
// and -v is --verbose, never the version.
func TestVersionCommandAndFlagAgree(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	run := func(args ...string) (string, error) {
		root := newRootCmd()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(args)
		err := root.ExecuteContext(context.Background())
		return out.String(), err
	}
	cmdOut, err := run("version")
	g.Expect(err).NotTo(HaveOccurred())
	flagOut, err := run("--version")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(flagOut).To(Equal(cmdOut))
	g.Expect(cmdOut).To(Equal(versionLine() + "\n"))
	vOut, err := run("-v", "version")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(vOut).To(Equal(cmdOut), "-v is --verbose: the command still runs")
	_, err = run("-v")
	g.Expect(err).NotTo(HaveOccurred(), "-v alone shows the help, not the version")
	_, err = run("-v", "-q", "version")
	g.Expect(err).To(MatchError(ContainSubstring("--verbose and --quiet contradict each other")))
}

func TestRenderError(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	verr := &packager.ValidationError{Problems: []error{errors.New("first"), errors.New("second")}}
	g.Expect(renderError(fmt.Errorf("wrapped: %w", verr))).To(Equal(
		"Error: the buildpack cannot be packaged, 2 problems:\n  1. first\n  2. second\nNothing was written. Fix these and run the command again.\n"))
	g.Expect(renderError(errors.New("plain"))).To(Equal("Error: plain\n"))
}

func TestInspectShowsTheOrderTree(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	for _, id := range []string{"a", "b"} {
		prebuilt(t, filepath.Join(dir, id), "t/"+id, "1.0.0", "")
	}
	writeFiles(t, filepath.Join(dir, "comp"), map[string]string{
		"buildpack.toml": "api = \"0.10\"\n[buildpack]\nid = \"t/comp\"\nversion = \"2.0.0\"\n[[order]]\n[[order.group]]\nid = \"t/a\"\nversion = \"1.0.0\"\noptional = true\n[[order.group]]\nid = \"t/b\"\nversion = \"1.0.0\"\n",
		"package.toml":   "[buildpack]\nuri = \".\"\n[[dependencies]]\nuri = \"../a\"\n[[dependencies]]\nuri = \"../b\"\n",
	})
	out := filepath.Join(dir, "comp.cnb")
	var stdout, stderr bytes.Buffer
	g.Expect(runPackage(context.Background(), packageOptions{name: out, path: filepath.Join(dir, "comp"), globalOptions: globalOptions{quiet: true}}, &stdout, &stderr, true)).To(Succeed())
	g.Expect(stdout.String()+stderr.String()).To(BeEmpty(), "--quiet prints nothing")
	g.Expect(runInspect(context.Background(), inspectOptions{ref: out}, &stdout)).To(Succeed())
	g.Expect(stdout.String()).To(ContainSubstring("Order:\n  Group #1:\n    t/a@1.0.0 (optional)\n    t/b@1.0.0\n"))
	g.Expect(stdout.String()).To(MatchRegexp(`layer sha256:[0-9a-f]{64} \(diff sha256:[0-9a-f]{64}, \d+ bytes\): t/comp@2.0.0`))
}

// TestLayoutInsideTheBuildpackIsNotPackaged packages twice into a layout inside the
// buildpack directory: the second package must not contain the first.
func TestLayoutInsideTheBuildpackIsNotPackaged(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	prebuilt(t, dir, "cli/inside", "0.0.1", "[[targets]]\nos = \"linux\"\n")
	var digests []string
	for i := 0; i < 2; i++ {
		var stdout, stderr bytes.Buffer
		o := packageOptions{name: filepath.Join(dir, "out", "layout"), format: "layout", path: dir, json: true}
		g.Expect(runPackage(context.Background(), o, &stdout, &stderr, false)).To(Succeed())
		var res struct {
			Outputs []struct {
				Digest  string
				Targets []string
			}
		}
		g.Expect(json.Unmarshal(stdout.Bytes(), &res)).To(Succeed())
		g.Expect(res.Outputs[0].Targets).To(Equal([]string{"linux/amd64"}), "a target without arch is packaged for linux/amd64")
		digests = append(digests, res.Outputs[0].Digest)
	}
	g.Expect(digests[1]).To(Equal(digests[0]))
}

// TestIncludeDependenciesHonoursMirrors sets BP_DEPENDENCY_MIRROR_UPSTREAM_INVALID for the
// process, so it does not run in parallel.
func TestIncludeDependenciesHonoursMirrors(t *testing.T) {
	g := NewWithT(t)
	content := "artifact bytes"
	sum := sha256.Sum256([]byte(content))
	var requested []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requested = append(requested, r.URL.Path)
		fmt.Fprint(w, content)
	}))
	defer srv.Close()
	t.Setenv("BP_DEPENDENCY_MIRROR_UPSTREAM_INVALID", srv.URL+"/mirror/{originalHost}")
	dir := t.TempDir()
	prebuilt(t, filepath.Join(dir, "bp"), "cli/offline", "0.0.1", "[metadata]\n[[metadata.dependencies]]\nid = \"tool\"\nversion = \"1.0.0\"\nuri = \"https://upstream.invalid/tool.tgz\"\nchecksum = \"sha256:"+hex.EncodeToString(sum[:])+"\"\nos = \"linux\"\narch = \"amd64\"\n")
	out := filepath.Join(dir, "offline.cnb")
	var stdout, stderr bytes.Buffer
	o := packageOptions{name: out, path: filepath.Join(dir, "bp"), includeDependencies: true, globalOptions: globalOptions{verbose: true}}
	g.Expect(runPackage(context.Background(), o, &stdout, &stderr, false)).To(Succeed())
	g.Expect(requested).To(Equal([]string{"/mirror/upstream.invalid/tool.tgz"}))
	g.Expect(stderr.String()).To(ContainSubstring("bundling tool 1.0.0 for linux/amd64 into cli/offline@0.0.1"))
}

func TestPublishWithProgress(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	prebuilt(t, dir, "cli/pub", "0.0.1", "")
	ref := registrytest.Start(t) + "/cli/pub:0.0.1"
	var stdout, stderr bytes.Buffer
	o := packageOptions{name: ref, publish: true, path: dir, targets: []string{"linux/amd64", "linux/arm64"}}
	g.Expect(runPackage(context.Background(), o, &stdout, &stderr, true)).To(Succeed())
	g.Expect(stderr.String()).To(ContainSubstring("pushing " + ref + ": 100% of "))
	g.Expect(stdout.String()).To(MatchRegexp(`^wrote image ` + regexp.QuoteMeta(ref) + ` sha256:[0-9a-f]{64} \(linux/amd64, linux/arm64\)\n$`))
	stdout.Reset()
	g.Expect(runInspect(context.Background(), inspectOptions{ref: ref, json: true}, &stdout)).To(Succeed())
	var info struct{ MediaType string }
	g.Expect(json.Unmarshal(stdout.Bytes(), &info)).To(Succeed())
	g.Expect(info.MediaType).To(Equal("application/vnd.oci.image.index.v1+json"))
}

// prebuilt writes a buildpack with its own bin/build and bin/detect into dir: buildpack.toml
// declares API 0.10 and id@version, then extra.
func prebuilt(t *testing.T, dir, id, version, extra string) {
	t.Helper()
	writeFiles(t, dir, map[string]string{
		"buildpack.toml": "api = \"0.10\"\n[buildpack]\nid = \"" + id + "\"\nversion = \"" + version + "\"\n" + extra,
		"bin/build":      "#!/bin/sh\n",
		"bin/detect":     "#!/bin/sh\n",
	})
}
