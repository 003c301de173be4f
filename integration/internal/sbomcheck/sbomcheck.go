package sbomcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"slices"

	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/github/go-spdx/v2/spdxexp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdxlib"

	"github.com/cnbkit/cnbkit/integration/fixtures"
)

// cyclonedxBase is the $id prefix of the official CycloneDX schemas.
const cyclonedxBase = "http://cyclonedx.org/schema/"

// Validator checks SBOM documents. It is safe for concurrent use.
type Validator struct {
	dir     string
	mu      sync.Mutex
	schemas map[string]*jsonschema.Schema // by CycloneDX specVersion
}

// New returns a Validator over the official CycloneDX schemas the fixtures provide.
func New(ctx context.Context, fx *fixtures.Fixtures) (*Validator, error) {
	dir, err := fx.CycloneDXSchemas(ctx)
	if err != nil {
		return nil, fmt.Errorf("getting the CycloneDX schemas: %w", err)
	}
	return &Validator{dir: dir, schemas: map[string]*jsonschema.Schema{}}, nil
}

// Versions are the CycloneDX specification versions the Validator accepts.
var Versions = []string{"1.5", "1.6"}

// LifecycleLegacy is the file the lifecycle itself writes at the top of the image's launch/
// and build/ SBOM folders (the legacy bill of materials of launch.toml and build.toml
// [[bom]], which cnbkit never writes). It is not a CycloneDX or SPDX document.
const LifecycleLegacy = "sbom.legacy.json"

// File validates one document, by its name: *.cdx.json is CycloneDX, *.spdx.json is SPDX.
// Any other name is an error: cnbkit writes no other format.
func (v *Validator) File(name string, data []byte) error {
	switch {
	case strings.HasSuffix(name, ".cdx.json"):
		return v.CycloneDX(data)
	case strings.HasSuffix(name, ".spdx.json"):
		return SPDX(data)
	}
	return errors.New("not a CycloneDX (.cdx.json) or SPDX (.spdx.json) document")
}

// Files validates every document and reports each one that fails, by name. It returns the
// names of the documents it validated: the lifecycle's own LifecycleLegacy files (launch/ and
// build/ of an image's SBOM folders) are only checked to be JSON.
func (v *Validator) Files(files map[string][]byte) ([]string, error) {
	names := slices.Sorted(maps.Keys(files))
	var errs []error
	var validated []string
	for _, n := range names {
		// pack sbom download writes them under layers/sbom/{launch,build}/.
		if dir, base := path.Split(n); base == LifecycleLegacy && (dir == "" || path.Base(dir) == "launch" || path.Base(dir) == "build") {
			if !json.Valid(files[n]) {
				errs = append(errs, fmt.Errorf("%s: the lifecycle's legacy bill of materials is not JSON", n))
			}
			continue
		}
		if err := v.File(n, files[n]); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", n, err))
			continue
		}
		validated = append(validated, n)
	}
	return validated, errors.Join(errs...)
}

// Dir validates every regular file under dir (e.g. what `pack sbom download` wrote) and
// returns the names, relative to dir, of the documents it validated (see Files).
func (v *Validator) Dir(dir string) ([]string, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v.Files(files)
}

