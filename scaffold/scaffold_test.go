package scaffold_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/scaffold"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

func TestGenerateRejectsInvalidOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts scaffold.Options
		want []string
	}{
		{name: "no id", opts: scaffold.Options{}, want: []string{"buildpack id is empty"}},
		{name: "bad id", opts: scaffold.Options{ID: "my org/bp"}, want: []string{`buildpack id "my org/bp" is invalid`}},
		{name: "reserved id", opts: scaffold.Options{ID: "app"}, want: []string{"reserved"}},
		{name: "bad version", opts: scaffold.Options{ID: "a/b", Version: "1.0"}, want: []string{`version "1.0" is not a semantic version`}},
		{name: "unknown api", opts: scaffold.Options{ID: "a/b", API: "0.13"}, want: []string{`buildpack API "0.13" is not supported`}},
		{name: "old api", opts: scaffold.Options{ID: "a/b", API: "0.9"}, want: []string{`"0.9" is older than 0.10`, "0.10, 0.11, 0.12"}},
		{name: "bad arch", opts: scaffold.Options{ID: "a/b", Targets: []spec.Target{{OS: "linux", Arch: "x86_64"}}}, want: []string{`did you mean "amd64"`}},
		{name: "windows", opts: scaffold.Options{ID: "a/b", Targets: []spec.Target{{OS: "windows", Arch: "amd64"}}}, want: []string{"Linux buildpacks"}},
		{name: "no arch", opts: scaffold.Options{ID: "a/b", Targets: []spec.Target{{OS: "linux"}}}, want: []string{"linux/<arch>"}},
		{name: "distros", opts: scaffold.Options{ID: "a/b", Targets: []spec.Target{{OS: "linux", Arch: "amd64", Distros: []spec.Distro{{Name: "ubuntu"}}}}}, want: []string{"distros are not supported"}},
		{name: "duplicate target", opts: scaffold.Options{ID: "a/b", Targets: []spec.Target{{OS: "linux", Arch: "amd64"}, {OS: "linux", Arch: "amd64"}}}, want: []string{"listed twice"}},
		{name: "unknown template", opts: scaffold.Options{ID: "a/b", Template: "python"}, want: []string{`template "python" is not known: use one of plain, dependency`}},
		{name: "bad module", opts: scaffold.Options{ID: "a/b", Module: "/abs/path"}, want: []string{"Go module path"}},
		{name: "module from id", opts: scaffold.Options{ID: "a/.b"}, want: []string{`Go module path "a/.b" is invalid`}},
		{name: "bad name", opts: scaffold.Options{ID: "a/b", Name: `say "hi"`}, want: []string{"quotes"}},
		{name: "bad sdk version", opts: scaffold.Options{ID: "a/b", SDKVersion: "1.0.0"}, want: []string{"SDK version"}},
		{
			name: "every problem at once",
			opts: scaffold.Options{ID: "-x", Version: "v1", API: "1.0", Template: "x"},
			want: []string{"buildpack id", "version \"v1\"", "API \"1.0\"", "template \"x\""},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			files, err := scaffold.Generate(context.Background(), tc.opts)
			g.Expect(files).To(BeNil())
			var ie *scaffold.InvalidOptionsError
			g.Expect(errors.As(err, &ie)).To(BeTrue(), "Generate(%+v) returned %v, want an *InvalidOptionsError", tc.opts, err)
			g.Expect(err.Error()).NotTo(ContainSubstring("\n"))
			for _, w := range tc.want {
				g.Expect(err.Error()).To(ContainSubstring(w))
			}
		})
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	for _, tmpl := range scaffold.Templates() {
		t.Run(tmpl.Name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			opts := scaffold.Options{ID: "my-org/tool", Template: tmpl.Name}
			first, err := scaffold.Generate(context.Background(), opts)
			g.Expect(err).NotTo(HaveOccurred())
			for range 3 {
				again, err := scaffold.Generate(context.Background(), opts)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(again).To(Equal(first))
			}
		})
	}
}

