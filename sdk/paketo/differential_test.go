package paketo_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	. "github.com/onsi/gomega"
	"github.com/paketo-buildpacks/libpak/v2"

	"github.com/cnbkit/cnbkit/sdk/dependency"
	"github.com/cnbkit/cnbkit/sdk/paketo"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

func hex(c byte) string { return strings.Repeat(string(c), 64) }

// inventory is a buildpack.toml with every key libpak v2.2.0 reads for a dependency: id,
// name, version, uri, sha256 and checksum (with and without the sha256: prefix), stacks,
// arch, os, distros, purl and purls (with and without an arch qualifier), cpes, licenses,
// deprecation_date, eol-date, strip-components, source, source-checksum.
var inventory = fmt.Sprintf(`api = "0.10"
[buildpack]
id = "example/tool"
version = "1.0.0"

[[metadata.dependencies]]
id = "tool"
name = "Tool"
version = "1.2.3"
uri = "https://example.test/tool-1.2.3-amd64.tgz"
sha256 = "%[1]s"
stacks = ["io.buildpacks.stacks.jammy", "*"]
arch = "amd64"
purl = "pkg:generic/tool@1.2.3?arch=amd64"
cpes = ["cpe:2.3:a:example:tool:1.2.3:*:*:*:*:*:*:*"]
deprecation_date = 2030-01-02T00:00:00Z
strip-components = 1
[[metadata.dependencies.licenses]]
type = "Apache-2.0"
uri = "https://www.apache.org/licenses/LICENSE-2.0"

[[metadata.dependencies]]
id = "tool"
name = "Tool"
version = "1.2.3"
uri = "https://example.test/tool-1.2.3-arm64.tgz"
checksum = "sha256:%[2]s"
purls = ["pkg:generic/tool@1.2.3?arch=arm64"]
cpes = ["cpe:2.3:a:example:tool:1.2.3:*:*:*:*:*:*:*"]
eol-date = 2031-05-06T00:00:00Z
source = "https://example.test/tool-1.2.3-src.tgz"
source-checksum = "sha256:%[3]s"

[[metadata.dependencies]]
id = "tool"
name = "Tool"
version = "1.3.0"
uri = "https://example.test/tool-1.3.0.tgz"
checksum = "%[4]s"
arch = "amd64"
os = "linux"
purl = "pkg:generic/tool@1.3.0"
[[metadata.dependencies.licenses]]
type = "MIT"

[[metadata.dependencies]]
id = "tool"
name = "Tool"
version = "2.0.0-rc.1"
uri = "https://example.test/tool-2.0.0-rc.1.tgz"
checksum = "sha256:%[5]s"
purl = "pkg:generic/tool@2.0.0-rc.1?arch=amd64"

[[metadata.dependencies]]
id = "runtime"
name = "Runtime"
version = "3.11.9"
uri = "https://example.test/runtime-3.11.9.tgz"
checksum = "sha256:%[6]s"
arch = "amd64"
purl = "pkg:generic/runtime@3.11.9"

[[metadata.dependencies]]
id = "runtime"
name = "Runtime"
version = "3.12.7"
uri = "https://example.test/runtime-3.12.7.tgz"
checksum = "sha256:%[7]s"
arch = "amd64"
purl = "pkg:generic/runtime@3.12.7"

[[metadata.dependencies]]
id = "runtime"
name = "Runtime"
version = "3.12.8"
uri = "https://example.test/runtime-3.12.8-arm64.tgz"
checksum = "sha256:%[8]s"
arch = "arm64"
purl = "pkg:generic/runtime@3.12.8"
`, hex('a'), hex('b'), hex('c'), hex('d'), hex('e'), hex('1'), hex('2'), hex('3'))

