package packager_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/internal/signtest"
	"github.com/cnbkit/cnbkit/packager"
	"github.com/cnbkit/cnbkit/sdk/dependency"
)

// optionProblems returns the *OptionError problems of err, a *ValidationError.
func optionProblems(t *testing.T, err error) []string {
	t.Helper()
	var verr *packager.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("got %v, want a *packager.ValidationError", err)
	}
	var out []string
	for _, p := range verr.Problems {
		var oe *packager.OptionError
		if !errors.As(p, &oe) {
			t.Fatalf("problem %q is not an *OptionError", p)
		}
		out = append(out, oe.Error())
	}
	return out
}

// TestOptionsRefuseBadValuesBeforeReading: Build checks its options before it reads the
// buildpack (the path here does not exist), all problems at once.
func TestOptionsRefuseBadValuesBeforeReading(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		name string
		opts packager.Options
		want []string
	}{
		{"unknown mode", packager.Options{Inventory: "inv.toml", InventoryMode: "merge"},
			[]string{`Options.InventoryMode "merge" is not known: use "replace" or "extend"`}},
		{"mode without inventory", packager.Options{InventoryMode: dependency.Replace},
			[]string{"Options.InventoryMode needs Options.Inventory: name the inventory file it applies"}},
		{"filter without bundling", packager.Options{DependencyFilter: []string{"cpython"}},
			[]string{"Options.DependencyFilter needs Options.IncludeDependencies: a filter chooses among the dependencies bundled"}},
		{"negative retries", packager.Options{Registry: packager.RegistryOptions{Retry: packager.Retries(-2)}},
			[]string{"RegistryOptions.Retry is -2: the number of retries cannot be negative (0 turns retrying off)"}},
		{"negative delay", packager.Options{Registry: packager.RegistryOptions{Retry: packager.Retry{}.WithDelay(-time.Second)}},
			[]string{"RegistryOptions.Retry waits -1s: the delay cannot be negative (zero means 1s)"}},
		{"all at once", packager.Options{InventoryMode: "merge", DependencyFilter: []string{"x"}, Registry: packager.RegistryOptions{Retry: packager.Retries(-1)}},
			[]string{`Options.InventoryMode "merge" is not known`, "Options.InventoryMode needs Options.Inventory", "Options.DependencyFilter needs Options.IncludeDependencies", "RegistryOptions.Retry is -1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			tc.opts.Path = missing
			g.Expect(tc.opts.Validate()).To(HaveOccurred())
			p, err := packager.Build(ctx(t), tc.opts)
			g.Expect(p).To(BeNil())
			got := optionProblems(t, err)
			g.Expect(got).To(HaveLen(len(tc.want)), "problems: %q", got)
			for i, w := range tc.want {
				g.Expect(got[i]).To(HavePrefix(w))
			}
		})
	}
	NewWithT(t).Expect(packager.Options{Inventory: "inv.toml", InventoryMode: dependency.Extend}.Validate()).To(Succeed())
}

func TestRetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		retry packager.Retry
		times int
		delay time.Duration
		text  string
	}{
		{packager.Retry{}, packager.DefaultRetries, packager.DefaultRetryDelay, "5 retries from 1s"},
		{packager.Retries(0), 0, packager.DefaultRetryDelay, "no retries"},
		{packager.Retries(1).WithDelay(time.Millisecond), 1, time.Millisecond, "1 retry after 1ms"},
		{packager.Retry{}.WithDelay(20 * time.Millisecond), packager.DefaultRetries, 20 * time.Millisecond, "5 retries from 20ms"},
	}
	for _, tc := range tests {
		g := NewWithT(t)
		g.Expect(tc.retry.Times()).To(Equal(tc.times), "%s", tc.text)
		g.Expect(tc.retry.Delay()).To(Equal(tc.delay), "%s", tc.text)
		g.Expect(tc.retry.String()).To(Equal(tc.text))
	}
}

