package dependency_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk/dependency"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// recorder is a dependency.Logger that keeps every line.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) add(level, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, level+": "+fmt.Sprintf(format, args...))
}
func (r *recorder) Detail(format string, args ...any) { r.add("detail", format, args...) }
func (r *recorder) Warn(format string, args ...any)   { r.add("warn", format, args...) }
func (r *recorder) Debug(format string, args ...any)  { r.add("debug", format, args...) }
func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func artifactDep(uri string, body []byte) dependency.Dependency {
	return dependency.Dependency{ID: "tool", Version: "1.2.3", URI: uri, SHA256: sha(body),
		Target: spec.Target{OS: "linux", Arch: "amd64"}}
}

// server counts requests per path and runs handle for each.
type server struct {
	*httptest.Server
	hits sync.Map // path -> *atomic.Int32
}

func newServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, hit int)) *server {
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := s.hits.LoadOrStore(r.URL.Path, new(atomic.Int32))
		handle(w, r, int(c.(*atomic.Int32).Add(1)))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) count(path string) int {
	c, ok := s.hits.Load(path)
	if !ok {
		return 0
	}
	return int(c.(*atomic.Int32).Load())
}

func fastFetcher(t *testing.T, log dependency.Logger) *dependency.Fetcher {
	return &dependency.Fetcher{CacheDir: filepath.Join(t.TempDir(), "cache"), Backoff: time.Millisecond, Log: log,
		HeaderTimeout: 30 * time.Second, IdleTimeout: 30 * time.Second}
}

// leftovers lists every file under dir (relative paths).
func leftovers(t *testing.T, dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

var payload = []byte(strings.Repeat("cnbkit dependency payload\n", 4096))

func TestFetchDownloadsVerifiesAndCaches(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) { w.Write(payload) })
	log := &recorder{}
	f := fastFetcher(t, log)
	dep := artifactDep(srv.URL+"/dl/tool-1.2.3.tgz", payload)

	art, err := f.Fetch(context.Background(), dep)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(art.Origin).To(Equal(dependency.FromDownload))
	g.Expect(art.Path).To(Equal(filepath.Join(f.CacheDir, dep.SHA256, "tool-1.2.3.tgz")))
	g.Expect(art.Size).To(Equal(int64(len(payload))))
	g.Expect(os.ReadFile(art.Path)).To(Equal(payload))
	g.Expect(filepath.Join(f.CacheDir, dep.SHA256+".toml")).To(BeARegularFile())
	g.Expect(log.String()).To(ContainSubstring("Downloading tool 1.2.3 from " + srv.URL + "/dl/tool-1.2.3.tgz"))

	again, err := f.Fetch(context.Background(), dep)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again.Origin).To(Equal(dependency.FromCache))
	g.Expect(again.Path).To(Equal(art.Path))
	g.Expect(srv.count("/dl/tool-1.2.3.tgz")).To(Equal(1), "the second fetch must not touch the network")
}

func TestFetchRetriesTransientFailures(t *testing.T) {
	t.Parallel()
	for name, failing := range map[string]func(w http.ResponseWriter){
		"500": func(w http.ResponseWriter) { http.Error(w, "boom", http.StatusInternalServerError) },
		"503 with Retry-After": func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "busy", http.StatusServiceUnavailable)
		},
		"429": func(w http.ResponseWriter) { http.Error(w, "slow down", http.StatusTooManyRequests) },
		"truncated body": func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
			w.Write(payload[:len(payload)/2])
			// Returning early with a short body makes the server close the connection.
		},
		"connection reset": func(w http.ResponseWriter) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.(interface{ SetLinger(int) error }).SetLinger(0)
				conn.Close()
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) {
				if hit <= 2 {
					failing(w)
					return
				}
				w.Write(payload)
			})
			log := &recorder{}
			f := fastFetcher(t, log)
			art, err := f.Fetch(context.Background(), artifactDep(srv.URL+"/a.tgz", payload))
			g.Expect(err).NotTo(HaveOccurred(), log.String())
			g.Expect(os.ReadFile(art.Path)).To(Equal(payload))
			g.Expect(srv.count("/a.tgz")).To(Equal(3))
			g.Expect(log.String()).To(ContainSubstring("retrying in"))
			g.Expect(log.String()).To(ContainSubstring("(attempt 3 of 4)"))
		})
	}
}

