package sbom

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Component is one piece of software in a bill of materials.
type Component struct {
	// Type is the CycloneDX component type: "application", "library", "framework",
	// "operating-system", "file", ... "" means "library".
	Type     string
	Name     string
	Version  string
	PURL     string   // package URL, e.g. "pkg:generic/ffmpeg@7.1"
	CPEs     []string // CPE 2.3 names
	Licenses []string // SPDX license identifiers or expressions; other names are kept as names
	SHA256   string   // hex sha256 of the artifact, if known
	// URI is where the software was obtained (SPDX downloadLocation).
	URI string
	// Supplier is the organisation that distributes it, if known.
	Supplier string
	// Description is a short description, if known.
	Description string
}

// Document is a bill of materials to render.
type Document struct {
	// Name names the document (SPDX name, CycloneDX metadata component), e.g. the layer name.
	Name       string
	Components []Component
	// Created is the creation time written into the document. Zero: 1980-01-01T00:00:01Z,
	// the fixed date reproducible images use.
	Created time.Time
	// Tool names the producer, e.g. "my-org/python-buildpack 1.2.0". "": "cnbkit".
	Tool string
}

var fixedTime = time.Date(1980, 1, 1, 0, 0, 1, 0, time.UTC)

func (d Document) created() string {
	t := d.Created
	if t.IsZero() {
		t = fixedTime
	}
	return t.UTC().Format(time.RFC3339)
}

func (d Document) tool() string {
	if d.Tool == "" {
		return "cnbkit"
	}
	return d.Tool
}

// digest identifies the document's content; it seeds the ids both formats need.
func (d Document) digest() string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	enc.Encode(d.Name)
	enc.Encode(d.Components)
	return hex.EncodeToString(h.Sum(nil))
}

// Validate reports components without a name.
func (d Document) Validate() error {
	for i, c := range d.Components {
		if strings.TrimSpace(c.Name) == "" {
			return fmt.Errorf("sbom component %d has no name", i)
		}
		if c.SHA256 != "" && !sha256Hex.MatchString(c.SHA256) {
			return fmt.Errorf("sbom component %s: sha256 %q is not 64 hex digits", c.Name, c.SHA256)
		}
	}
	return nil
}

var sha256Hex = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

