package ffmpeg_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/buildpacks/ffmpeg"
	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/cnbtest"
	"github.com/cnbkit/cnbkit/sdk/dependency"
)

// fakeFFmpeg is a test artifact whose program reports version.
func fakeArtifact(t testing.TB, id, version, arch string) artifact {
	return artifact{id: id, version: version, arch: arch,
		data: npmTarball(t, id, fakeProgram(id, id+" version "+version+"-test"), 0o755)}
}

// standardInventory has two amd64 ffmpeg versions, one arm64 ffmpeg, and ffprobe for both.
// ffprobe's program is packed without the exec bit, as the real npm tarballs are.
func standardInventory(t testing.TB, srv *fileServer) []byte {
	probe := func(arch string) artifact {
		return artifact{id: "ffprobe", version: "2023.7.21", arch: arch,
			data: npmTarball(t, "ffprobe", fakeProgram("ffprobe", "ffprobe version 2023.7.21-test"), 0o644)}
	}
	return descriptor(t, srv,
		fakeArtifact(t, "ffmpeg", "2018.12.10", "amd64"),
		fakeArtifact(t, "ffmpeg", "2019.6.5", "amd64"),
		fakeArtifact(t, "ffmpeg", "2020.1.1", "arm64"),
		probe("amd64"), probe("arm64"))
}

// detectThenBuild runs detect and, when it passes, build with the plan detect asked for.
func detectThenBuild(t *testing.T, opts cnbtest.Options) cnbtest.BuildOutcome {
	t.Helper()
	det := cnbtest.Detect(t, ffmpeg.Detect, opts)
	if !det.Pass {
		t.Fatalf("detect did not pass (exit %d, %q, %v):\n%s", det.ExitCode, det.Reason, det.Err, det.Log)
	}
	opts.Plan = det.BuildpackPlan()
	return cnbtest.Build(t, ffmpeg.Build, opts)
}

func TestBuildSelectsTheVersion(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		env     map[string]string
		app     fstest.MapFS
		arch    string
		version string
	}{
		{"newest for amd64", map[string]string{"BP_FFMPEG_ENABLED": "true"}, nil, "amd64", "2019.6.5"},
		{"newest for arm64 (the build target, not this machine)", map[string]string{"BP_FFMPEG_ENABLED": "true"}, nil, "arm64", "2020.1.1"},
		{"BP_FFMPEG_VERSION wildcard", map[string]string{"BP_FFMPEG_VERSION": "2018.*"}, nil, "amd64", "2018.12.10"},
		{"BP_FFMPEG_VERSION exact", map[string]string{"BP_FFMPEG_VERSION": "2019.6.5"}, nil, "amd64", "2019.6.5"},
		{".ffmpeg-version range", nil, fstest.MapFS{".ffmpeg-version": {Data: []byte(">=2018, <2019\n")}}, "amd64", "2018.12.10"},
		{"env beats .ffmpeg-version", map[string]string{"BP_FFMPEG_VERSION": "~2019.6"},
			fstest.MapFS{".ffmpeg-version": {Data: []byte("2018.*\n")}}, "amd64", "2019.6.5"},
		{"python requirement gets the newest", nil, fstest.MapFS{"requirements.txt": {Data: []byte("pydub\n")}}, "amd64", "2019.6.5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			srv := newFileServer(t, map[string][]byte{})
			out := detectThenBuild(t, cnbtest.Options{
				Descriptor: standardInventory(t, srv), Env: c.env, App: c.app,
				Target: sdk.Target{OS: "linux", Arch: c.arch},
			})
			g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
			g.Expect(out).To(cnbtest.HaveLayer("ffmpeg"))
			g.Expect(cnbtest.LayerMetadata[dependency.LayerMetadata](out, "ffmpeg")).To(HaveField("Version", c.version))
			g.Expect(out.Log).To(ContainSubstring("Smoke check passed: ffmpeg version " + c.version + "-test"))
			g.Expect(srv.Hits("/ffmpeg/" + c.arch + "/" + c.version + ".tgz")).To(Equal(1))
		})
	}
}

