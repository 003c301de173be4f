package packagertest

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/internal/distribution"
	"github.com/cnbkit/cnbkit/packager"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// dropFirstUpload forwards to a registry but cuts the connection of the first blob upload
// after reading part of its body.
type dropFirstUpload struct {
	next    http.Handler
	uploads atomic.Int32
}

func (d *dropFirstUpload) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if (r.Method == http.MethodPatch || r.Method == http.MethodPut) && strings.Contains(r.URL.Path, "/blobs/uploads/") && d.uploads.Add(1) == 1 {
		buf := make([]byte, 1024)
		_, _ = r.Body.Read(buf)
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	d.next.ServeHTTP(w, r)
}

func dockerConfig(t *testing.T, host, user, pass string) {
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	writeTree(t, dir, map[string]string{"config.json": `{"auths":{"` + host + `":{"auth":"` + auth + `"}}}`})
	t.Setenv("DOCKER_CONFIG", dir)
}

// TestDebianRegistry publishes single and multi-arch packages to Debian's docker-registry,
// through a connection that fails mid-upload, and with wrong and right credentials.
// It sets DOCKER_CONFIG, so it does not run in parallel.
func TestDebianRegistry(t *testing.T) {
	ctx := testContext(t)
	root := fixtures(t)
	multi := build(t, packager.Options{Path: filepath.Join(root, "bash-bp"), Targets: []spec.Target{{OS: "linux", Arch: "amd64"}, {OS: "linux", Arch: "arm64"}}})
	single := build(t, packager.Options{Path: filepath.Join(root, "comp"), Targets: []spec.Target{hostTarget}})

	t.Run("publish and read back", func(t *testing.T) {
		g := NewWithT(t)
		host := distribution.Start(t, false)
		for _, tc := range []struct {
			p     *packager.Package
			ref   string
			media string
			n     int
		}{
			{multi, host + "/it/bash:2.0.0", "application/vnd.oci.image.index.v1+json", 2},
			{single, host + "/it/comp:3.0.0", "application/vnd.oci.image.manifest.v1+json", 1},
		} {
			out, err := publish(ctx, tc.p, tc.ref, packager.RegistryOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			info, err := packager.Inspect(ctx, tc.ref, packager.RegistryOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(info.Digest).To(Equal(out.Digest))
			g.Expect(info.MediaType).To(Equal(tc.media))
			g.Expect(info.Images).To(HaveLen(tc.n))
		}
		// A composite can take the published package by digest.
		out, err := publish(ctx, multi, host+"/it/bash:again", packager.RegistryOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		writeTree(t, filepath.Join(root, "by-digest"), map[string]string{
			"buildpack.toml": strings.Replace(readFile(t, filepath.Join(root, "comp", "buildpack.toml")), "it/comp", "it/by-digest", 1),
			"package.toml":   "[buildpack]\nuri = \".\"\n[[dependencies]]\nuri = \"../go-bp\"\n[[dependencies]]\nuri = \"docker://" + host + "/it/bash@" + out.Digest + "\"\n",
		})
		p := build(t, packager.Options{Path: filepath.Join(root, "by-digest"), Targets: []spec.Target{{OS: "linux", Arch: "arm64"}}})
		g.Expect(p.Buildpacks).To(ContainElement("it/bash@2.0.0"))
	})

	t.Run("server fails mid-upload then recovers", func(t *testing.T) {
		g := NewWithT(t)
		host := distribution.Start(t, false)
		target, err := url.Parse("http://" + host)
		g.Expect(err).NotTo(HaveOccurred())
		d := &dropFirstUpload{next: httputil.NewSingleHostReverseProxy(target)}
		proxy := httptest.NewServer(d)
		defer proxy.Close()
		ref := strings.TrimPrefix(proxy.URL, "http://") + "/it/bash:flaky"
		out, err := publish(ctx, multi, ref, packager.RegistryOptions{Retry: packager.Retry{}.WithDelay(20 * time.Millisecond)})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(d.uploads.Load()).To(BeNumerically(">", 1), "the dropped upload was retried")
		info, err := packager.Inspect(ctx, host+"/it/bash:flaky", packager.RegistryOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(info.Digest).To(Equal(out.Digest))
	})

	t.Run("credentials", func(t *testing.T) {
		g := NewWithT(t)
		host := distribution.Start(t, true)
		dockerConfig(t, host, "alice", "wrong")
		_, err := publish(ctx, single, host+"/it/comp:auth", packager.RegistryOptions{Retry: packager.Retries(1).WithDelay(time.Millisecond)})
		g.Expect(err).To(MatchError(ContainSubstring("the registry " + host + " refused the credentials (HTTP 401): log in with `docker login " + host + "`")))
		dockerConfig(t, host, "alice", "right")
		_, err = publish(ctx, single, host+"/it/comp:auth", packager.RegistryOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		info, err := packager.Inspect(ctx, host+"/it/comp:auth", packager.RegistryOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(info.ID).To(Equal("it/comp"))
	})
}

// publish pushes p as ref and returns the one output.
func publish(ctx context.Context, p *packager.Package, ref string, o packager.RegistryOptions) (packager.Output, error) {
	outs, err := packager.RegistrySink{Ref: ref, Registry: o}.Write(ctx, p)
	if err != nil {
		return packager.Output{}, err
	}
	return outs[0], nil
}
