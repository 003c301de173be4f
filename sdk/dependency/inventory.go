package dependency

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/Masterminds/semver/v3"

	"github.com/cnbkit/cnbkit/sdk/internal/checksum"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// Dependency is one [[metadata.dependencies]] entry of buildpack.toml: a piece of software a
// buildpack downloads, identified by the sha256 of its artifact.
type Dependency struct {
	ID      string // e.g. "cpython"
	Name    string // human name, e.g. "CPython"; ID when absent
	Version string // a semantic version, e.g. "3.12.7"
	URI     string // https://, http:// or file:// location of the artifact
	// SHA256 is the lowercase hex sha256 of the artifact, without the "sha256:" prefix,
	// whichever of checksum = "sha256:<hex>" or sha256 = "<hex>" the entry used.
	SHA256 string
	// Target is the build target the artifact runs on; empty fields mean "any".
	Target spec.Target
	// Stacks is the deprecated stacks list some inventories still carry; kept for reference,
	// it plays no part in resolution.
	Stacks          []string
	PURL            string
	CPEs            []string
	Licenses        []License
	Source          string // the source code the artifact was built from
	SourceSHA256    string // hex sha256 of Source
	DeprecationDate time.Time
	// StripComponents is the number of leading path components dropped when the archive is
	// extracted (like tar --strip-components).
	StripComponents int
	// Size is the artifact's size in bytes, when the inventory declares it (key size, a
	// cnbkit addition that libpak and Paketo's readers ignore): a download stops there.
	Size int64
}

// License is a licence of a dependency: an SPDX identifier or expression in Type, a link in URI.
type License struct {
	Type string `toml:"type,omitempty" json:"type,omitempty"`
	URI  string `toml:"uri,omitempty" json:"uri,omitempty"`
}

// Checksum returns the checksum in the "sha256:<hex>" form.
func (d Dependency) Checksum() string { return "sha256:" + d.SHA256 }

// String names the dependency for people: "cpython 3.12.7 (linux/amd64)".
func (d Dependency) String() string {
	return fmt.Sprintf("%s %s (%s)", d.ID, d.Version, d.Target)
}

// DisplayName is Name, or ID when the entry has no name.
func (d Dependency) DisplayName() string {
	if d.Name != "" {
		return d.Name
	}
	return d.ID
}

// Inventory is the list of dependencies a buildpack declares, in file order.
type Inventory []Dependency

// InvalidError lists every problem found in an inventory. Callers find it with errors.As.
type InvalidError struct {
	Source   string    // the file or description of the input, e.g. "buildpack.toml"
	Problems []Problem // in file order
}

// Problem is one invalid inventory entry.
type Problem struct {
	Index      int    // position in the dependencies list, -1 for problems of the whole file
	Dependency string // "id version target" as far as known
	Message    string // what is wrong and what to do
}

func (p Problem) String() string {
	switch {
	case p.Index < 0:
		return p.Message
	case p.Dependency != "":
		return fmt.Sprintf("dependencies[%d] (%s): %s", p.Index, p.Dependency, p.Message)
	default:
		return fmt.Sprintf("dependencies[%d]: %s", p.Index, p.Message)
	}
}

func (e *InvalidError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	noun := "problems"
	if len(parts) == 1 {
		noun = "problem"
	}
	return fmt.Sprintf("%s: dependency inventory has %d %s: %s", e.Source, len(parts), noun, strings.Join(parts, "; "))
}

// rawDependency is the TOML shape of an entry. It accepts cnbkit's keys and the older
// Paketo spellings (sha256, source-sha256, stacks, deprecation_date, eol-date).
type rawDependency struct {
	ID              string        `toml:"id"`
	Name            string        `toml:"name,omitempty"`
	Version         string        `toml:"version"`
	URI             string        `toml:"uri"`
	Checksum        string        `toml:"checksum,omitempty"`
	SHA256          string        `toml:"sha256,omitempty"`
	OS              string        `toml:"os,omitempty"`
	Arch            string        `toml:"arch,omitempty"`
	Variant         string        `toml:"variant,omitempty"`
	ArchVariant     string        `toml:"arch-variant,omitempty"`
	Distros         []spec.Distro `toml:"distros,omitempty"`
	Stacks          []string      `toml:"stacks,omitempty"`
	PURL            string        `toml:"purl,omitempty"`
	PURLs           []string      `toml:"purls,omitempty"`
	CPEs            []string      `toml:"cpes,omitempty"`
	Licenses        any           `toml:"licenses,omitempty"`
	Source          string        `toml:"source,omitempty"`
	SourceChecksum  string        `toml:"source-checksum,omitempty"`
	SourceSHA256    string        `toml:"source-sha256,omitempty"`
	DeprecationDate any           `toml:"deprecation-date,omitempty"`
	DeprecationOld  any           `toml:"deprecation_date,omitempty"`
	EOLDate         any           `toml:"eol-date,omitempty"`
	StripComponents int           `toml:"strip-components,omitzero"`
	Size            int64         `toml:"size,omitzero"`
}