func TestBuildLayers(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	srv := newFileServer(t, map[string][]byte{})
	out := detectThenBuild(t, cnbtest.Options{Descriptor: standardInventory(t, srv), Env: map[string]string{"BP_FFMPEG_ENABLED": "true"}})
	g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
	for _, name := range []string{"ffmpeg", "ffprobe"} {
		l := out.Layers[name]
		g.Expect(l.Types).To(Equal(sdk.LayerTypes{Launch: true}), "%s is in the image, and reused from it by its metadata alone", name)
		g.Expect(cnbtest.LayerMetadata[dependency.LayerMetadata](out, name)).To(HaveField("SHA256", HaveLen(64)))
		program := filepath.Join(l.Path, "bin", name)
		st, err := os.Stat(program)
		g.Expect(err).NotTo(HaveOccurred(), "the lifecycle puts <layer>/bin on PATH")
		g.Expect(st.Mode().Perm()&0o111).To(Equal(os.FileMode(0o111)), "%s is executable", name)
		g.Expect(l.SBOM).To(ConsistOf(name+".sbom.cdx.json", name+".sbom.spdx.json"))
		for _, f := range l.SBOM {
			data, err := os.ReadFile(filepath.Join(out.LayersDir, f))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(string(data)).To(ContainSubstring("GPL-3.0-or-later"), f)
			g.Expect(string(data)).To(ContainSubstring("pkg:generic/"+name), f)
		}
	}
	ff := out.Layers["ffmpeg"]
	g.Expect(ff.SharedEnv()).To(Equal(cnbtest.Env{
		"IMAGEIO_FFMPEG_EXE": {Default: filepath.Join(ff.Path, "bin", "ffmpeg")},
		"FFMPEG_BINARY":      {Default: filepath.Join(ff.Path, "bin", "ffmpeg")},
	}))
	fp := out.Layers["ffprobe"]
	g.Expect(fp.SharedEnv()).To(Equal(cnbtest.Env{"FFPROBE_BINARY": {Default: filepath.Join(fp.Path, "bin", "ffprobe")}}))
	g.Expect(out.Log).To(ContainSubstring("Licence: ffmpeg is distributed under GPL-3.0-or-later; it is a GPL build"))
}

func TestBuildWithoutFFprobe(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	srv := newFileServer(t, map[string][]byte{})
	out := detectThenBuild(t, cnbtest.Options{Descriptor: standardInventory(t, srv),
		Env: map[string]string{"BP_FFMPEG_ENABLED": "true", "BP_FFMPEG_FFPROBE": "false"}})
	g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
	g.Expect(out).To(cnbtest.HaveLayer("ffmpeg"))
	g.Expect(out.Layers).NotTo(HaveKey("ffprobe"))
	g.Expect(srv.Total()).To(Equal(1))
}

func TestBuildReusesLayersByChecksum(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	srv := newFileServer(t, map[string][]byte{})
	opts := cnbtest.Options{Descriptor: standardInventory(t, srv), Env: map[string]string{"BP_FFMPEG_VERSION": "2018.*"}}
	first := detectThenBuild(t, opts)
	g.Expect(first.Err).NotTo(HaveOccurred(), first.Log)
	g.Expect(srv.Total()).To(Equal(2))

	opts.Layers = first.LayersDir
	second := detectThenBuild(t, opts)
	g.Expect(second.Err).NotTo(HaveOccurred(), second.Log)
	g.Expect(second).To(cnbtest.HaveReusedLayer("ffmpeg"))
	g.Expect(second).To(cnbtest.HaveReusedLayer("ffprobe"))
	g.Expect(srv.Total()).To(Equal(2), "a reused layer needs no download")
	g.Expect(second.Log).To(ContainSubstring("Reusing ffmpeg (test build) 2018.12.10"))
	for _, name := range []string{"ffmpeg", "ffprobe"} {
		g.Expect(second.Layers[name].HasContents).To(BeFalse(), "no file of %s is restored", name)
		g.Expect(second.Layers[name].SBOM).To(HaveLen(2), "the SBOM of %s is kept", name)
	}
	g.Expect(second.Layers).NotTo(HaveKey("ffmpeg-download"), "nothing here needs ffmpeg's files again: its download is not kept")
	g.Expect(second.Log).To(ContainSubstring("Smoke check passed when ffmpeg 2018.12.10 was installed"))

	opts.Layers = second.LayersDir
	opts.Env = map[string]string{"BP_FFMPEG_VERSION": "2019.*"}
	third := detectThenBuild(t, opts)
	g.Expect(third.Err).NotTo(HaveOccurred(), third.Log)
	g.Expect(third).To(cnbtest.HaveRebuiltLayer("ffmpeg", "2018.12.10 -> 2019.6.5"))
	g.Expect(third).To(cnbtest.HaveReusedLayer("ffprobe"))
	g.Expect(srv.Total()).To(Equal(3))
}