func TestFetchGivesUpAfterAttempts(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) {
		w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
		w.Write(payload[:100])
	})
	f := fastFetcher(t, nil)
	f.Attempts = 3
	_, err := f.Fetch(context.Background(), artifactDep(srv.URL+"/a.tgz", payload))
	g.Expect(err).To(MatchError(ContainSubstring("downloading tool 1.2.3 (linux/amd64) from " + srv.URL + "/a.tgz")))
	g.Expect(err).To(MatchError(ContainSubstring("connection lost or body truncated")))
	g.Expect(srv.count("/a.tgz")).To(Equal(3))
	g.Expect(leftovers(t, f.CacheDir)).To(BeEmpty())
}

func TestFetchDoesNotRetryClientErrors(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) { http.NotFound(w, r) })
	f := fastFetcher(t, nil)
	_, err := f.Fetch(context.Background(), artifactDep(srv.URL+"/missing.tgz", payload))
	var he *dependency.HTTPError
	g.Expect(errors.As(err, &he)).To(BeTrue(), "got %v", err)
	g.Expect(he.StatusCode).To(Equal(404))
	g.Expect(err.Error()).To(ContainSubstring("GET " + srv.URL + "/missing.tgz: 404 Not Found"))
	g.Expect(srv.count("/missing.tgz")).To(Equal(1))
}

func TestFetchTimesOut(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	t.Run("no response headers", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
		f := fastFetcher(t, nil)
		f.HeaderTimeout, f.Attempts = 20*time.Millisecond, 2
		_, err := f.Fetch(context.Background(), artifactDep(srv.URL+"/slow", payload))
		g.Expect(err).To(MatchError(ContainSubstring("no response within 20ms")))
		g.Expect(srv.count("/slow")).To(Equal(2))
		g.Expect(leftovers(t, f.CacheDir)).To(BeEmpty())
	})
	t.Run("body stalls", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) {
			w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
			w.Write(payload[:10])
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
		f := fastFetcher(t, nil)
		f.IdleTimeout, f.Attempts = 20*time.Millisecond, 2
		_, err := f.Fetch(context.Background(), artifactDep(srv.URL+"/stall", payload))
		g.Expect(err).To(MatchError(ContainSubstring("no data received for 20ms")))
		g.Expect(srv.count("/stall")).To(Equal(2))
		g.Expect(leftovers(t, f.CacheDir)).To(BeEmpty())
	})
	t.Run("caller cancels during backoff", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		ctx, cancel := context.WithCancel(context.Background())
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) {
			cancel()
			http.Error(w, "boom", 500)
		})
		f := fastFetcher(t, nil)
		f.Backoff = time.Hour
		_, err := f.Fetch(ctx, artifactDep(srv.URL+"/x", payload))
		g.Expect(errors.Is(err, context.Canceled)).To(BeTrue(), "got %v", err)
	})
}

func TestFetchChecksumMismatchIsHardAndLeavesNothing(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	tampered := append([]byte("evil"), payload...)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) { w.Write(tampered) })
	f := fastFetcher(t, nil)
	dep := artifactDep(srv.URL+"/a.tgz", payload)
	_, err := f.Fetch(context.Background(), dep)
	var ce *dependency.ChecksumError
	g.Expect(errors.As(err, &ce)).To(BeTrue(), "got %v", err)
	g.Expect(err.Error()).To(ContainSubstring("expected sha256:" + sha(payload)))
	g.Expect(err.Error()).To(ContainSubstring("got sha256:" + sha(tampered)))
	g.Expect(err.Error()).To(ContainSubstring(srv.URL + "/a.tgz"))
	g.Expect(srv.count("/a.tgz")).To(Equal(1), "a mismatch is not retried")
	g.Expect(leftovers(t, f.CacheDir)).To(BeEmpty())
}

func TestFetchFollowsRedirects(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) {
		switch r.URL.Path {
		case "/latest":
			http.Redirect(w, r, "/v2/tool.tgz", http.StatusFound)
		case "/v2/tool.tgz":
			http.Redirect(w, r, "/objects/abc", http.StatusMovedPermanently)
		default:
			w.Write(payload)
		}
	})
	f := fastFetcher(t, nil)
	art, err := f.Fetch(context.Background(), artifactDep(srv.URL+"/latest", payload))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(filepath.Base(art.Path)).To(Equal("latest"), "named after the inventory uri")
	g.Expect(srv.count("/objects/abc")).To(Equal(1))
}

