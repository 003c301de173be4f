package sdk

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/cnbkit/cnbkit/sdk/spec"
)

// ConfigError reports a configuration value the buildpack cannot use: the variable, the value
// found and what is accepted.
type ConfigError struct {
	Name     string // the environment variable, e.g. BP_LOG_FORMAT
	Value    string // the value found
	Accepted string // what the variable accepts, e.g. "one of json, text"
	Source   string // where the value came from, e.g. "platform env"
	Err      error  // the parse error, if any
}

func (e *ConfigError) Error() string {
	s := fmt.Sprintf("%s=%q is not valid: %s accepts %s", e.Name, e.Value, e.Name, e.Accepted)
	if e.Source != "" {
		s += " (value from " + e.Source + ")"
	}
	return s
}

func (e *ConfigError) Unwrap() error { return e.Err }

// VersionConstraint is a semantic version constraint: "3.12" (any 3.12 patch), "3.12.*",
// "~3.12", ">=3.11, <3.14", an exact "3.12.7", or "", "*", "x" or "latest" for any version.
// It is the one constraint type of the SDK: configuration fields (BP_*_VERSION), plan
// metadata and dependency resolution (dependency.Inventory.Resolve) all use it, so a
// constraint means the same everywhere. "Any version" leaves prereleases out, as a
// constraint without a prerelease does (Masterminds/semver, libpak): ask for one explicitly,
// e.g. "2.0.0-rc.1" or ">=2.0.0-0". The zero value is "any version". It reads and writes
// itself as text, so it can be a field of TOML metadata.
type VersionConstraint struct {
	raw string
	c   *semver.Constraints // nil: any version
}

// ParseVersionConstraint parses s (surrounding space ignored).
func ParseVersionConstraint(s string) (VersionConstraint, error) {
	raw := strings.TrimSpace(s)
	switch raw {
	case "", "*", "x", "latest":
		return VersionConstraint{raw: raw}, nil
	}
	c, err := semver.NewConstraint(raw)
	if err != nil {
		return VersionConstraint{}, fmt.Errorf("version constraint %q is not valid: use e.g. \"3.12\", \"~3.12\", \">=3.11, <3.14\" or an exact version: %w", s, err)
	}
	return VersionConstraint{raw: raw, c: c}, nil
}

// String returns the constraint as written ("" for the zero value).
func (v VersionConstraint) String() string { return v.raw }

// IsZero reports whether the constraint accepts any version.
func (v VersionConstraint) IsZero() bool { return v.c == nil }

// Check reports whether version satisfies the constraint. A version that is not semantic
// satisfies nothing; "any version" takes every version without a prerelease.
func (v VersionConstraint) Check(version string) bool {
	sv, err := semver.NewVersion(version)
	if err != nil {
		return false
	}
	if v.c == nil {
		return sv.Prerelease() == ""
	}
	return v.c.Check(sv)
}

// MarshalText writes the constraint as written.
func (v VersionConstraint) MarshalText() ([]byte, error) { return []byte(v.raw), nil }

// UnmarshalText parses a constraint.
func (v *VersionConstraint) UnmarshalText(text []byte) error {
	c, err := ParseVersionConstraint(string(text))
	if err != nil {
		return err
	}
	*v = c
	return nil
}

var (
	durationType   = reflect.TypeFor[time.Duration]()
	constraintType = reflect.TypeFor[VersionConstraint]()
)

// configField is one bound field of a configuration struct.
type configField struct {
	env    string
	index  []int
	oneof  []string
	typ    reflect.Type
	name   string
	secret bool // `secret:"true"`: ConfigTable masks the value
}

// configSource records where a configuration value came from, for ConfigTable.
type configSource struct {
	origin      string
	description string
}

// configFields lists the fields of t that carry an env tag, descending into embedded structs.
func configFields(t reflect.Type) []configField {
	var out []configField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("env") == "" {
			for _, sub := range configFields(f.Type) {
				sub.index = append([]int{i}, sub.index...)
				out = append(out, sub)
			}
			continue
		}
		env := f.Tag.Get("env")
		if env == "" || env == "-" {
			continue
		}
		var oneof []string
		if o := f.Tag.Get("oneof"); o != "" {
			oneof = strings.Split(o, "|")
		}
		secret, _ := strconv.ParseBool(f.Tag.Get("secret"))
		out = append(out, configField{env: env, index: []int{i}, oneof: oneof, typ: f.Type, name: f.Name, secret: secret})
	}
	return out
}

// checkConfigType reports whether C is a struct whose tagged fields all have supported types.
func checkConfigType(t reflect.Type) error {
	if t == reflect.TypeFor[None]() {
		return nil
	}
	if t.Kind() != reflect.Struct {
		return fmt.Errorf("configuration type %s must be a struct with `env:\"BP_...\"` tags", t)
	}
	var errs []error
	for _, f := range configFields(t) {
		if !supportedConfigType(f.typ) {
			errs = append(errs, fmt.Errorf("configuration field %s (%s) has type %s: use string, bool, an integer, time.Duration, []string or sdk.VersionConstraint", f.name, f.env, f.typ))
		}
		if f.oneof != nil && f.typ.Kind() != reflect.String {
			errs = append(errs, fmt.Errorf("configuration field %s (%s): oneof applies to string fields only", f.name, f.env))
		}
	}
	return errors.Join(errs...)
}

