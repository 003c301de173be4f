package packager_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/packager"
)

// TestBrokenPackagesAreRefused is issue 13, point 3: packages that would not work once
// installed are refused before anything is written, each with one message.
func TestBrokenPackagesAreRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		extra   map[string]string // files added to a working bash buildpack
		links   map[string]string // symbolic links: path -> target
		bp      string            // buildpack.toml replacing the default when set
		exclude []string
		want    []string
	}{
		{name: "buildpack.toml in .cnbignore", extra: map[string]string{".cnbignore": "buildpack.toml\n"},
			want: []string{"buildpack.toml is excluded by .cnbignore or Options.Exclude, but a buildpack cannot work without it"}},
		{name: "bin excluded", exclude: []string{"bin/"},
			want: []string{"bin/build is excluded by .cnbignore or Options.Exclude", "bin/detect is excluded by .cnbignore or Options.Exclude"}},
		{name: "bin/detect excluded by a pattern", extra: map[string]string{".cnbignore": "detect\n"},
			want: []string{"bin/detect is excluded by .cnbignore or Options.Exclude"}},
		{name: "absolute link", links: map[string]string{"lib/passwd": "/etc/passwd"},
			want: []string{"lib/passwd links to the absolute path /etc/passwd, which in the image is outside the buildpack"}},
		{name: "link leaving the folder", links: map[string]string{"lib/up": "../../x"},
			want: []string{"lib/up links to ../../x, which leaves the buildpack folder"}},
		{name: "link climbing through another link", links: map[string]string{"lib/root": "..", "lib/evil": "root/../etc/passwd"},
			want: []string{"lib/evil links to root/../etc/passwd, which leaves the buildpack folder"}},
		{name: "link to an excluded file", extra: map[string]string{".secret": "x"}, links: map[string]string{"lib/secret": "../.secret"},
			want: []string{"lib/secret links to ../.secret, but .secret is not packaged"}},
		{name: "link loop", links: map[string]string{"a": "b", "b": "a"},
			want: []string{"a links to b, which passes through more than 40 links", "b links to a, which passes through more than 40 links"}},
		{name: "id of 100k characters", bp: "api = \"0.10\"\n[buildpack]\nid = \"" + strings.Repeat("x", 100_000) + "\"\nversion = \"1.0.0\"\n",
			want: []string{"is 100000 bytes long: use at most 100"}},
		{name: "duplicate targets", bp: "api = \"0.10\"\n[buildpack]\nid = \"x/t\"\nversion = \"1.0.0\"\n" + linuxTargets + "[[targets]]\nos = \"linux\"\narch = \"amd64\"\n",
			want: []string{"targets[2] repeats targets[0] (linux/amd64): remove one of them"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			dir := t.TempDir()
			files := bashBuildpack("x/broken", "1.0.0", "")
			files["lib/helper.sh"] = "echo helper\n"
			for k, v := range tc.extra {
				files[k] = v
			}
			if tc.bp != "" {
				files["buildpack.toml"] = tc.bp
			}
			writeTree(t, dir, files)
			for link, target := range tc.links {
				g.Expect(os.Symlink(target, filepath.Join(dir, link))).To(Succeed())
			}
			p, err := packager.Build(ctx(t), packager.Options{Path: dir, Exclude: tc.exclude})
			expectProblems(t, p, err, tc.want)
		})
	}
}

// TestLinksInsideTheBuildpackStayLinks checks that links between packaged files, through
// other links and folders, are kept as links.
func TestLinksInsideTheBuildpackStayLinks(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	files := bashBuildpack("x/links", "1.0.0", "")
	files["lib/v1/tool.sh"] = "#!/bin/sh\n"
	writeTree(t, dir, files)
	for link, target := range map[string]string{
		"lib/current":  "v1",
		"lib/tool.sh":  "current/tool.sh",
		"bin/tool":     "../lib/tool.sh",
		"share/lib":    "../lib",
		"share/readme": "lib/../lib/v1/tool.sh",
	} {
		g.Expect(os.MkdirAll(filepath.Dir(filepath.Join(dir, link)), 0o755)).To(Succeed())
		g.Expect(os.Symlink(target, filepath.Join(dir, link))).To(Succeed())
	}
	p, err := packager.Build(ctx(t), packager.Options{Path: dir})
	g.Expect(err).NotTo(HaveOccurred())
	defer p.Close()
	l, err := p.Images[0].Image.Layers()
	g.Expect(err).NotTo(HaveOccurred())
	rc, err := l[0].Compressed()
	g.Expect(err).NotTo(HaveOccurred())
	defer rc.Close()
	links := map[string]string{}
	for _, e := range readTar(t, rc, true) {
		if e.hdr.Linkname != "" {
			links[strings.TrimPrefix(e.hdr.Name, "/cnb/buildpacks/x_links/1.0.0/")] = e.hdr.Linkname
		}
	}
	g.Expect(links).To(Equal(map[string]string{
		"bin/tool": "../lib/tool.sh", "lib/current": "v1", "lib/tool.sh": "current/tool.sh",
		"share/lib": "../lib", "share/readme": "lib/../lib/v1/tool.sh",
	}))
}
