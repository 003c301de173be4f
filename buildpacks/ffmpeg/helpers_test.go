package ffmpeg_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
)

// tarEntry is one regular file of a test archive.
type tarEntry struct {
	name string
	data []byte
	mode int64
}

// tarGz writes entries, in order, as a .tar.gz.
func tarGz(t testing.TB, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: e.mode, Size: int64(len(e.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// npmTarball builds a tarball shaped like the npm packages the tests install: package/<name>
// (the program) next to package/package.json.
func npmTarball(t testing.TB, name string, program []byte, mode int64) []byte {
	t.Helper()
	return tarGz(t, []tarEntry{
		{"package/package.json", []byte(`{"name":"test-` + name + `"}`), 0o644},
		{"package/" + name, program, mode},
	})
}

// releaseArchive builds a .tar.gz shaped like the release builds of the shipped inventory:
// everything under one top folder.
func releaseArchive(t testing.TB, top string, files map[string][]byte) []byte {
	t.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	entries := make([]tarEntry, 0, len(names))
	for _, n := range names {
		mode := int64(0o644)
		if strings.HasPrefix(n, "bin/") {
			mode = 0o755
		}
		entries = append(entries, tarEntry{top + "/" + n, files[n], mode})
	}
	return tarGz(t, entries)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// fileServer serves fixed files from 127.0.0.1 and counts the requests for each path.
type fileServer struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string][]byte
	hits  map[string]int
}

func newFileServer(t testing.TB, files map[string][]byte) *fileServer {
	t.Helper()
	s := &fileServer{files: files, hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		data, ok := s.files[r.URL.Path]
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(data)
	}))
	t.Cleanup(s.Close)
	return s
}

// Hits returns how many requests asked for path.
func (s *fileServer) Hits(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// Total returns the number of requests served.
func (s *fileServer) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, h := range s.hits {
		n += h
	}
	return n
}

// artifact is one inventory entry of a test descriptor.
type artifact struct {
	id, version, arch string
	data              []byte
	checksum          string // overrides the real checksum when set
	path              string // the path it is served at; default /<id>/<arch>/<version>.tgz
}

// descriptor renders a buildpack.toml like the real one, with the given inventory served by
// srv. Artifacts are added to srv's files.
func descriptor(t testing.TB, srv *fileServer, arts ...artifact) []byte {
	t.Helper()
	var b strings.Builder
	b.WriteString(`api = "0.12"

[buildpack]
id = "cnbkit/ffmpeg"
name = "cnbkit ffmpeg (test)"
version = "0.0.0"
sbom-formats = ["application/vnd.cyclonedx+json", "application/spdx+json"]

[[targets]]
os = "linux"
arch = "amd64"

[[targets]]
os = "linux"
arch = "arm64"

[metadata]
python-packages = ["ffmpeg-python", "pydub", "moviepy", "imageio-ffmpeg"]

[[metadata.configurations]]
name = "BP_FFMPEG_VERSION"
default = ""

[[metadata.configurations]]
name = "BP_FFMPEG_ENABLED"
default = "auto"

[[metadata.configurations]]
name = "BP_FFMPEG_FFPROBE"
default = "true"
`)
	for _, a := range arts {
		path := a.path
		if path == "" {
			path = fmt.Sprintf("/%s/%s/%s.tgz", a.id, a.arch, a.version)
		}
		srv.mu.Lock()
		srv.files[path] = a.data
		srv.mu.Unlock()
		sum := a.checksum
		if sum == "" {
			sum = sha256Hex(a.data)
		}
		fmt.Fprintf(&b, `
[[metadata.dependencies]]
id = %q
name = "%s (test build)"
version = %q
uri = "%s%s"
checksum = "sha256:%s"
os = "linux"
arch = %q
strip-components = 1
purl = "pkg:generic/%s@%s"
cpes = ["cpe:2.3:a:ffmpeg:ffmpeg:%s:*:*:*:*:*:*:*"]
licenses = [{ type = "GPL-3.0-or-later" }]
`, a.id, a.id, a.version, srv.URL, path, sum, a.arch, a.id, a.version, a.version)
	}
	return []byte(b.String())
}

// errorsAs is errors.As for tests that also import gomega's dot names.
func errorsAs(err error, target any) bool { return errors.As(err, target) }