func supportedConfigType(t reflect.Type) bool {
	if t == durationType || t == constraintType {
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.String
	}
	return false
}

// lookupFunc finds a variable's value and names where it came from.
type lookupFunc func(name string) (value, source string, ok bool)

// decodeConfig fills a C from lookup and the declared configurations' defaults. Every bad value
// is reported, joined. sources receives the origin of every bound variable.
func decodeConfig[C any](lookup lookupFunc, declared []spec.Configuration, sources map[string]configSource) (C, error) {
	var cfg C
	v := reflect.ValueOf(&cfg).Elem()
	if err := checkConfigType(v.Type()); err != nil {
		return cfg, err
	}
	if v.Kind() != reflect.Struct {
		return cfg, nil
	}
	defaults := map[string]spec.Configuration{}
	for _, d := range declared {
		defaults[d.Name] = d
	}
	var errs []error
	for _, f := range configFields(v.Type()) {
		value, source, ok := lookup(f.env)
		d, declaredOK := defaults[f.env]
		if !ok && declaredOK {
			value, source, ok = d.Default, "buildpack.toml default", true
		}
		if sources != nil {
			src := configSource{origin: source, description: d.Description}
			if !ok {
				src.origin = "unset"
			}
			sources[f.env] = src
		}
		if !ok {
			continue
		}
		if err := setConfigField(v.FieldByIndex(f.index), f, value); err != nil {
			var ce *ConfigError
			if errors.As(err, &ce) {
				ce.Source = source
			}
			errs = append(errs, err)
		}
	}
	return cfg, errors.Join(errs...)
}

// setConfigField parses value into field according to its type.
func setConfigField(field reflect.Value, f configField, value string) error {
	bad := func(accepted string, err error) error {
		return &ConfigError{Name: f.env, Value: value, Accepted: accepted, Err: err}
	}
	switch {
	case f.typ == durationType:
		if strings.TrimSpace(value) == "" {
			field.SetInt(0)
			return nil
		}
		d, err := time.ParseDuration(strings.TrimSpace(value))
		if err != nil {
			return bad("a duration such as 30s, 5m or 1h30m", err)
		}
		field.SetInt(int64(d))
		return nil
	case f.typ == constraintType:
		c, err := ParseVersionConstraint(value)
		if err != nil {
			return bad("a version or version constraint such as 3.12, 3.12.*, ~3.12 or >=3.11, <3.14", err)
		}
		field.Set(reflect.ValueOf(c))
		return nil
	}
	switch f.typ.Kind() {
	case reflect.String:
		if f.oneof != nil {
			for _, o := range f.oneof {
				if strings.TrimSpace(value) == o {
					field.SetString(o)
					return nil
				}
			}
			return bad("one of "+strings.Join(f.oneof, ", "), nil)
		}
		field.SetString(value)
	case reflect.Bool:
		b, ok := parseBool(value)
		if !ok {
			return bad("true or false (also 1/0, yes/no)", nil)
		}
		field.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(value), 10, f.typ.Bits())
		if err != nil {
			return bad(fmt.Sprintf("a whole number that fits in %d bits", f.typ.Bits()), err)
		}
		field.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(strings.TrimSpace(value), 10, f.typ.Bits())
		if err != nil {
			return bad(fmt.Sprintf("a non-negative whole number that fits in %d bits", f.typ.Bits()), err)
		}
		field.SetUint(n)
	case reflect.Slice:
		list := splitList(value)
		s := reflect.MakeSlice(f.typ, len(list), len(list))
		for i, item := range list {
			s.Index(i).SetString(item)
		}
		field.Set(s)
	default:
		return fmt.Errorf("configuration field %s has unsupported type %s", f.name, f.typ)
	}
	return nil
}

// parseBool accepts true/false, 1/0 and yes/no, ignoring case and surrounding space.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes":
		return true, true
	case "false", "0", "no":
		return false, true
	}
	return false, false
}

// splitList splits a comma- or whitespace-separated list, dropping empty items.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
}

// formatConfigValue renders a field's value for ConfigTable.
func formatConfigValue(v reflect.Value) string {
	switch {
	case v.Type() == durationType:
		return time.Duration(v.Int()).String()
	case v.Type() == constraintType:
		return v.Interface().(VersionConstraint).String()
	}
	switch v.Kind() {
	case reflect.Slice:
		items := make([]string, v.Len())
		for i := range items {
			items[i] = v.Index(i).String()
		}
		return strings.Join(items, ",")
	default:
		return fmt.Sprint(v.Interface())
	}
}

// nearMisses returns, for every variable in env that is not in known but is one or two edits
// away from a known name, a warning naming both. The platform env is shared by every buildpack,
// so other unknown variables are normal and not reported.
func nearMisses(env map[string]string, known []string) []string {
	isKnown := map[string]bool{}
	for _, k := range known {
		isKnown[k] = true
	}
	var out []string
	for name := range env {
		if isKnown[name] {
			continue
		}
		for _, k := range known {
			if editDistance(name, k) <= 2 {
				out = append(out, fmt.Sprintf("%s is set but this buildpack does not read it; did you mean %s?", name, k))
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// editDistance is the Levenshtein distance of two short ASCII strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
