// Package testwheel writes small, valid, pure-Python wheels and PEP 503 indexes for tests, so
// that pip can really install something with no network. It is used by tests only.
package testwheel
