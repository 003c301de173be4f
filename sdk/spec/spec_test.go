package spec_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk/spec"
)

const fullDescriptor = `api = "0.12"

[buildpack]
id = "cnbkit/python"
name = "Python"
version = "1.2.3"
homepage = "https://example.com"
description = "Installs Python"
keywords = ["python"]
clear-env = true
sbom-formats = ["application/vnd.cyclonedx+json"]
exec-env = ["production"]

[[buildpack.licenses]]
type = "Apache-2.0"
uri = "https://www.apache.org/licenses/LICENSE-2.0"

[[stacks]]
id = "*"

[[targets]]
os = "linux"
arch = "arm64"
arch-variant = "v8"
[[targets.distros]]
name = "ubuntu"
version = "24.04"

[[targets]]
os = "linux"
arch = "amd64"

[metadata]
anything = { goes = true }
[[metadata.configurations]]
name = "BP_PYTHON_VERSION"
default = "3.12"
description = "Python version"
build = true
`

func TestParseBuildpack(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	b, err := spec.ParseBuildpack([]byte(fullDescriptor))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(b.API).To(Equal("0.12"))
	g.Expect(b.Info).To(Equal(spec.BuildpackInfo{
		ID: "cnbkit/python", Name: "Python", Version: "1.2.3", Homepage: "https://example.com",
		Description: "Installs Python", Keywords: []string{"python"}, ClearEnv: true,
		SBOMFormats: []string{spec.MediaTypeCycloneDX}, ExecEnv: []string{"production"},
		Licenses: []spec.License{{Type: "Apache-2.0", URI: "https://www.apache.org/licenses/LICENSE-2.0"}},
	}))
	g.Expect(b.Stacks).To(Equal([]spec.Stack{{ID: "*"}}))
	g.Expect(b.Targets).To(Equal([]spec.Target{
		{OS: "linux", Arch: "arm64", Variant: "v8", Distros: []spec.Distro{{Name: "ubuntu", Version: "24.04"}}},
		{OS: "linux", Arch: "amd64"},
	}), "arch-variant, the lifecycle's spelling, is read as variant")
	g.Expect(b.Metadata).To(HaveKey("anything"))
	g.Expect(b.IsComposite()).To(BeFalse())
	g.Expect(b.Validate()).To(Succeed())

	confs, err := b.Configurations()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(confs).To(Equal([]spec.Configuration{{Name: "BP_PYTHON_VERSION", Default: "3.12", Description: "Python version", Build: true}}))
}

func TestParseBuildpackErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, text, err string }{
		{"not toml", "api = ", "decoding buildpack.toml"},
		{"unknown keys", "api = \"0.12\"\nstack = 1\n[buildpack]\nid = \"a\"\nversion = \"1.0.0\"\nnam = \"x\"\n",
			"buildpack.toml has keys the specification does not define: buildpack.nam, stack"},
		{"wrong type", "api = 12\n", "decoding buildpack.toml"},
		{"exec-env tables", "api = \"0.12\"\n[buildpack]\nid = \"a\"\nversion = \"1.0.0\"\n[[buildpack.exec-env]]\nname = \"test\"\n",
			`[[buildpack.exec-env]] tables are not read by the lifecycle (v0.21), which expects a list of names: write exec-env = ["production", "test"] under [buildpack]`},
		{"exec-env in order group", "api = \"0.12\"\n[buildpack]\nid = \"a\"\nversion = \"1.0.0\"\n[[order]]\n[[order.group]]\nid = \"b\"\nexec-env = [\"test\"]\n",
			"buildpack.toml has keys the specification does not define: order.group.exec-env"},
		{"exec-env string", "api = \"0.12\"\n[buildpack]\nid = \"a\"\nversion = \"1.0.0\"\nexec-env = \"test\"\n", "decoding buildpack.toml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := spec.ParseBuildpack([]byte(tt.text))
			NewWithT(t).Expect(err).To(MatchError(ContainSubstring(tt.err)))
		})
	}
	t.Run("unknown keys error type", func(t *testing.T) {
		t.Parallel()
		_, err := spec.ParseBuildpack([]byte("[buildpack]\nidd = \"a\"\n"))
		var uk *spec.UnknownKeysError
		g := NewWithT(t)
		g.Expect(errors.As(err, &uk)).To(BeTrue())
		g.Expect(uk.Keys).To(Equal([]string{"buildpack.idd"}))
	})
}

