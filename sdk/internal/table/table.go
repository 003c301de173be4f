package table

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// Encode TOML-encodes v (a struct, a pointer to one, or a map) and decodes it back into a
// table, the form a metadata table has once written to a file: integers are int64, arrays
// []any or []map[string]any. nil, a nil pointer and a value with no keys give nil; any other
// kind of value is an error.
func Encode(v any) (map[string]any, error) {
	if v == nil {
		return nil, nil
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil, nil
		}
		rv = rv.Elem()
	}
	if k := rv.Kind(); k != reflect.Struct && k != reflect.Map {
		return nil, fmt.Errorf("a value of type %T is not a table: use a struct with toml tags", v)
	}
	if rv.Kind() == reflect.Map && rv.IsNil() {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(v); err != nil {
		return nil, fmt.Errorf("encoding as TOML: %w", err)
	}
	var out map[string]any
	if _, err := toml.Decode(buf.String(), &out); err != nil {
		return nil, fmt.Errorf("decoding TOML: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// Decode decodes t into T. It returns the keys T has no field for, dotted from the table's
// root, sorted and collapsed (an unknown table once, not each key inside it), leaving out
// those whose first part skip accepts. A value of the wrong type is an error; its message has
// no line numbers, which would point into re-encoded text nobody sees. An empty table gives
// the zero T.
func Decode[T any](t map[string]any, skip func(key string) bool) (T, []string, error) {
	var out T
	if len(t) == 0 {
		return out, nil, nil
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(t); err != nil {
		return out, nil, err
	}
	md, err := toml.Decode(buf.String(), &out)
	if err != nil {
		return out, nil, errors.New(stripLine(err.Error()))
	}
	unknown := Unknown(md, reflect.TypeFor[T](), 0, func(k toml.Key) bool { return skip != nil && skip(k[0]) })
	return out, unknown, nil
}

// Unknown returns the keys md left undecoded that typ really has no place for, sorted and
// collapsed. The TOML decoder also lists the keys of nested tables it decoded into a map or an
// interface value (a map[string]any field, say) as undecoded, though their values were kept:
// those are free-form and not reported. prefix is the number of leading key parts that name
// the table typ was decoded from (1 for "metadata" of a document); keys no longer than that and
// keys for which skip returns true are left out.
func Unknown(md toml.MetaData, typ reflect.Type, prefix int, skip func(toml.Key) bool) []string {
	var out []string
	for _, k := range md.Undecoded() {
		if len(k) <= prefix || (skip != nil && skip(k)) {
			continue
		}
		if freeForm(typ, k[prefix:]) {
			continue
		}
		out = append(out, k.String())
	}
	return collapse(out)
}

// collapse sorts keys and drops those nested under another reported key: an unknown table is
// reported once, not once per key inside it.
func collapse(keys []string) []string {
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		if len(out) > 0 && strings.HasPrefix(k, out[len(out)-1]+".") {
			continue
		}
		out = append(out, k)
	}
	return out
}

// stripLine removes a "line N" position from a TOML error.
func stripLine(s string) string {
	if i := strings.Index(s, "line "); i >= 0 {
		rest := s[i+5:]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j > 0 {
			s = s[:i] + strings.TrimPrefix(rest[j:], " ")
		}
	}
	return s
}