func TestFetchUsesMirrors(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) {
		if strings.HasSuffix(r.URL.Path, "/releases/tool.tgz") {
			w.Write(payload)
			return
		}
		http.NotFound(w, r)
	})
	for name, c := range map[string]struct {
		env      map[string]string
		wantPath string
	}{
		"default with originalHost": {map[string]string{"BP_DEPENDENCY_MIRROR": srv.URL + "/mirror/{originalHost}"}, "/mirror/downloads.example-upstream.test/releases/tool.tgz"},
		"host specific wins": {map[string]string{
			"BP_DEPENDENCY_MIRROR":                                  "https://unused.invalid",
			"BP_DEPENDENCY_MIRROR_DOWNLOADS_EXAMPLE__UPSTREAM_TEST": srv.URL + "/host"}, "/host/releases/tool.tgz"},
		"skip-path": {map[string]string{"BP_DEPENDENCY_MIRROR": "mirror=" + srv.URL + "/m,skip-path=/prefix"}, "/m/releases/tool.tgz"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			mirrors, err := dependency.MirrorsFromEnv(c.env)
			g.Expect(err).NotTo(HaveOccurred())
			log := &recorder{}
			f := fastFetcher(t, log)
			f.Mirrors = mirrors
			uri := "https://downloads.example-upstream.test/releases/tool.tgz"
			if name == "skip-path" {
				uri = "https://downloads.example-upstream.test/prefix/releases/tool.tgz"
			}
			art, err := f.Fetch(context.Background(), artifactDep(uri, payload))
			g.Expect(err).NotTo(HaveOccurred(), log.String())
			g.Expect(art.URI).To(Equal(srv.URL + c.wantPath))
			g.Expect(srv.count(c.wantPath)).To(Equal(1))
			g.Expect(log.String()).To(ContainSubstring("(dependency mirror)"))
		})
	}
}

func TestMirrorsFromEnvRejectsBadMirrors(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	_, err := dependency.MirrorsFromEnv(map[string]string{
		"BP_DEPENDENCY_MIRROR":         "ftp://mirror.test",
		"BP_DEPENDENCY_MIRROR_DEFAULT": "https://mirror.test",
		"BP_DEPENDENCY_MIRROR_X_TEST":  "https://",
		"OTHER":                        "ignored",
	})
	g.Expect(err).To(MatchError(ContainSubstring(`BP_DEPENDENCY_MIRROR="ftp://mirror.test": use an https://, http:// or file:// mirror URL`)))
	g.Expect(err).To(MatchError(ContainSubstring("BP_DEPENDENCY_MIRROR_DEFAULT: set the default mirror with BP_DEPENDENCY_MIRROR instead")))
	g.Expect(err).To(MatchError(ContainSubstring("BP_DEPENDENCY_MIRROR_X_TEST")))
}

func TestMirrorRewrite(t *testing.T) {
	t.Parallel()
	m := dependency.Mirrors{"": "file:///srv/mirror/{originalHost}", "releases.example.com": "https://user:pw@rel.mirror.test/rel"}
	for in, want := range map[string]string{
		"https://example.com/a/b.tgz?x=1":                   "file:///srv/mirror/example.com/a/b.tgz?x=1",
		"https://releases.example.com/o/r/download/v1/a.gz": "https://user:pw@rel.mirror.test/rel/o/r/download/v1/a.gz",
		"file:///local/a.tgz":                               "file:///local/a.tgz",
	} {
		got, _, err := m.Rewrite(in)
		if err != nil || got != want {
			t.Errorf("Rewrite(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestFetchUsesMappings(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) {
		if r.URL.Path == "/internal/tool.tgz" {
			w.Write(payload)
			return
		}
		http.NotFound(w, r)
	})
	dep := artifactDep("https://downloads.example-upstream.test/tool.tgz", payload)
	m := dependency.Mappings{}
	g.Expect(m.Add("sha256:"+strings.ToUpper(dep.SHA256), srv.URL+"/internal/tool.tgz")).To(Succeed())
	g.Expect(m.Add("nonsense", srv.URL)).To(MatchError(ContainSubstring(`dependency mapping "nonsense"`)))
	g.Expect(m.Add(dep.SHA256, "https://other.test/x")).To(MatchError(ContainSubstring("is given twice")))

	log := &recorder{}
	f := fastFetcher(t, log)
	f.Mappings = m
	f.Mirrors = dependency.Mirrors{"": "https://mirror.invalid"} // a mapping wins over mirrors
	art, err := f.Fetch(context.Background(), dep)
	g.Expect(err).NotTo(HaveOccurred(), log.String())
	g.Expect(art.URI).To(Equal(srv.URL + "/internal/tool.tgz"))
	g.Expect(log.String()).To(ContainSubstring("(dependency-mapping binding)"))
}

func TestFetchFileURI(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "tool.tgz")
	g.Expect(os.WriteFile(p, payload, 0o644)).To(Succeed())
	f := fastFetcher(t, nil)
	uri := (&url.URL{Scheme: "file", Path: p}).String()
	art, err := f.Fetch(context.Background(), artifactDep(uri, payload))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(art.Origin).To(Equal(dependency.FromFile))
	g.Expect(art.Path).To(Equal(p))

	_, err = f.Fetch(context.Background(), artifactDep(uri, []byte("other")))
	var ce *dependency.ChecksumError
	g.Expect(errors.As(err, &ce)).To(BeTrue(), "got %v", err)
	g.Expect(ce.URI).To(Equal(p))
}