func TestReadBuildpack(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	path := filepath.Join(dir, spec.BuildpackFile)
	_, err := spec.ReadBuildpack(path)
	g.Expect(err).To(MatchError(ContainSubstring("reading buildpack descriptor")))
	g.Expect(os.WriteFile(path, []byte("x = 1\n"), 0o644)).To(Succeed())
	_, err = spec.ReadBuildpack(path)
	g.Expect(err).To(MatchError(ContainSubstring(path + ": buildpack.toml has keys the specification does not define: x")))
	g.Expect(os.WriteFile(path, []byte(fullDescriptor), 0o644)).To(Succeed())
	b, err := spec.ReadBuildpack(path)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(b.Info.ID).To(Equal("cnbkit/python"))
}

func TestBuildpackValidate(t *testing.T) {
	t.Parallel()
	base := func() spec.Buildpack {
		return spec.Buildpack{API: "0.12", Info: spec.BuildpackInfo{ID: "a/b", Version: "1.0.0"}}
	}
	tests := []struct {
		name   string
		mutate func(*spec.Buildpack)
		errs   []string
	}{
		{"valid", func(*spec.Buildpack) {}, nil},
		{"bad api", func(b *spec.Buildpack) { b.API = "0.6" }, []string{`buildpack API "0.6" is not supported`}},
		{"empty api", func(b *spec.Buildpack) { b.API = "" }, []string{`api is empty: set api = "0.12"`}},
		{"bad id", func(b *spec.Buildpack) { b.Info.ID = "a b" }, []string{`buildpack id "a b" is invalid`}},
		{"reserved id", func(b *spec.Buildpack) { b.Info.ID = "app" }, []string{"reserved"}},
		{"bad version", func(b *spec.Buildpack) { b.Info.Version = "1.0" }, []string{`version "1.0" is not a semantic version`}},
		{"bad target", func(b *spec.Buildpack) { b.Targets = []spec.Target{{OS: "linux", Arch: "x86_64"}} },
			[]string{`targets[0]: arch "x86_64" is not known (did you mean "amd64"?)`}},
		{"empty group", func(b *spec.Buildpack) { b.Order = []spec.Order{{}} }, []string{"order[0] has an empty group"}},
		{"composite with targets", func(b *spec.Buildpack) {
			b.Order = []spec.Order{{Group: []spec.GroupEntry{{ID: "x/y"}}}}
			b.Targets = []spec.Target{{OS: "linux"}}
		}, []string{"a composite buildpack (one with [[order]]) must not declare"}},
		{"bad sbom format", func(b *spec.Buildpack) { b.Info.SBOMFormats = []string{"cdx"} }, []string{`sbom-formats: "cdx" is not a media type`}},
		{"exec-env", func(b *spec.Buildpack) { b.Info.ExecEnv = []string{"production", "test", "*"} }, nil},
		{"exec-env before 0.12", func(b *spec.Buildpack) { b.API = "0.11"; b.Info.ExecEnv = []string{"test"} },
			[]string{`[buildpack] exec-env needs Buildpack API 0.12 (api is "0.11"), older APIs ignore it: set api = "0.12" or remove exec-env`}},
		{"exec-env with slash", func(b *spec.Buildpack) { b.Info.ExecEnv = []string{"test/unit"} },
			[]string{`[buildpack] exec-env: execution environment "test/unit" contains '/', which the Buildpack API reserves`}},
		{"empty exec-env", func(b *spec.Buildpack) { b.Info.ExecEnv = []string{""} },
			[]string{"[buildpack] exec-env: execution environment name is empty"}},
		{"several at once", func(b *spec.Buildpack) { b.API = "9"; b.Info.Version = "" }, []string{"not supported", "version is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			b := base()
			tt.mutate(&b)
			err := b.Validate()
			if tt.errs == nil {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			for _, e := range tt.errs {
				g.Expect(err).To(MatchError(ContainSubstring(e)))
			}
		})
	}
}

func TestValidateIDAndVersion(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	for _, id := range []string{"a", "my-org/my-bp", "io.buildpacks.x", "A1/b.c-d"} {
		g.Expect(spec.ValidateID(id)).To(Succeed(), id)
	}
	for _, id := range []string{"", "config", "sbom", "/a", "a//b", "a/", "-a", "a_b", "a b"} {
		g.Expect(spec.ValidateID(id)).NotTo(Succeed(), id)
	}
	for _, v := range []string{"0.0.0", "1.2.3", "1.2.3-rc.1", "1.2.3+build.5", "10.20.30-alpha+x"} {
		g.Expect(spec.ValidateVersion(v)).To(Succeed(), v)
	}
	for _, v := range []string{"", "1", "1.2", "v1.2.3", "01.2.3", "1.2.3.4"} {
		g.Expect(spec.ValidateVersion(v)).NotTo(Succeed(), v)
	}
}

func TestValidateExecEnv(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	for _, e := range []string{"production", "test", "development", "staging-2", spec.DefaultExecEnv} {
		g.Expect(spec.ValidateExecEnv(e)).To(Succeed(), e)
	}
	for _, e := range []string{"", "a/b", "/", "two words", "tab\t", "line\n"} {
		g.Expect(spec.ValidateExecEnv(e)).NotTo(Succeed(), e)
	}
	g.Expect(spec.ValidateExecEnv("a/b")).To(MatchError(`execution environment "a/b" contains '/', which the Buildpack API reserves: use a name such as "production"`))
}

func TestAPIs(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	g.Expect(spec.LatestAPI()).To(Equal("0.12"))
	g.Expect(spec.CompareAPI("0.9", "0.10")).To(Equal(-1))
	g.Expect(spec.CompareAPI("0.12", "0.12")).To(Equal(0))
	g.Expect(spec.CompareAPI("1.0", "0.12")).To(Equal(1))
	g.Expect(spec.CompareAPI("x", "0.0")).To(Equal(0))
	for _, a := range spec.SupportedAPIs {
		g.Expect(spec.ValidateAPI(a)).To(Succeed())
	}
}

func TestTargets(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	tg, err := spec.ParseTarget("linux/arm64/v8:ubuntu@22.04;debian")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tg).To(Equal(spec.Target{OS: "linux", Arch: "arm64", Variant: "v8",
		Distros: []spec.Distro{{Name: "ubuntu", Version: "22.04"}, {Name: "debian"}}}))
	g.Expect(tg.String()).To(Equal("linux/arm64/v8:ubuntu@22.04;debian"))
	g.Expect(spec.Target{}.String()).To(Equal("any"))
	for _, bad := range []string{"", "a/b/c/d", "darwin/amd64", "linux/aarch64", "linux:@1"} {
		_, err := spec.ParseTarget(bad)
		g.Expect(err).To(HaveOccurred(), bad)
	}
	g.Expect(spec.Target{Variant: "v8"}.Validate()).To(MatchError(ContainSubstring("without arch")))

	concrete := spec.Target{OS: "linux", Arch: "amd64", Distros: []spec.Distro{{Name: "ubuntu", Version: "24.04"}}}
	matches := map[string]bool{
		"linux":                     true,
		"linux/amd64":               true,
		"linux/arm64":               false,
		"windows":                   false,
		"linux/amd64:ubuntu":        true,
		"linux/amd64:ubuntu@24.04":  true,
		"linux/amd64:ubuntu@22.04":  false,
		"linux/amd64:debian;ubuntu": true,
		"linux/amd64:debian@12":     false,
	}
	for s, want := range matches {
		tg, err := spec.ParseTarget(s)
		g.Expect(err).NotTo(HaveOccurred(), s)
		g.Expect(tg.Matches(concrete)).To(Equal(want), "%s matches %s", s, concrete)
	}
	g.Expect(spec.Target{OS: "*"}.Matches(concrete)).To(BeTrue())
	g.Expect(spec.DirName("a/b/c")).To(Equal("a_b_c"))
}

