// Package cosigntool builds the sigstore cosign CLI that cnbkit's signing tests run, once per
// machine, from the Go module proxy in a throw-away module (cosign's large dependency graph
// never enters the integration module's), cached in the harness cache and shared under a
// file lock.
package cosigntool
