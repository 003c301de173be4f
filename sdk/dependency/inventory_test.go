package dependency_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk/dependency"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

const sumA = "a3b1c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a"
const sumB = "0000000000000000000000000000000000000000000000000000000000000b0b"

var goodTOML = `
api = "0.10"
[buildpack]
id = "example/python"
version = "1.0.0"

[[metadata.dependencies]]
id = "cpython"
name = "CPython"
version = "3.12.7"
uri = "https://example.test/cpython-3.12.7-x86_64.tar.gz"
checksum = "sha256:` + sumA + `"
os = "linux"
arch = "amd64"
purl = "pkg:generic/cpython@3.12.7"
cpes = ["cpe:2.3:a:python:python:3.12.7:*:*:*:*:*:*:*"]
licenses = [{ type = "PSF-2.0", uri = "https://example.org/LICENSE" }]
deprecation-date = 2028-10-31
strip-components = 1

[[metadata.dependencies]]
id = "cpython"
version = "3.12.7"
uri = "https://example.test/cpython-3.12.7-aarch64.tar.gz"
sha256 = "` + strings.ToUpper(sumB) + `"
os = "linux"
arch = "arm64"
stacks = ["*"]
deprecation_date = "2028-10-31T00:00:00Z"
licenses = ["PSF-2.0"]
`

func TestParseInventoryDecodesBothChecksumForms(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	inv, err := dependency.ParseInventory([]byte(goodTOML))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(inv).To(HaveLen(2))

	a := inv[0]
	g.Expect(a.ID).To(Equal("cpython"))
	g.Expect(a.DisplayName()).To(Equal("CPython"))
	g.Expect(a.SHA256).To(Equal(sumA))
	g.Expect(a.Checksum()).To(Equal("sha256:" + sumA))
	g.Expect(a.Target).To(Equal(spec.Target{OS: "linux", Arch: "amd64"}))
	g.Expect(a.PURL).To(Equal("pkg:generic/cpython@3.12.7"))
	g.Expect(a.CPEs).To(HaveLen(1))
	g.Expect(a.Licenses).To(Equal([]dependency.License{{Type: "PSF-2.0", URI: "https://example.org/LICENSE"}}))
	g.Expect(a.DeprecationDate).To(Equal(time.Date(2028, 10, 31, 0, 0, 0, 0, time.UTC)))
	g.Expect(a.StripComponents).To(Equal(1))

	b := inv[1]
	g.Expect(b.SHA256).To(Equal(sumB), "legacy sha256 is lowercased")
	g.Expect(b.DisplayName()).To(Equal("cpython"))
	g.Expect(b.Licenses).To(Equal([]dependency.License{{Type: "PSF-2.0"}}))
	g.Expect(b.DeprecationDate).To(Equal(time.Date(2028, 10, 31, 0, 0, 0, 0, time.UTC)))
}

func TestParseInventoryAbsentTargetMeansAny(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	inv, err := dependency.ParseInventory([]byte(`[[dependencies]]
id = "tool"
version = "1.0.0"
uri = "file:///srv/tool"
checksum = "sha256:` + sumA + `"
`))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(inv[0].Target).To(Equal(spec.Target{}))
	g.Expect(inv[0].Target.String()).To(Equal("any"))
	g.Expect(inv[0].Target.Matches(spec.Target{OS: "linux", Arch: "riscv64"})).To(BeTrue())
}

func TestParseInventoryReportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	_, err := dependency.ParseInventory([]byte(`
[buildpack]
id = "x"
[[metadata.dependencies]]
id = "a"
version = "1.0.0"
uri = "https://example.test/a"
checksum = "md5:abc"

[[metadata.dependencies]]
id = "b"
version = "1.0.0"
checksum = "sha256:` + sumA + `"

[[metadata.dependencies]]
id = "c"
version = "one"
uri = "ftp://example.test/c"
checksum = "sha256:` + sumA + `"
arch = "x86_64"
tpye = "oops"

[[metadata.dependencies]]
id = "d"
version = "1.0.0"
uri = "https://example.test/d"
sha256 = "` + sumA + `"
os = "linux"

[[metadata.dependencies]]
id = "d"
version = "1.0.0"
uri = "https://example.test/d2"
checksum = "sha256:` + sumB + `"
os = "linux"

[[metadata.dependencies]]
id = "e"
version = "1.0.0"
uri = "https://example.test/e"
checksum = "sha256:` + sumA + `"
sha256 = "` + sumB + `"
deprecation-date = "soon"
`))
	g.Expect(err).To(HaveOccurred())
	var ie *dependency.InvalidError
	g.Expect(errors.As(err, &ie)).To(BeTrue(), "want *InvalidError, got %T: %v", err, err)
	msg := err.Error()
	g.Expect(msg).NotTo(ContainSubstring("\n"))
	for _, want := range []string{
		`dependencies[0] (a 1.0.0): checksum: checksum "md5:abc" uses "md5": use sha256 (or sha512)`,
		`dependencies[1] (b 1.0.0): uri is empty`,
		`dependencies[2] (c one): unknown key "tpye"`,
		`version "one" is not a semantic version`,
		`uri "ftp://example.test/c": use an https://, http:// or file:// URL`,
		`did you mean "amd64"?`,
		`dependencies[4] (d 1.0.0): duplicates dependencies[3]`,
		`dependencies[5] (e 1.0.0): checksum and sha256 disagree`,
		`deprecation-date: date "soon" is not YYYY-MM-DD`,
	} {
		g.Expect(msg).To(ContainSubstring(want))
	}
}

func TestParseInventoryRejectsBrokenFiles(t *testing.T) {
	t.Parallel()
	for name, input := range map[string]string{
		"not toml":            "[[dependencies",
		"unknown top key":     "[[dependencies]]\nid = \"a\"\nversion = \"1.0.0\"\nuri = \"https://x.test/a\"\nchecksum = \"sha256:" + sumA + "\"\n[extra]\nx = 1\n",
		"dependencies scalar": "dependencies = 3\n",
		"metadata scalar":     "[buildpack]\nid = \"x\"\n[metadata]\ndependencies = \"x\"\n",
		"wrong type":          "[[dependencies]]\nid = 3\n",
		"no checksum":         "[[dependencies]]\nid = \"a\"\nversion = \"1.0.0\"\nuri = \"https://x.test/a\"\n",
		"negative strip":      "[[dependencies]]\nid = \"a\"\nversion = \"1.0.0\"\nuri = \"https://x.test/a\"\nchecksum = \"sha256:" + sumA + "\"\nstrip-components = -1\n",
		"bad licenses":        "[[dependencies]]\nid = \"a\"\nversion = \"1.0.0\"\nuri = \"https://x.test/a\"\nchecksum = \"sha256:" + sumA + "\"\nlicenses = [3]\n",
		"short legacy sha256": "[[dependencies]]\nid = \"a\"\nversion = \"1.0.0\"\nuri = \"https://x.test/a\"\nsha256 = \"abc\"\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			inv, err := dependency.ParseInventory([]byte(input))
			g.Expect(err).To(HaveOccurred(), "ParseInventory(%q) = %v, want an error", input, inv)
			var ie *dependency.InvalidError
			g.Expect(errors.As(err, &ie)).To(BeTrue())
		})
	}
}

