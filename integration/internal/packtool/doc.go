// Package packtool builds the pack CLI that cnbkit's integration tests run, once per machine,
// from the Go module proxy, so pack never enters the integration module's graph. The binary
// is cached in the harness cache directory and shared, under a file lock, by every test
// package that needs it.
package packtool
