package dependency

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cnbkit/cnbkit/internal/ctxio"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// Logger receives what a Fetcher or Install does, worded for the person running the build.
// *sdk.Logger satisfies it. A nil Logger prints nothing.
type Logger interface {
	Detail(format string, args ...any)
	Warn(format string, args ...any)
	Debug(format string, args ...any)
}

// Origin says where an artifact came from.
type Origin string

// Origins of an Artifact.
const (
	FromBundle   Origin = "bundled in the buildpack"
	FromCache    Origin = "download cache"
	FromDownload Origin = "downloaded"
	FromFile     Origin = "local file"
)

// Artifact is a dependency file whose sha256 has been verified.
type Artifact struct {
	Path   string // the file; read it, don't modify or move it
	Origin Origin
	URI    string // where it was fetched from (after mappings and mirrors); empty for bundles and cache hits
	Size   int64
}

// ChecksumError reports an artifact whose sha256 differs from the inventory's. The file is
// discarded before it is returned.
type ChecksumError struct {
	Dependency string // "id version (target)"
	URI        string // where the bytes came from, or a path
	Expected   string // sha256:<hex>
	Actual     string // sha256:<hex>
	Size       int64
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("checksum mismatch for %s from %s: expected %s, got %s (%d bytes); the file was discarded: "+
		"check the uri and checksum in the inventory, and that no proxy or mirror altered the file",
		e.Dependency, e.URI, e.Expected, e.Actual, e.Size)
}

// HTTPError is a download that failed with an HTTP status.
type HTTPError struct {
	URI        string
	StatusCode int
	Status     string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("GET %s: %s", e.URI, e.Status)
}

// Fetcher obtains verified dependency artifacts. Its zero value downloads with default
// timeouts and retries into a cache under the system temporary directory; set fields to
// change that. A Fetcher may be used by several goroutines at once.
type Fetcher struct {
	// Client sends the requests. nil: a client with the default transport; the Fetcher
	// applies its own timeouts either way.
	Client *http.Client
	// HeaderTimeout bounds the wait for response headers of one attempt. 0: 30s.
	HeaderTimeout time.Duration
	// IdleTimeout bounds the time without receiving body bytes. 0: 60s.
	IdleTimeout time.Duration
	// Attempts is the number of tries for transient failures (5xx, 408, 429, connection
	// errors, timeouts, truncated bodies). 0: 4.
	Attempts int
	// Backoff is the wait before the second attempt; it doubles each time up to 30s (a
	// Retry-After header within that bound is honoured). 0: 1s.
	Backoff time.Duration
	// Mirrors rewrite download URIs (see MirrorsFromEnv).
	Mirrors Mirrors
	// Mappings replace the URI of an artifact by its checksum (dependency-mapping bindings);
	// a mapping wins over mirrors.
	Mappings Mappings
	// BundleDirs are offline layouts (see the package documentation) searched first,
	// typically <buildpack>/dependencies.
	BundleDirs []string
	// CacheDir is a download cache in the offline layout, e.g. a cache layer. "": a directory
	// under os.TempDir().
	CacheDir string
	// Authorize, when set, may add headers (credentials) to each request. Every header it
	// adds or changes is removed from a redirected request that leaves the uri's scheme, host
	// and port, so a redirect to another server never receives them.
	Authorize func(*http.Request) error
	// MaxSize caps a download, in bytes, when the inventory entry declares no size (an
	// entry's size is its cap). 0: DefaultMaxSize; a negative value is refused. A body that
	// goes beyond the cap is a *TooLargeError: it stops there and nothing is kept.
	MaxSize int64
	// Log receives progress and retry messages.
	Log Logger
}

const maxBackoff = 30 * time.Second

// DefaultMaxSize is the download cap when neither the inventory entry nor Fetcher.MaxSize
// says otherwise: 4 GiB, above the largest toolchains buildpacks install (JDKs, CUDA
// runtimes), far below what fills a disk.
const DefaultMaxSize = 4 << 30

// TooLargeError is a download that went beyond its cap: the size the inventory declares, or
// Fetcher.MaxSize. It is not retried and nothing of it is kept.
type TooLargeError struct {
	Dependency string
	URI        string
	Limit      int64
	// Declared is true when Limit is the inventory's size, false for Fetcher.MaxSize.
	Declared bool
}

