package dependency_test

import (
	"encoding/json"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk/dependency"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

func deprecationInventory(t *testing.T) dependency.Inventory {
	return mustInventory(t, entry("cpython", "3.9.20", "amd64", sumA)+"deprecation-date = 2026-10-31\nname = \"CPython\"\n"+
		entry("cpython", "3.10.15", "amd64", sumA)+"deprecation-date = 2026-01-01\n"+
		entry("cpython", "3.12.7", "amd64", sumA)+
		entry("cpython", "3.13.1", "amd64", sumA)+
		entry("cpython", "3.14.0-rc1", "amd64", sumA))
}

func TestDeprecationNotices(t *testing.T) {
	t.Parallel()
	inv := deprecationInventory(t)
	target := spec.Target{OS: "linux", Arch: "amd64"}
	dep, err := inv.Resolve("cpython", "3.9", target)
	if err != nil {
		t.Fatal(err)
	}
	day := func(s string) time.Time {
		d, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, c := range []struct {
		now  string
		want string
	}{
		{"2026-09-01 12:00", ""},
		{"2026-10-19 12:00", "CPython 3.9.20 reaches its deprecation date on 2026-10-31 (in 12 days); builds keep working until a release of this buildpack removes it. To avoid that, select a newer version, e.g. 3.13.1 or 3.12.7."},
		{"2026-10-30 12:00", "(tomorrow)"},
		{"2026-10-31 08:00", "CPython 3.9.20 is deprecated as of today (2026-10-31); a future release of this buildpack may remove it, and this build would then fail. To avoid that, select a newer version, e.g. 3.13.1 or 3.12.7."},
		{"2026-11-01 08:00", "has been deprecated since 2026-10-31 (1 day ago)"},
		{"2026-12-10 08:00", "has been deprecated since 2026-10-31 (40 days ago)"},
	} {
		t.Run(c.now, func(t *testing.T) {
			g := NewWithT(t)
			n, ok := inv.Deprecation(dep, target, day(c.now))
			if c.want == "" {
				g.Expect(ok).To(BeFalse(), "no notice more than 30 days ahead, got %s", n)
				return
			}
			g.Expect(ok).To(BeTrue())
			g.Expect(n.String()).To(ContainSubstring(c.want))
		})
	}
	g := NewWithT(t)
	latest, _ := inv.Resolve("cpython", "3.13", target)
	_, ok := inv.Deprecation(latest, target, day("2030-01-01 00:00"))
	g.Expect(ok).To(BeFalse(), "no date, no notice")
	only := mustInventory(t, entry("tool", "1.0.0", "amd64", sumA)+"deprecation-date = 2026-01-01\n")
	n, ok := only.Deprecation(only[0], target, day("2026-02-01 00:00"))
	g.Expect(ok).To(BeTrue())
	g.Expect(n.String()).To(ContainSubstring("check the buildpack's release notes for a supported version"))
}

func TestComponentAndSBOM(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	inv := mustInventory(t, goodTOML)
	c := inv[0].Component()
	g.Expect(c.Name).To(Equal("CPython"))
	g.Expect(c.Version).To(Equal("3.12.7"))
	g.Expect(c.PURL).To(Equal("pkg:generic/cpython@3.12.7"))
	g.Expect(c.Licenses).To(Equal([]string{"PSF-2.0"}))
	g.Expect(c.SHA256).To(Equal(sumA))
	data, err := dependency.SBOM("cpython", inv[0]).CycloneDX()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(json.Valid(data)).To(BeTrue())
	g.Expect(string(data)).To(ContainSubstring(`"content": "` + sumA + `"`))
}