// TestRetriesApplyToBundledDownloads: Registry.Retry counts the retries of dependency
// downloads too, unless the Fetcher sets its own attempts.
func TestRetriesApplyToBundledDownloads(t *testing.T) {
	t.Parallel()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	writeTree(t, dir, bashBuildpack("d/retry", "1.0.0", "\n[metadata]\n"+dep("tool", "1.0.0", srv.URL+"/tool.tgz", "x", "amd64")))
	for _, tc := range []struct {
		opts     packager.Options
		requests int32
	}{
		{packager.Options{Registry: packager.RegistryOptions{Retry: packager.Retries(0)}}, 1},
		{packager.Options{Registry: packager.RegistryOptions{Retry: packager.Retries(2).WithDelay(time.Millisecond)}}, 3},
		{packager.Options{Fetcher: &dependency.Fetcher{Attempts: 2, Backoff: time.Millisecond}, Registry: packager.RegistryOptions{Retry: packager.Retries(0)}}, 2},
	} {
		g := NewWithT(t)
		requests.Store(0)
		tc.opts.Path, tc.opts.IncludeDependencies = dir, true
		_, err := packager.Build(ctx(t), tc.opts)
		g.Expect(err).To(MatchError(ContainSubstring("503")))
		g.Expect(requests.Load()).To(Equal(tc.requests), "requests with %s and Fetcher %+v", tc.opts.Registry.Retry, tc.opts.Fetcher)
	}
}

func TestNewSink(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    packager.SinkOptions
		want packager.Sink
		errs []string
	}{
		{"out/bp.cnb", packager.SinkOptions{}, packager.FileSink{Name: "out/bp.cnb"}, nil},
		{"out/bp.cnb", packager.SinkOptions{MultiArch: true}, packager.FileSink{Name: "out/bp.cnb", MultiArch: true}, nil},
		{"out/layout", packager.SinkOptions{Format: packager.FormatLayout}, packager.LayoutSink{Dir: "out/layout"}, nil},
		{"out/bp", packager.SinkOptions{Format: packager.FormatFolder}, packager.FolderSink{Name: "out/bp"}, nil},
		{"registry.example.com/org/bp:1", packager.SinkOptions{Format: packager.FormatImage, Registry: packager.RegistryOptions{Retry: packager.Retries(1)}},
			packager.RegistrySink{Ref: "registry.example.com/org/bp:1", Registry: packager.RegistryOptions{Retry: packager.Retries(1)}}, nil},
		{"out/thing", packager.SinkOptions{}, nil, []string{`SinkOptions.Format is not given, and "out/thing" does not end in .cnb: name a .cnb file, or choose FormatLayout`}},
		{"out/x.zip", packager.SinkOptions{Format: "zip"}, nil, []string{`SinkOptions.Format "zip" is not known: use one of file, layout, image, folder`}},
		{"out/x", packager.SinkOptions{Format: packager.FormatFile}, nil, []string{"the package file out/x does not end in .cnb: name it x.cnb"}},
		{"out/layout", packager.SinkOptions{Format: packager.FormatLayout, MultiArch: true}, nil, []string{"SinkOptions.MultiArch writes one .cnb file: it needs FormatFile"}},
		{"r.example.com/x:1", packager.SinkOptions{Format: packager.FormatImage, Registry: packager.RegistryOptions{Retry: packager.Retries(-1)}}, nil, []string{"RegistryOptions.Retry is -1"}},
	}
	for _, tc := range tests {
		g := NewWithT(t)
		s, err := packager.NewSink(tc.name, tc.o)
		if tc.errs == nil {
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(s).To(Equal(tc.want))
			continue
		}
		g.Expect(s).To(BeNil())
		var verr *packager.ValidationError
		g.Expect(errors.As(err, &verr)).To(BeTrue(), "NewSink(%q, %+v): %v", tc.name, tc.o, err)
		g.Expect(verr.Problems).To(HaveLen(len(tc.errs)))
		for i, w := range tc.errs {
			g.Expect(verr.Problems[i].Error()).To(HavePrefix(w))
		}
	}
	for _, f := range packager.Formats() {
		_, err := packager.NewSink("out/x.cnb", packager.SinkOptions{Format: f})
		NewWithT(t).Expect(err).NotTo(HaveOccurred(), "format %s", f)
	}
}

func TestSigningNeedsASignerAndAManifest(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	_, err := packager.Signing(packager.FileSink{Name: "x.cnb"}, packager.SignOptions{})
	var oe *packager.OptionError
	g.Expect(errors.As(err, &oe)).To(BeTrue())
	g.Expect(err).To(MatchError("SignOptions.Signer is not set: give the key to sign with"))
	_, err = packager.Signing(packager.FolderSink{Name: "out"}, packager.SignOptions{Signer: signtest.Key(t)})
	g.Expect(errors.As(err, &oe)).To(BeTrue())
	g.Expect(err).To(MatchError(HavePrefix("SignOptions.Signer cannot sign FormatFolder: only FormatFile, FormatLayout and FormatImage outputs hold manifests to sign")))
}