func TestParseChecksum(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	for _, in := range []string{"sha256:" + sumA, sumA, "SHA256:" + strings.ToUpper(sumA), " sha256:" + sumA + " "} {
		got, err := dependency.ParseChecksum(in)
		g.Expect(err).NotTo(HaveOccurred(), in)
		g.Expect(got).To(Equal(sumA), in)
	}
	for _, in := range []string{"", "sha256:", "sha512:" + sumA, "sha256:" + sumA[1:], "sha256:" + strings.Repeat("z", 64), "md5:" + sumA[:32]} {
		_, err := dependency.ParseChecksum(in)
		g.Expect(err).To(HaveOccurred(), in)
	}
	// libpak verifies sha512 too; cnbkit needs the sha256 and says why.
	_, err := dependency.ParseChecksum("sha512:" + sumA + sumA)
	g.Expect(err).To(MatchError(ContainSubstring("is a sha512 digest: cnbkit needs the artifact's sha256")))
}

func TestCheckReadsBuildpackDir(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	g.Expect(dependency.Check(dir)).To(MatchError(ContainSubstring("reading dependency inventory")))
	g.Expect(os.WriteFile(filepath.Join(dir, "buildpack.toml"), []byte(goodTOML), 0o644)).To(Succeed())
	g.Expect(dependency.Check(dir)).To(Succeed())
	bad := strings.Replace(goodTOML, `uri = "https://example.test/cpython-3.12.7-x86_64.tar.gz"`, "", 1)
	g.Expect(os.WriteFile(filepath.Join(dir, "buildpack.toml"), []byte(bad), 0o644)).To(Succeed())
	err := dependency.Check(dir)
	g.Expect(err).To(MatchError(ContainSubstring("buildpack.toml: dependency inventory has 1 problem: dependencies[0] (cpython 3.12.7): uri is empty")))
}

func mustInventory(t *testing.T, s string) dependency.Inventory {
	t.Helper()
	inv, err := dependency.ParseInventory([]byte(s))
	if err != nil {
		t.Fatalf("ParseInventory: %v", err)
	}
	return inv
}

func entry(id, version, arch, sum string) string {
	return "[[dependencies]]\nid = \"" + id + "\"\nversion = \"" + version + "\"\nuri = \"https://example.test/" + id + "-" + version + "-" + arch +
		"\"\nchecksum = \"sha256:" + sum + "\"\nos = \"linux\"\narch = \"" + arch + "\"\n"
}

func TestMerge(t *testing.T) {
	t.Parallel()
	base := mustInventory(t, entry("cpython", "3.12.7", "amd64", sumA)+entry("cpython", "3.11.9", "amd64", sumA)+entry("ffmpeg", "7.1.0", "amd64", sumA))
	override := mustInventory(t, entry("cpython", "3.12.7", "amd64", sumB)+entry("cpython", "3.13.1", "amd64", sumB))

	t.Run("replace drops every base entry of an overridden id", func(t *testing.T) {
		g := NewWithT(t)
		got, err := dependency.Merge(base, override, dependency.Replace)
		g.Expect(err).NotTo(HaveOccurred())
		var ids []string
		for _, d := range got {
			ids = append(ids, d.ID+"@"+d.Version+":"+d.SHA256[len(d.SHA256)-1:])
		}
		g.Expect(ids).To(Equal([]string{"ffmpeg@7.1.0:a", "cpython@3.12.7:b", "cpython@3.13.1:b"}))
	})
	t.Run("extend keeps the base and lets the override win on id+version+target", func(t *testing.T) {
		g := NewWithT(t)
		got, err := dependency.Merge(base, override, dependency.Extend)
		g.Expect(err).NotTo(HaveOccurred())
		var ids []string
		for _, d := range got {
			ids = append(ids, d.ID+"@"+d.Version+":"+d.SHA256[len(d.SHA256)-1:])
		}
		g.Expect(ids).To(Equal([]string{"cpython@3.11.9:a", "ffmpeg@7.1.0:a", "cpython@3.12.7:b", "cpython@3.13.1:b"}))
	})
	t.Run("unknown mode", func(t *testing.T) {
		g := NewWithT(t)
		_, err := dependency.Merge(base, override, "append")
		g.Expect(err).To(MatchError(ContainSubstring(`mode "append" is not known`)))
		_, err = dependency.ParseMergeMode("append")
		g.Expect(err).To(HaveOccurred())
		m, err := dependency.ParseMergeMode("extend")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(m).To(Equal(dependency.Extend))
	})
}

