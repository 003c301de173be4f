package debian_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/internal/debian"
	"github.com/cnbkit/cnbkit/integration/internal/prereq"
)

// A private apt state for another release and architecture downloads that release's
// packages and leaves the host's apt and dpkg configuration as it was.
func TestNewAptForeignReleaseAndArch(t *testing.T) {
	t.Parallel()
	prereq.Root(t, "apt-get update into a private state needs root (apt drops to _apt otherwise)")
	prereq.Tool(t, "apt-get", "apt")
	prereq.Tool(t, "dpkg-deb", "dpkg")
	g := NewWithT(t)
	if _, err := os.Stat(debian.HostSources); err != nil {
		g.Expect(os.Getenv("CI")).NotTo(Equal("true"), "CI runs on Debian with %s", debian.HostSources)
		t.Skipf("not a Debian host: %v", err)
	}
	foreign, err := os.ReadFile("/var/lib/dpkg/arch")
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}

	a, err := debian.NewApt(t.Context(), t.TempDir(), debian.Trixie, "arm64")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(a.Arch).To(Equal("arm64"))
	dir := t.TempDir()
	g.Expect(a.Download(t.Context(), dir, []string{"libc6", "media-types"})).To(Succeed())
	debs, err := filepath.Glob(filepath.Join(dir, "*.deb"))
	g.Expect(err).NotTo(HaveOccurred())
	var names []string
	for _, d := range debs {
		names = append(names, filepath.Base(d))
	}
	g.Expect(names).To(ConsistOf(
		MatchRegexp(`^libc6_2\.4\d.*_arm64\.deb$`), // trixie has glibc 2.41; bookworm 2.36
		MatchRegexp(`^media-types_.*_all\.deb$`),
	))

	err = a.Download(t.Context(), t.TempDir(), []string{"cnbkit-no-such-package"})
	g.Expect(err).To(MatchError(ContainSubstring("downloading Debian trixie packages for arm64")))
	g.Expect(err.Error()).To(ContainSubstring("cnbkit-no-such-package"))

	after, err := os.ReadFile("/var/lib/dpkg/arch")
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	g.Expect(strings.TrimSpace(string(after))).To(Equal(strings.TrimSpace(string(foreign))), "dpkg's foreign architectures are unchanged")
}
