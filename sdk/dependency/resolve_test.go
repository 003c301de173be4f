package dependency_test

import (
	"errors"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk/dependency"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

func resolveInventory(t *testing.T) dependency.Inventory {
	return mustInventory(t,
		entry("cpython", "3.11.9", "amd64", sumA)+
			entry("cpython", "3.12.4", "amd64", sumA)+
			entry("cpython", "3.12.7", "amd64", sumA)+
			entry("cpython", "3.12.7", "arm64", sumB)+
			entry("cpython", "3.13.1", "amd64", sumA)+
			entry("cpython", "3.14.0-rc1", "amd64", sumA)+
			entry("cpython", "3.12.8", "arm64", sumB)+
			`[[dependencies]]
id = "cpython"
version = "3.12.7"
uri = "https://example.test/cpython-3.12.7-debian"
checksum = "sha256:`+sumB+`"
os = "linux"
arch = "amd64"
distros = [{ name = "debian", version = "12" }]
`)
}

func TestResolveConstraintsForTheBuildTarget(t *testing.T) {
	t.Parallel()
	inv := resolveInventory(t)
	amd64 := spec.Target{OS: "linux", Arch: "amd64"}
	arm64 := spec.Target{OS: "linux", Arch: "arm64"}
	for _, c := range []struct {
		constraint string
		target     spec.Target
		want       string
	}{
		{"3.12", amd64, "3.12.7"},
		{"3.12.*", amd64, "3.12.7"},
		{"3.12.x", amd64, "3.12.7"},
		{"~3.12", amd64, "3.12.7"},
		{">=3.11,<3.14", amd64, "3.13.1"},
		{">=3.11, <3.13", amd64, "3.12.7"},
		{"3.12.4", amd64, "3.12.4"},
		{"=3.11.9", amd64, "3.11.9"},
		{"", amd64, "3.13.1"},
		{"*", amd64, "3.13.1"},
		{"latest", amd64, "3.13.1"},
		{"3.12", arm64, "3.12.8"},
		{"3.14.0-rc1", amd64, "3.14.0-rc1"},
	} {
		t.Run(c.constraint+"@"+c.target.String(), func(t *testing.T) {
			g := NewWithT(t)
			got, err := inv.Resolve("cpython", c.constraint, c.target)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got.Version).To(Equal(c.want), "Resolve(%q, %s)", c.constraint, c.target)
			g.Expect(got.Target.Matches(c.target)).To(BeTrue())
		})
	}
}

func TestResolvePrefersTheMostSpecificTarget(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	inv := resolveInventory(t)
	debian := spec.Target{OS: "linux", Arch: "amd64", Distros: []spec.Distro{{Name: "debian", Version: "12"}}}
	got, err := inv.Resolve("cpython", "3.12.7", debian)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got.URI).To(HaveSuffix("-debian"))

	ubuntu := spec.Target{OS: "linux", Arch: "amd64", Distros: []spec.Distro{{Name: "ubuntu", Version: "24.04"}}}
	got, err = inv.Resolve("cpython", "3.12.7", ubuntu)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got.URI).To(HaveSuffix("-amd64"), "the debian-only build must not be picked for ubuntu")
}

func TestResolveNoMatchListsVersionsForTheTarget(t *testing.T) {
	t.Parallel()
	inv := resolveInventory(t)
	for _, c := range []struct {
		name, id, constraint string
		target               spec.Target
		want                 string
	}{
		{"no version", "cpython", "3.9", spec.Target{OS: "linux", Arch: "arm64"},
			`no version of cpython matches "3.9" for target linux/arm64: versions available for this target: 3.12.8, 3.12.7`},
		{"no target", "cpython", "3.12", spec.Target{OS: "linux", Arch: "riscv64"},
			`cpython has no versions for target linux/riscv64 (wanted "3.12"): it has versions for linux/amd64, linux/amd64:debian@12, linux/arm64`},
		{"no id", "ruby", "", spec.Target{OS: "linux", Arch: "amd64"},
			`the buildpack declares no dependency with id "ruby"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := inv.Resolve(c.id, c.constraint, c.target)
			g.Expect(err).To(MatchError(ContainSubstring(c.want)))
			var nm *dependency.NoMatchError
			g.Expect(errors.As(err, &nm)).To(BeTrue())
		})
	}
	g := NewWithT(t)
	_, err := inv.Resolve("cpython", ">>3", spec.Target{})
	g.Expect(err).To(MatchError(ContainSubstring(`version constraint ">>3" is not valid`)))
}

func TestVersionsHighestFirst(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	g.Expect(resolveInventory(t).Versions("cpython", spec.Target{OS: "linux", Arch: "amd64"})).
		To(Equal([]string{"3.14.0-rc1", "3.13.1", "3.12.7", "3.12.4", "3.11.9"}))
}
