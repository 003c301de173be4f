package sbom

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Component is one piece of software in the bill of materials.
type Component struct {
	Name    string
	Version string
	PURL    string
	License string   // SPDX expression or free text, "" when unknown
	CPEs    []string // optional
	SHA256  string   // optional hex digest of the artifact
}

type cdxLicense struct {
	License *struct {
		ID   string `json:"id,omitempty"`
		Name string `json:"name,omitempty"`
	} `json:"license,omitempty"`
	Expression string `json:"expression,omitempty"`
}

type cdxHash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

type cdxComponent struct {
	BOMRef   string       `json:"bom-ref"`
	Type     string       `json:"type"`
	Name     string       `json:"name"`
	Version  string       `json:"version"`
	PURL     string       `json:"purl,omitempty"`
	CPE      string       `json:"cpe,omitempty"`
	Licenses []cdxLicense `json:"licenses,omitempty"`
	Hashes   []cdxHash    `json:"hashes,omitempty"`
}

var spdxID = regexp.MustCompile(`^[A-Za-z0-9.+-]+$`)

// CycloneDX renders the components as a CycloneDX 1.5 JSON document.
func CycloneDX(components []Component) ([]byte, error) {
	doc := struct {
		BOMFormat   string         `json:"bomFormat"`
		SpecVersion string         `json:"specVersion"`
		Version     int            `json:"version"`
		Components  []cdxComponent `json:"components"`
	}{BOMFormat: "CycloneDX", SpecVersion: "1.5", Version: 1, Components: []cdxComponent{}}
	for _, c := range components {
		cc := cdxComponent{BOMRef: ref(c), Type: "library", Name: c.Name, Version: c.Version, PURL: c.PURL}
		if len(c.CPEs) > 0 {
			cc.CPE = c.CPEs[0]
		}
		if c.License != "" {
			var l cdxLicense
			switch {
			case spdxID.MatchString(c.License):
				l.License = &struct {
					ID   string `json:"id,omitempty"`
					Name string `json:"name,omitempty"`
				}{ID: c.License}
			case strings.Contains(c.License, " OR ") || strings.Contains(c.License, " AND "):
				l.Expression = c.License
			default:
				l.License = &struct {
					ID   string `json:"id,omitempty"`
					Name string `json:"name,omitempty"`
				}{Name: c.License}
			}
			cc.Licenses = []cdxLicense{l}
		}
		if c.SHA256 != "" {
			cc.Hashes = []cdxHash{{Alg: "SHA-256", Content: c.SHA256}}
		}
		doc.Components = append(doc.Components, cc)
	}
	return json.MarshalIndent(doc, "", "  ")
}

type spdxPackage struct {
	SPDXID           string       `json:"SPDXID"`
	Name             string       `json:"name"`
	VersionInfo      string       `json:"versionInfo"`
	DownloadLocation string       `json:"downloadLocation"`
	FilesAnalyzed    bool         `json:"filesAnalyzed"`
	LicenseConcluded string       `json:"licenseConcluded"`
	LicenseDeclared  string       `json:"licenseDeclared"`
	CopyrightText    string       `json:"copyrightText"`
	Checksums        []spdxSum    `json:"checksums,omitempty"`
	ExternalRefs     []spdxExtRef `json:"externalRefs,omitempty"`
}

type spdxSum struct {
	Algorithm     string `json:"algorithm"`
	ChecksumValue string `json:"checksumValue"`
}

type spdxExtRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
}

var spdxUnsafe = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// SPDX renders the components as an SPDX 2.3 JSON document named name. The creation time is
// fixed and the namespace derived from the content, so equal inputs give equal bytes.
func SPDX(name string, components []Component) ([]byte, error) {
	type rel struct {
		Element string `json:"spdxElementId"`
		Type    string `json:"relationshipType"`
		Related string `json:"relatedSpdxElement"`
	}
	doc := struct {
		SPDXVersion       string `json:"spdxVersion"`
		DataLicense       string `json:"dataLicense"`
		SPDXID            string `json:"SPDXID"`
		Name              string `json:"name"`
		DocumentNamespace string `json:"documentNamespace"`
		CreationInfo      struct {
			Created  string   `json:"created"`
			Creators []string `json:"creators"`
		} `json:"creationInfo"`
		Packages      []spdxPackage `json:"packages"`
		Relationships []rel         `json:"relationships"`
	}{SPDXVersion: "SPDX-2.3", DataLicense: "CC0-1.0", SPDXID: "SPDXRef-DOCUMENT", Name: name,
		Packages: []spdxPackage{}, Relationships: []rel{}}
	doc.CreationInfo.Created = "1980-01-01T00:00:01Z"
	doc.CreationInfo.Creators = []string{"Tool: cnbkit-python-buildpack"}
	h := sha256.New()
	for _, c := range components {
		fmt.Fprintf(h, "%s@%s\n", c.Name, c.Version)
		lic := "NOASSERTION"
		if c.License != "" && spdxID.MatchString(strings.NewReplacer(" OR ", "", " AND ", "", "(", "", ")", "").Replace(c.License)) {
			lic = c.License
		}
		p := spdxPackage{SPDXID: "SPDXRef-Package-" + spdxUnsafe.ReplaceAllString(c.Name+"-"+c.Version, "-"), Name: c.Name, VersionInfo: c.Version,
			DownloadLocation: "NOASSERTION", LicenseConcluded: "NOASSERTION", LicenseDeclared: lic, CopyrightText: "NOASSERTION"}
		if c.SHA256 != "" {
			p.Checksums = []spdxSum{{Algorithm: "SHA256", ChecksumValue: c.SHA256}}
		}
		if c.PURL != "" {
			p.ExternalRefs = append(p.ExternalRefs, spdxExtRef{"PACKAGE-MANAGER", "purl", c.PURL})
		}
		for _, cpe := range c.CPEs {
			p.ExternalRefs = append(p.ExternalRefs, spdxExtRef{"SECURITY", "cpe23Type", cpe})
		}
		doc.Packages = append(doc.Packages, p)
		doc.Relationships = append(doc.Relationships, rel{"SPDXRef-DOCUMENT", "DESCRIBES", p.SPDXID})
	}
	doc.DocumentNamespace = "https://cnbkit.invalid/spdx/" + spdxUnsafe.ReplaceAllString(name, "-") + "-" + hex.EncodeToString(h.Sum(nil))[:16]
	return json.MarshalIndent(doc, "", "  ")
}

func ref(c Component) string {
	if c.PURL != "" {
		return c.PURL
	}
	return c.Name + "@" + c.Version
}