var knownKeys = map[string]bool{}

func init() {
	for _, k := range []string{"id", "name", "version", "uri", "checksum", "sha256", "os", "arch", "variant",
		"arch-variant", "distros", "stacks", "purl", "purls", "cpes", "licenses", "source", "source-checksum",
		"source-sha256", "deprecation-date", "deprecation_date", "eol-date", "strip-components", "size"} {
		knownKeys[k] = true
	}
}

// ParseInventory decodes the dependencies of a buildpack.toml ([[metadata.dependencies]]) or
// of a standalone inventory file (top-level [[dependencies]], same keys; see the package
// documentation). Every invalid entry is reported at once in an *InvalidError.
func ParseInventory(data []byte) (Inventory, error) {
	return parseInventory("inventory", data)
}

func parseInventory(source string, data []byte) (Inventory, error) {
	var top map[string]toml.Primitive
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&top)
	if err != nil {
		return nil, &InvalidError{Source: source, Problems: []Problem{{Index: -1, Message: fmt.Sprintf("not valid TOML: %v", err)}}}
	}
	var list []toml.Primitive
	var problems []Problem
	_, hasBuildpack := top["buildpack"]
	metaPrim, hasMeta := top["metadata"]
	switch {
	case hasBuildpack || hasMeta:
		// A buildpack.toml: only metadata.dependencies is ours.
		if hasMeta {
			var meta map[string]toml.Primitive
			if err := md.PrimitiveDecode(metaPrim, &meta); err != nil {
				return nil, &InvalidError{Source: source, Problems: []Problem{{Index: -1, Message: fmt.Sprintf("[metadata] is not a table: %v", err)}}}
			}
			if p, ok := meta["dependencies"]; ok {
				if err := md.PrimitiveDecode(p, &list); err != nil {
					return nil, &InvalidError{Source: source, Problems: []Problem{{Index: -1,
						Message: "metadata.dependencies must be an array of tables ([[metadata.dependencies]])"}}}
				}
			}
		}
	default:
		keys := slices.Sorted(maps.Keys(top))
		for _, k := range keys {
			if k != "dependencies" {
				problems = append(problems, Problem{Index: -1, Message: fmt.Sprintf(
					"unknown top-level key %q: an inventory file holds only [[dependencies]] tables", k)})
			}
		}
		if p, ok := top["dependencies"]; ok {
			if err := md.PrimitiveDecode(p, &list); err != nil {
				return nil, &InvalidError{Source: source, Problems: []Problem{{Index: -1,
					Message: "dependencies must be an array of tables ([[dependencies]])"}}}
			}
		}
	}
	inv := make(Inventory, 0, len(list))
	for i, p := range list {
		dep, errs := decodeEntry(md, p)
		label := strings.TrimSpace(dep.ID + " " + dep.Version)
		for _, e := range errs {
			problems = append(problems, Problem{Index: i, Dependency: label, Message: e})
		}
		inv = append(inv, dep)
	}
	if len(problems) == 0 {
		if err := inv.Validate(); err != nil {
			var ie *InvalidError
			if errors.As(err, &ie) {
				ie.Source = source
			}
			return nil, err
		}
		return inv, nil
	}
	// Add the value problems of the entries that decoded, so everything shows at once.
	problems = append(problems, inv.problems()...)
	sort.SliceStable(problems, func(a, b int) bool { return problems[a].Index < problems[b].Index })
	return nil, &InvalidError{Source: source, Problems: dedupe(problems)}
}

