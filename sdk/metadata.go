package sdk

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/cnbkit/cnbkit/sdk/internal/table"
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
	unknown := table.Unknown(md, reflect.TypeFor[M](), 1, func(k toml.Key) bool {
		return k[0] != "metadata" || isSDKMetadataKey(k[1])
	})
	if len(unknown) > 0 {
		var zero M
		return zero, &DecodeError{File: spec.BuildpackFile, Table: "[metadata]", Type: typeName[M](), Keys: unknown}
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

// decodeTable decodes a metadata table into T strictly. Keys for which skip returns true may
// stay undecoded. file and tableName name the source for errors.
func decodeTable[T any](t map[string]any, file, tableName string, skip func(key string) bool) (T, error) {
	out, unknown, err := table.Decode[T](t, skip)
	if err != nil {
		return out, &DecodeError{File: file, Table: tableName, Type: typeName[T](), Err: err}
	}
	if len(unknown) > 0 {
		return out, &DecodeError{File: file, Table: tableName, Type: typeName[T](), Keys: unknown}
	}
	return out, nil
}
