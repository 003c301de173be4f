package packager_test

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/packager"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

func TestValidationReportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		files   map[string]string
		targets []spec.Target
		want    []string
	}{
		{
			name: "descriptor and bin",
			files: map[string]string{
				"buildpack.toml": "api = \"0.3\"\n[buildpack]\nid = \"app\"\nversion = \"1.0\"\n[[targets]]\nos = \"linux\"\narch = \"amd64\"\n",
				"bin/build":      "#!/bin/sh\n",
			},
			targets: []spec.Target{{OS: "linux", Arch: "arm64"}},
			want: []string{
				`buildpack API "0.3" is not supported`,
				`buildpack id "app" is reserved`,
				`version "1.0" is not a semantic version`,
				`has no bin/detect and no Go main package`,
				`does not declare target linux/arm64 (it declares linux/amd64)`,
			},
		},
		{
			name: "composite order and dependencies",
			files: map[string]string{
				"buildpack.toml":        "api = \"0.10\"\n[buildpack]\nid = \"x/comp\"\nversion = \"1.0.0\"\n[[order]]\n[[order.group]]\nid = \"x/missing\"\nversion = \"1.0.0\"\n[[order.group]]\nid = \"x/noversion\"\n",
				"package.toml":          "[buildpack]\nuri = \".\"\n[[dependencies]]\nuri = \"unused\"\n[[dependencies]]\nuri = \"./nowhere\"\n",
				"unused/buildpack.toml": "api = \"0.10\"\n[buildpack]\nid = \"x/unused\"\nversion = \"1.0.0\"\n",
				"unused/bin/build":      "#!/bin/sh\n",
				"unused/bin/detect":     "#!/bin/sh\n",
			},
			want: []string{
				// x/missing is most likely in ./nowhere: one cause, one message.
				`order[0] names x/noversion without a version`,
				`dependency "unused" (x/unused@1.0.0) is not used by any [[order]] group`,
				`nowhere does not exist`,
			},
		},
		{
			// Issue 13, point 6: no "share no stack" for a missing component.
			name: "missing component",
			files: map[string]string{
				"buildpack.toml": "api = \"0.10\"\n[buildpack]\nid = \"x/comp\"\nversion = \"1.0.0\"\n[[order]]\n[[order.group]]\nid = \"x/missing\"\nversion = \"1.0.0\"\n",
			},
			want: []string{`order[0] names x/missing@1.0.0, which is not in the package: add it to package.toml`},
		},
		{
			// Issue 13, point 6: a cycle without a leaf is a cycle, not a stack problem.
			name: "cycle without a leaf",
			files: map[string]string{
				"buildpack.toml":   "api = \"0.10\"\n[buildpack]\nid = \"x/a\"\nversion = \"1.0.0\"\n[[order]]\n[[order.group]]\nid = \"x/b\"\nversion = \"1.0.0\"\n",
				"package.toml":     "[buildpack]\nuri = \".\"\n[[dependencies]]\nuri = \"b\"\n",
				"b/buildpack.toml": "api = \"0.10\"\n[buildpack]\nid = \"x/b\"\nversion = \"1.0.0\"\n[[order]]\n[[order.group]]\nid = \"x/a\"\nversion = \"1.0.0\"\n",
				"b/package.toml":   "[buildpack]\nuri = \".\"\n[[dependencies]]\nuri = \"..\"\n",
			},
			want: []string{`buildpack x/a@1.0.0 contains itself through its order (x/a@1.0.0 -> x/b@1.0.0 -> x/a@1.0.0)`},
		},
		{
			name: "package.toml keys",
			files: map[string]string{
				"buildpack.toml": "api = \"0.10\"\n[buildpack]\nid = \"x/y\"\nversion = \"1.0.0\"\n",
				"bin/build":      "#!/bin/sh\n",
				"bin/detect":     "#!/bin/sh\n",
				"package.toml":   "[buildpack]\nuri = \".\"\n[[dependencie]]\nuri = \"x\"\n",
			},
			want: []string{`package.toml has keys the specification does not define: dependencie`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeTree(t, dir, tc.files)
			p, err := packager.Build(ctx(t), packager.Options{Path: dir, Targets: tc.targets})
			expectProblems(t, p, err, tc.want)
		})
	}
}

func TestFailedWritesLeaveNothing(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	writeTree(t, filepath.Join(dir, "bp"), bashBuildpack("x/atomic", "1.0.0", ""))
	p, err := packager.Build(ctx(t), packager.Options{Path: filepath.Join(dir, "bp")})
	g.Expect(err).NotTo(HaveOccurred())
	defer p.Close()

	out := filepath.Join(dir, "out")
	g.Expect(os.MkdirAll(out, 0o755)).To(Succeed())
	canceled, cancel := contextWithCancel(t)
	cancel()
	_, err = packager.FileSink{Name: filepath.Join(out, "x.cnb")}.Write(canceled, p)
	g.Expect(err).To(MatchError(ContainSubstring("context canceled")))
	_, err = one(packager.LayoutSink{Dir: filepath.Join(out, "layout")}.Write(canceled, p))
	g.Expect(err).To(HaveOccurred())
	entries, err := os.ReadDir(out)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(BeEmpty(), "a failed write left files behind")

	// A directory that is not a layout is never replaced.
	g.Expect(os.WriteFile(filepath.Join(out, "keep.txt"), []byte("x"), 0o644)).To(Succeed())
	_, err = one(packager.LayoutSink{Dir: out}.Write(ctx(t), p))
	g.Expect(err).To(MatchError(ContainSubstring("is not an OCI layout")))
	g.Expect(filepath.Join(out, "keep.txt")).To(BeAnExistingFile())
}

func TestSameBuildpackFromTwoPlaces(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	root := t.TempDir()
	writeTree(t, filepath.Join(root, "one"), bashBuildpack("x/dup", "1.0.0", ""))
	writeTree(t, filepath.Join(root, "same"), bashBuildpack("x/dup", "1.0.0", ""))
	other := bashBuildpack("x/dup", "1.0.0", "")
	other["bin/build"] = "#!/bin/sh\necho changed\n"
	writeTree(t, filepath.Join(root, "other"), other)
	comp := "api = \"0.10\"\n[buildpack]\nid = \"x/comp\"\nversion = \"1.0.0\"\n[[order]]\n[[order.group]]\nid = \"x/dup\"\nversion = \"1.0.0\"\n"
	for _, tc := range []struct {
		second  string
		wantErr string
	}{
		{"../same", ""},
		{"../other", `buildpack x/dup@1.0.0 comes from two places with different content (dependency "../one"`},
	} {
		dir := filepath.Join(root, "comp-"+filepath.Base(tc.second))
		writeTree(t, dir, map[string]string{
			"buildpack.toml": comp,
			"package.toml":   "[buildpack]\nuri = \".\"\n[[dependencies]]\nuri = \"../one\"\n[[dependencies]]\nuri = \"" + tc.second + "\"\n",
		})
		p, err := packager.Build(ctx(t), packager.Options{Path: dir})
		if tc.wantErr == "" {
			g.Expect(err).NotTo(HaveOccurred())
			p.Close()
			continue
		}
		g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
	}
}
