// Package registrytest serves an in-memory OCI registry for tests, as net/http/httptest
// serves HTTP: go-containerregistry's registry, logging nothing, on 127.0.0.1, stopped when
// the test ends. Only tests import it.
package registrytest
