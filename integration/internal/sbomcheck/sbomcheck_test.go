package sbomcheck_test

import (
	"context"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/internal/prereq"
	"github.com/cnbkit/cnbkit/integration/internal/sbomcheck"
	"github.com/cnbkit/cnbkit/sdk/dependency"
	"github.com/cnbkit/cnbkit/sdk/dependency/sbom"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

func validator(t *testing.T) *sbomcheck.Validator {
	t.Helper()
	prereq.Tool(t, "npm", "npm")
	v, err := sbomcheck.Default(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

const sum = "c1e6caf48923dd8e6bc5e54d51ba70c321175b8162ae9c414c392990e72f0e79"

// TestSDKDocumentsAreValid renders the documents the SDK writes, for every shape of component
// (licence ids, expressions, names, CPEs, checksums, suppliers), and validates them against
// the official schemas: the CycloneDX 1.6 JSON schema and the SPDX 2.3 rules.
func TestSDKDocumentsAreValid(t *testing.T) {
	t.Parallel()
	v := validator(t)
	ffmpeg := dependency.Dependency{ID: "ffmpeg", Name: "FFmpeg", Version: "7.1.5", URI: "https://example.test/ffmpeg.tar.xz", SHA256: sum,
		Target: spec.Target{OS: "linux", Arch: "amd64"}, PURL: "pkg:generic/ffmpeg@7.1.5?arch=amd64",
		CPEs:     []string{"cpe:2.3:a:ffmpeg:ffmpeg:7.1.5:*:*:*:*:*:*:*", "cpe:2.3:a:ffmpeg:ffmpeg:7.1:*:*:*:*:*:*:*"},
		Licenses: []dependency.License{{Type: "GPL-3.0-or-later", URI: "https://www.gnu.org/licenses/gpl-3.0.html"}}}
	cpython := dependency.Dependency{ID: "cpython", Version: "3.12.7", URI: "file:///tmp/cpython.tgz", SHA256: strings.Repeat("ab", 32), Licenses: []dependency.License{{Type: "PSF-2.0"}}}
	docs := map[string]sbom.Document{
		"dependency layer": dependency.SBOM("ffmpeg", ffmpeg),
		"two dependencies": dependency.SBOM("runtime", ffmpeg, cpython),
		"no components":    {Name: "empty"},
		"no name, no tool": {Components: []sbom.Component{{Name: "x"}}},
		"python packages": {Name: "python-packages", Tool: "cnbkit/python", Components: []sbom.Component{
			{Name: "fastapi", Version: "0.115.11", PURL: "pkg:pypi/fastapi@0.115.11", Licenses: []string{"MIT"}, Description: "FastAPI framework"},
			{Name: "legacy", Version: "1.0", Licenses: []string{"BSD"}},
			{Name: "odd", Version: "2", Licenses: []string{"Custom licence <with> \"quotes\""}},
			{Name: "dual", Licenses: []string{"MIT OR Apache-2.0", "BSD"}},
			{Name: "exception", Licenses: []string{"GPL-2.0-only WITH Classpath-exception-2.0"}},
			{Name: "lower", Licenses: []string{"apache-2.0"}},
			{Name: "supplied", Supplier: "Example Org", Type: "framework"},
		}},
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			cdx, err := doc.CycloneDX()
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(v.File("x.cdx.json", cdx)).To(Succeed(), "%s", cdx)
			spdx, err := doc.SPDX()
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(v.File("x.spdx.json", spdx)).To(Succeed(), "%s", spdx)
		})
	}
}

// TestRejectsInvalidDocuments shows the checks can fail: each document breaks one rule.
func TestRejectsInvalidDocuments(t *testing.T) {
	t.Parallel()
	v := validator(t)
	tests := []struct {
		name, file, doc, want string
	}{
		{"licence id off the SPDX list", "a.cdx.json", `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"type":"library","name":"x","licenses":[{"license":{"id":"BSD"}}]}]}`, "CycloneDX 1.6 schema"},
		{"component without a type", "a.cdx.json", `{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{"name":"x"}]}`, "CycloneDX 1.5 schema"},
		{"bad serial number", "a.cdx.json", `{"bomFormat":"CycloneDX","specVersion":"1.6","serialNumber":"uuid:1","version":1}`, "CycloneDX 1.6 schema"},
		{"unknown spec version", "a.cdx.json", `{"bomFormat":"CycloneDX","specVersion":"9.9","version":1}`, "specVersion"},
		{"LicenseRef not defined", "a.spdx.json", spdxDoc(`"licenseDeclared":"LicenseRef-Custom"`, ""), "LicenseRef-Custom is used but not defined"},
		{"licence not on the list", "a.spdx.json", spdxDoc(`"licenseDeclared":"BSD"`, ""), "unknown license 'BSD'"},
		{"bad element id", "a.spdx.json", strings.Replace(spdxDoc("", ""), "SPDXRef-Package-x", "SPDXRef-Package x", 2), "SPDXID"},
		{"relationship to nothing", "a.spdx.json", strings.Replace(spdxDoc("", ""), `"relatedSpdxElement":"SPDXRef-Package-x"`, `"relatedSpdxElement":"SPDXRef-Nothing"`, 1), "no such package"},
		{"older SPDX", "a.spdx.json", strings.Replace(spdxDoc("", ""), "SPDX-2.3", "SPDX-2.2", 1), "spdxVersion"},
		{"another format", "a.syft.json", `{}`, "not a CycloneDX"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			err := v.File(tt.file, []byte(tt.doc))
			g.Expect(err).To(MatchError(ContainSubstring(tt.want)))
		})
	}
	t.Run("the lifecycle's legacy file is JSON-checked, not validated", func(t *testing.T) {
		g := NewWithT(t)
		validated, err := v.Files(map[string][]byte{"launch/sbom.legacy.json": []byte(`{"bom":null}`), "launch/a/b/sbom.spdx.json": []byte(spdxDoc("", ""))})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(validated).To(Equal([]string{"launch/a/b/sbom.spdx.json"}))
		_, err = v.Files(map[string][]byte{"build/sbom.legacy.json": []byte(`{`)})
		g.Expect(err).To(MatchError(ContainSubstring("legacy bill of materials is not JSON")))
		validated, err = v.Files(map[string][]byte{"layers/sbom/launch/sbom.legacy.json": []byte(`{}`)})
		g.Expect(err).NotTo(HaveOccurred(), "where pack sbom download writes it")
		g.Expect(validated).To(BeEmpty())
		_, err = v.Files(map[string][]byte{"launch/x/sbom.legacy.json": []byte(`{}`)})
		g.Expect(err).To(MatchError(ContainSubstring("not a CycloneDX")), "only the lifecycle's own file at the top is exempt")
	})
	t.Run("the valid base document passes", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(v.File("a.spdx.json", []byte(spdxDoc(`"licenseDeclared":"LicenseRef-Custom"`,
			`,"hasExtractedLicensingInfos":[{"licenseId":"LicenseRef-Custom","extractedText":"Custom"}]`)))).To(Succeed())
	})
}

func spdxDoc(license, extra string) string {
	if license != "" {
		license = "," + license
	}
	return `{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"d",
"documentNamespace":"https://example.test/d","creationInfo":{"created":"1980-01-01T00:00:01Z","creators":["Tool: t"]},
"packages":[{"SPDXID":"SPDXRef-Package-x","name":"x","downloadLocation":"NOASSERTION"` + license + `}],
"relationships":[{"spdxElementId":"SPDXRef-DOCUMENT","relatedSpdxElement":"SPDXRef-Package-x","relationshipType":"DESCRIBES"}]` + extra + `}`
}
