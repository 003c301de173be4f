package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/harness"
)

// testReproducible builds the FastAPI app twice from clean caches and no previous image, from
// two copies of its source with different file times: the image digests are the same.
func testReproducible(t *testing.T, e env, h *harness.Harness) {
	g := NewWithT(t)

	var results []*harness.Result
	for i, age := range []time.Duration{0, 36 * time.Hour} {
		app := writeApp(t, fastapiApp)
		when := time.Now().Add(-age)
		g.Expect(filepath.WalkDir(app, func(p string, _ fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Chtimes(p, when, when)
		})).To(Succeed())
		res, took := build(t, h, harness.BuildOptions{
			App:        app,
			Buildpacks: []harness.Buildpack{harness.BuildpackFile(e.composite)},
			Env:        map[string]string{"PIP_INDEX_URL": e.indexURL},
		})
		expectSuccess(g, res)
		t.Logf("clean build %d: %s in %s", i+1, res.Digest, took.Round(100*time.Millisecond))
		results = append(results, res)
	}
	a, b := results[0], results[1]
	g.Expect(b.Digest).To(Equal(a.Digest), "two clean builds of the same app differ in layers %v", differingLayers(a, b))

	cf, err := a.OCIImage().ConfigFile()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cf.Created.Time.UTC()).To(Equal(time.Date(1980, 1, 1, 0, 0, 1, 0, time.UTC)), "the lifecycle's fixed creation time")
}

// differingLayers names the layers whose content differs between two images (and says so
// when the layer lists differ), for the failure message.
func differingLayers(a, b *harness.Result) []string {
	var out []string
	if len(a.Layers) != len(b.Layers) {
		return []string{"(different layer counts)"}
	}
	for i := range a.Layers {
		if a.Layers[i].DiffID != b.Layers[i].DiffID {
			out = append(out, a.Layers[i].Name)
		}
	}
	if len(out) == 0 {
		out = append(out, "(none: the config differs)")
	}
	return out
}