func (e *TooLargeError) Error() string {
	if e.Declared {
		return fmt.Sprintf("%s from %s is larger than the %d bytes its inventory entry declares (size): the download was stopped and discarded; check the uri and size in the inventory, and that no proxy or mirror serves another file",
			e.Dependency, e.URI, e.Limit)
	}
	return fmt.Sprintf("%s from %s is larger than %d bytes, the download limit: the download was stopped and discarded; if the artifact really is that large, declare its size in the inventory entry or raise Fetcher.MaxSize",
		e.Dependency, e.URI, e.Limit)
}

// limitFor is the cap of a download of dep.
func (f *Fetcher) limitFor(dep Dependency) (int64, bool, error) {
	switch {
	case f.MaxSize < 0:
		return 0, false, fmt.Errorf("Fetcher.MaxSize is %d: use 0 for the default (%d bytes) or a positive number of bytes", f.MaxSize, int64(DefaultMaxSize))
	case dep.Size > 0:
		return dep.Size, true, nil
	case f.MaxSize > 0:
		return f.MaxSize, false, nil
	}
	return DefaultMaxSize, false, nil
}

func (f *Fetcher) log() Logger {
	if f.Log == nil {
		return nopLogger{}
	}
	return f.Log
}

type nopLogger struct{}

func (nopLogger) Detail(string, ...any) {}
func (nopLogger) Warn(string, ...any)   {}
func (nopLogger) Debug(string, ...any)  {}

func (f *Fetcher) cacheDir() string {
	if f.CacheDir != "" {
		return f.CacheDir
	}
	return filepath.Join(os.TempDir(), "cnbkit-dependencies")
}

// Source returns the URI the Fetcher would download dep from (after mappings and mirrors)
// and a note saying which rule applied ("" when none).
func (f *Fetcher) Source(dep Dependency) (uri, note string, err error) {
	if u, ok := f.Mappings[dep.SHA256]; ok {
		return u, "dependency-mapping binding", nil
	}
	u, mirrored, err := f.Mirrors.Rewrite(dep.URI)
	if err != nil {
		return "", "", err
	}
	if mirrored {
		return u, "dependency mirror", nil
	}
	return dep.URI, "", nil
}

// Fetch returns a verified artifact for dep: from a bundle directory, from the cache, from a
// file:// URI in place, or downloaded (with retries) into the cache. A checksum mismatch is
// a *ChecksumError and leaves no file behind.
func (f *Fetcher) Fetch(ctx context.Context, dep Dependency) (Artifact, error) {
	if !hexPattern.MatchString(dep.SHA256) {
		return Artifact{}, fmt.Errorf("fetching %s: no valid sha256 checksum in the inventory", dep)
	}
	if _, _, err := f.limitFor(dep); err != nil {
		return Artifact{}, fmt.Errorf("fetching %s: %w", dep, err)
	}
	for _, dir := range f.BundleDirs {
		if art, ok, err := f.fromLayout(ctx, dir, dep, FromBundle); ok || err != nil {
			if err == nil {
				f.log().Detail("Using %s %s bundled in the buildpack", dep.DisplayName(), dep.Version)
			}
			return art, err
		}
	}
	cache := f.cacheDir()
	// One download per cache entry at a time in this process; a second caller finds it cached.
	unlock := lockEntry(cache, dep.SHA256)
	defer unlock()
	if art, ok, err := f.fromLayout(ctx, cache, dep, FromCache); ok || err != nil {
		if err == nil {
			f.log().Detail("Reusing the cached download of %s %s", dep.DisplayName(), dep.Version)
		}
		return art, err
	}
	uri, note, err := f.Source(dep)
	if err != nil {
		return Artifact{}, fmt.Errorf("fetching %s: %w", dep, err)
	}
	u, err := url.Parse(uri)
	if err != nil {
		return Artifact{}, fmt.Errorf("fetching %s: parsing uri %q: %w", dep, uri, err)
	}
	via := ""
	if note != "" {
		via = " (" + note + ")"
	}
	switch u.Scheme {
	case "file":
		p := fileURLPath(u)
		f.log().Detail("Using %s %s from %s%s", dep.DisplayName(), dep.Version, p, via)
		size, err := verifyFile(ctx, p, dep)
		if err != nil {
			return Artifact{}, err
		}
		return Artifact{Path: p, Origin: FromFile, URI: uri, Size: size}, nil
	case "http", "https":
	default:
		return Artifact{}, fmt.Errorf("fetching %s: uri %q: use https://, http:// or file://", dep, uri)
	}
	f.log().Detail("Downloading %s %s from %s%s", dep.DisplayName(), dep.Version, u.Redacted(), via)
	start := time.Now()
	art, err := f.download(ctx, dep, u, cache)
	if err != nil {
		return Artifact{}, err
	}
	f.log().Debug("Downloaded %d bytes in %s", art.Size, time.Since(start).Round(time.Millisecond))
	return art, nil
}