// CycloneDX validates a CycloneDX JSON document against the official schema of its
// specVersion.
func (v *Validator) CycloneDX(data []byte) error {
	var head struct {
		BOMFormat   string `json:"bomFormat"`
		SpecVersion string `json:"specVersion"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if head.BOMFormat != "CycloneDX" {
		return fmt.Errorf("bomFormat is %q, want \"CycloneDX\"", head.BOMFormat)
	}
	sch, err := v.schema(head.SpecVersion)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("CycloneDX %s schema: %w", head.SpecVersion, err)
	}
	return nil
}

func (v *Validator) schema(version string) (*jsonschema.Schema, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if s, ok := v.schemas[version]; ok {
		return s, nil
	}
	known := false
	for _, k := range Versions {
		known = known || k == version
	}
	if !known {
		return nil, fmt.Errorf("specVersion %q: the validator knows CycloneDX %s", version, strings.Join(Versions, " and "))
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(schemaLoader{dir: v.dir})
	c.AssertFormat()
	s, err := c.Compile(cyclonedxBase + "bom-" + version + ".schema.json")
	if err != nil {
		return nil, fmt.Errorf("compiling the CycloneDX %s schema: %w", version, err)
	}
	v.schemas[version] = s
	return s, nil
}

// schemaLoader serves http://cyclonedx.org/schema/<name> from the npm package's files,
// which carry a .SNAPSHOT infix (bom-1.6.SNAPSHOT.schema.json). Nothing is fetched.
type schemaLoader struct{ dir string }

func (l schemaLoader) Load(u string) (any, error) {
	name, ok := strings.CutPrefix(u, cyclonedxBase)
	if !ok || strings.Contains(name, "/") {
		return nil, fmt.Errorf("schema %s is not one of the CycloneDX schemas; nothing is fetched from the network", u)
	}
	candidates := []string{name}
	if base, ok := strings.CutSuffix(name, ".schema.json"); ok && !strings.HasSuffix(base, ".SNAPSHOT") {
		candidates = append(candidates, base+".SNAPSHOT.schema.json")
	}
	for _, c := range candidates {
		f, err := os.Open(filepath.Join(l.dir, c))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return jsonschema.UnmarshalJSON(f)
	}
	return nil, fmt.Errorf("schema %s: no %s in %s", u, strings.Join(candidates, " or "), l.dir)
}

var (
	elementID   = regexp.MustCompile(`^SPDXRef-[A-Za-z0-9.\-]+$`)
	licenseRef  = regexp.MustCompile(`^LicenseRef-[A-Za-z0-9.\-]+$`)
	hexDigits   = regexp.MustCompile(`^[0-9a-f]+$`)
	checksumLen = map[string]int{"SHA1": 40, "SHA224": 56, "SHA256": 64, "SHA384": 96, "SHA512": 128, "MD5": 32}
)

// SPDX validates an SPDX 2.3 JSON document: tools-golang must read it into its typed
// document and find every element a relationship names, and the document must follow the
// SPDX 2.3 rules below (what SPDX validators reject).
func SPDX(data []byte) error {
	var head struct {
		SPDXVersion string `json:"spdxVersion"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if head.SPDXVersion != "SPDX-2.3" {
		return fmt.Errorf("spdxVersion is %q, want \"SPDX-2.3\"", head.SPDXVersion)
	}
	doc, err := spdxjson.Read(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("tools-golang cannot read it: %w", err)
	}
	if err := spdxlib.ValidateDocument(doc); err != nil {
		return fmt.Errorf("tools-golang: %w", err)
	}
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if doc.DataLicense != "CC0-1.0" {
		add("dataLicense is %q, want CC0-1.0", doc.DataLicense)
	}
	if string(doc.SPDXIdentifier) != "DOCUMENT" {
		add("SPDXID is %q, want SPDXRef-DOCUMENT", "SPDXRef-"+doc.SPDXIdentifier)
	}
	if strings.TrimSpace(doc.DocumentName) == "" {
		add("name is empty")
	}
	if u, err := url.Parse(doc.DocumentNamespace); err != nil || !u.IsAbs() || strings.Contains(doc.DocumentNamespace, "#") {
		add("documentNamespace %q is not an absolute URI without '#'", doc.DocumentNamespace)
	}
	if doc.CreationInfo == nil {
		add("creationInfo is missing")
	} else {
		if _, err := time.Parse("2006-01-02T15:04:05Z", doc.CreationInfo.Created); err != nil {
			add("creationInfo.created %q is not YYYY-MM-DDThh:mm:ssZ", doc.CreationInfo.Created)
		}
		if len(doc.CreationInfo.Creators) == 0 {
			add("creationInfo.creators is empty")
		}
		for _, c := range doc.CreationInfo.Creators {
			if c.CreatorType != "Tool" && c.CreatorType != "Organization" && c.CreatorType != "Person" || c.Creator == "" {
				add("creator %q: want Tool:, Organization: or Person: and a name", c.CreatorType+": "+c.Creator)
			}
		}
	}
	defined := map[string]bool{}
	for _, o := range doc.OtherLicenses {
		if !licenseRef.MatchString(o.LicenseIdentifier) {
			add("hasExtractedLicensingInfos licenseId %q is not LicenseRef-[A-Za-z0-9.-]+", o.LicenseIdentifier)
		}
		if o.ExtractedText == "" {
			add("hasExtractedLicensingInfos %s has no extractedText", o.LicenseIdentifier)
		}
		defined[o.LicenseIdentifier] = true
	}
	seen := map[string]bool{}
	for i, p := range doc.Packages {
		id := "SPDXRef-" + string(p.PackageSPDXIdentifier)
		where := fmt.Sprintf("packages[%d] (%s)", i, p.PackageName)
		if !elementID.MatchString(id) {
			add("%s: SPDXID %q is not SPDXRef-[A-Za-z0-9.-]+", where, id)
		}
		if seen[id] {
			add("%s: SPDXID %s is used twice", where, id)
		}
		seen[id] = true
		if p.PackageName == "" {
			add("%s: name is empty", where)
		}
		if p.PackageDownloadLocation == "" {
			add("%s: downloadLocation is empty (use NOASSERTION)", where)
		}
		for field, expr := range map[string]string{"licenseDeclared": p.PackageLicenseDeclared, "licenseConcluded": p.PackageLicenseConcluded} {
			if err := checkLicense(expr, defined); err != nil {
				add("%s: %s: %v", where, field, err)
			}
		}
		for _, c := range p.PackageChecksums {
			if n, ok := checksumLen[string(c.Algorithm)]; ok && (len(c.Value) != n || !hexDigits.MatchString(c.Value)) {
				add("%s: %s checksum %q is not %d lower-case hex digits", where, c.Algorithm, c.Value, n)
			}
		}
		for _, r := range p.PackageExternalReferences {
			if r.Category == "" || r.RefType == "" || r.Locator == "" {
				add("%s: an external reference lacks a category, type or locator", where)
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("SPDX 2.3: %s", strings.Join(problems, "; "))
	}
	return nil
}

// checkLicense accepts NONE, NOASSERTION, empty (the field is optional in 2.3), or an SPDX
// expression whose identifiers are on the SPDX list or LicenseRef-s the document defines.
func checkLicense(expr string, defined map[string]bool) error {
	switch strings.TrimSpace(expr) {
	case "", "NONE", "NOASSERTION":
		return nil
	}
	ids, err := spdxexp.ExtractLicenses(expr)
	if err != nil {
		return fmt.Errorf("%q is not an SPDX license expression: %w", expr, err)
	}
	for _, id := range ids {
		if strings.HasPrefix(id, "LicenseRef-") {
			if !defined[id] {
				return fmt.Errorf("%s is used but not defined in hasExtractedLicensingInfos", id)
			}
			continue
		}
		if ok, _ := spdxexp.ValidateLicenses([]string{id}); !ok {
			return fmt.Errorf("%q is not on the SPDX license list", id)
		}
	}
	return nil
}

var shared struct {
	once sync.Once
	v    *Validator
	err  error
}

// Default returns a Validator over the default fixture cache, made once per process.
func Default(ctx context.Context) (*Validator, error) {
	shared.once.Do(func() {
		fx, err := fixtures.New(fixtures.Options{})
		if err != nil {
			shared.err = err
			return
		}
		shared.v, shared.err = New(ctx, fx)
	})
	return shared.v, shared.err
}
