package packager_test

import (
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/internal/registrytest"
	"github.com/cnbkit/cnbkit/packager"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

func multiTargets(t *testing.T) []spec.Target {
	var out []spec.Target
	for _, s := range []string{"linux/amd64", "linux/arm/v7", "linux/arm64/v8:ubuntu@22.04;ubuntu@24.04"} {
		tg, err := spec.ParseTarget(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tg)
	}
	return out
}

func TestMultiArchOutputs(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	writeTree(t, filepath.Join(dir, "bp"), bashBuildpack("m/multi", "1.0.0", ""))
	p, err := packager.Build(ctx(t), packager.Options{Path: filepath.Join(dir, "bp"), Targets: multiTargets(t)})
	g.Expect(err).NotTo(HaveOccurred())
	defer p.Close()
	var targets []string
	for _, img := range p.Images {
		targets = append(targets, img.Target.String())
	}
	g.Expect(targets).To(Equal([]string{"linux/amd64", "linux/arm/v7", "linux/arm64/v8:ubuntu@22.04", "linux/arm64/v8:ubuntu@24.04"}))

	// One file per target, names that never collide.
	outs, err := packager.FileSink{Name: filepath.Join(dir, "out", "multi.cnb")}.Write(ctx(t), p)
	g.Expect(err).NotTo(HaveOccurred())
	var names []string
	for _, o := range outs {
		names = append(names, filepath.Base(o.Location))
		info, err := packager.Inspect(ctx(t), o.Location, packager.RegistryOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(info.Images).To(HaveLen(1))
		g.Expect(info.Images[0].Digest).To(Equal(o.Digest))
	}
	g.Expect(names).To(Equal([]string{"multi-linux-amd64.cnb", "multi-linux-arm-v7.cnb", "multi-linux-arm64-v8-ubuntu-22.04.cnb", "multi-linux-arm64-v8-ubuntu-24.04.cnb"}))

	wantPlatforms := []string{"linux/amd64", "linux/arm/v7", "linux/arm64/v8:22.04", "linux/arm64/v8:24.04"}
	platforms := func(info *packager.Info) []string {
		var out []string
		for _, i := range info.Images {
			out = append(out, i.Platform)
		}
		return out
	}

	// One multi-arch file.
	single := filepath.Join(dir, "out", "all.cnb")
	_, err = packager.FileSink{Name: single, MultiArch: true}.Write(ctx(t), p)
	g.Expect(err).NotTo(HaveOccurred())
	info, err := packager.Inspect(ctx(t), single, packager.RegistryOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(platforms(info)).To(Equal(wantPlatforms))

	// A layout with an image index.
	layoutDir := filepath.Join(dir, "out", "layout")
	lo, err := one(packager.LayoutSink{Dir: layoutDir}.Write(ctx(t), p))
	g.Expect(err).NotTo(HaveOccurred())
	info, err = packager.Inspect(ctx(t), layoutDir, packager.RegistryOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.MediaType).To(Equal("application/vnd.oci.image.index.v1+json"))
	g.Expect(info.Digest).To(Equal(lo.Digest))
	g.Expect(platforms(info)).To(Equal(wantPlatforms))
	// Writing again replaces the layout's entry for this id and version.
	_, err = one(packager.LayoutSink{Dir: layoutDir}.Write(ctx(t), p))
	g.Expect(err).NotTo(HaveOccurred())
	info, err = packager.Inspect(ctx(t), layoutDir, packager.RegistryOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.Digest).To(Equal(lo.Digest))

	// A registry index.
	ref := registrytest.Start(t) + "/m/multi:1.0.0"
	pub, err := one(packager.RegistrySink{Ref: ref}.Write(ctx(t), p))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(pub.Digest).To(Equal(lo.Digest), "the registry index and the layout index are the same")
	info, err = packager.Inspect(ctx(t), ref, packager.RegistryOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.Kind).To(Equal(packager.SourceRegistry))
	g.Expect(platforms(info)).To(Equal(wantPlatforms))
}

// flaky fails the first blob upload after reading part of it, like a registry that drops
// the connection mid-upload, then behaves.
type flaky struct {
	next   http.Handler
	failed atomic.Int32
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if (r.Method == http.MethodPatch || r.Method == http.MethodPut) && strings.Contains(r.URL.Path, "/blobs/uploads/") && f.failed.Add(1) == 1 {
		buf := make([]byte, 512)
		_, _ = r.Body.Read(buf)
		if hj, ok := w.(http.Hijacker); ok {
			conn, _, err := hj.Hijack()
			if err == nil {
				conn.Close()
				return
			}
		}
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	f.next.ServeHTTP(w, r)
}

// flakyPublish packages a buildpack with a large file and serves a registry that drops the
// first blob upload; it returns the package, the server's handler and the image reference.
func flakyPublish(t *testing.T) (*packager.Package, *flaky, string) {
	t.Helper()
	dir := t.TempDir()
	files := bashBuildpack("m/flaky", "1.0.0", "")
	files["big.bin"] = strings.Repeat("0123456789abcdef", 1<<16)
	writeTree(t, dir, files)
	p, err := packager.Build(ctx(t), packager.Options{Path: dir})
	if err != nil {
		t.Fatalf("packager.Build: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	f := &flaky{next: registrytest.Handler()}
	return p, f, registrytest.Serve(t, f) + "/m/flaky:1"
}

func TestPublishRecoversFromAServerFailingMidUpload(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	p, f, ref := flakyPublish(t)
	var progress strings.Builder
	out, err := one(packager.RegistrySink{Ref: ref, Registry: packager.RegistryOptions{Retry: packager.Retry{}.WithDelay(10 * time.Millisecond), Log: &progress}}.Write(ctx(t), p))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.failed.Load()).To(BeNumerically(">", 1), "the failing upload was retried")
	g.Expect(progress.String()).To(ContainSubstring("pushing " + ref + ": 100% of "))
	info, err := packager.Inspect(ctx(t), ref, packager.RegistryOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.Images[0].Digest).To(Equal(out.Digest))
}

func TestPublishWithoutRetriesFailsOnTheFirstDrop(t *testing.T) {
	t.Parallel()
	p, _, ref := flakyPublish(t)
	_, err := one(packager.RegistrySink{Ref: ref, Registry: packager.RegistryOptions{Retry: packager.Retries(0)}}.Write(ctx(t), p))
	// The same server is recovered from with the default retries (the test above).
	NewWithT(t).Expect(err).To(HaveOccurred(), "with retries turned off the dropped upload is an error")
}

// basicAuth protects a registry with one user.
func basicAuth(next http.Handler, user, pass string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// TestPublishCredentials reads credentials from a Docker config (DOCKER_CONFIG), so it
// does not run in parallel.
func TestPublishCredentials(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	writeTree(t, filepath.Join(dir, "bp"), bashBuildpack("m/auth", "1.0.0", ""))
	p, err := packager.Build(ctx(t), packager.Options{Path: filepath.Join(dir, "bp")})
	g.Expect(err).NotTo(HaveOccurred())
	defer p.Close()
	host := registrytest.Serve(t, basicAuth(registrytest.Handler(), "alice", "right"))

	for _, tc := range []struct {
		pass    string
		wantErr string
	}{
		{"wrong", "the registry " + host + " refused the credentials (HTTP 401): log in with `docker login " + host + "`"},
		{"right", ""},
	} {
		cfg := filepath.Join(dir, "docker-"+tc.pass)
		auth := basicToken("alice", tc.pass)
		writeTree(t, cfg, map[string]string{"config.json": `{"auths":{"` + host + `":{"auth":"` + auth + `"}}}`})
		t.Setenv("DOCKER_CONFIG", cfg)
		_, err := one(packager.RegistrySink{Ref: host + "/m/auth:1", Registry: packager.RegistryOptions{Retry: packager.Retries(1).WithDelay(time.Millisecond)}}.Write(ctx(t), p))
		if tc.wantErr == "" {
			g.Expect(err).NotTo(HaveOccurred())
			continue
		}
		g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
		g.Expect(errors.Unwrap(err)).NotTo(BeNil())
	}
}
