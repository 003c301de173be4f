package ffmpeg_test

import (
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk/dependency"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// The release builds the shipped inventory pins: BtbN/FFmpeg-Builds, FFmpeg 7.1.5, from the
// monthly release kept for about two years, with the publisher's sha256 values.
const btbnRelease = "https://github.com/BtbN/FFmpeg-Builds/releases/download/autobuild-2026-07-31-14-10/"

var shippedBuilds = map[string]struct{ file, sha256 string }{
	"amd64": {"ffmpeg-n7.1.5-12-g1fdbca85aa-linux64-gpl-7.1.tar.xz", "c1e6caf48923dd8e6bc5e54d51ba70c321175b8162ae9c414c392990e72f0e79"},
	"arm64": {"ffmpeg-n7.1.5-12-g1fdbca85aa-linuxarm64-gpl-7.1.tar.xz", "a9a50c5782ef5e45306d58d1a9a819015b472d8da30ab6a77f15f571c861a71b"},
}

// TestInventory checks the shipped inventory: valid, FFmpeg 7.1.5 for each target from the
// pinned release archive, ffprobe from the same archive, GPL licences declared.
func TestInventory(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	g.Expect(dependency.Check(".")).To(Succeed())
	inv, err := dependency.Load(".")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(inv).To(HaveLen(4), "ffmpeg and ffprobe for amd64 and arm64")
	for arch, build := range shippedBuilds {
		target := spec.Target{OS: "linux", Arch: arch}
		for _, id := range []string{"ffmpeg", "ffprobe"} {
			dep, err := inv.Resolve(id, "", target)
			g.Expect(err).NotTo(HaveOccurred(), "%s for %s", id, target)
			g.Expect(dep.Version).To(Equal("7.1.5"))
			g.Expect(dep.URI).To(Equal(btbnRelease + build.file))
			g.Expect(dep.SHA256).To(Equal(build.sha256))
			g.Expect(dep.StripComponents).To(Equal(1), "the archive has one top folder")
			g.Expect(dep.Licenses).To(ContainElement(dependency.License{Type: "GPL-3.0-or-later", URI: "https://ffmpeg.org/legal.html"}))
			g.Expect(dep.PURL).To(Equal("pkg:generic/ffmpeg@7.1.5"))
			g.Expect(dep.CPEs).To(Equal([]string{"cpe:2.3:a:ffmpeg:ffmpeg:7.1.5:*:*:*:*:*:*:*"}))
			// The version constraints the docs show select it.
			for _, c := range []string{"7.1", "7.*", ">=7", "7.1.5"} {
				_, err := inv.Resolve(id, c, target)
				g.Expect(err).NotTo(HaveOccurred(), "constraint %q", c)
			}
		}
	}
}
