package sbom_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	. "github.com/onsi/gomega"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdxlib"

	"github.com/cnbkit/cnbkit/sdk/dependency/sbom"
)

const sum = "a3b1c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a"

func doc() sbom.Document {
	return sbom.Document{Name: "ffmpeg", Components: []sbom.Component{
		{Type: "application", Name: "FFmpeg", Version: "7.1.0", PURL: "pkg:generic/ffmpeg@7.1.0",
			CPEs:     []string{"cpe:2.3:a:ffmpeg:ffmpeg:7.1.0:*:*:*:*:*:*:*", "cpe:2.3:a:ffmpeg:ffmpeg:7.1:*:*:*:*:*:*:*"},
			Licenses: []string{"GPL-3.0-or-later"}, SHA256: strings.ToUpper(sum), URI: "https://example.test/ffmpeg.tar.xz"},
		{Name: "requests", Version: "2.32.3", PURL: "pkg:pypi/requests@2.32.3", Licenses: []string{"Apache-2.0", "Custom licence", "mit"}},
		{Name: "dual", Licenses: []string{"MIT OR Apache-2.0"}},
		{Name: "named", Licenses: []string{"BSD", "Custom licence", "Custom-licence"}},
	}}
}

// decodeCycloneDX reads a document back with cyclonedx-go.
func decodeCycloneDX(t *testing.T, data []byte) *cdx.BOM {
	t.Helper()
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatalf("decoding the CycloneDX output with cyclonedx-go: %v\n%s", err, data)
	}
	return &bom
}

