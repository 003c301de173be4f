package table

import (
	"reflect"
	"strings"
)

// freeForm reports whether path, walked through the fields of t, enters a map or an
// interface value.
func freeForm(t reflect.Type, path []string) bool {
	if t == nil {
		return true
	}
	for _, part := range path {
		t = valueType(t)
		switch t.Kind() {
		case reflect.Map, reflect.Interface:
			return true
		case reflect.Struct:
			f, ok := fieldForKey(t, part)
			if !ok {
				return false
			}
			t = f
		default:
			return false
		}
	}
	k := valueType(t).Kind()
	return k == reflect.Map || k == reflect.Interface
}

// valueType looks through pointers, slices and arrays (arrays of tables have no index in a key).
func valueType(t reflect.Type) reflect.Type {
	for {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			t = t.Elem()
		default:
			return t
		}
	}
}

// fieldForKey finds the field of struct t a TOML key decodes into: by its toml tag, else by
// its name without regard to case, looking into embedded structs as the decoder does.
func fieldForKey(t reflect.Type, key string) (reflect.Type, bool) {
	var fold reflect.Type
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" && valueType(f.Type).Kind() == reflect.Struct {
			if ft, ok := fieldForKey(valueType(f.Type), key); ok {
				return ft, true
			}
			continue
		}
		switch {
		case name == key:
			return f.Type, true
		case name == "" && f.Name == key:
			return f.Type, true
		case name == "" && fold == nil && strings.EqualFold(f.Name, key):
			fold = f.Type
		}
	}
	return fold, fold != nil
}
