package harness_test

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// buildpackage makes a minimal buildpackage image of the test buildpack directory, as pack
// lays it out (one layer under /cnb/buildpacks/<id>/<version>, the two labels), so the tests
// do not depend on the project's packager.
func buildpackage(t *testing.T, dir, id, version, api string) v1.Image {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	base := "/cnb/buildpacks/" + strings.ReplaceAll(id, "/", "_")
	mtime := time.Date(1980, 1, 1, 0, 0, 1, 0, time.UTC)
	for _, d := range []string{base, base + "/" + version} {
		must(t, tw.WriteHeader(&tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: mtime}))
	}
	must(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		name := base + "/" + version + "/" + filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return tw.WriteHeader(&tar.Header{Name: name + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: mtime})
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: int64(info.Mode().Perm()), Size: int64(len(data)), ModTime: mtime}); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	}))
	must(t, tw.Close())
	layer := static.NewLayer(buf.Bytes(), types.OCIUncompressedLayer)
	diffID, err := layer.DiffID()
	must(t, err)
	img, err := mutate.AppendLayers(mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON), layer)
	must(t, err)
	meta, _ := json.Marshal(map[string]any{"id": id, "version": version, "stacks": []map[string]string{{"id": "*"}}})
	layers, _ := json.Marshal(map[string]any{id: map[string]any{version: map[string]any{"api": api, "layerDiffID": diffID.String(), "stacks": []map[string]string{{"id": "*"}}}}})
	cf, err := img.ConfigFile()
	must(t, err)
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Labels = map[string]string{
		"io.buildpacks.buildpackage.metadata": string(meta),
		"io.buildpacks.buildpack.layers":      string(layers),
	}
	img, err = mutate.ConfigFile(img, cf)
	must(t, err)
	return img
}

// writeCNB writes img as a .cnb file: an uncompressed tar of an OCI layout.
func writeCNB(t *testing.T, img v1.Image) string {
	t.Helper()
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	must(t, err)
	must(t, p.AppendImage(img))
	out := filepath.Join(t.TempDir(), "hello.cnb")
	f, err := os.Create(out)
	must(t, err)
	defer f.Close()
	tw := tar.NewWriter(f)
	must(t, tw.AddFS(os.DirFS(dir)))
	must(t, tw.Close())
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newerRunImage adds a small layer (/etc/cnbkit-rebased) on top of run, as a patched run
// image would, and returns the image and the new layer's diffID.
func newerRunImage(t *testing.T, run v1.Image) (v1.Image, string) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := []byte("patched\n")
	must(t, tw.WriteHeader(&tar.Header{Name: "etc/cnbkit-rebased", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))}))
	_, err := tw.Write(body)
	must(t, err)
	must(t, tw.Close())
	layer := static.NewLayer(buf.Bytes(), types.OCIUncompressedLayer)
	img, err := mutate.AppendLayers(run, layer)
	must(t, err)
	id, err := layer.DiffID()
	must(t, err)
	return img, id.String()
}