// libpakMetadata decodes a buildpack.toml's [metadata] with libpak, as a libpak buildpack does.
func libpakMetadata(t *testing.T, data string) libpak.BuildModuleMetadata {
	t.Helper()
	var bp struct {
		Metadata map[string]any `toml:"metadata"`
	}
	if _, err := toml.Decode(data, &bp); err != nil {
		t.Fatal(err)
	}
	md, err := libpak.NewBuildModuleMetadata(bp.Metadata)
	if err != nil {
		t.Fatalf("libpak.NewBuildModuleMetadata: %v", err)
	}
	return md
}

// libpakResolve resolves as libpak's DependencyResolver does for a build on arch (BP_ARCH)
// and stack.
func libpakResolve(t *testing.T, md libpak.BuildModuleMetadata, id, constraint, arch, stack string) (libpak.BuildModuleDependency, error) {
	t.Helper()
	t.Setenv("BP_ARCH", arch)
	r, err := libpak.NewDependencyResolver(md, stack)
	if err != nil {
		t.Fatal(err)
	}
	return r.Resolve(id, constraint)
}

// TestResolvesLikeLibpak decodes one inventory with libpak and with cnbkit and resolves the
// same requests with both: the same entry must come back (by uri, which is unique here).
// Not parallel: libpak reads the architecture from BP_ARCH.
func TestResolvesLikeLibpak(t *testing.T) {
	md := libpakMetadata(t, inventory)
	inv, err := dependency.ParseInventory([]byte(inventory))
	if err != nil {
		t.Fatal(err)
	}
	const jammy = "io.buildpacks.stacks.jammy"
	tests := []struct {
		id, constraint, arch string
		want                 string // uri, or "" for no match
	}{
		{"tool", "", "amd64", "https://example.test/tool-1.3.0.tgz"},
		{"tool", "*", "amd64", "https://example.test/tool-1.3.0.tgz"},
		{"tool", "1.2.*", "amd64", "https://example.test/tool-1.2.3-amd64.tgz"},
		{"tool", "~1.2", "arm64", "https://example.test/tool-1.2.3-arm64.tgz"}, // arch from purls
		{"tool", "1.2.3", "amd64", "https://example.test/tool-1.2.3-amd64.tgz"},
		{"tool", ">=1.0, <2", "arm64", "https://example.test/tool-1.2.3-arm64.tgz"},
		{"tool", "2.0.0-rc.1", "amd64", "https://example.test/tool-2.0.0-rc.1.tgz"}, // a prerelease only when asked for
		{"tool", ">=2.0.0-0", "amd64", "https://example.test/tool-2.0.0-rc.1.tgz"},
		{"tool", "3.*", "amd64", ""},
		{"runtime", "3.12", "amd64", "https://example.test/runtime-3.12.7.tgz"},
		{"runtime", "3.12", "arm64", "https://example.test/runtime-3.12.8-arm64.tgz"},
		{"runtime", "3.11", "arm64", ""},
		{"runtime", "", "amd64", "https://example.test/runtime-3.12.7.tgz"},
		{"missing", "", "amd64", ""},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s %q on %s", tt.id, tt.constraint, tt.arch)
		g := NewWithT(t)
		lp, lerr := libpakResolve(t, md, tt.id, tt.constraint, tt.arch, jammy)
		ck, cerr := inv.Resolve(tt.id, tt.constraint, spec.Target{OS: "linux", Arch: tt.arch, Distros: []spec.Distro{{Name: "ubuntu", Version: "22.04"}}})
		if tt.want == "" {
			g.Expect(libpak.IsNoValidDependencies(lerr)).To(BeTrue(), "%s: libpak found %s (%v)", name, lp.URI, lerr)
			var nm *dependency.NoMatchError
			g.Expect(errors.As(cerr, &nm)).To(BeTrue(), "%s: cnbkit found %s (%v)", name, ck.URI, cerr)
			continue
		}
		g.Expect(lerr).NotTo(HaveOccurred(), name)
		g.Expect(cerr).NotTo(HaveOccurred(), name)
		g.Expect(lp.URI).To(Equal(tt.want), "%s: libpak", name)
		g.Expect(ck.URI).To(Equal(tt.want), "%s: cnbkit", name)
		// The entry cnbkit chose converts to the one libpak chose, field by field.
		g.Expect(ck.Version).To(Equal(lp.Version), name)
		g.Expect(ck.SHA256).To(Equal(lp.GetChecksum().Hash()), name)
		g.Expect(ck.PURL).To(Equal(lp.GetPURLS()[0]), name)
		g.Expect(ck.DeprecationDate.Equal(lp.GetEOLDate())).To(BeTrue(), "%s: %s vs %s", name, ck.DeprecationDate, lp.GetEOLDate())
	}
}

