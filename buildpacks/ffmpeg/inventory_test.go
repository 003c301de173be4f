package ffmpeg_test

import (
	"net/url"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk/dependency"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// TestInventory checks the shipped inventory: valid, one ffmpeg and one ffprobe for each
// target, GPL licences declared, and every uri on the documented placeholder host.
func TestInventory(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	g.Expect(dependency.Check(".")).To(Succeed())
	inv, err := dependency.Load(".")
	g.Expect(err).NotTo(HaveOccurred())
	for _, arch := range []string{"amd64", "arm64"} {
		target := spec.Target{OS: "linux", Arch: arch}
		for _, id := range []string{"ffmpeg", "ffprobe"} {
			dep, err := inv.Resolve(id, "", target)
			g.Expect(err).NotTo(HaveOccurred(), "%s for %s", id, target)
			g.Expect(dep.Licenses).To(ContainElement(dependency.License{Type: "GPL-3.0-or-later", URI: "https://ffmpeg.org/legal.html"}))
			g.Expect(dep.PURL).To(HavePrefix("pkg:npm/"))
			g.Expect(dep.CPEs).NotTo(BeEmpty())
			g.Expect(dep.StripComponents).To(Equal(1))
			u, err := url.Parse(dep.URI)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(u.Host).To(Equal("npm.invalid"))
		}
	}
}
