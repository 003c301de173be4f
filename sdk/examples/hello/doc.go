// Package hello is the buildpack of the tutorial in docs/sdk.md: it greets whoever the app
// names, from a cached launch layer. Its files are shown in the tutorial verbatim (a test keeps
// them in sync); see sdk/examples/motd for a fuller example.
package hello
