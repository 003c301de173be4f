package debian

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestRewrite(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	sources := "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\n" +
		"Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\nComponents: main\n"
	got, err := rewrite([]byte(sources), Bookworm, Trixie)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(got)).To(Equal("Types: deb\nURIs: http://mirror.example/debian\nSuites: trixie trixie-updates\nComponents: main\n\n" +
		"Types: deb\nURIs: http://mirror.example/debian-security\nSuites: trixie-security\nComponents: main\n"))

	same, err := rewrite([]byte(sources), Bookworm, Bookworm)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(same)).To(Equal(sources))

	_, err = rewrite([]byte("Suites: sid\n"), Bookworm, Trixie)
	g.Expect(err).To(MatchError(ContainSubstring("does not name the host's release bookworm")))
}

func TestLookup(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	r, err := Lookup("trixie")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(r).To(Equal(Release{Codename: "trixie", Version: "13"}))
	_, err = Lookup("buster")
	g.Expect(err).To(MatchError(`unknown Debian release "buster": use one of bookworm, trixie`))
}

func TestArch(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	for goarch, want := range map[string]string{"amd64": "amd64", "arm64": "arm64", "arm": "armhf", "386": "i386"} {
		got, err := Arch(goarch)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got).To(Equal(want), goarch)
	}
	_, err := Arch("wasm")
	g.Expect(err).To(MatchError("no Debian architecture for GOARCH wasm"))
}