func TestCycloneDX(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	data, err := doc().CycloneDX()
	g.Expect(err).NotTo(HaveOccurred())
	bom := decodeCycloneDX(t, data)
	g.Expect(bom.BOMFormat).To(Equal("CycloneDX"))
	g.Expect(bom.SpecVersion.String()).To(Equal(sbom.CycloneDXVersion))
	g.Expect(bom.SerialNumber).To(MatchRegexp(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`))
	g.Expect(bom.Metadata.Timestamp).To(Equal("1980-01-01T00:00:01Z"))
	cs := *bom.Components
	g.Expect(cs).To(HaveLen(4))
	ff := cs[0]
	g.Expect(ff.Type).To(Equal(cdx.ComponentTypeApplication))
	g.Expect([]string{ff.Name, ff.Version, ff.PackageURL, ff.CPE}).To(Equal([]string{"FFmpeg", "7.1.0", "pkg:generic/ffmpeg@7.1.0", "cpe:2.3:a:ffmpeg:ffmpeg:7.1.0:*:*:*:*:*:*:*"}))
	g.Expect(*ff.Hashes).To(Equal([]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: sum}}))
	g.Expect(*ff.Licenses).To(Equal(cdx.Licenses{{License: &cdx.License{ID: "GPL-3.0-or-later"}}}))
	g.Expect(*ff.Properties).To(Equal([]cdx.Property{{Name: "cnbkit:cpe23", Value: "cpe:2.3:a:ffmpeg:ffmpeg:7.1:*:*:*:*:*:*:*"}}))
	g.Expect(*ff.ExternalReferences).To(Equal([]cdx.ExternalReference{{Type: cdx.ERTypeDistribution, URL: "https://example.test/ffmpeg.tar.xz"}}))
	req := cs[1]
	g.Expect(req.Type).To(Equal(cdx.ComponentTypeLibrary))
	g.Expect(*req.Licenses).To(Equal(cdx.Licenses{
		{License: &cdx.License{ID: "Apache-2.0"}},
		{License: &cdx.License{Name: "Custom licence"}}, // not on the SPDX list: a name, never an id the schema's enum rejects
		{License: &cdx.License{ID: "MIT"}},              // normalised
	}))
	g.Expect(*cs[2].Licenses).To(Equal(cdx.Licenses{{Expression: "MIT OR Apache-2.0"}}))
}

func TestSPDX(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	data, err := doc().SPDX()
	g.Expect(err).NotTo(HaveOccurred())
	parsed, err := spdxjson.Read(bytes.NewReader(data))
	g.Expect(err).NotTo(HaveOccurred(), "tools-golang reads the output back")
	g.Expect(spdxlib.ValidateDocument(parsed)).To(Succeed())
	g.Expect(parsed.SPDXVersion).To(Equal("SPDX-2.3"))
	g.Expect(parsed.CreationInfo.Created).To(Equal("1980-01-01T00:00:01Z"))
	g.Expect(parsed.Packages).To(HaveLen(4))
	ff := parsed.Packages[0]
	g.Expect(string(ff.PackageSPDXIdentifier)).To(Equal("Package-0-FFmpeg"))
	g.Expect(ff.PackageVersion).To(Equal("7.1.0"))
	g.Expect(ff.PackageDownloadLocation).To(Equal("https://example.test/ffmpeg.tar.xz"))
	g.Expect(ff.PackageLicenseDeclared).To(Equal("GPL-3.0-or-later"))
	g.Expect(ff.PackageChecksums[0].Value).To(Equal(sum))
	var refs []string
	for _, r := range ff.PackageExternalReferences {
		refs = append(refs, r.Category+" "+r.RefType+" "+r.Locator)
	}
	g.Expect(refs).To(ConsistOf("PACKAGE-MANAGER purl pkg:generic/ffmpeg@7.1.0",
		"SECURITY cpe23Type cpe:2.3:a:ffmpeg:ffmpeg:7.1.0:*:*:*:*:*:*:*", "SECURITY cpe23Type cpe:2.3:a:ffmpeg:ffmpeg:7.1:*:*:*:*:*:*:*"))
	g.Expect(parsed.Packages[1].PackageLicenseDeclared).To(Equal("Apache-2.0 AND LicenseRef-Custom-licence AND MIT"))
	g.Expect(parsed.Packages[2].PackageLicenseDeclared).To(Equal("MIT OR Apache-2.0"))
	g.Expect(parsed.Packages[2].PackageDownloadLocation).To(Equal("NOASSERTION"))
	// Two names that sanitise alike get two references; the same name keeps its reference.
	g.Expect(parsed.Packages[3].PackageLicenseDeclared).To(Equal("LicenseRef-BSD AND LicenseRef-Custom-licence AND LicenseRef-Custom-licence-2"))
	g.Expect(parsed.Relationships).To(HaveLen(4))
}

// TestSPDXDefinesEveryLicenseRef is the rule SPDX validators apply: a LicenseRef- used in a
// licence field must be defined in hasExtractedLicensingInfos, with its text.
func TestSPDXDefinesEveryLicenseRef(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	data, err := doc().SPDX()
	g.Expect(err).NotTo(HaveOccurred())
	parsed, err := spdxjson.Read(bytes.NewReader(data))
	g.Expect(err).NotTo(HaveOccurred())
	defined := map[string]string{}
	for _, o := range parsed.OtherLicenses {
		g.Expect(o.ExtractedText).NotTo(BeEmpty(), "extractedText of %s", o.LicenseIdentifier)
		defined[o.LicenseIdentifier] = o.ExtractedText
	}
	used := 0
	for _, p := range parsed.Packages {
		for _, f := range strings.FieldsFunc(p.PackageLicenseDeclared+" "+p.PackageLicenseConcluded, func(r rune) bool { return r == ' ' || r == '(' || r == ')' }) {
			if strings.HasPrefix(f, "LicenseRef-") {
				used++
				g.Expect(defined).To(HaveKey(f), "package %s uses %s", p.PackageName, f)
			}
		}
	}
	g.Expect(used).To(BeNumerically(">=", 3))
	g.Expect(defined).To(Equal(map[string]string{"LicenseRef-BSD": "BSD", "LicenseRef-Custom-licence": "Custom licence", "LicenseRef-Custom-licence-2": "Custom-licence"}))

	plain, err := sbom.Document{Components: []sbom.Component{{Name: "x", Licenses: []string{"MIT"}}}}.SPDX()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(plain)).NotTo(ContainSubstring("hasExtractedLicensingInfos"), "no extracted licences when none is used")
}

func TestDeterministicAndContentAddressed(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	a, _ := doc().SPDX()
	b, _ := doc().SPDX()
	g.Expect(a).To(Equal(b))
	c1, _ := doc().CycloneDX()
	c2, _ := doc().CycloneDX()
	g.Expect(c1).To(Equal(c2))
	other := doc()
	other.Components[0].Version = "7.1.1"
	c3, _ := other.CycloneDX()
	g.Expect(c3).NotTo(Equal(c1))
	g.Expect(json.Valid(c1) && json.Valid(a)).To(BeTrue())
}

func TestRejectsNamelessComponents(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	_, err := sbom.Document{Components: []sbom.Component{{Version: "1"}}}.CycloneDX()
	g.Expect(err).To(MatchError(ContainSubstring("has no name")))
	_, err = sbom.Document{Components: []sbom.Component{{Name: "x", SHA256: "abc"}}}.SPDX()
	g.Expect(err).To(MatchError(ContainSubstring("not 64 hex digits")))
}

func ExampleDocument_SPDX() {
	doc := sbom.Document{Name: "venv", Components: []sbom.Component{
		{Name: "uvicorn", Version: "0.30.1", PURL: "pkg:pypi/uvicorn@0.30.1", Licenses: []string{"BSD-3-Clause"}},
		{Name: "legacy", Version: "1.0", Licenses: []string{"BSD"}},
	}}
	data, err := doc.SPDX()
	if err != nil {
		panic(err)
	}
	parsed, err := spdxjson.Read(bytes.NewReader(data))
	if err != nil {
		panic(err)
	}
	for _, p := range parsed.Packages {
		fmt.Println(p.PackageName, p.PackageVersion, p.PackageLicenseDeclared)
	}
	for _, l := range parsed.OtherLicenses {
		fmt.Printf("%s means %q\n", l.LicenseIdentifier, l.ExtractedText)
	}
	// Output:
	// uvicorn 0.30.1 BSD-3-Clause
	// legacy 1.0 LicenseRef-BSD
	// LicenseRef-BSD means "BSD"
}