func TestFetchReplacesADamagedCacheEntry(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) { w.Write(payload) })
	log := &recorder{}
	f := fastFetcher(t, log)
	dep := artifactDep(srv.URL+"/a.tgz", payload)
	art, err := f.Fetch(context.Background(), dep)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(os.WriteFile(art.Path, []byte("bit rot"), 0o644)).To(Succeed())
	again, err := f.Fetch(context.Background(), dep)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again.Origin).To(Equal(dependency.FromDownload))
	g.Expect(os.ReadFile(again.Path)).To(Equal(payload))
	g.Expect(log.String()).To(ContainSubstring("Discarding the cached download"))
}

// Offline bundles: the packager bundles with Bundle; at build time a Fetcher whose
// BundleDirs name the layout finds the artifact with no network, whichever checksum form the
// inventory uses.
func TestBundleAndOfflineFetchWithBothChecksumForms(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) { w.Write(payload) })
	bpDir := t.TempDir()
	sum := sha(payload)
	inventory := func(uri string) string {
		return `[[dependencies]]
id = "tool"
version = "1.2.3"
uri = "` + uri + `"
checksum = "sha256:` + sum + `"
os = "linux"
arch = "amd64"

[[dependencies]]
id = "tool"
version = "1.2.3"
uri = "` + uri + `"
sha256 = "` + strings.ToUpper(sum) + `"
os = "linux"
arch = "arm64"
`
	}
	inv := mustInventory(t, inventory(srv.URL+"/tool-1.2.3.tgz"))

	p, err := dependency.Bundle(context.Background(), bpDir, inv[0], &dependency.Fetcher{CacheDir: t.TempDir(), Backoff: time.Millisecond})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p).To(Equal(dependency.BundlePath(bpDir, inv[0])))
	g.Expect(p).To(Equal(filepath.Join(bpDir, "dependencies", sum, "tool-1.2.3.tgz")))
	g.Expect(leftovers(t, dependency.BundleDir(bpDir))).To(ConsistOf(sum, sum+".toml", filepath.Join(sum, "tool-1.2.3.tgz")))
	meta, err := os.ReadFile(filepath.Join(bpDir, "dependencies", sum+".toml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(meta)).To(ContainSubstring(`checksum = "sha256:` + sum + `"`))

	// Bundling again is a verified no-op.
	p2, err := dependency.Bundle(context.Background(), bpDir, inv[1], &dependency.Fetcher{CacheDir: t.TempDir()})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p2).To(Equal(p))
	g.Expect(srv.count("/tool-1.2.3.tgz")).To(Equal(1))

	// Air gap: the uri points nowhere reachable; both checksum forms find the bundle.
	srv.Close()
	offline := mustInventory(t, inventory(srv.URL+"/tool-1.2.3.tgz"))
	for _, dep := range offline {
		log := &recorder{}
		f := fastFetcher(t, log)
		f.Attempts = 1
		f.BundleDirs = []string{dependency.BundleDir(bpDir)}
		art, err := f.Fetch(context.Background(), dep)
		g.Expect(err).NotTo(HaveOccurred(), "%s: %s", dep, log.String())
		g.Expect(art.Origin).To(Equal(dependency.FromBundle))
		g.Expect(art.Path).To(Equal(p))
		g.Expect(log.String()).To(ContainSubstring("bundled in the buildpack"))
	}
}

