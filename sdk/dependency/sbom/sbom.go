package sbom

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/github/go-spdx/v2/spdxexp"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"
)

// Component is one piece of software in a bill of materials.
type Component struct {
	// Type is the CycloneDX component type: "application", "library", "framework",
	// "operating-system", "file", ... "" means "library".
	Type    string
	Name    string
	Version string
	PURL    string   // package URL, e.g. "pkg:generic/ffmpeg@7.1"
	CPEs    []string // CPE 2.3 names
	// Licenses are SPDX license identifiers or expressions. Anything else (a licence name
	// such as "BSD" or "Custom licence") is kept as a name: a CycloneDX license name, and an
	// SPDX LicenseRef- defined in hasExtractedLicensingInfos.
	Licenses []string
	SHA256   string // hex sha256 of the artifact, if known
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

// CycloneDXVersion is the CycloneDX specification version CycloneDX renders.
const CycloneDXVersion = "1.6"

var fixedTime = time.Date(1980, 1, 1, 0, 0, 1, 0, time.UTC)

func (d Document) created() string {
	return cmp.Or(d.Created, fixedTime).UTC().Format(time.RFC3339)
}

func (d Document) tool() string {
	return cmp.Or(d.Tool, "cnbkit")
}

// digest identifies the document's content; it seeds the ids both formats need.
func (d Document) digest() string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	_ = enc.Encode(d.Name)
	_ = enc.Encode(d.Components)
	return hex.EncodeToString(h.Sum(nil))
}

// Validate reports components without a name and checksums that are not sha256 hex.
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

// licence is one entry of Component.Licenses, classified.
type licence struct {
	raw  string
	id   string // an SPDX license identifier on the list (normalised), or ""
	expr string // a valid SPDX expression (normalised), or ""
	ref  string // LicenseRef-<name> for anything else
}

func classify(ls []string) []licence {
	var out []licence
	for _, l := range ls {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if ok, id := spdxexp.ActiveLicense(l); ok {
			out = append(out, licence{raw: l, id: id})
			continue
		}
		if norm, invalid := spdxexp.ValidateAndNormalizeLicensesWithOptions([]string{l}, spdxexp.ValidateLicensesOptions{}); len(invalid) == 0 && len(norm) == 1 {
			if strings.ContainsAny(norm[0], " ()") {
				out = append(out, licence{raw: l, expr: norm[0]})
			} else {
				out = append(out, licence{raw: l, id: norm[0]}) // a deprecated id or id WITH exception
			}
			continue
		}
		out = append(out, licence{raw: l, ref: "LicenseRef-" + sanitize(l)})
	}
	return out
}

// spdxTerm is the licence as a term of an SPDX expression.
func (l licence) spdxTerm(parenthesise bool) string {
	switch {
	case l.id != "":
		return l.id
	case l.expr != "" && parenthesise:
		return "(" + l.expr + ")"
	case l.expr != "":
		return l.expr
	}
	return l.ref
}

// expression joins licences into one SPDX expression (AND).
func expression(ls []licence) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = l.spdxTerm(len(ls) > 1)
	}
	return strings.Join(parts, " AND ")
}

// ---- CycloneDX -------------------------------------------------------------------------

// CycloneDX renders the document as CycloneDX JSON (CycloneDXVersion) with cyclonedx-go.
func (d Document) CycloneDX() ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("rendering CycloneDX: %w", err)
	}
	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + uuidFrom(d.digest())
	bom.Metadata = &cdx.Metadata{
		Timestamp: d.created(),
		Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: d.tool()}}},
	}
	if d.Name != "" {
		bom.Metadata.Component = &cdx.Component{Type: cdx.ComponentTypeApplication, Name: d.Name}
	}
	components := make([]cdx.Component, 0, len(d.Components))
	for i, c := range d.Components {
		cc := cdx.Component{
			BOMRef:      bomRef(i, c),
			Type:        cdx.ComponentType(c.Type),
			Name:        c.Name,
			Version:     c.Version,
			Description: c.Description,
			PackageURL:  c.PURL,
		}
		if cc.Type == "" {
			cc.Type = cdx.ComponentTypeLibrary
		}
		if c.Supplier != "" {
			cc.Supplier = &cdx.OrganizationalEntity{Name: c.Supplier}
		}
		if c.SHA256 != "" {
			cc.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: strings.ToLower(c.SHA256)}}
		}
		if ls := cdxLicenses(classify(c.Licenses)); len(ls) > 0 {
			cc.Licenses = &ls
		}
		if len(c.CPEs) > 0 {
			cc.CPE = c.CPEs[0]
			var props []cdx.Property
			for _, extra := range c.CPEs[1:] {
				props = append(props, cdx.Property{Name: "cnbkit:cpe23", Value: extra})
			}
			if len(props) > 0 {
				cc.Properties = &props
			}
		}
		if c.URI != "" {
			cc.ExternalReferences = &[]cdx.ExternalReference{{Type: cdx.ERTypeDistribution, URL: c.URI}}
		}
		components = append(components, cc)
	}
	bom.Components = &components
	var buf bytes.Buffer
	enc := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return nil, fmt.Errorf("encoding CycloneDX: %w", err)
	}
	return buf.Bytes(), nil
}