func fileURLPath(u *url.URL) string {
	p := u.Path
	if p == "" {
		p = u.Opaque
	}
	return filepath.FromSlash(p)
}

// fromLayout looks dep up in an offline layout and verifies it.
func (f *Fetcher) fromLayout(ctx context.Context, root string, dep Dependency, origin Origin) (Artifact, bool, error) {
	p, ok := lookupLayout(root, dep.SHA256)
	if !ok {
		return Artifact{}, false, nil
	}
	size, err := verifyFile(ctx, p, dep)
	if err != nil {
		var ce *ChecksumError
		if errors.As(err, &ce) && origin == FromCache {
			// A damaged cache entry is dropped and fetched again.
			f.log().Warn("Discarding the cached download of %s: %v", dep, err)
			removeLayoutEntry(root, dep.SHA256)
			return Artifact{}, false, nil
		}
		return Artifact{}, false, err
	}
	return Artifact{Path: p, Origin: origin, Size: size}, true, nil
}

// verifyFile hashes the file at p and compares with dep.
func verifyFile(ctx context.Context, p string, dep Dependency) (int64, error) {
	file, err := spec.Open(p)
	if err != nil {
		return 0, fmt.Errorf("fetching %s: %w", dep, err)
	}
	defer file.Close()
	h := sha256.New()
	n, err := ctxio.Copy(ctx, h, file)
	if err != nil {
		return 0, fmt.Errorf("fetching %s: reading %s: %w", dep, p, err)
	}
	if actual := hexOf(h.Sum(nil)); actual != dep.SHA256 {
		return 0, &ChecksumError{Dependency: dep.String(), URI: p, Expected: dep.Checksum(), Actual: "sha256:" + actual, Size: n}
	}
	return n, nil
}

// download fetches u into the layout at root with retries.
func (f *Fetcher) download(ctx context.Context, dep Dependency, u *url.URL, root string) (Artifact, error) {
	attempts := f.Attempts
	if attempts <= 0 {
		attempts = 4
	}
	wait := f.Backoff
	if wait <= 0 {
		wait = time.Second
	}
	name := artifactName(dep)
	var lastErr error
	tries := 0
	for attempt := 1; attempt <= attempts; attempt++ {
		tries = attempt
		art, retryAfter, err := f.attempt(ctx, dep, u, root, name)
		if err == nil {
			return art, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			return Artifact{}, fmt.Errorf("downloading %s: %w", dep, ctx.Err())
		}
		if !isTransient(err) || attempt == attempts {
			break
		}
		delay := wait
		if retryAfter > delay && retryAfter <= maxBackoff {
			delay = retryAfter
		}
		f.log().Warn("Download of %s failed (%v); retrying in %s (attempt %d of %d)", dep, err, delay, attempt+1, attempts)
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return Artifact{}, fmt.Errorf("downloading %s: %w", dep, ctx.Err())
		case <-timer.C:
		}
		wait = min(wait*2, maxBackoff)
	}
	var ce *ChecksumError
	var tl *TooLargeError
	if errors.As(lastErr, &ce) || errors.As(lastErr, &tl) {
		return Artifact{}, lastErr
	}
	return Artifact{}, &DownloadError{Dependency: dep.String(), URI: u.Redacted(), Attempts: tries, Err: lastErr}
}

// DownloadError is a download that failed for good: a client error (e.g. 404), or transient
// failures on every attempt.
type DownloadError struct {
	Dependency string
	URI        string
	Attempts   int
	Err        error
}

func (e *DownloadError) Error() string {
	attempts := "1 attempt"
	if e.Attempts != 1 {
		attempts = fmt.Sprintf("%d attempts", e.Attempts)
	}
	return fmt.Sprintf("downloading %s from %s failed after %s: %v", e.Dependency, e.URI, attempts, e.Err)
}

