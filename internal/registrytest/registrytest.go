package registrytest

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// Handler returns a new in-memory registry that logs nothing, to serve or to wrap (a
// connection that drops, credentials, altered blobs).
func Handler() http.Handler {
	return registry.New(registry.Logger(log.New(io.Discard, "", 0)))
}

// Serve serves h until the test ends and returns its host:port, which registry clients
// reach over plain HTTP.
func Serve(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// Start serves a new registry until the test ends and returns its host:port.
func Start(t testing.TB) string {
	t.Helper()
	return Serve(t, Handler())
}