// TestFolderOutput writes the compiled buildpack folder of each target, refuses a folder
// that is not empty before writing anything, and refuses a composite.
func TestFolderOutput(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	writeTree(t, filepath.Join(dir, "bp"), goBuildpack("f/go", "1.0.0"))
	p, err := packager.Build(ctx(t), packager.Options{Path: filepath.Join(dir, "bp")})
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { p.Close() })
	out := filepath.Join(dir, "out", "go")
	outs, err := packager.FolderSink{Name: out}.Write(ctx(t), p)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(outs).To(HaveLen(2))
	for i, arch := range []string{"amd64", "arm64"} {
		folder := out + "-linux-" + arch
		g.Expect(outs[i]).To(Equal(packager.Output{Kind: packager.FormatFolder, Location: folder, Digest: mustDigest(t, p.Images[i]), Targets: []string{"linux/" + arch}}))
		var files []string
		g.Expect(filepath.WalkDir(folder, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(folder, path)
				files = append(files, rel)
			}
			return err
		})).To(Succeed())
		g.Expect(files).To(ConsistOf("buildpack.toml", "bin/build", "bin/detect"), "sources are not part of the compiled buildpack")
		link, err := os.Readlink(filepath.Join(folder, "bin", "detect"))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(link).To(Equal("build"))
	}
	// Written again: the first folder is not empty, and nothing is written.
	g.Expect(os.RemoveAll(out + "-linux-arm64")).To(Succeed())
	_, err = packager.FolderSink{Name: out}.Write(ctx(t), p)
	g.Expect(err).To(MatchError(ContainSubstring("go-linux-amd64 is not empty: remove it or name another folder")))
	g.Expect(out + "-linux-arm64").NotTo(BeAnExistingFile())

	writeTree(t, filepath.Join(dir, "comp"), map[string]string{
		"buildpack.toml": "api = \"0.10\"\n[buildpack]\nid = \"f/comp\"\nversion = \"1.0.0\"\n[[order]]\n[[order.group]]\nid = \"f/go\"\nversion = \"1.0.0\"\n",
		"package.toml":   "[buildpack]\nuri = \".\"\n[[dependencies]]\nuri = \"../bp\"\n",
	})
	comp, err := packager.Build(ctx(t), packager.Options{Path: filepath.Join(dir, "comp")})
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { comp.Close() })
	_, err = packager.FolderSink{Name: filepath.Join(dir, "comp-out")}.Write(ctx(t), comp)
	g.Expect(err).To(MatchError(ContainSubstring("f/comp@1.0.0 is a composite buildpack: a folder holds one buildpack, so FormatFolder cannot write it")))
	g.Expect(filepath.Join(dir, "comp-out")).NotTo(BeAnExistingFile())
}

// TestOutputsInsideTheBuildpackAreLeftOut: a layout or folder written into the buildpack
// folder is not packaged by the next run, even when an Include rule would bring it back.
func TestOutputsInsideTheBuildpackAreLeftOut(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	writeTree(t, dir, bashBuildpack("d/self", "1.0.0", ""))
	writeTree(t, filepath.Join(dir, "out", "layout"), map[string]string{"index.json": "{}"})
	writeTree(t, filepath.Join(dir, "folder-linux-amd64"), map[string]string{"bin/build": "#!/bin/sh\n"})
	writeTree(t, filepath.Join(dir, "folder-notes"), map[string]string{"a.txt": "kept\n"})
	p, err := packager.Build(ctx(t), packager.Options{Path: dir, Include: []string{"out/"},
		Outputs: []string{filepath.Join(dir, "out", "layout"), filepath.Join(dir, "folder"), filepath.Join(t.TempDir(), "elsewhere")}})
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { p.Close() })
	files := layerFiles(t, p, "/cnb/buildpacks/d_self/1.0.0")["linux/amd64"]
	g.Expect(files).To(ContainElement("bin/build"))
	g.Expect(files).NotTo(ContainElement(HavePrefix("out/layout")))
	g.Expect(files).NotTo(ContainElement(HavePrefix("folder-linux-")), "the per-target folders of an output")
	g.Expect(files).To(ContainElement("folder-notes/a.txt"))
}

func mustDigest(t *testing.T, img packager.Image) string {
	t.Helper()
	d, err := img.Image.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}