func TestMarshalTOMLRoundTrips(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	inv := mustInventory(t, goodTOML)
	data, err := inv.MarshalTOML()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(data)).To(ContainSubstring(`checksum = "sha256:`+sumB+`"`), "legacy form is written canonically")
	again, err := dependency.ParseInventory(data)
	g.Expect(err).NotTo(HaveOccurred(), string(data))
	g.Expect(again).To(Equal(inv))
}

func TestWithInventoryRewritesOnlyDependencies(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	override := mustInventory(t, entry("cpython", "3.13.1", "amd64", sumB))
	out, err := dependency.WithInventory([]byte(goodTOML+"\n[metadata.other]\nkeep = true\n"), override)
	g.Expect(err).NotTo(HaveOccurred())
	bp, err := spec.ParseBuildpack(out)
	g.Expect(err).NotTo(HaveOccurred(), string(out))
	g.Expect(bp.Info.ID).To(Equal("example/python"))
	g.Expect(bp.Metadata["other"]).To(Equal(map[string]any{"keep": true}))
	got, err := dependency.ParseInventory(out)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(Equal(override))
}

func TestForTargets(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	inv := mustInventory(t, entry("a", "1.0.0", "amd64", sumA)+entry("a", "1.0.0", "arm64", sumB)+
		"[[dependencies]]\nid = \"any\"\nversion = \"1.0.0\"\nuri = \"https://x.test/any\"\nchecksum = \"sha256:"+sumA+"\"\n")
	g.Expect(inv.ForTargets()).To(HaveLen(3))
	got := inv.ForTargets(spec.Target{OS: "linux", Arch: "arm64"})
	g.Expect(got).To(HaveLen(2))
	g.Expect(got[0].Target.Arch).To(Equal("arm64"))
	g.Expect(got[1].ID).To(Equal("any"))
}

func FuzzParseInventory(f *testing.F) {
	f.Add([]byte(goodTOML))
	f.Add([]byte(entry("a", "1.0.0", "amd64", sumA)))
	f.Add([]byte("[[dependencies]]\nid = 1\n"))
	f.Add([]byte("[metadata]\ndependencies = [{id = \"x\", licenses = [{type = 1}]}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := dependency.ParseInventory(data)
		if err != nil {
			var ie *dependency.InvalidError
			if !errors.As(err, &ie) || len(ie.Problems) == 0 {
				t.Fatalf("ParseInventory error %v (%T) is not an *InvalidError with problems", err, err)
			}
			if strings.Contains(err.Error(), "\n") && !strings.Contains(string(data), "\n") {
				t.Fatalf("error has a newline: %q", err)
			}
			return
		}
		// A valid inventory is valid, re-encodes, and decodes to the same value.
		if err := inv.Validate(); err != nil {
			t.Fatalf("parsed inventory does not validate: %v", err)
		}
		for _, d := range inv {
			if len(d.SHA256) != 64 || strings.ToLower(d.SHA256) != d.SHA256 {
				t.Fatalf("checksum %q not canonical", d.SHA256)
			}
		}
		data2, err := inv.MarshalTOML()
		if err != nil {
			t.Fatalf("MarshalTOML: %v", err)
		}
		inv2, err := dependency.ParseInventory(data2)
		if err != nil {
			t.Fatalf("re-parsing %q: %v", data2, err)
		}
		if len(inv2) != len(inv) {
			t.Fatalf("round trip changed length: %d -> %d", len(inv), len(inv2))
		}
		for i := range inv {
			if inv[i].String() != inv2[i].String() || inv[i].SHA256 != inv2[i].SHA256 || inv[i].URI != inv2[i].URI {
				t.Fatalf("round trip changed entry %d: %v -> %v", i, inv[i], inv2[i])
			}
		}
	})
}
