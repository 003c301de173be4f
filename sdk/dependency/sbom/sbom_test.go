package sbom_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk/dependency/sbom"
)

const sum = "a3b1c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a"

func doc() sbom.Document {
	return sbom.Document{Name: "ffmpeg", Components: []sbom.Component{
		{Type: "application", Name: "FFmpeg", Version: "7.1.0", PURL: "pkg:generic/ffmpeg@7.1.0",
			CPEs:     []string{"cpe:2.3:a:ffmpeg:ffmpeg:7.1.0:*:*:*:*:*:*:*", "cpe:2.3:a:ffmpeg:ffmpeg:7.1:*:*:*:*:*:*:*"},
			Licenses: []string{"GPL-3.0-or-later"}, SHA256: strings.ToUpper(sum), URI: "https://example.test/ffmpeg.tar.xz"},
		{Name: "requests", Version: "2.32.3", PURL: "pkg:pypi/requests@2.32.3", Licenses: []string{"Apache-2.0", "Custom licence"}},
		{Name: "dual", Licenses: []string{"MIT OR Apache-2.0"}},
	}}
}

func TestCycloneDX(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	data, err := doc().CycloneDX()
	g.Expect(err).NotTo(HaveOccurred())
	var got map[string]any
	g.Expect(json.Unmarshal(data, &got)).To(Succeed())
	g.Expect(got["bomFormat"]).To(Equal("CycloneDX"))
	g.Expect(got["specVersion"]).To(Equal("1.5"))
	g.Expect(got["serialNumber"]).To(MatchRegexp(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`))
	cs := got["components"].([]any)
	g.Expect(cs).To(HaveLen(3))
	ff := cs[0].(map[string]any)
	g.Expect(ff["type"]).To(Equal("application"))
	g.Expect(ff["name"]).To(Equal("FFmpeg"))
	g.Expect(ff["version"]).To(Equal("7.1.0"))
	g.Expect(ff["purl"]).To(Equal("pkg:generic/ffmpeg@7.1.0"))
	g.Expect(ff["cpe"]).To(Equal("cpe:2.3:a:ffmpeg:ffmpeg:7.1.0:*:*:*:*:*:*:*"))
	g.Expect(ff["hashes"]).To(Equal([]any{map[string]any{"alg": "SHA-256", "content": sum}}))
	g.Expect(ff["licenses"]).To(Equal([]any{map[string]any{"license": map[string]any{"id": "GPL-3.0-or-later"}}}))
	g.Expect(ff["properties"]).To(Equal([]any{map[string]any{"name": "cnbkit:cpe23", "value": "cpe:2.3:a:ffmpeg:ffmpeg:7.1:*:*:*:*:*:*:*"}}))
	req := cs[1].(map[string]any)
	g.Expect(req["type"]).To(Equal("library"))
	g.Expect(req["licenses"]).To(Equal([]any{
		map[string]any{"license": map[string]any{"id": "Apache-2.0"}},
		map[string]any{"license": map[string]any{"name": "Custom licence"}},
	}))
	g.Expect(cs[2].(map[string]any)["licenses"]).To(Equal([]any{map[string]any{"expression": "MIT OR Apache-2.0"}}))
}

func TestSPDX(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	data, err := doc().SPDX()
	g.Expect(err).NotTo(HaveOccurred())
	var got map[string]any
	g.Expect(json.Unmarshal(data, &got)).To(Succeed())
	g.Expect(got["spdxVersion"]).To(Equal("SPDX-2.3"))
	g.Expect(got["SPDXID"]).To(Equal("SPDXRef-DOCUMENT"))
	g.Expect(got["creationInfo"].(map[string]any)["created"]).To(Equal("1980-01-01T00:00:01Z"))
	pkgs := got["packages"].([]any)
	g.Expect(pkgs).To(HaveLen(3))
	ff := pkgs[0].(map[string]any)
	g.Expect(ff["SPDXID"]).To(Equal("SPDXRef-Package-0-FFmpeg"))
	g.Expect(ff["versionInfo"]).To(Equal("7.1.0"))
	g.Expect(ff["downloadLocation"]).To(Equal("https://example.test/ffmpeg.tar.xz"))
	g.Expect(ff["licenseDeclared"]).To(Equal("GPL-3.0-or-later"))
	g.Expect(ff["checksums"]).To(Equal([]any{map[string]any{"algorithm": "SHA256", "checksumValue": sum}}))
	g.Expect(ff["externalRefs"]).To(ContainElement(map[string]any{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:generic/ffmpeg@7.1.0"}))
	g.Expect(ff["externalRefs"]).To(ContainElement(map[string]any{"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": "cpe:2.3:a:ffmpeg:ffmpeg:7.1:*:*:*:*:*:*:*"}))
	g.Expect(pkgs[1].(map[string]any)["licenseDeclared"]).To(Equal("Apache-2.0 AND LicenseRef-Custom-licence"))
	g.Expect(pkgs[2].(map[string]any)["licenseDeclared"]).To(Equal("MIT OR Apache-2.0"))
	g.Expect(pkgs[2].(map[string]any)["downloadLocation"]).To(Equal("NOASSERTION"))
	g.Expect(got["relationships"]).To(HaveLen(3))
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
	}}
	data, err := doc.SPDX()
	if err != nil {
		panic(err)
	}
	var parsed struct {
		Packages []struct {
			Name            string `json:"name"`
			VersionInfo     string `json:"versionInfo"`
			LicenseDeclared string `json:"licenseDeclared"`
		} `json:"packages"`
	}
	json.Unmarshal(data, &parsed)
	for _, p := range parsed.Packages {
		fmt.Println(p.Name, p.VersionInfo, p.LicenseDeclared)
	}
	// Output: uvicorn 0.30.1 BSD-3-Clause
}