func (e *DownloadError) Unwrap() error { return e.Err }

// transientError marks failures worth another attempt.
type transientError struct{ err error }

func (t transientError) Error() string { return t.err.Error() }
func (t transientError) Unwrap() error { return t.err }

func isTransient(err error) bool {
	var t transientError
	return errors.As(err, &t)
}

// timeoutError is the cause set when one of the Fetcher's timers fires.
type timeoutError struct{ msg string }

func (e timeoutError) Error() string { return e.msg }

func (f *Fetcher) attempt(ctx context.Context, dep Dependency, u *url.URL, root, name string) (Artifact, time.Duration, error) {
	headerTimeout := f.HeaderTimeout
	if headerTimeout <= 0 {
		headerTimeout = 30 * time.Second
	}
	idleTimeout := f.IdleTimeout
	if idleTimeout <= 0 {
		idleTimeout = 60 * time.Second
	}
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var receiving atomic.Bool
	timer := time.AfterFunc(headerTimeout, func() {
		if receiving.Load() {
			cancel(timeoutError{fmt.Sprintf("no data received for %s", idleTimeout)})
			return
		}
		cancel(timeoutError{fmt.Sprintf("no response within %s", headerTimeout)})
	})
	defer timer.Stop()

	req, err := http.NewRequestWithContext(actx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Artifact{}, 0, err
	}
	req.Header.Set("User-Agent", "cnbkit")
	client := f.Client
	if client == nil {
		client = http.DefaultClient
	}
	if f.Authorize != nil {
		before := req.Header.Clone()
		if err := f.Authorize(req); err != nil {
			return Artifact{}, 0, fmt.Errorf("authorizing request: %w", err)
		}
		client = withoutCredentialsElsewhere(client, changedHeaders(before, req.Header))
	}
	limit, declared, err := f.limitFor(dep)
	if err != nil {
		return Artifact{}, 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return Artifact{}, 0, classify(actx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		herr := &HTTPError{URI: resp.Request.URL.Redacted(), StatusCode: resp.StatusCode, Status: resp.Status}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		switch {
		case resp.StatusCode >= 500, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusRequestTimeout:
			return Artifact{}, retryAfter(resp.Header.Get("Retry-After")), transientError{herr}
		}
		return Artifact{}, 0, herr
	}
	from := resp.Request.URL.Redacted()
	tooLarge := &TooLargeError{Dependency: dep.String(), URI: from, Limit: limit, Declared: declared}
	if resp.ContentLength > limit {
		return Artifact{}, 0, tooLarge
	}
	receiving.Store(true)
	timer.Reset(idleTimeout)
	body := &idleReader{r: &capReader{r: resp.Body, left: limit, err: tooLarge}, reset: func() { timer.Reset(idleTimeout) }}
	art, err := store(actx, root, dep, name, body, from)
	if err != nil {
		var ce *ChecksumError
		if errors.Is(err, tooLarge) {
			return Artifact{}, 0, tooLarge
		}
		if errors.As(err, &ce) {
			return Artifact{}, 0, err
		}
		if body.failed {
			return Artifact{}, 0, classify(actx, err)
		}
		return Artifact{}, 0, err
	}
	art.Origin, art.URI = FromDownload, u.String()
	return art, 0, nil
}

// capReader returns err once more than left bytes were read.
type capReader struct {
	r    io.Reader
	left int64
	err  error
}

func (c *capReader) Read(p []byte) (int, error) {
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return 0, c.err
	}
	return n, err
}

// changedHeaders lists the headers after has that before lacks or holds differently.
func changedHeaders(before, after http.Header) []string {
	var out []string
	for k, v := range after {
		if old, ok := before[k]; !ok || strings.Join(old, "\x00") != strings.Join(v, "\x00") {
			out = append(out, k)
		}
	}
	return out
}

