package harness

import (
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// Registry is an OCI registry served by the test process on 127.0.0.1 over plain HTTP
// (the lifecycle and go-containerregistry use HTTP for 127.0.0.1 without extra flags).
type Registry struct {
	// Host is "127.0.0.1:<port>", the registry part of image references.
	Host string
	srv  *httptest.Server
}

// StartRegistry starts an in-memory registry on 127.0.0.1 and stops it with t.Cleanup.
func StartRegistry(t testing.TB) *Registry {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return &Registry{Host: strings.TrimPrefix(srv.URL, "http://"), srv: srv}
}

// Ref returns "<host>/<repository>", e.g. Ref("my-app:latest").
func (r *Registry) Ref(repository string) string { return r.Host + "/" + repository }