func TestBuildErrors(t *testing.T) {
	t.Parallel()
	header, foreignArch := foreignELF()
	cases := []struct {
		name   string
		arts   func(t testing.TB) []artifact
		env    map[string]string
		target string
		title  string
		detail []string
	}{
		{"no version matches", func(t testing.TB) []artifact {
			return []artifact{fakeArtifact(t, "ffmpeg", "2018.12.10", "amd64"), fakeArtifact(t, "ffmpeg", "2019.6.5", "amd64")}
		}, map[string]string{"BP_FFMPEG_VERSION": "4.1"}, "amd64",
			"No ffmpeg version matches 4.1", []string{`BP_FFMPEG_VERSION asks for "4.1"`, "offers 2019.6.5, 2018.12.10"}},
		{"no artifact for the target", func(t testing.TB) []artifact {
			return []artifact{fakeArtifact(t, "ffmpeg", "2018.12.10", "amd64")}
		}, map[string]string{"BP_FFMPEG_ENABLED": "true"}, "arm64",
			"No ffmpeg for this build target", []string{"linux/arm64", "linux/amd64"}},
		{"wrong checksum", func(t testing.TB) []artifact {
			a := fakeArtifact(t, "ffmpeg", "2018.12.10", "amd64")
			a.checksum = strings.Repeat("ab", 32)
			return []artifact{a}
		}, map[string]string{"BP_FFMPEG_ENABLED": "true"}, "amd64",
			"Dependency checksum mismatch", []string{"sha256:" + strings.Repeat("ab", 32)}},
		{"binary for another architecture", func(t testing.TB) []artifact {
			return []artifact{{id: "ffmpeg", version: "2018.12.10", arch: "amd64", data: npmTarball(t, "ffmpeg", header, 0o755)}}
		}, map[string]string{"BP_FFMPEG_ENABLED": "true"}, "amd64",
			"ffmpeg cannot run on this build image", []string{"exec format error", "(" + foreignArch + ")"}},
		{"artifact without the program", func(t testing.TB) []artifact {
			return []artifact{{id: "ffmpeg", version: "2018.12.10", arch: "amd64", data: npmTarball(t, "avconv", []byte("x"), 0o755)}}
		}, map[string]string{"BP_FFMPEG_ENABLED": "true"}, "amd64",
			"ffmpeg is not in the artifact", []string{"avconv", "package.json"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			srv := newFileServer(t, map[string][]byte{})
			out := detectThenBuild(t, cnbtest.Options{Descriptor: descriptor(t, srv, c.arts(t)...), Env: c.env,
				Target: sdk.Target{OS: "linux", Arch: c.target}})
			g.Expect(out.ExitCode).To(Equal(1), out.Log)
			var ue *sdk.Error
			g.Expect(errorsAs(out.Err, &ue)).To(BeTrue(), "want an *sdk.Error, got %v", out.Err)
			g.Expect(ue.Title).To(Equal(c.title), "detail: %s", ue.Detail)
			for _, d := range c.detail {
				g.Expect(ue.Detail).To(ContainSubstring(d))
			}
			g.Expect(ue.Fixes).NotTo(BeEmpty())
			g.Expect(out.Log).To(ContainSubstring(c.title), "the error is shown to the user")
			g.Expect(filepath.Join(out.LayersDir, "ffmpeg", "bin", "ffmpeg")).NotTo(BeAnExistingFile(), "a failed build leaves no usable layer behind")
		})
	}
}

