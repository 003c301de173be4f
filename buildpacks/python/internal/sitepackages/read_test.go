package sitepackages_test

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/buildpacks/python/internal/sitepackages"
)

func TestRead(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	site := t.TempDir()
	write := func(dir, meta string) {
		g.Expect(os.MkdirAll(filepath.Join(site, dir), 0o755)).To(Succeed())
		g.Expect(os.WriteFile(filepath.Join(site, dir, "METADATA"), []byte(meta), 0o644)).To(Succeed())
	}
	write("Flask-2.2.2.dist-info", "Metadata-Version: 2.1\nName: Flask\nVersion: 2.2.2\nSummary: A web framework\nLicense: BSD-3-Clause\n\nLong description\nName: not a header\n")
	write("typing_extensions-4.4.0.dist-info", "Metadata-Version: 2.1\nName: typing_extensions\nVersion: 4.4.0\nClassifier: License :: OSI Approved :: Python Software Foundation License\n")
	write("zope.interface-6.0.dist-info", "Metadata-Version: 2.4\nName: zope.interface\nVersion: 6.0\nLicense-Expression: ZPL-2.1\nLicense: long text\n that goes on\n")
	write("odd-1.0.dist-info", "Metadata-Version: 2.1\nName: odd\nVersion: 1.0\nLicense: UNKNOWN\n")
	g.Expect(os.MkdirAll(filepath.Join(site, "flask"), 0o755)).To(Succeed())

	dists, err := sitepackages.Read(site)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(dists).To(Equal([]sitepackages.Distribution{
		{Name: "Flask", Version: "2.2.2", License: "BSD-3-Clause", Summary: "A web framework"},
		{Name: "odd", Version: "1.0"},
		{Name: "typing_extensions", Version: "4.4.0", License: "PSF-2.0"},
		{Name: "zope.interface", Version: "6.0", License: "ZPL-2.1"},
	}))
	g.Expect(dists[2].NormalizedName()).To(Equal("typing-extensions"))
	g.Expect(dists[3].PURL()).To(Equal("pkg:pypi/zope-interface@6.0"))

	write("broken-1.0.dist-info", "Metadata-Version: 2.1\nSummary: no name\n")
	_, err = sitepackages.Read(site)
	g.Expect(err).To(MatchError(ContainSubstring("no Name or Version")))
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	for in, want := range map[string]string{"Typing_Extensions": "typing-extensions", "zope.interface": "zope-interface", "a-_.b": "a-b", "uvicorn": "uvicorn"} {
		g.Expect(sitepackages.Normalize(in)).To(Equal(want))
	}
}
