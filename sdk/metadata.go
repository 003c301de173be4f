package sdk

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/cnbkit/cnbkit/sdk/spec"
)

// SDKMetadataKeys are the buildpack.toml [metadata] keys the SDK itself owns. They are never
// decoded into the author's metadata type and never reported as unknown:
// [[metadata.configurations]] declares configuration (see Config), [[metadata.dependencies]]
// is read by sdk/dependency.
var SDKMetadataKeys = []string{"configurations", "dependencies"}

// DecodeError reports a TOML table that does not fit the Go type it is decoded into: keys the
// type has no field for, or values of the wrong type.
type DecodeError struct {
	File  string   // e.g. "buildpack.toml" or "buildpack plan entry \"python\""
	Table string   // e.g. "[metadata]"
	Type  string   // the Go type, e.g. "main.Metadata"
	Keys  []string // keys without a field, dotted from the table root
	Err   error    // a decoding error (wrong value type), if that was the problem
}

func (e *DecodeError) Error() string {
	where := e.File
	if e.Table != "" {
		where += " " + e.Table
	}
	if e.Err != nil {
		return fmt.Sprintf("%s does not fit %s: %v", where, e.Type, e.Err)
	}
	keys := append([]string(nil), e.Keys...)
	sort.Strings(keys)
	noun := "key"
	if len(keys) > 1 {
		noun = "keys"
	}
	return fmt.Sprintf("%s has unknown %s %s: %s has no field for %s (check the spelling, or add a field with a toml tag)",
		where, noun, strings.Join(keys, ", "), e.Type, map[bool]string{true: "them", false: "it"}[len(keys) > 1])
}

func (e *DecodeError) Unwrap() error { return e.Err }

// typeName names T for error messages.
func typeName[T any]() string { return reflect.TypeFor[T]().String() }

// decodeBuildpackMetadata decodes the [metadata] table of a buildpack.toml (its bytes) into M.
// Keys under the SDK-owned tables are skipped; any other key M has no field for is an error.
func decodeBuildpackMetadata[M any](data []byte) (M, error) {
	var doc struct {
		Metadata M `toml:"metadata"`
	}
	md, err := toml.Decode(string(data), &doc)
	if err != nil {
		var zero M
		return zero, &DecodeError{File: spec.BuildpackFile, Table: "[metadata]", Type: typeName[M](), Err: err}
	}
	unknown := unknownKeys(md, reflect.TypeFor[M](), 1, func(k toml.Key) bool {
		return k[0] != "metadata" || isSDKMetadataKey(k[1])
	})
	if len(unknown) > 0 {
		var zero M
		return zero, &DecodeError{File: spec.BuildpackFile, Table: "[metadata]", Type: typeName[M](), Keys: collapseKeys(unknown)}
	}
	return doc.Metadata, nil
}

func isSDKMetadataKey(k string) bool {
	for _, s := range SDKMetadataKeys {
		if s == k {
			return true
		}
	}
	return false
}

// collapseKeys drops keys nested under another reported key: an unknown table is reported
// once, not once per key inside it.
func collapseKeys(keys []string) []string {
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

// decodeTable decodes a metadata table into T strictly. Keys for which skip returns true may
// stay undecoded. file and table name the source for errors.
func decodeTable[T any](table map[string]any, file, tableName string, skip func(key string) bool) (T, error) {
	var out T
	if len(table) == 0 {
		return out, nil
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(table); err != nil {
		return out, &DecodeError{File: file, Table: tableName, Type: typeName[T](), Err: err}
	}
	md, err := toml.Decode(buf.String(), &out)
	if err != nil {
		return out, &DecodeError{File: file, Table: tableName, Type: typeName[T](), Err: errors.New(stripLine(err.Error()))}
	}
	unknown := unknownKeys(md, reflect.TypeFor[T](), 0, func(k toml.Key) bool { return skip != nil && skip(k[0]) })
	if len(unknown) > 0 {
		return out, &DecodeError{File: file, Table: tableName, Type: typeName[T](), Keys: collapseKeys(unknown)}
	}
	return out, nil
}

// stripLine removes "line N" positions from a TOML error about re-encoded data, where the
// line numbers would point into a file the user never sees.
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