func dedupe(ps []Problem) []Problem {
	seen := map[string]bool{}
	out := ps[:0]
	for _, p := range ps {
		if s := p.String(); !seen[s] {
			seen[s] = true
			out = append(out, p)
		}
	}
	return out
}

// decodeEntry turns one TOML table into a Dependency, returning decoding problems (unknown
// keys, wrong types, unreadable dates). Value checks are Validate's job.
func decodeEntry(md toml.MetaData, p toml.Primitive) (Dependency, []string) {
	var problems []string
	var keys map[string]any
	if err := md.PrimitiveDecode(p, &keys); err != nil {
		return Dependency{}, []string{"not a table: " + err.Error()}
	}
	var unknown []string
	for k := range keys {
		if !knownKeys[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		problems = append(problems, fmt.Sprintf("unknown key %q (check its spelling; known keys: id, name, version, uri, checksum, os, arch, variant, distros, purl, cpes, licenses, source, source-checksum, deprecation-date, strip-components, size)", k))
	}
	var raw rawDependency
	if err := md.PrimitiveDecode(p, &raw); err != nil {
		// Fall back to the string fields we can read, for a useful label.
		id, _ := keys["id"].(string)
		version, _ := keys["version"].(string)
		return Dependency{ID: id, Version: version}, append(problems, "wrong value type: "+err.Error())
	}
	dep, errs := raw.dependency()
	return dep, append(problems, errs...)
}

func (r rawDependency) dependency() (Dependency, []string) {
	var problems []string
	d := Dependency{
		ID: r.ID, Name: r.Name, Version: r.Version, URI: r.URI,
		Target:          spec.Target{OS: r.OS, Arch: r.Arch, Variant: r.Variant, Distros: r.Distros},
		Stacks:          r.Stacks,
		PURL:            r.PURL,
		CPEs:            r.CPEs,
		Source:          r.Source,
		StripComponents: r.StripComponents,
		Size:            r.Size,
	}
	d.Target.Variant = cmp.Or(d.Target.Variant, r.ArchVariant)
	if d.PURL == "" && len(r.PURLs) > 0 {
		d.PURL = r.PURLs[0]
	}
	// libpak reads the architecture from the purl's arch qualifier when arch is absent.
	d.Target.Arch = cmp.Or(d.Target.Arch, purlArch(d.PURL))
	sum, err := pickChecksum("checksum", r.Checksum, "sha256", r.SHA256)
	if err != nil {
		problems = append(problems, err.Error())
	}
	d.SHA256 = sum
	if r.Source != "" || r.SourceChecksum != "" || r.SourceSHA256 != "" {
		src, err := pickChecksum("source-checksum", r.SourceChecksum, "source-sha256", r.SourceSHA256)
		if err != nil && !errors.Is(err, errNoChecksum) {
			problems = append(problems, err.Error())
		}
		d.SourceSHA256 = src
	}
	licenses, err := decodeLicenses(r.Licenses)
	if err != nil {
		problems = append(problems, err.Error())
	}
	d.Licenses = licenses
	for _, c := range []struct {
		key string
		v   any
	}{{"deprecation-date", r.DeprecationDate}, {"deprecation_date", r.DeprecationOld}, {"eol-date", r.EOLDate}} {
		if c.v == nil || !d.DeprecationDate.IsZero() {
			continue
		}
		t, err := decodeDate(c.v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", c.key, err))
			continue
		}
		d.DeprecationDate = t
	}
	if r.StripComponents < 0 {
		problems = append(problems, fmt.Sprintf("strip-components is %d: use 0 or more", r.StripComponents))
	}
	return d, problems
}

var errNoChecksum = errors.New("no checksum")

var hexPattern = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

// ParseChecksum reads a checksum as libpak/v2's Checksum does ("<algorithm>:<hex>", a bare
// hex digest meaning sha256) and returns the lowercase sha256 hex. A sha512 checksum, which
// libpak also verifies, is refused: cnbkit keys the download cache, the offline layout,
// dependency-mapping bindings and layer reuse by the artifact's sha256.
func ParseChecksum(s string) (string, error) {
	d, err := checksum.Parse(s)
	if err != nil {
		return "", err
	}
	if d.Algorithm != "sha256" {
		return "", fmt.Errorf("checksum %q is a %s digest: cnbkit needs the artifact's sha256 (it keys downloads, bundles, dependency-mapping bindings and layer reuse by it); write checksum = \"sha256:<64 hex digits>\"", s, d.Algorithm)
	}
	return d.Hex, nil
}

func pickChecksum(key, value, legacyKey, legacy string) (string, error) {
	var a, b string
	var err error
	if value != "" {
		if a, err = ParseChecksum(value); err != nil {
			return "", fmt.Errorf("%s: %w", key, err)
		}
	}
	if legacy != "" {
		if b, err = ParseChecksum(legacy); err != nil {
			return "", fmt.Errorf("%s: %w", legacyKey, err)
		}
	}
	switch {
	case a != "" && b != "" && a != b:
		return "", fmt.Errorf("%s and %s disagree (%s vs %s): keep only %s", key, legacyKey, a, b, key)
	case a != "":
		return a, nil
	case b != "":
		return b, nil
	}
	return "", errNoChecksum
}

func decodeLicenses(v any) ([]License, error) {
	if v == nil {
		return nil, nil
	}
	if maps, ok := v.([]map[string]any); ok {
		list := make([]any, len(maps))
		for i, m := range maps {
			list[i] = m
		}
		v = list
	}
	list, ok := v.([]any)
	if !ok {
		if s, ok := v.(string); ok {
			return []License{{Type: s}}, nil
		}
		return nil, fmt.Errorf("licenses must be a list of SPDX ids or of {type, uri} tables, got %T", v)
	}
	var out []License
	for i, item := range list {
		switch x := item.(type) {
		case string:
			out = append(out, License{Type: x})
		case map[string]any:
			var l License
			for k, val := range x {
				s, ok := val.(string)
				if !ok {
					return nil, fmt.Errorf("licenses[%d].%s must be a string", i, k)
				}
				switch k {
				case "type":
					l.Type = s
				case "uri":
					l.URI = s
				default:
					return nil, fmt.Errorf("licenses[%d] has unknown key %q (use type and uri)", i, k)
				}
			}
			out = append(out, l)
		default:
			return nil, fmt.Errorf("licenses[%d] must be an SPDX id or a {type, uri} table, got %T", i, item)
		}
	}
	return out, nil
}

func decodeDate(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		// TOML local dates and times carry a pseudo-zone ("date-local", ...): read them as UTC.
		if strings.HasSuffix(x.Location().String(), "-local") {
			return time.Date(x.Year(), x.Month(), x.Day(), x.Hour(), x.Minute(), x.Second(), 0, time.UTC), nil
		}
		return x.UTC(), nil
	case string:
		for _, layout := range []string{"2006-01-02", time.RFC3339} {
			if t, err := time.Parse(layout, x); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("date %q is not YYYY-MM-DD", x)
	}
	return time.Time{}, fmt.Errorf("want a date such as 2026-10-31, got %T", v)
}

// Validate checks the values of every entry (id, version, uri, checksum, target, duplicates)
// and returns an *InvalidError listing all problems, or nil.
func (inv Inventory) Validate() error {
	if ps := inv.problems(); len(ps) > 0 {
		return &InvalidError{Source: "inventory", Problems: ps}
	}
	return nil
}

func (inv Inventory) problems() []Problem {
	var out []Problem
	seen := map[string]int{}
	for i, d := range inv {
		add := func(format string, args ...any) {
			out = append(out, Problem{Index: i, Dependency: strings.TrimSpace(d.ID + " " + d.Version), Message: fmt.Sprintf(format, args...)})
		}
		if d.ID == "" {
			add("id is empty: set id, e.g. \"cpython\"")
		}
		if d.Version == "" {
			add("version is empty: set a semantic version, e.g. \"3.12.7\"")
		} else if _, err := semver.StrictNewVersion(d.Version); err != nil {
			if _, err := semver.NewVersion(d.Version); err != nil {
				add("version %q is not a semantic version: use MAJOR.MINOR.PATCH, e.g. \"3.12.7\"", d.Version)
			}
		}
		if d.URI == "" {
			add("uri is empty: set the https:// or file:// location of the artifact")
		} else if err := checkURI(d.URI); err != nil {
			add("%v", err)
		}
		if d.SHA256 == "" {
			add("no checksum: set checksum = \"sha256:<hex>\" (the sha256 of the artifact, e.g. from sha256sum)")
		} else if !hexPattern.MatchString(d.SHA256) {
			add("checksum %q is not \"sha256:<64 hex digits>\"", d.SHA256)
		}
		if d.SourceSHA256 != "" && !hexPattern.MatchString(d.SourceSHA256) {
			add("source-checksum %q is not \"sha256:<64 hex digits>\"", d.SourceSHA256)
		}
		if err := d.Target.Validate(); err != nil {
			add("target: %v", err)
		}
		if d.StripComponents < 0 {
			add("strip-components is %d: use 0 or more", d.StripComponents)
		}
		if d.Size < 0 {
			add("size is %d: give the artifact's size in bytes, or leave size out", d.Size)
		}
		if d.ID != "" && d.Version != "" {
			key := d.ID + "\x00" + d.Version + "\x00" + d.Target.String()
			if j, dup := seen[key]; dup {
				add("duplicates dependencies[%d]: the same id, version and target may appear only once", j)
			} else {
				seen[key] = i
			}
		}
	}
	return out
}

func checkURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("uri %q is not a URL: %v", s, err)
	}
	switch u.Scheme {
	case "https", "http":
		if u.Host == "" {
			return fmt.Errorf("uri %q has no host", s)
		}
	case "file":
		if u.Path == "" {
			return fmt.Errorf("uri %q has no path", s)
		}
	default:
		return fmt.Errorf("uri %q: use an https://, http:// or file:// URL", s)
	}
	return nil
}