func TestParsePackage(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	p, err := spec.ParsePackage([]byte(`[buildpack]
uri = "."
[[dependencies]]
uri = "../python"
[[dependencies]]
image = "example.com/ffmpeg:1"
[platform]
os = "linux"
[[targets]]
os = "linux"
arch = "amd64"
`))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p).To(Equal(spec.Package{
		Buildpack:    spec.PackageBuildpack{URI: "."},
		Dependencies: []spec.PackageDependency{{URI: "../python"}, {ImageName: "example.com/ffmpeg:1"}},
		Platform:     &spec.PackagePlatform{OS: "linux"},
		Targets:      []spec.Target{{OS: "linux", Arch: "amd64"}},
	}))
	g.Expect(p.Validate()).To(Succeed())
	_, err = spec.ParsePackage([]byte("[buildpack]\nuri = \".\"\nurl = \"x\"\n"))
	g.Expect(err).To(MatchError(ContainSubstring("package.toml has keys the specification does not define: buildpack.url")))
	err = spec.Package{Dependencies: []spec.PackageDependency{{}}, Targets: []spec.Target{{OS: "plan9"}}}.Validate()
	g.Expect(err).To(MatchError(ContainSubstring("[buildpack] uri is empty")))
	g.Expect(err).To(MatchError(ContainSubstring("dependencies[0] has no uri")))
	g.Expect(err).To(MatchError(ContainSubstring(`targets[0]: os "plan9" is not known`)))

	dir := t.TempDir()
	_, err = spec.ReadPackage(filepath.Join(dir, "package.toml"))
	g.Expect(err).To(MatchError(ContainSubstring("reading package configuration")))
}

func TestConfigurationsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, text, err string }{
		{"unknown key", "[[metadata.configurations]]\nname = \"A\"\ndefalt = \"x\"\n", "metadata.configurations.defalt"},
		{"no name", "[[metadata.configurations]]\ndefault = \"x\"\n", "[[metadata.configurations]] entry 1 has no name"},
		{"twice", "[[metadata.configurations]]\nname = \"A\"\n[[metadata.configurations]]\nname = \"A\"\n", "declares A twice"},
		{"default not a string", "[[metadata.configurations]]\nname = \"A\"\ndefault = true\n", "must be a list of tables"},
		{"not a list", "[metadata]\nconfigurations = \"A\"\n", "must be a list of tables"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := spec.ParseBuildpack([]byte("api = \"0.12\"\n" + tt.text))
			g := NewWithT(t)
			g.Expect(err).NotTo(HaveOccurred())
			_, err = b.Configurations()
			g.Expect(err).To(MatchError(ContainSubstring(tt.err)))
		})
	}
	none, err := spec.Buildpack{}.Configurations()
	NewWithT(t).Expect(none, err).To(BeNil())
}

// The result types encode with exactly the key names the lifecycle reads.
func TestResultKeyNames(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	encode := func(v any) string {
		var b bytes.Buffer
		g.Expect(toml.NewEncoder(&b).Encode(v)).To(Succeed())
		return b.String()
	}
	launch := encode(spec.LaunchTOML{Processes: []spec.Process{{Type: "web", Command: []string{"x"}, WorkingDir: "/w", ExecEnv: []string{"test"}, Default: true, Args: []string{"a"}}}})
	for _, k := range []string{"[[processes]]", "type = ", "command = ", "args = ", "default = true", `working-dir = "/w"`, "exec-env = "} {
		g.Expect(launch).To(ContainSubstring(k))
	}
	g.Expect(launch).NotTo(ContainSubstring("working-directory"))
	g.Expect(encode(spec.BuildTOML{Unmet: []spec.Unmet{{Name: "x"}}})).To(Equal("[[unmet]]\n  name = \"x\"\n"))
	layer := encode(spec.LayerTOML{Types: spec.LayerTypes{Launch: true}, Metadata: map[string]any{"a": 1}})
	g.Expect(layer).To(HavePrefix("[types]\n  launch = true\n  build = false\n  cache = false\n"))
	g.Expect(strings.Contains(layer, "[metadata]")).To(BeTrue())
}