// withoutCredentialsElsewhere returns client with a redirect policy that drops headers from
// requests to another scheme, host or port than the first request's. Go itself drops only
// Authorization, Cookie and a few more, and only when the domain changes.
func withoutCredentialsElsewhere(client *http.Client, headers []string) *http.Client {
	if len(headers) == 0 {
		return client
	}
	c := *client
	next := client.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if origin(req.URL) != origin(via[0].URL) {
			for _, h := range headers {
				req.Header.Del(h)
			}
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &c
}

// origin is scheme://host:port with the default port filled in.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

type idleReader struct {
	r      io.Reader
	reset  func()
	failed bool // the error came from the network, not the disk
}

func (i *idleReader) Read(p []byte) (int, error) {
	n, err := i.r.Read(p)
	if n > 0 {
		i.reset()
	}
	if err != nil && !errors.Is(err, io.EOF) {
		i.failed = true
	}
	return n, err
}

func classify(actx context.Context, err error) error {
	if cause := context.Cause(actx); cause != nil {
		var te timeoutError
		if errors.As(cause, &te) {
			return transientError{te}
		}
		return cause
	}
	var uerr x509.UnknownAuthorityError
	var herr x509.HostnameError
	var cerr *x509.CertificateInvalidError
	if errors.As(err, &uerr) || errors.As(err, &herr) || errors.As(err, &cerr) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) ||
		strings.Contains(err.Error(), "connection reset") {
		return transientError{fmt.Errorf("%w (connection lost or body truncated)", err)}
	}
	// Other network errors (refused, DNS, resets) may pass.
	return transientError{err}
}

func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

// artifactName is the file name of dep in the offline layout: the last path element of its
// uri, or "artifact".
func artifactName(dep Dependency) string {
	name := "artifact"
	if u, err := url.Parse(dep.URI); err == nil {
		if b := path.Base(u.Path); b != "" && b != "." && b != "/" && b != ".." {
			name = b
		}
	}
	return name
}

// layoutLocks serialises users of the same layout entry within this process.
var layoutLocks sync.Map

func lockEntry(root, sum string) func() {
	mu, _ := layoutLocks.LoadOrStore(filepath.Join(root, sum), &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	return mu.(*sync.Mutex).Unlock
}

// store streams r into the offline layout at root as <hex>/<name> plus <hex>.toml, verifying
// the sha256 on the way. On any failure nothing is left behind. The caller holds lockEntry.
func store(ctx context.Context, root string, dep Dependency, name string, r io.Reader, from string) (Artifact, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return Artifact{}, fmt.Errorf("storing %s: %w", dep, err)
	}
	removeStalePartials(root)
	tmpDir, err := os.MkdirTemp(root, ".partial-")
	if err != nil {
		return Artifact{}, fmt.Errorf("storing %s: %w", dep, err)
	}
	committed := false
	defer func() {
		if !committed {
			os.RemoveAll(tmpDir)
		}
	}()
	file, err := os.OpenFile(filepath.Join(tmpDir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return Artifact{}, fmt.Errorf("storing %s: %w", dep, err)
	}
	h := sha256.New()
	n, err := ctxio.Copy(ctx, io.MultiWriter(file, h), r)
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Artifact{}, fmt.Errorf("storing %s: %w", dep, err)
	}
	if actual := hexOf(h.Sum(nil)); actual != dep.SHA256 {
		return Artifact{}, &ChecksumError{Dependency: dep.String(), URI: from, Expected: dep.Checksum(), Actual: "sha256:" + actual, Size: n}
	}
	final := filepath.Join(root, dep.SHA256)
	removeLayoutEntry(root, dep.SHA256) // a stale or half-written entry
	if err := os.Rename(tmpDir, final); err != nil {
		return Artifact{}, fmt.Errorf("storing %s: %w", dep, err)
	}
	committed = true
	// The .toml file marks the entry complete; written last, atomically.
	data, err := Inventory{dep}.entryTOML()
	if err == nil {
		err = writeFileAtomic(filepath.Join(root, dep.SHA256+".toml"), data)
	}
	if err != nil {
		os.RemoveAll(final)
		return Artifact{}, fmt.Errorf("storing %s: %w", dep, err)
	}
	return Artifact{Path: filepath.Join(final, name), Size: n}, nil
}

// removeStalePartials deletes temporary directories a killed process left behind a day ago
// or earlier (no download takes that long).
func removeStalePartials(root string) {
	matches, _ := filepath.Glob(filepath.Join(root, ".partial-*"))
	for _, m := range matches {
		if info, err := os.Stat(m); err == nil && time.Since(info.ModTime()) > 24*time.Hour {
			os.RemoveAll(m)
		}
	}
}

func writeFileAtomic(p string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-"+filepath.Base(p)+"-")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