// Load reads the inventory of the buildpack in dir (its buildpack.toml).
func Load(buildpackDir string) (Inventory, error) {
	path := filepath.Join(buildpackDir, spec.BuildpackFile)
	data, err := spec.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading dependency inventory: %w", err)
	}
	return parseInventory(path, data)
}

// ReadFile reads and validates a standalone inventory file (top-level [[dependencies]]) or a
// buildpack.toml, as the packager does for an inventory given at package time.
func ReadFile(path string) (Inventory, error) {
	data, err := spec.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading dependency inventory: %w", err)
	}
	return parseInventory(path, data)
}

// Check validates the dependency inventory of the buildpack in buildpackDir. Authors call it
// from a unit test so a typo in buildpack.toml fails `go test`, not a build:
//
//	func TestBuildpackTOML(t *testing.T) {
//		if err := dependency.Check(".."); err != nil {
//			t.Fatal(err)
//		}
//	}
func Check(buildpackDir string) error {
	_, err := Load(buildpackDir)
	return err
}

// MergeMode says how Merge combines a base inventory with an override.
type MergeMode string

const (
	// Replace drops every base entry whose id appears in the override, then adds the
	// override's entries: an organisation that hosts its own CPython replaces all cpython
	// entries and keeps the rest.
	Replace MergeMode = "replace"
	// Extend adds the override's entries to the base; an override entry with the same id,
	// version and target as a base entry takes its place.
	Extend MergeMode = "extend"
)

