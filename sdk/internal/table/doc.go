// Package table converts between metadata tables, the map[string]any a TOML [metadata] table
// decodes into, and the Go types buildpack authors declare for them. Encode makes a table of an
// author's value as a file would hold it; Decode decodes a table into the author's type
// strictly and returns the keys the type has no place for; Unknown does that check for a
// document decoded elsewhere; FromLifecycle undoes what the lifecycle's JSON round trip does to
// numbers.
//
// The SDK and sdk/cnbtest use it so that plan, store and layer metadata are encoded and decoded
// one way. Tables never leave the SDK: its public API hands out the authors' types.
package table