// licenseID matches a single SPDX license identifier (optionally with "+").
var licenseID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.\-]*\+?$`)

func isExpression(s string) bool {
	return strings.Contains(s, " AND ") || strings.Contains(s, " OR ") || strings.Contains(s, " WITH ") || strings.ContainsAny(s, "()")
}

// ---- CycloneDX -------------------------------------------------------------------------

type cdxDoc struct {
	BOMFormat    string         `json:"bomFormat"`
	SpecVersion  string         `json:"specVersion"`
	SerialNumber string         `json:"serialNumber"`
	Version      int            `json:"version"`
	Metadata     cdxMetadata    `json:"metadata"`
	Components   []cdxComponent `json:"components"`
}

type cdxMetadata struct {
	Timestamp string        `json:"timestamp"`
	Tools     cdxTools      `json:"tools"`
	Component *cdxComponent `json:"component,omitempty"`
}

type cdxTools struct {
	Components []cdxComponent `json:"components"`
}

type cdxComponent struct {
	BOMRef      string        `json:"bom-ref,omitempty"`
	Type        string        `json:"type"`
	Supplier    *cdxSupplier  `json:"supplier,omitempty"`
	Name        string        `json:"name"`
	Version     string        `json:"version,omitempty"`
	Description string        `json:"description,omitempty"`
	Hashes      []cdxHash     `json:"hashes,omitempty"`
	Licenses    []cdxLicense  `json:"licenses,omitempty"`
	CPE         string        `json:"cpe,omitempty"`
	PURL        string        `json:"purl,omitempty"`
	ExtRefs     []cdxExtRef   `json:"externalReferences,omitempty"`
	Properties  []cdxProperty `json:"properties,omitempty"`
}

type cdxSupplier struct {
	Name string `json:"name"`
}

type cdxHash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

type cdxLicense struct {
	License    *cdxLicenseChoice `json:"license,omitempty"`
	Expression string            `json:"expression,omitempty"`
}

type cdxLicenseChoice struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

type cdxExtRef struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type cdxProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// CycloneDX renders the document as CycloneDX 1.5 JSON.
func (d Document) CycloneDX() ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("rendering CycloneDX: %w", err)
	}
	digest := d.digest()
	doc := cdxDoc{
		BOMFormat:    "CycloneDX",
		SpecVersion:  "1.5",
		SerialNumber: "urn:uuid:" + uuidFrom(digest),
		Version:      1,
		Metadata: cdxMetadata{
			Timestamp: d.created(),
			Tools:     cdxTools{Components: []cdxComponent{{Type: "application", Name: d.tool()}}},
		},
		Components: []cdxComponent{},
	}
	if d.Name != "" {
		doc.Metadata.Component = &cdxComponent{Type: "application", Name: d.Name}
	}
	for i, c := range d.Components {
		cc := cdxComponent{
			BOMRef:      bomRef(i, c),
			Type:        c.Type,
			Name:        c.Name,
			Version:     c.Version,
			Description: c.Description,
			PURL:        c.PURL,
		}
		if cc.Type == "" {
			cc.Type = "library"
		}
		if c.Supplier != "" {
			cc.Supplier = &cdxSupplier{Name: c.Supplier}
		}
		if c.SHA256 != "" {
			cc.Hashes = []cdxHash{{Alg: "SHA-256", Content: strings.ToLower(c.SHA256)}}
		}
		cc.Licenses = cdxLicenses(c.Licenses)
		if len(c.CPEs) > 0 {
			cc.CPE = c.CPEs[0]
			for _, extra := range c.CPEs[1:] {
				cc.Properties = append(cc.Properties, cdxProperty{Name: "cnbkit:cpe23", Value: extra})
			}
		}
		if c.URI != "" {
			cc.ExtRefs = []cdxExtRef{{Type: "distribution", URL: c.URI}}
		}
		doc.Components = append(doc.Components, cc)
	}
	return marshal(doc)
}

func cdxLicenses(ls []string) []cdxLicense {
	var ids []string
	for _, l := range ls {
		if l = strings.TrimSpace(l); l != "" {
			ids = append(ids, l)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	for _, l := range ids {
		if isExpression(l) {
			// CycloneDX allows one expression instead of a list: combine everything.
			return []cdxLicense{{Expression: spdxExpression(ids)}}
		}
	}
	out := make([]cdxLicense, len(ids))
	for i, l := range ids {
		if licenseID.MatchString(l) {
			out[i] = cdxLicense{License: &cdxLicenseChoice{ID: l}}
		} else {
			out[i] = cdxLicense{License: &cdxLicenseChoice{Name: l}}
		}
	}
	return out
}

// bomRef is unique within the document (two components may share a purl).
func bomRef(i int, c Component) string {
	return fmt.Sprintf("component-%d-%s", i, sanitize(c.Name))
}

// ---- SPDX ------------------------------------------------------------------------------

type spdxDoc struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreation       `json:"creationInfo"`
	Packages          []spdxPackage      `json:"packages"`
	Relationships     []spdxRelationship `json:"relationships"`
}

type spdxCreation struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	SPDXID           string         `json:"SPDXID"`
	Name             string         `json:"name"`
	VersionInfo      string         `json:"versionInfo,omitempty"`
	Supplier         string         `json:"supplier,omitempty"`
	DownloadLocation string         `json:"downloadLocation"`
	FilesAnalyzed    bool           `json:"filesAnalyzed"`
	Checksums        []spdxChecksum `json:"checksums,omitempty"`
	LicenseConcluded string         `json:"licenseConcluded"`
	LicenseDeclared  string         `json:"licenseDeclared"`
	CopyrightText    string         `json:"copyrightText"`
	Description      string         `json:"description,omitempty"`
	ExternalRefs     []spdxRef      `json:"externalRefs,omitempty"`
}

type spdxChecksum struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"checksumValue"`
}

type spdxRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

type spdxRelationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

// SPDX renders the document as SPDX 2.3 JSON.
func (d Document) SPDX() ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("rendering SPDX: %w", err)
	}
	name := d.Name
	if name == "" {
		name = "sbom"
	}
	doc := spdxDoc{
		SPDXVersion:       "SPDX-2.3",
		DataLicense:       "CC0-1.0",
		SPDXID:            "SPDXRef-DOCUMENT",
		Name:              name,
		DocumentNamespace: "https://cnbkit.invalid/spdx/" + sanitize(name) + "-" + d.digest(),
		CreationInfo:      spdxCreation{Created: d.created(), Creators: []string{"Tool: " + d.tool()}},
		Packages:          []spdxPackage{},
		Relationships:     []spdxRelationship{},
	}
	for i, c := range d.Components {
		p := spdxPackage{
			SPDXID:           fmt.Sprintf("SPDXRef-Package-%d-%s", i, sanitize(c.Name)),
			Name:             c.Name,
			VersionInfo:      c.Version,
			DownloadLocation: "NOASSERTION",
			LicenseConcluded: "NOASSERTION",
			LicenseDeclared:  "NOASSERTION",
			CopyrightText:    "NOASSERTION",
			Description:      c.Description,
		}
		if c.URI != "" {
			p.DownloadLocation = c.URI
		}
		if c.Supplier != "" {
			p.Supplier = "Organization: " + c.Supplier
		}
		if c.SHA256 != "" {
			p.Checksums = []spdxChecksum{{Algorithm: "SHA256", Value: strings.ToLower(c.SHA256)}}
		}
		if expr := spdxLicense(c.Licenses); expr != "" {
			p.LicenseDeclared = expr
		}
		if c.PURL != "" {
			p.ExternalRefs = append(p.ExternalRefs, spdxRef{Category: "PACKAGE-MANAGER", Type: "purl", Locator: c.PURL})
		}
		for _, cpe := range c.CPEs {
			p.ExternalRefs = append(p.ExternalRefs, spdxRef{Category: "SECURITY", Type: "cpe23Type", Locator: cpe})
		}
		doc.Packages = append(doc.Packages, p)
		doc.Relationships = append(doc.Relationships, spdxRelationship{Element: "SPDXRef-DOCUMENT", Type: "DESCRIBES", Related: p.SPDXID})
	}
	return marshal(doc)
}

// spdxLicense joins licences into one SPDX expression; names that are not identifiers
// become LicenseRef-<name>.
func spdxLicense(ls []string) string {
	var ids []string
	for _, l := range ls {
		if l = strings.TrimSpace(l); l != "" {
			ids = append(ids, l)
		}
	}
	if len(ids) == 0 {
		return ""
	}
	return spdxExpression(ids)
}

func spdxExpression(ids []string) string {
	parts := make([]string, len(ids))
	for i, l := range ids {
		switch {
		case isExpression(l):
			parts[i] = l
			if len(ids) > 1 {
				parts[i] = "(" + l + ")"
			}
		case licenseID.MatchString(l):
			parts[i] = l
		default:
			parts[i] = "LicenseRef-" + sanitize(l)
		}
	}
	return strings.Join(parts, " AND ")
}

var unsafeID = regexp.MustCompile(`[^A-Za-z0-9.\-]+`)

func sanitize(s string) string {
	s = unsafeID.ReplaceAllString(s, "-")
	s = strings.Trim(s, "-")
	if s == "" {
		return "x"
	}
	return s
}

// uuidFrom formats the first 16 bytes of a hex digest as a version-5-style UUID.
func uuidFrom(digest string) string {
	b, _ := hex.DecodeString(digest[:32])
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding SBOM: %w", err)
	}
	return buf.Bytes(), nil
}

// Sort orders components by name, then version, for documents whose input order is not
// meaningful (e.g. packages read from a directory).
func Sort(cs []Component) {
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].Name != cs[j].Name {
			return cs[i].Name < cs[j].Name
		}
		return cs[i].Version < cs[j].Version
	})
}