// TestBuildInstallsBothProgramsFromOneReleaseArchive serves an archive shaped like the
// release builds the shipped inventory names (one top folder; bin/ffmpeg, bin/ffprobe,
// bin/ffplay; documentation; a licence) under one uri for both ids: it is downloaded once,
// and each layer keeps its own program and the licence only.
func TestBuildInstallsBothProgramsFromOneReleaseArchive(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	archive := releaseArchive(t, "ffmpeg-n7.1.5-test-linux64-gpl-7.1", map[string][]byte{
		"bin/ffmpeg":        fakeProgram("ffmpeg", "ffmpeg version n7.1.5-test"),
		"bin/ffprobe":       fakeProgram("ffprobe", "ffprobe version n7.1.5-test"),
		"bin/ffplay":        fakeProgram("ffplay", "ffplay version n7.1.5-test"),
		"doc/ffmpeg.html":   []byte("<html></html>"),
		"man/man1/ffmpeg.1": []byte(".TH FFMPEG 1"),
		"LICENSE.txt":       []byte("GNU GENERAL PUBLIC LICENSE\nVersion 3"),
	})
	srv := newFileServer(t, map[string][]byte{})
	arts := []artifact{
		{id: "ffmpeg", version: "7.1.5", arch: runtime.GOARCH, data: archive, path: "/release/ffmpeg.tar.gz"},
		{id: "ffprobe", version: "7.1.5", arch: runtime.GOARCH, data: archive, path: "/release/ffmpeg.tar.gz"},
	}
	out := detectThenBuild(t, cnbtest.Options{Descriptor: descriptor(t, srv, arts...), Env: map[string]string{"BP_FFMPEG_VERSION": "7.1"},
		Target: sdk.Target{OS: "linux", Arch: runtime.GOARCH}})
	g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
	g.Expect(srv.Hits("/release/ffmpeg.tar.gz")).To(Equal(1), "one download for both programs")
	g.Expect(out.Log).To(ContainSubstring("Smoke check passed: ffmpeg version n7.1.5-test"))
	g.Expect(out.Log).To(ContainSubstring("Smoke check passed: ffprobe version n7.1.5-test"))
	for id, want := range map[string][]string{"ffmpeg": {"LICENSE.txt", "bin", "bin/ffmpeg"}, "ffprobe": {"LICENSE.txt", "bin", "bin/ffprobe"}} {
		var got []string
		root := out.Layers[id].Path
		g.Expect(filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
			if err == nil && e.IsDir() && strings.HasPrefix(e.Name(), "env") {
				return filepath.SkipDir // the layer's environment, written by the SDK
			}
			if err == nil && p != root {
				rel, _ := filepath.Rel(root, p)
				got = append(got, filepath.ToSlash(rel))
			}
			return err
		})).To(Succeed())
		g.Expect(got).To(Equal(want), "layer %s keeps its program and the licence", id)
	}
}

// TestBuildMergesRequestsFromOtherBuildpacks: another buildpack in the group may require
// ffmpeg too; its version request counts (after environment variables), and a build-only or
// launch-only request still gets a layer with the types asked for.
func TestBuildMergesRequestsFromOtherBuildpacks(t *testing.T) {
	t.Parallel()
	entry := func(md ffmpeg.RequireMetadata) sdk.Require { return sdk.NewRequire(ffmpeg.PlanName, md) }
	cases := []struct {
		name          string
		plan          []sdk.Require
		version       string
		build, launch bool
	}{
		{"another buildpack pins a version", []sdk.Require{
			entry(ffmpeg.RequireMetadata{Build: true, Launch: true}),
			entry(ffmpeg.RequireMetadata{Version: "2018.*", VersionSource: "media-buildpack"}),
		}, "2018.12.10", true, true},
		{"an environment variable beats a buildpack's request", []sdk.Require{
			entry(ffmpeg.RequireMetadata{Version: "2018.*", VersionSource: "media-buildpack", Launch: true}),
			entry(ffmpeg.RequireMetadata{Version: "2019.*", VersionSource: "BP_FFMPEG_VERSION", Build: true, Launch: true}),
		}, "2019.6.5", true, true},
		{"build only", []sdk.Require{entry(ffmpeg.RequireMetadata{Build: true})}, "2019.6.5", true, false},
		{"launch only", []sdk.Require{entry(ffmpeg.RequireMetadata{Launch: true})}, "2019.6.5", false, true},
		{"no flags means both", []sdk.Require{{Name: ffmpeg.PlanName}}, "2019.6.5", true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			srv := newFileServer(t, map[string][]byte{})
			out := cnbtest.Build(t, ffmpeg.Build, cnbtest.Options{Descriptor: standardInventory(t, srv), Plan: sdk.Plan{Entries: c.plan}})
			g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
			l := out.Layers["ffmpeg"]
			g.Expect(cnbtest.LayerMetadata[dependency.LayerMetadata](out, "ffmpeg")).To(HaveField("Version", c.version))
			g.Expect(l.Types.Build).To(Equal(c.build))
			g.Expect(l.Types.Launch).To(Equal(c.launch))
		})
	}
}

func TestBuildWithoutAPlanEntryDoesNothing(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	srv := newFileServer(t, map[string][]byte{})
	out := cnbtest.Build(t, ffmpeg.Build, cnbtest.Options{Descriptor: standardInventory(t, srv), Plan: sdk.Plan{Entries: []sdk.Require{}}})
	g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
	g.Expect(out.Layers).To(BeEmpty())
	g.Expect(srv.Total()).To(BeZero())
}