func FuzzParseBuildpack(f *testing.F) {
	f.Add(fullDescriptor)
	f.Add("api = \"0.10\"\n[buildpack]\nid = \"a\"\nversion = \"1.0.0\"\n[[order]]\n[[order.group]]\nid = \"b\"\n")
	f.Add("[[targets]]\narch-variant = \"v7\"\nvariant = \"v8\"\n")
	// Issue 13: an id of 100k characters, duplicate targets.
	f.Add("api = \"0.10\"\n[buildpack]\nid = \"" + strings.Repeat("x", 100_000) + "\"\nversion = \"1.0.0\"\n")
	f.Add("api = \"0.10\"\n[buildpack]\nid = \"a\"\nversion = \"1.0.0\"\n[[targets]]\nos = \"linux\"\narch = \"amd64\"\n[[targets]]\nos = \"linux\"\narch = \"amd64\"\n")
	f.Fuzz(func(t *testing.T, text string) {
		b, err := spec.ParseBuildpack([]byte(text))
		if err != nil {
			return
		}
		_ = b.Validate()
		// A parsed descriptor encodes and parses again to the same targets and info.
		var buf bytes.Buffer
		if err := toml.NewEncoder(&buf).Encode(b); err != nil {
			return
		}
		again, err := spec.ParseBuildpack(buf.Bytes())
		if err != nil {
			t.Fatalf("re-parsing an encoded descriptor: %v\n%s", err, buf.String())
		}
		if again.Info.ID != b.Info.ID || again.API != b.API || len(again.Targets) != len(b.Targets) {
			t.Fatalf("round trip changed the descriptor:\n%+v\n%+v", b, again)
		}
	})
}

// FuzzParsePackage loads package.toml text as the packager does: decode, then validate.
// Neither may panic, and a valid configuration re-encodes to one that is valid too.
func FuzzParsePackage(f *testing.F) {
	f.Add("[buildpack]\nuri = \".\"\n[[dependencies]]\nuri = \"../bp.tgz\"\n[[dependencies]]\nimage = \"registry.example.com/x:1\"\n")
	f.Add("[buildpack]\nuri = \".\"\n[[targets]]\nos = \"linux\"\narch = \"amd64\"\n[[targets]]\nos = \"linux\"\narch = \"amd64\"\n")
	f.Add("[buildpack]\nuri = \"/dev/zero\"\n[[dependencies]]\nuri = \"file:///proc/self/fd/0\"\n")
	f.Add("[buildpack]\nuri = \".\"\n[[dependencies]]\n[platform]\nos = \"windows\"\n[[dependencie]]\n")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := spec.ParsePackage([]byte(text))
		if err != nil {
			return
		}
		if p.Validate() != nil {
			return
		}
		var buf bytes.Buffer
		if err := toml.NewEncoder(&buf).Encode(p); err != nil {
			return
		}
		again, err := spec.ParsePackage(buf.Bytes())
		if err != nil {
			t.Fatalf("re-parsing an encoded package.toml: %v\n%s", err, buf.String())
		}
		if err := again.Validate(); err != nil {
			t.Fatalf("a valid package.toml is invalid once re-encoded: %v\n%s", err, buf.String())
		}
	})
}