// cdxLicenses lists licence ids and names; CycloneDX takes either such a list or exactly one
// expression, so any expression turns the whole list into one expression.
func cdxLicenses(ls []licence) cdx.Licenses {
	if len(ls) == 0 {
		return nil
	}
	for _, l := range ls {
		if l.expr != "" {
			return cdx.Licenses{{Expression: expression(ls)}}
		}
	}
	out := make(cdx.Licenses, len(ls))
	for i, l := range ls {
		if l.id != "" && !strings.Contains(l.id, " ") {
			out[i] = cdx.LicenseChoice{License: &cdx.License{ID: l.id}}
		} else {
			out[i] = cdx.LicenseChoice{License: &cdx.License{Name: l.raw}}
		}
	}
	return out
}

// bomRef is unique within the document (two components may share a purl).
func bomRef(i int, c Component) string {
	return fmt.Sprintf("component-%d-%s", i, sanitize(c.Name))
}

// ---- SPDX ------------------------------------------------------------------------------

// SPDX renders the document as SPDX 2.3 JSON with spdx/tools-golang. Licence names that are
// not SPDX identifiers become LicenseRef-<name> and are defined in
// hasExtractedLicensingInfos, as the specification requires.
func (d Document) SPDX() ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("rendering SPDX: %w", err)
	}
	name := cmp.Or(d.Name, "sbom")
	doc := spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      name,
		DocumentNamespace: "https://cnbkit.invalid/spdx/" + sanitize(name) + "-" + d.digest(),
		CreationInfo: &spdx.CreationInfo{
			Created:  d.created(),
			Creators: []common.Creator{{CreatorType: "Tool", Creator: d.tool()}},
		},
		Packages:      []*spdx.Package{},
		Relationships: []*spdx.Relationship{},
	}
	refs := map[string]string{}  // LicenseRef- id -> the name it stands for
	refOf := map[string]string{} // the name -> its LicenseRef- id, unique per document
	for i, c := range d.Components {
		p := &spdx.Package{
			PackageSPDXIdentifier:   common.ElementID(fmt.Sprintf("Package-%d-%s", i, sanitize(c.Name))),
			PackageName:             c.Name,
			PackageVersion:          c.Version,
			PackageDownloadLocation: "NOASSERTION",
			PackageLicenseConcluded: "NOASSERTION",
			PackageLicenseDeclared:  "NOASSERTION",
			PackageCopyrightText:    "NOASSERTION",
			PackageDescription:      c.Description,
		}
		if c.URI != "" {
			p.PackageDownloadLocation = c.URI
		}
		if c.Supplier != "" {
			p.PackageSupplier = &common.Supplier{SupplierType: "Organization", Supplier: c.Supplier}
		}
		if c.SHA256 != "" {
			p.PackageChecksums = []common.Checksum{{Algorithm: common.SHA256, Value: strings.ToLower(c.SHA256)}}
		}
		if ls := classify(c.Licenses); len(ls) > 0 {
			for i, l := range ls {
				if l.ref == "" {
					continue
				}
				id, ok := refOf[l.raw]
				for n := 2; !ok; n++ {
					if _, taken := refs[l.ref]; !taken {
						id, ok = l.ref, true
					} else {
						l.ref = fmt.Sprintf("LicenseRef-%s-%d", sanitize(l.raw), n)
					}
				}
				refOf[l.raw], refs[id] = id, l.raw
				ls[i].ref = id
			}
			p.PackageLicenseDeclared = expression(ls)
		}
		if c.PURL != "" {
			p.PackageExternalReferences = append(p.PackageExternalReferences,
				&spdx.PackageExternalReference{Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL, Locator: c.PURL})
		}
		for _, cpe := range c.CPEs {
			p.PackageExternalReferences = append(p.PackageExternalReferences,
				&spdx.PackageExternalReference{Category: common.CategorySecurity, RefType: common.TypeSecurityCPE23Type, Locator: cpe})
		}
		doc.Packages = append(doc.Packages, p)
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA:         common.MakeDocElementID("", "DOCUMENT"),
			RefB:         common.MakeDocElementID("", string(p.PackageSPDXIdentifier)),
			Relationship: common.TypeRelationshipDescribe,
		})
	}
	ids := slices.Sorted(maps.Keys(refs))
	for _, id := range ids {
		doc.OtherLicenses = append(doc.OtherLicenses, &spdx.OtherLicense{
			LicenseIdentifier: id,
			LicenseName:       refs[id],
			ExtractedText:     refs[id],
			LicenseComment:    "The licence as the package names it; it is not an SPDX license identifier.",
		})
	}
	var buf bytes.Buffer
	if err := spdxjson.Write(&doc, &buf, spdxjson.Indent("  "), spdxjson.EscapeHTML(false)); err != nil {
		return nil, fmt.Errorf("encoding SPDX: %w", err)
	}
	return buf.Bytes(), nil
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
