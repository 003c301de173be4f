// Package typedcheck holds the test that keeps cnbkit typed where authors meet it: no exported
// part of the public SDK (sdk and its packages outside sdk/internal) exposes a map[string]any
// or map[string]interface{}, and no exported struct field is of type any; the reference
// buildpacks, the SDK's example buildpacks and the projects `cnbkit new` generates use no such
// map at all, tests included. The few free-form places that must stay are listed in the test
// with the reason; a listed place that no longer exists fails the test too. It has no code of
// its own.
package typedcheck