func TestBundleFromFileURIAndMismatch(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	src := filepath.Join(t.TempDir(), "ffmpeg")
	g.Expect(os.WriteFile(src, payload, 0o755)).To(Succeed())
	bpDir := t.TempDir()
	dep := artifactDep("file://"+src, payload)
	p, err := dependency.Bundle(context.Background(), bpDir, dep, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(os.ReadFile(p)).To(Equal(payload))

	bad := artifactDep("file://"+src, []byte("something else"))
	_, err = dependency.Bundle(context.Background(), bpDir, bad, nil)
	var ce *dependency.ChecksumError
	g.Expect(errors.As(err, &ce)).To(BeTrue(), "got %v", err)
	g.Expect(leftovers(t, dependency.BundleDir(bpDir))).To(ConsistOf(dep.SHA256, dep.SHA256+".toml", filepath.Join(dep.SHA256, "ffmpeg")))
}

func TestFetchConcurrentSameDependency(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) { w.Write(payload) })
	f := fastFetcher(t, nil)
	dep := artifactDep(srv.URL+"/a.tgz", payload)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.Fetch(context.Background(), dep)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		g.Expect(err).NotTo(HaveOccurred())
	}
	g.Expect(leftovers(t, f.CacheDir)).To(ConsistOf(dep.SHA256, dep.SHA256+".toml", filepath.Join(dep.SHA256, "a.tgz")))
}

func TestFetchRefusesATamperedBundle(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	bpDir := t.TempDir()
	src := filepath.Join(t.TempDir(), "tool.tgz")
	g.Expect(os.WriteFile(src, payload, 0o644)).To(Succeed())
	dep := artifactDep("file://"+src, payload)
	p, err := dependency.Bundle(context.Background(), bpDir, dep, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(os.WriteFile(p, []byte("tampered"), 0o644)).To(Succeed())

	f := fastFetcher(t, nil)
	f.BundleDirs = []string{dependency.BundleDir(bpDir)}
	_, err = f.Fetch(context.Background(), dep)
	var ce *dependency.ChecksumError
	g.Expect(errors.As(err, &ce)).To(BeTrue(), "a bundled file that does not match is an error, got %v", err)
	g.Expect(ce.URI).To(Equal(p))
}

func TestFetchRemovesStalePartialDownloads(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) { w.Write(payload) })
	f := fastFetcher(t, nil)
	stale := filepath.Join(f.CacheDir, ".partial-123")
	fresh := filepath.Join(f.CacheDir, ".partial-456")
	g.Expect(os.MkdirAll(stale, 0o755)).To(Succeed())
	g.Expect(os.MkdirAll(fresh, 0o755)).To(Succeed())
	old := time.Now().Add(-48 * time.Hour)
	g.Expect(os.Chtimes(stale, old, old)).To(Succeed())
	_, err := f.Fetch(context.Background(), artifactDep(srv.URL+"/a.tgz", payload))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(stale).NotTo(BeADirectory())
	g.Expect(fresh).To(BeADirectory(), "another process may be writing it")
}