// oneEntry is an inventory of one dependency x 1.0.0 at uri, with more keys in rest.
func oneEntry(uri, rest string) string {
	return "[[metadata.dependencies]]\nid = \"x\"\nversion = \"1.0.0\"\nuri = \"" + uri + "\"\n" + rest
}

// TestWhereCnbkitDiffers pins each deliberate difference from libpak's resolver (listed in
// the package documentation): libpak's answer and cnbkit's, side by side.
func TestWhereCnbkitDiffers(t *testing.T) {
	t.Run("sha512 checksums are refused", func(t *testing.T) {
		g := NewWithT(t)
		data := oneEntry("https://example.test/x.tgz", `checksum = "sha512:`+strings.Repeat("f", 128)+`"
purl = "pkg:generic/x@1.0.0"
`)
		lp, err := libpakResolve(t, libpakMetadata(t, data), "x", "", "amd64", "")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(lp.GetChecksum().Algorithm()).To(Equal("sha512"), "libpak resolves it")
		_, err = dependency.ParseInventory([]byte(data))
		g.Expect(err).To(MatchError(ContainSubstring("is a sha512 digest: cnbkit needs the artifact's sha256")))
	})
	t.Run("distros take part in resolution", func(t *testing.T) {
		g := NewWithT(t)
		data := oneEntry("https://example.test/x-noble.tgz", `checksum = "sha256:`+hex('a')+`"
arch = "amd64"
purl = "pkg:generic/x@1.0.0"
distros = [{ name = "ubuntu", version = "24.04" }]
`)
		lp, err := libpakResolve(t, libpakMetadata(t, data), "x", "", "amd64", "")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(lp.URI).To(Equal("https://example.test/x-noble.tgz"), "libpak ignores distros")
		inv, err := dependency.ParseInventory([]byte(data))
		g.Expect(err).NotTo(HaveOccurred())
		_, err = inv.Resolve("x", "", spec.Target{OS: "linux", Arch: "amd64", Distros: []spec.Distro{{Name: "debian", Version: "12"}}})
		g.Expect(err).To(MatchError(ContainSubstring("has no versions for target linux/amd64")), "a build for ubuntu 24.04 does not run on Debian 12")
		d, err := inv.Resolve("x", "", spec.Target{OS: "linux", Arch: "amd64", Distros: []spec.Distro{{Name: "ubuntu", Version: "24.04"}}})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(d.URI).To(Equal(lp.URI))
	})
	t.Run("stacks play no part", func(t *testing.T) {
		g := NewWithT(t)
		data := oneEntry("https://example.test/x.tgz", `checksum = "sha256:`+hex('a')+`"
arch = "amd64"
purl = "pkg:generic/x@1.0.0"
stacks = ["io.buildpacks.stacks.bionic"]
`)
		_, err := libpakResolve(t, libpakMetadata(t, data), "x", "", "amd64", "io.buildpacks.stacks.jammy")
		g.Expect(libpak.IsNoValidDependencies(err)).To(BeTrue(), "libpak filters by stack id")
		inv, err := dependency.ParseInventory([]byte(data))
		g.Expect(err).NotTo(HaveOccurred())
		d, err := inv.Resolve("x", "", spec.Target{OS: "linux", Arch: "amd64"})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(d.Stacks).To(Equal([]string{"io.buildpacks.stacks.bionic"}), "kept for reference")
	})
	t.Run("no arch and no purl means any architecture", func(t *testing.T) {
		g := NewWithT(t)
		data := oneEntry("https://example.test/x.tgz", `checksum = "sha256:`+hex('a')+`"
`)
		_, err := libpakResolve(t, libpakMetadata(t, data), "x", "", "arm64", "")
		g.Expect(libpak.IsNoValidDependencies(err)).To(BeTrue(), "libpak takes it for amd64 only")
		inv, err := dependency.ParseInventory([]byte(data))
		g.Expect(err).NotTo(HaveOccurred())
		_, err = inv.Resolve("x", "", spec.Target{OS: "linux", Arch: "arm64"})
		g.Expect(err).NotTo(HaveOccurred())
	})
	t.Run("the target's architecture, not the buildpack's", func(t *testing.T) {
		g := NewWithT(t)
		inv, err := dependency.ParseInventory([]byte(inventory))
		g.Expect(err).NotTo(HaveOccurred())
		lp, err := libpakResolve(t, libpakMetadata(t, inventory), "runtime", "3.12", "amd64", "")
		g.Expect(err).NotTo(HaveOccurred())
		d, err := inv.Resolve("runtime", "3.12", spec.Target{OS: "linux", Arch: "arm64"})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect([]string{lp.Version, d.Version}).To(Equal([]string{"3.12.7", "3.12.8"}), "an amd64 buildpack binary building for arm64")
	})
	t.Run("latest means any version", func(t *testing.T) {
		g := NewWithT(t)
		_, err := libpakResolve(t, libpakMetadata(t, inventory), "runtime", "latest", "amd64", "")
		g.Expect(err).To(MatchError(ContainSubstring("invalid constraint")))
		inv, err := dependency.ParseInventory([]byte(inventory))
		g.Expect(err).NotTo(HaveOccurred())
		d, err := inv.Resolve("runtime", "latest", spec.Target{OS: "linux", Arch: "amd64"})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(d.Version).To(Equal("3.12.7"))
	})
}

