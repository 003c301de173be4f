package walkthrough

import (
	"context"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/fixtures"
	"github.com/cnbkit/cnbkit/integration/harness"
	"github.com/cnbkit/cnbkit/integration/internal/docrun"
	"github.com/cnbkit/cnbkit/integration/internal/modproxy"
)

// Names the pages use.
const (
	builderName   = "cnbkit-builder"
	pageAppImage  = "my-app"
	audioAppImage = "my-audio-app"
	// ffmpegUpstream is the host of the ffmpeg artifacts in the organisation's inventory of the
	// builder page test: a host the build cannot reach, so that only the mirror serves them.
	ffmpegUpstream = "ffmpeg.invalid"
)

// repoRoot is the checkout the test runs in.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// pageEnv is the environment a reader of the pages has: Go with this checkout served from a
// local module proxy (so `go install github.com/cnbkit/cnbkit/cmd/cnbkit@latest` installs the
// code under test), GOBIN first on PATH, pack next to it, the test's Docker daemon, a private
// PACK_HOME configured to use local images when they exist.
func pageEnv(ctx context.Context, t *testing.T, p *packCLI, work string) []string {
	t.Helper()
	proxy, err := modproxy.Build(ctx, repoRoot(t), filepath.Join(work, "goproxy"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := proxy.Env(ctx, p.d.env())
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(work, "gobin")
	path := strings.Join([]string{bin, filepath.Dir(p.bin), filepath.Dir(p.d.docker), os.Getenv("PATH")}, string(os.PathListSeparator))
	env = append(env, "GOBIN="+bin, "PATH="+path, "PACK_HOME="+p.home, "PACK_VOLUME_KEY=cnbkit-walkthrough")
	// The machine's configuration, not a step of the pages: images come from the daemon, where
	// the test loaded them, and are never pulled.
	if _, err := p.run(ctx, work, "config", "pull-policy", "if-not-present"); err != nil {
		t.Fatal(err)
	}
	return env
}

// runPage runs the commands of docs/<page> in dir and returns what they printed.
func runPage(ctx context.Context, t *testing.T, page, dir string, env []string, o docrun.Options) string {
	t.Helper()
	part := docrun.MustFind(t, "docs/"+page, "")
	return part.Run(ctx, t, part.Read(t, repoRoot(t)), dir, env, o)
}

// pageMentions fails t unless the prose of docs/<page> contains s: the test edits a file the
// way the page tells the reader to.
func pageMentions(t *testing.T, page, s string) {
	t.Helper()
	md, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", page))
	if err != nil {
		t.Fatal(err)
	}
	if !docrun.Mentions(md, s) {
		t.Fatalf("the test edits %q, but docs/%s does not tell the reader to", s, page)
	}
}

// builderPage is what runBuilderPage leaves: the clone it ran in and the organisation's
// mirror it used.
type builderPage struct {
	clone, appDir string
	output        string
	mirror        *fixtures.Server
}

// runBuilderPage runs docs/builder.md in a copy of the checkout: cnbkit from the module
// proxy, the reference buildpacks packaged (with the inventory replaced by the fixtures'
// CPython and ffmpeg, as the page shows for an organisation's own builds), the builder from
// builder/builder.toml (with the test's Debian stack and lifecycle file, the two edits the
// page names), a FastAPI app built with it, and an app using pydub built with ffmpeg
// downloaded through a mirror.
func runBuilderPage(ctx context.Context, t *testing.T, env []string, work string, lc *harness.LifecycleBinaries, mirror *fixtures.Mirror) builderPage {
	t.Helper()
	g := NewWithT(t)
	clone := filepath.Join(work, "cnbkit")
	g.Expect(modproxy.Export(ctx, repoRoot(t), clone)).To(Succeed())

	// The organisation's inventory: CPython on its own server, ffmpeg from an upstream only
	// its mirror reaches.
	var deps []fixtures.Dependency
	mirrored := map[string]string{}
	for _, d := range mirror.Inventory {
		name := path.Base(d.URI)
		file := ""
		switch {
		case d.ID == "cpython":
			file = mirror.CPython.Path
			mirrored["127.0.0.1/"+name] = file // the mirror is asked for every host
		case d.ID == "ffmpeg" || d.ID == "ffprobe":
			ff := mirror.FFmpeg[d.Arch]
			file = ff.FFmpeg.Path
			if d.ID == "ffprobe" {
				file = ff.FFprobe.Path
			}
			d.URI = "https://" + ffmpegUpstream + "/" + name
			mirrored[ffmpegUpstream+"/"+name] = file
		}
		deps = append(deps, d)
	}
	f, err := os.Create(filepath.Join(clone, "my-inventory.toml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(fixtures.WriteDependencies(f, deps)).To(Succeed())
	g.Expect(f.Close()).To(Succeed())
	orgMirror, err := fixtures.ServeFiles(mirrored)
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(orgMirror.Close)

	// builder/builder.toml with the test's base images and lifecycle file.
	const page = "builder.md"
	pageMentions(t, page, "`[build] image` and `[[run.images]] image`")
	pageMentions(t, page, `uri = "<path of a lifecycle .tgz>"`)
	bt := filepath.Join(clone, "builder", "builder.toml")
	data, err := os.ReadFile(bt)
	g.Expect(err).NotTo(HaveOccurred())
	toml := string(data)
	for old, repl := range map[string]string{
		`version = "` + harness.DefaultLifecycleVersion + `"`: `uri = "` + lc.Tarball + `"`,
		`"docker.io/heroku/heroku:24-build"`:                  `"` + buildImage + `"`,
		`"docker.io/heroku/heroku:24"`:                        `"` + runImage + `"`,
	} {
		g.Expect(toml).To(ContainSubstring(old), "builder/builder.toml: the lifecycle it names must be the one the tests build (harness.DefaultLifecycleVersion)")
		toml = strings.ReplaceAll(toml, old, repl)
	}
	g.Expect(os.WriteFile(bt, []byte(toml), 0o644)).To(Succeed())

	// The apps the page builds; pip uses the fixtures' index, set in each app's project.toml.
	project := "[_]\nschema-version = \"0.2\"\n\n[[io.buildpacks.build.env]]\nname = \"PIP_INDEX_URL\"\nvalue = \"" + mirror.IndexURL + "\"\n"
	writeFiles(t, filepath.Join(clone, "my-app"), appFiles)
	writeFiles(t, filepath.Join(clone, "my-app"), map[string]string{"project.toml": project})
	writeFiles(t, filepath.Join(clone, audioAppImage), audioApp)
	writeFiles(t, filepath.Join(clone, audioAppImage), map[string]string{"project.toml": project})

	out := runPage(ctx, t, page, clone, env, docrun.Options{
		Substitutions: []docrun.Substitution{{Old: "https://mirror.example.com", New: orgMirror.URL}},
		Additions:     []docrun.Addition{{Command: "pack build", Flags: "--network host"}, {Command: "pack build", Flags: "--docker-host inherit"}},
	})
	g.Expect(out).To(ContainSubstring("Successfully created builder image '" + builderName + "'"))
	g.Expect(out).To(ContainSubstring("Successfully built image '" + pageAppImage + "'"))
	g.Expect(out).To(ContainSubstring("Successfully built image '" + audioAppImage + "'"))
	g.Expect(out).To(ContainSubstring("Successfully installed"), "the cold build runs pip")
	ff := mirror.FFmpeg[runtime.GOARCH]
	g.Expect(orgMirror.Hits("/"+ffmpegUpstream+"/"+ff.FFmpeg.Name)).To(Equal(1), "ffmpeg came through the mirror")
	g.Expect(orgMirror.Hits("/"+ffmpegUpstream+"/"+ff.FFprobe.Name)).To(Equal(1), "ffprobe came through the mirror")
	return builderPage{clone: clone, appDir: filepath.Join(clone, "my-app"), output: out, mirror: orgMirror}
}

// audioApp uses pydub (which runs ffmpeg): pydub in its requirements makes the composite add
// ffmpeg.
var audioApp = map[string]string{
	"tone.py": `"""Generate a 440 Hz tone, encode it to MP3 and read it back: pydub runs ffmpeg for both."""
import sys

from pydub import AudioSegment
from pydub.generators import Sine

out = sys.argv[1]
Sine(440).to_audio_segment(duration=1500).export(out, format="mp3", bitrate="64k")
back = AudioSegment.from_file(out, format="mp3")
print("decoded %d ms at %d Hz" % (len(back), back.frame_rate))
`,
	"app.py": `from fastapi import FastAPI

app = FastAPI()


@app.get("/")
def read_root():
    return {"app": "my-audio-app"}
`,
	"requirements.txt": "fastapi\nuvicorn\npydub\n",
}

// runGettingStarted runs docs/getting-started.md in an empty folder: cnbkit from the module
// proxy, new, tidy, vet, test, package, publish to a registry, inspect with cnbkit and pack,
// pack build with the builder of the builder page, docker run, the dependency template. Then
// it packages the same project as a ready-to-package folder and hands that to
// `pack buildpack package --path`, as pack-based pipelines do, and builds the app with it.
func runGettingStarted(ctx context.Context, t *testing.T, env []string, work string) {
	t.Helper()
	g := NewWithT(t)
	reg := harness.StartRegistry(t)
	dir := filepath.Join(work, "getting-started")
	g.Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	out := runPage(ctx, t, "getting-started.md", dir, env, docrun.Options{
		Substitutions: []docrun.Substitution{{Old: "registry.example.com", New: reg.Host}, {Old: "<builder>", New: builderName}},
		Additions: []docrun.Addition{{Command: "pack build", Flags: "--network host"}, {Command: "pack build", Flags: "--docker-host inherit"},
			{Command: "docker run", Flags: "--network none"}},
	})
	g.Expect(out).To(ContainSubstring("Created buildpack my-org/hello from the plain template in ./hello"))
	g.Expect(out).To(MatchRegexp(`ok\s+my-org/hello\s`), "go test ./... passes")
	g.Expect(out).To(ContainSubstring("wrote file out/hello-linux-amd64.cnb"))
	g.Expect(out).To(ContainSubstring("wrote image " + reg.Host + "/my-org/hello:0.1.0"))
	g.Expect(out).To(ContainSubstring("Buildpackage my-org/hello@0.1.0"), "cnbkit inspect")
	g.Expect(out).To(ContainSubstring("Successfully built image 'hello-app'"))
	g.Expect(out).To(ContainSubstring("hello from"), "docker run prints the script's greeting")
	g.Expect(filepath.Join(dir, "tools", "buildpack.toml")).To(BeARegularFile(), "the dependency template")
	gomod, err := os.ReadFile(filepath.Join(dir, "hello", "go.mod"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(gomod)).To(MatchRegexp(`github.com/cnbkit/cnbkit v0\.0\.0-test\.[0-9a-f]{12}\n`), "the SDK version of the installed cnbkit")
	g.Expect(string(gomod)).NotTo(ContainSubstring("replace"))

	// The ready-to-package folder the page made, packaged by pack: an app builds with it.
	hello := filepath.Join(dir, "hello")
	g.Expect(filepath.Join(hello, "hello-from-folder.cnb")).To(BeARegularFile(), "pack packaged the folder")
	steps := [][]string{
		{"pack", "build", "hello-folder-app", "--network", "host", "--docker-host", "inherit", "--path", "../hello-app", "--buildpack", "hello-from-folder.cnb", "--builder", builderName, "--trust-extra-buildpacks"},
		{"docker", "run", "--rm", "--network", "none", "hello-folder-app"},
	}
	var last string
	for _, s := range steps {
		// Through bash, so that the commands are found on the PATH of env, as the page's are.
		cmd := exec.CommandContext(ctx, "bash", append([]string{"-c", `"$@"`, "bash"}, s...)...)
		cmd.Dir, cmd.Env = hello, env
		b, err := cmd.CombinedOutput()
		g.Expect(err).NotTo(HaveOccurred(), "%s in %s:\n%s", strings.Join(s, " "), hello, b)
		last = string(b)
	}
	g.Expect(last).To(ContainSubstring("hello from"), "the app built with the buildpack pack packaged from the folder runs")

	// The READMEs cnbkit new wrote, as their readers follow them.
	additions := []docrun.Addition{{Command: "pack build", Flags: "--network host"}, {Command: "pack build", Flags: "--docker-host inherit"},
		{Command: "docker run", Flags: "--network none"}}
	readme := func(project, template string, subs ...docrun.Substitution) string {
		t.Helper()
		md, err := os.ReadFile(filepath.Join(dir, project, "README.md"))
		g.Expect(err).NotTo(HaveOccurred())
		part := docrun.MustFind(t, "scaffold/templates/"+template+"/README.md.tmpl", "")
		return part.Run(ctx, t, md, filepath.Join(dir, project), env, docrun.Options{
			Substitutions: append(subs, docrun.Substitution{Old: "<builder>", New: builderName}), Additions: additions})
	}
	out = readme("hello", "plain")
	g.Expect(out).To(ContainSubstring("hello from"), "the app of the plain project's README runs")

	// The dependency project with real downloads, as its README asks: the same files the
	// unit tests serve, from a server on this machine, at URIs that end as theirs do.
	tools := filepath.Join(dir, "tools")
	md, err := os.ReadFile(filepath.Join(tools, "README.md"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(docrun.Mentions(md, "Replace them with your tool's real")).To(BeTrue(), "the test replaces the example URIs as the README asks")
	files := map[string]string{}
	for _, arch := range []string{"amd64", "arm64"} {
		files["linux-"+arch+"/example-tool"] = filepath.Join(tools, "testdata", "dependencies", "linux-"+arch, "example-tool")
	}
	downloads, err := fixtures.ServeFiles(files)
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(downloads.Close)
	bt := filepath.Join(tools, "buildpack.toml")
	data, err := os.ReadFile(bt)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(data)).To(ContainSubstring("https://example.com/downloads/example-tool/1.0.0/"))
	real := strings.ReplaceAll(string(data), "https://example.com/downloads/example-tool/1.0.0/", downloads.URL+"/")
	g.Expect(os.WriteFile(bt, []byte(real), 0o644)).To(Succeed())
	out = readme("tools", "dependency")
	g.Expect(out).To(ContainSubstring("example-tool 1.0.0 (linux/"+runtime.GOARCH+")"), "the tool the buildpack installed runs in the app image")
	g.Expect(downloads.Hits("/linux-"+runtime.GOARCH+"/example-tool")).To(Equal(1), "the build downloaded the tool")
}

// runPythonPage runs docs/buildpacks/python.md in an empty folder with the builder of the
// builder page: the FastAPI app it shows, built by pack as it shows (the start command it
// logs compared), then built again with a pip binding naming the package index. The app's
// project.toml points pip at the fixtures' index, as the page says the walkthrough does.
func runPythonPage(ctx context.Context, t *testing.T, env []string, work, indexURL string) {
	t.Helper()
	g := NewWithT(t)
	dir := filepath.Join(work, "python-page")
	writeFiles(t, dir, map[string]string{"project.toml": "[_]\nschema-version = \"0.2\"\n\n[[io.buildpacks.build.env]]\nname = \"PIP_INDEX_URL\"\nvalue = \"" + indexURL + "\"\n"})
	part := docrun.MustFind(t, "docs/buildpacks/python.md", "")
	out := part.Run(ctx, t, part.Read(t, repoRoot(t)), dir, env, docrun.Options{WriteFiles: true,
		Substitutions: []docrun.Substitution{{Old: "<a builder with cnbkit/python>", New: builderName}, {Old: "https://pkgs.example.com/simple", New: indexURL}},
		Additions:     []docrun.Addition{{Command: "pack build", Flags: "--network host"}, {Command: "pack build", Flags: "--docker-host inherit"}},
	})
	g.Expect(strings.Count(out, "Successfully built image '"+pageAppImage+"'")).To(Equal(2), "the app and the app with the binding")
}