// TestRedirectToAnotherHostDropsCredentials is issue 13, point 8: every header an Authorize
// hook adds stays with the inventory's server; a redirect to another host gets none.
func TestRedirectToAnotherHostDropsCredentials(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	var mu sync.Mutex
	seen := map[string]http.Header{}
	record := func(name string, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen[name+" "+r.URL.Path] = r.Header.Clone()
	}
	cdn := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) {
		record("cdn", r)
		w.Write(payload)
	})
	origin := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) {
		record("origin", r)
		switch r.URL.Path {
		case "/tool.tgz":
			http.Redirect(w, r, "/moved/tool.tgz", http.StatusFound) // same host first
		default:
			http.Redirect(w, r, cdn.URL+"/blob/tool.tgz", http.StatusFound)
		}
	})
	f := fastFetcher(t, nil)
	f.Authorize = func(r *http.Request) error {
		r.Header.Set("Authorization", "Bearer secret-1")
		r.Header.Set("X-Token", "secret-2")
		r.Header.Set("Private-Token", "secret-3")
		r.Header.Set("Cookie", "session=secret-4")
		return nil
	}
	_, err := f.Fetch(context.Background(), artifactDep(origin.URL+"/tool.tgz", payload))
	g.Expect(err).NotTo(HaveOccurred())

	mu.Lock()
	defer mu.Unlock()
	for _, name := range []string{"origin /tool.tgz", "origin /moved/tool.tgz"} {
		g.Expect(seen).To(HaveKey(name))
		g.Expect(seen[name].Get("X-Token")).To(Equal("secret-2"), "%s keeps the credentials", name)
		g.Expect(seen[name].Get("Authorization")).To(Equal("Bearer secret-1"), "%s keeps the credentials", name)
	}
	g.Expect(seen).To(HaveKey("cdn /blob/tool.tgz"))
	leaked := map[string]string{}
	for k, v := range seen["cdn /blob/tool.tgz"] {
		if strings.Contains(strings.Join(v, ","), "secret") {
			leaked[k] = strings.Join(v, ",")
		}
	}
	g.Expect(leaked).To(BeEmpty(), "headers sent to the other host")
	g.Expect(seen["cdn /blob/tool.tgz"].Get("User-Agent")).To(Equal("cnbkit"), "headers cnbkit sets itself stay")
}

// TestDownloadsStopAtTheirCap is issue 13, point 9: a body larger than the inventory's size,
// or than Fetcher.MaxSize, is cut there, not written in full; nothing stays behind.
func TestDownloadsStopAtTheirCap(t *testing.T) {
	t.Parallel()
	const huge = 300 << 20
	cases := []struct {
		name   string
		length bool // send a Content-Length
		size   int64
		max    int64
		want   string
	}{
		{"declared size, streamed", false, int64(len(payload)), 0, fmt.Sprintf("larger than the %d bytes its inventory entry declares (size)", len(payload))},
		{"declared size, Content-Length", true, int64(len(payload)), 0, fmt.Sprintf("larger than the %d bytes its inventory entry declares (size)", len(payload))},
		{"Fetcher.MaxSize", false, 0, 1 << 20, "larger than 1048576 bytes, the download limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			var sent atomic.Int64
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) {
				if tc.length {
					w.Header().Set("Content-Length", strconv.Itoa(huge))
				}
				chunk := make([]byte, 64<<10)
				for sent.Load() < huge {
					n, err := w.Write(chunk)
					sent.Add(int64(n))
					if err != nil {
						return
					}
				}
			})
			f := fastFetcher(t, nil)
			f.MaxSize = tc.max
			dep := artifactDep(srv.URL+"/big.tgz", payload)
			dep.Size = tc.size
			_, err := f.Fetch(context.Background(), dep)
			var tl *dependency.TooLargeError
			g.Expect(errors.As(err, &tl)).To(BeTrue(), "Fetch returned %v, want a *dependency.TooLargeError", err)
			g.Expect(err.Error()).To(ContainSubstring(tc.want))
			g.Expect(srv.count("/big.tgz")).To(Equal(1), "a download over its cap is not retried")
			g.Expect(leftovers(t, f.CacheDir)).To(BeEmpty())
			g.Expect(sent.Load()).To(BeNumerically("<", huge), "the whole body was read")
		})
	}
	t.Run("negative MaxSize", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		f := fastFetcher(t, nil)
		f.MaxSize = -1
		_, err := f.Fetch(context.Background(), artifactDep("https://example.invalid/x.tgz", payload))
		g.Expect(err).To(MatchError(ContainSubstring("Fetcher.MaxSize is -1: use 0 for the default")))
	})
}

func TestInventorySizeKey(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	entry := "[[dependencies]]\nid = \"tool\"\nversion = \"1.2.3\"\nuri = \"https://example.com/tool.tgz\"\nchecksum = \"sha256:" + sha(payload) + "\"\nsize = %d\n"
	inv, err := dependency.ParseInventory([]byte(fmt.Sprintf(entry, 106496)))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(inv[0].Size).To(Equal(int64(106496)))
	out, err := inv.MarshalTOML()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(out)).To(ContainSubstring("size = 106496"))
	_, err = dependency.ParseInventory([]byte(fmt.Sprintf(entry, -1)))
	g.Expect(err).To(MatchError(ContainSubstring("size is -1: give the artifact's size in bytes, or leave size out")))
}