// ParseMergeMode reads "replace" or "extend".
func ParseMergeMode(s string) (MergeMode, error) {
	switch MergeMode(s) {
	case Replace, Extend:
		return MergeMode(s), nil
	}
	return "", fmt.Errorf("inventory mode %q is not known: use %q or %q", s, Replace, Extend)
}

// Merge combines base and override according to mode and validates the result.
func Merge(base, override Inventory, mode MergeMode) (Inventory, error) {
	var out Inventory
	switch mode {
	case Replace:
		ids := map[string]bool{}
		for _, d := range override {
			ids[d.ID] = true
		}
		for _, d := range base {
			if !ids[d.ID] {
				out = append(out, d)
			}
		}
		out = append(out, override...)
	case Extend:
		key := func(d Dependency) string { return d.ID + "\x00" + d.Version + "\x00" + d.Target.String() }
		replaced := map[string]bool{}
		for _, d := range override {
			replaced[key(d)] = true
		}
		for _, d := range base {
			if !replaced[key(d)] {
				out = append(out, d)
			}
		}
		out = append(out, override...)
	default:
		return nil, fmt.Errorf("merging inventories: mode %q is not known: use %q or %q", mode, Replace, Extend)
	}
	if err := out.Validate(); err != nil {
		return nil, fmt.Errorf("merging inventories: %w", err)
	}
	return out, nil
}

