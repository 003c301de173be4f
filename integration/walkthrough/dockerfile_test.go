package walkthrough

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/fixtures"
)

// seedDockerfile is the seed's Dockerfile (FROM python:3.9-slim, pip install -r
// requirements.txt, COPY . ., CMD uvicorn) rebuilt on what is reachable offline: the same
// Debian base as our run image, the fixture CPython added where python:*-slim would have
// it, pip from the loopback index into a virtual environment.
func seedDockerfile(base string) string {
	return `FROM ` + base + `
USER root
ADD cpython.tar.gz /opt/
ENV PATH=/opt/venv/bin:/opt/python/bin:$PATH
ARG PIP_INDEX_URL
WORKDIR /app
COPY app/requirements.txt .
RUN python3 -m venv /opt/venv && pip install --no-cache-dir --index-url "$PIP_INDEX_URL" -r requirements.txt
COPY app/ .
USER 1000:1000
CMD ["sh", "-c", "exec uvicorn app:app --host 0.0.0.0 --port ${PORT:-8080}"]
`
}

// dockerfileApp is what the Dockerfile comparison builds: an app (files) FROM a base image in
// the daemon, with a fixture CPython and a wheel index, tagged image, answering want on GET /.
type dockerfileApp struct {
	base, image string
	cpython     fixtures.CPython
	indexURL    string
	files       map[string]string
	want        map[string]any
}

// dockerfileComparison builds the app with the seed's Dockerfile approach (legacy builder,
// host network for the loopback index), cold, then warm, then after a code change, records
// time and size and checks the image serves the same JSON.
func dockerfileComparison(ctx context.Context, t *testing.T, d *dockerd, work string, app dockerfileApp, timings *report) {
	g := NewWithT(t)
	dir := writeDockerfileApp(t, filepath.Join(work, app.image), app)
	start := time.Now()
	_, err := dockerfileBuild(ctx, d, dir, app)
	g.Expect(err).NotTo(HaveOccurred())
	timings.add("docker build (Dockerfile), cold", time.Since(start))
	start = time.Now()
	_, err = dockerfileBuild(ctx, d, dir, app)
	g.Expect(err).NotTo(HaveOccurred())
	timings.add("docker build (Dockerfile), warm (no change)", time.Since(start))
	writeFiles(t, dir, map[string]string{"app/farewell.py": farewellPy})
	start = time.Now()
	out, err := dockerfileBuild(ctx, d, dir, app)
	g.Expect(err).NotTo(HaveOccurred())
	timings.add("docker build (Dockerfile), app code changed", time.Since(start))
	g.Expect(out).To(MatchRegexp(`RUN python3 -m venv[^\n]*\n ---> Using cache`), "the pip step comes from the build cache after a code change:\n%s", out)
	timings.addSize("app image (Dockerfile)", imageSize(ctx, t, d, app.image))
	logHistory(ctx, t, d, app.image)

	port := freePort(t)
	out, err = d.run(ctx, "run", "-d", "--network", "host", "-e", "PORT="+strconv.Itoa(port), app.image)
	g.Expect(err).NotTo(HaveOccurred())
	id := out[:12]
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := d.run(cctx, "rm", "-f", id); err != nil {
			t.Error(err)
		}
	})
	g.Expect(getJSON(ctx, t, port)).To(Equal(app.want))
}

// writeDockerfileApp writes the build context of the Dockerfile approach for app into dir:
// the Dockerfile, the app in app/ and the CPython archive beside it, so `COPY app/ .` copies
// the app only. It returns dir.
func writeDockerfileApp(t testing.TB, dir string, app dockerfileApp) string {
	t.Helper()
	files := map[string]string{"Dockerfile": seedDockerfile(app.base)}
	for k, v := range app.files {
		files["app/"+k] = v
	}
	writeFiles(t, dir, files)
	if err := copyFile(app.cpython.Path, filepath.Join(dir, "cpython.tar.gz")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// dockerfileBuild runs docker build on the context in dir (see writeDockerfileApp) with the
// legacy builder and the host network (for the loopback index), tagging app.image. flags go
// before the context, e.g. --no-cache.
func dockerfileBuild(ctx context.Context, d *dockerd, dir string, app dockerfileApp, flags ...string) (string, error) {
	args := append([]string{"build", "--network", "host", "--build-arg", "PIP_INDEX_URL=" + app.indexURL, "-t", app.image}, flags...)
	return d.runEnv(ctx, []string{"DOCKER_BUILDKIT=0"}, append(args, dir)...)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// writeTar writes files (name to content, mode 0644, fixed time) as a tar stream.
func writeTar(w io.Writer, files map[string]string) error {
	tw := tar.NewWriter(w)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	mtime := time.Date(1980, 1, 1, 0, 0, 1, 0, time.UTC)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), ModTime: mtime, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write([]byte(files[n])); err != nil {
			return err
		}
	}
	return tw.Close()
}