func TestGenerateFillsInDefaults(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	files, err := scaffold.Generate(context.Background(), scaffold.Options{ID: "my-org/hello-world", SDKVersion: "v1.2.3"})
	g.Expect(err).NotTo(HaveOccurred())
	byPath := map[string][]byte{}
	for _, f := range files {
		byPath[f.Path] = f.Data
		g.Expect(f.Mode).To(Equal(fsMode(0o644)), f.Path)
	}
	g.Expect(byPath).To(HaveKey(".gitignore"))
	g.Expect(byPath).To(HaveKey("README.md"))
	g.Expect(byPath).To(HaveKey("package.toml"))
	g.Expect(byPath).To(HaveKey("cmd/main.go"))

	bp, err := spec.ParseBuildpack(byPath["buildpack.toml"])
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(bp.Validate()).To(Succeed())
	g.Expect(bp.API).To(Equal(spec.LatestAPI()))
	g.Expect(bp.Info.ID).To(Equal("my-org/hello-world"))
	g.Expect(bp.Info.Name).To(Equal("Hello World"))
	g.Expect(bp.Info.Version).To(Equal(scaffold.DefaultVersion))
	g.Expect(bp.Targets).To(Equal(scaffold.DefaultTargets()))
	g.Expect(bp.Metadata).To(HaveKey("configurations"))

	g.Expect(string(byPath["go.mod"])).To(Equal("module my-org/hello-world\n\ngo " + scaffold.GoVersion + "\n\nrequire github.com/cnbkit/cnbkit v1.2.3\n"))
	g.Expect(string(byPath["cmd/main.go"])).To(ContainSubstring(`helloworld "my-org/hello-world"`))
}

func TestGenerateReplacesTheSDK(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	for replace, want := range map[string]string{
		"/src/cnbkit":    "replace github.com/cnbkit/cnbkit => /src/cnbkit\n",
		"/my src/cnbkit": "replace github.com/cnbkit/cnbkit => \"/my src/cnbkit\"\n",
	} {
		files, err := scaffold.Generate(context.Background(), scaffold.Options{ID: "a/b", SDKReplace: replace})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(string(fileData(files, "go.mod"))).To(HaveSuffix(want))
	}
}

func TestGenerateNamesFromTheID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id, name, pkg, env string
	}{
		{id: "my-org/hello-world", name: "Hello World", pkg: "helloworld", env: "BP_HELLO_WORLD"},
		{id: "io.buildpacks.go", name: "Io Buildpacks Go", pkg: "iobuildpacksgo", env: "BP_IO_BUILDPACKS_GO"},
		{id: "acme/2fa", name: "2fa", pkg: "bp2fa", env: "BP_2FA"},
		{id: "acme/Type", name: "Type", pkg: "typebp", env: "BP_TYPE"},
		{id: "acme/main", name: "Main", pkg: "mainbp", env: "BP_MAIN"},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			g.Expect(scaffold.DefaultName(tc.id)).To(Equal(tc.name))
			files, err := scaffold.Generate(context.Background(), scaffold.Options{ID: tc.id})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(string(fileData(files, "config.go"))).To(HavePrefix("package " + tc.pkg + "\n"))
			g.Expect(string(fileData(files, "buildpack.toml"))).To(ContainSubstring(`name = "` + tc.env + `_`))
		})
	}
}

func TestGenerateDependencyInventoryMatchesTestdata(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	targets := []spec.Target{{OS: "linux", Arch: "amd64"}, {OS: "linux", Arch: "arm64"}, {OS: "linux", Arch: "arm", Variant: "v7"}}
	files, err := scaffold.Generate(context.Background(), scaffold.Options{ID: "a/tool", Template: scaffold.TemplateDependency, Targets: targets})
	g.Expect(err).NotTo(HaveOccurred())
	descriptor := string(fileData(files, "buildpack.toml"))
	for _, name := range []string{"linux-amd64/example-tool", "linux-arm64/example-tool", "linux-arm-v7/example-tool"} {
		data := fileData(files, "testdata/dependencies/"+name)
		g.Expect(data).NotTo(BeEmpty(), name)
		g.Expect(descriptor).To(ContainSubstring(sha256sum(data)), "buildpack.toml carries the checksum of %s", name)
		g.Expect(descriptor).To(ContainSubstring("https://example.com/downloads/example-tool/1.0.0/" + name))
	}
}

func TestGenerateHonoursCancellation(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := scaffold.Generate(ctx, scaffold.Options{ID: "a/b"})
	g.Expect(err).To(MatchError(context.Canceled))
}

func TestGeneratedGoFilesAreFormatted(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	for _, tmpl := range scaffold.Templates() {
		files, err := scaffold.Generate(context.Background(), scaffold.Options{ID: "my-org/x", Template: tmpl.Name})
		g.Expect(err).NotTo(HaveOccurred())
		for _, f := range files {
			if strings.HasSuffix(f.Path, ".go") {
				g.Expect(gofmt(f.Data)).To(Equal(f.Data), "%s of the %s template is not gofmt-ed", f.Path, tmpl.Name)
			}
			g.Expect(bytes.HasSuffix(f.Data, []byte("\n"))).To(BeTrue(), "%s ends with a newline", f.Path)
		}
	}
}