// TestConversionsRoundTrip converts every entry libpak decoded to cnbkit's type and back, and
// compares with what cnbkit decodes from the same file.
func TestConversionsRoundTrip(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	md := libpakMetadata(t, inventory)
	fromLibpak, err := paketo.Inventory(md)
	g.Expect(err).NotTo(HaveOccurred())
	parsed, err := dependency.ParseInventory([]byte(inventory))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(fromLibpak).To(HaveLen(len(parsed)))
	for i := range parsed {
		a, b := parsed[i], fromLibpak[i]
		g.Expect(a.DeprecationDate.Equal(b.DeprecationDate)).To(BeTrue(), "%s: %s vs %s", a, a.DeprecationDate, b.DeprecationDate)
		a.DeprecationDate, b.DeprecationDate = time.Time{}, time.Time{}
		g.Expect(b).To(Equal(a), "entry %d converted from libpak", i)

		back := paketo.BuildModuleDependency(parsed[i])
		orig := md.Dependencies[i]
		g.Expect(back.GetChecksum().Equal(orig.GetChecksum()) || back.GetChecksum().Hash() == orig.GetChecksum().Hash()).To(BeTrue(), "checksum of entry %d", i)
		g.Expect(back.GetPURLS()).To(Equal(orig.GetPURLS()))
		g.Expect(back.GetEOLDate().Equal(orig.GetEOLDate())).To(BeTrue())
		again, err := paketo.Dependency(back)
		g.Expect(err).NotTo(HaveOccurred())
		again.DeprecationDate = parsed[i].DeprecationDate
		g.Expect(again).To(Equal(parsed[i]), "entry %d through libpak and back", i)
	}
	_, err = paketo.Dependency(libpak.BuildModuleDependency{ID: "x", Version: "1.0.0", URI: "https://example.test/x", Checksum: "sha512:" + libpak.Checksum(strings.Repeat("f", 128))})
	g.Expect(err).To(MatchError(ContainSubstring("converting libpak dependency x 1.0.0")))
}