// Filter returns the entries for which keep returns true.
func (inv Inventory) Filter(keep func(Dependency) bool) Inventory {
	var out Inventory
	for _, d := range inv {
		if keep(d) {
			out = append(out, d)
		}
	}
	return out
}

// ForTargets returns the entries usable on at least one of targets (entries for any target
// included). No targets means all entries.
func (inv Inventory) ForTargets(targets ...spec.Target) Inventory {
	if len(targets) == 0 {
		return append(Inventory(nil), inv...)
	}
	return inv.Filter(func(d Dependency) bool {
		for _, t := range targets {
			if d.Target.Matches(t) {
				return true
			}
		}
		return false
	})
}

// entry renders d in the canonical TOML shape (checksum = "sha256:<hex>").
func (d Dependency) entry() rawDependency {
	r := rawDependency{
		ID: d.ID, Name: d.Name, Version: d.Version, URI: d.URI, Checksum: d.Checksum(),
		OS: d.Target.OS, Arch: d.Target.Arch, Variant: d.Target.Variant, Distros: d.Target.Distros,
		Stacks: d.Stacks, PURL: d.PURL, CPEs: d.CPEs, Source: d.Source, StripComponents: d.StripComponents,
		Size: d.Size,
	}
	if len(d.Licenses) > 0 {
		ls := make([]map[string]any, len(d.Licenses))
		for i, l := range d.Licenses {
			m := map[string]any{}
			if l.Type != "" {
				m["type"] = l.Type
			}
			if l.URI != "" {
				m["uri"] = l.URI
			}
			ls[i] = m
		}
		r.Licenses = ls
	}
	if d.SourceSHA256 != "" {
		r.SourceChecksum = "sha256:" + d.SourceSHA256
	}
	if !d.DeprecationDate.IsZero() {
		r.DeprecationDate = d.DeprecationDate.UTC().Format("2006-01-02")
	}
	return r
}

// MarshalTOML renders the inventory as a standalone inventory file ([[dependencies]]).
func (inv Inventory) MarshalTOML() ([]byte, error) {
	entries := make([]rawDependency, len(inv))
	for i, d := range inv {
		entries[i] = d.entry()
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(struct {
		Dependencies []rawDependency `toml:"dependencies"`
	}{entries}); err != nil {
		return nil, fmt.Errorf("encoding inventory: %w", err)
	}
	return buf.Bytes(), nil
}

// WithInventory returns buildpackTOML with its [[metadata.dependencies]] replaced by inv, the
// rest of the descriptor kept (re-encoded: comments and key order are not preserved). The
// packager uses it to write a packaged buildpack.toml after Merge.
func WithInventory(buildpackTOML []byte, inv Inventory) ([]byte, error) {
	bp, err := spec.ParseBuildpack(buildpackTOML)
	if err != nil {
		return nil, fmt.Errorf("replacing dependency inventory: %w", err)
	}
	if err := inv.Validate(); err != nil {
		return nil, fmt.Errorf("replacing dependency inventory: %w", err)
	}
	if bp.Metadata == nil {
		bp.Metadata = map[string]any{}
	}
	if len(inv) == 0 {
		delete(bp.Metadata, "dependencies")
	} else {
		entries := make([]rawDependency, len(inv))
		for i, d := range inv {
			entries[i] = d.entry()
		}
		bp.Metadata["dependencies"] = entries
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(bp); err != nil {
		return nil, fmt.Errorf("replacing dependency inventory: encoding %s: %w", spec.BuildpackFile, err)
	}
	return buf.Bytes(), nil
}

// hexOf is the canonical directory name of a checksum in the offline layout.
func hexOf(sum []byte) string { return hex.EncodeToString(sum) }

// purlArch is the arch qualifier of a package URL ("pkg:generic/x@1?arch=amd64"), or "".
func purlArch(purl string) string {
	_, query, ok := strings.Cut(purl, "?")
	if !ok {
		return ""
	}
	query, _, _ = strings.Cut(query, "#")
	v, err := url.ParseQuery(query)
	if err != nil {
		return ""
	}
	return v.Get("arch")
}
