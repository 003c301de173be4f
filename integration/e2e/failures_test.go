package e2e

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/harness"
)

// testFailures builds broken apps and a tampered dependency: each build fails with the
// buildpack's titled message (not a stack trace or an "unexpected" failure), and a good build
// of the fixed app with the same cache right after it works.
func testFailures(t *testing.T, e env, h *harness.Harness) {
	composite := harness.BuildpackFile(e.composite)

	cases := []struct {
		name string
		// files are written over tinyApp; env is the platform env besides PIP_INDEX_URL.
		files     map[string]string
		env       map[string]string
		buildpack harness.Buildpack
		// title is the error's title; details must all appear in the logs too.
		title   string
		details []string
		// fix changes the app directory or the options for the good build that follows.
		fix func(t *testing.T, app string, o *harness.BuildOptions)
	}{
		{
			name:      "a requirement the index does not have",
			files:     map[string]string{"requirements.txt": "h11\ncnbkit-no-such-distribution==1.0\n"},
			buildpack: composite,
			title:     "Package not found",
			details:   []string{"pip failed", "cnbkit-no-such-distribution"},
			fix: func(t *testing.T, app string, _ *harness.BuildOptions) {
				write(t, app, "requirements.txt", "h11\n")
			},
		},
		{
			name:      "BP_CPYTHON_VERSION=2.7",
			env:       map[string]string{"BP_CPYTHON_VERSION": "2.7"},
			buildpack: composite,
			title:     "Requested Python version is not available",
			details:   []string{`BP_CPYTHON_VERSION asks for "2.7"`, "provides CPython " + e.mirror.CPython.Version},
			fix: func(_ *testing.T, _ string, o *harness.BuildOptions) {
				delete(o.Env, "BP_CPYTHON_VERSION")
			},
		},
		{
			name:      ".python-version 3.5",
			files:     map[string]string{".python-version": "3.5\n"},
			buildpack: composite,
			title:     "Requested Python version is not available",
			details:   []string{`.python-version asks for "3.5"`, "provides CPython " + e.mirror.CPython.Version},
			fix: func(t *testing.T, app string, _ *harness.BuildOptions) {
				write(t, app, ".python-version", e.mirror.CPython.Minor+"\n")
			},
		},
		{
			name:      "a dependency whose checksum does not match its inventory",
			buildpack: harness.BuildpackFile(e.tampered),
			title:     "Dependency checksum mismatch",
			details:   []string{"has checksum sha256:" + e.mirror.CPython.SHA256, "The file was discarded"},
			fix: func(_ *testing.T, _ string, o *harness.BuildOptions) {
				o.Buildpacks = []harness.Buildpack{composite}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			files := maps.Clone(tinyApp)
			maps.Copy(files, c.files)
			app := writeApp(t, files)
			env := map[string]string{"PIP_INDEX_URL": e.indexURL}
			maps.Copy(env, c.env)

			bad, took := build(t, h, harness.BuildOptions{App: app, Buildpacks: []harness.Buildpack{c.buildpack}, Env: env})
			t.Logf("failed build took %s", took.Round(100*time.Millisecond))
			g.Expect(bad.Success).To(BeFalse(), "the build passed:\n%s", bad.Logs)
			g.Expect(bad.ExitCode).To(Equal(51), "the build phase fails (not detect, not export):\n%s", bad.Logs)
			g.Expect(strings.Count(bad.Logs, "ERROR: "+c.title)).To(Equal(1), "the titled error, once:\n%s", bad.Logs)
			for _, d := range c.details {
				g.Expect(bad.Logs).To(ContainSubstring(d))
			}
			g.Expect(bad.Logs).To(ContainSubstring("To fix this:"))
			g.Expect(bad.Logs).NotTo(ContainSubstring("failed unexpectedly"))
			g.Expect(bad.Logs).NotTo(ContainSubstring("panic:"))
			ref, err := name.ParseReference(bad.Image, name.WeakValidation)
			g.Expect(err).NotTo(HaveOccurred())
			_, err = remote.Head(ref, remote.WithContext(t.Context()))
			g.Expect(err).To(HaveOccurred(), "a failed build exported %s", bad.Image)

			good, took := rebuild(t, h, bad, func(o *harness.BuildOptions) { c.fix(t, app, o) })
			t.Logf("good build after the failure took %s", took.Round(100*time.Millisecond))
			expectSuccess(g, good)
			goodRef, err := name.ParseReference(good.Image, name.WeakValidation)
			g.Expect(err).NotTo(HaveOccurred())
			desc, err := remote.Head(goodRef, remote.WithContext(t.Context()))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(desc.Digest.String()).To(Equal(good.Digest))
			g.Expect(good.Logs).To(ContainSubstring("Using CPython " + e.mirror.CPython.Version))
			ctr, err := harness.Run(t.Context(), t, good.OCIImage(), harness.RunOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(ctr.Wait()).To(Succeed(), "output:\n%s", ctr.Logs())
			g.Expect(ctr.Logs()).To(MatchRegexp(`(?m)^h11 \d`))
		})
	}
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
