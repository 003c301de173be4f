package packager_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/packager"
	"github.com/cnbkit/cnbkit/sdk/dependency"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// artifactServer serves name → content on 127.0.0.1 and counts requests.
func artifactServer(t *testing.T, files map[string]string) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		c, ok := files[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, c)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func dep(id, version, uri, content, arch string) string {
	return fmt.Sprintf("\n[[metadata.dependencies]]\nid = %q\nversion = %q\nuri = %q\nchecksum = \"sha256:%s\"\nos = \"linux\"\narch = %q\n", id, version, uri, sum(content), arch)
}

// layerFiles lists the paths under the buildpack root in the last layer of each image.
func layerFiles(t *testing.T, p *packager.Package, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, img := range p.Images {
		layers, err := img.Image.Layers()
		if err != nil {
			t.Fatal(err)
		}
		rc, err := layers[len(layers)-1].Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range readTar(t, rc, false) {
			if rel, ok := strings.CutPrefix(e.hdr.Name, root+"/"); ok {
				out[img.Target.String()] = append(out[img.Target.String()], rel)
			}
		}
		rc.Close()
	}
	return out
}

func TestIncludeDependenciesBundlesEachTargetsArtifacts(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	srv, hits := artifactServer(t, map[string]string{"tool-amd64.tgz": "amd64 bytes", "tool-arm64.tgz": "arm64 bytes", "other.tgz": "other"})
	dir := t.TempDir()
	writeTree(t, dir, bashBuildpack("d/tool", "1.0.0", linuxTargets+"\n[metadata]\n"+
		dep("tool", "1.0.0", srv.URL+"/tool-amd64.tgz", "amd64 bytes", "amd64")+
		dep("tool", "1.0.0", srv.URL+"/tool-arm64.tgz", "arm64 bytes", "arm64")+
		dep("other", "2.0.0", srv.URL+"/other.tgz", "other", "amd64")))
	p, err := packager.Build(ctx(t), packager.Options{Path: dir, IncludeDependencies: true, DependencyFilter: []string{"tool"}})
	g.Expect(err).NotTo(HaveOccurred())
	defer p.Close()
	files := layerFiles(t, p, "/cnb/buildpacks/d_tool/1.0.0")
	for arch, content := range map[string]string{"amd64": "amd64 bytes", "arm64": "arm64 bytes"} {
		h := sum(content)
		got := files["linux/"+arch]
		g.Expect(got).To(ContainElements("dependencies", "dependencies/"+h, "dependencies/"+h+"/tool-"+arch+".tgz", "dependencies/"+h+".toml"), "layer of linux/%s", arch)
		g.Expect(got).NotTo(ContainElement(ContainSubstring(sum("other"))), "the filter leaves other out")
	}
	g.Expect(hits.Load()).To(BeEquivalentTo(2))
}

func TestIncludeDependenciesFailsOnABadChecksum(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	srv, _ := artifactServer(t, map[string]string{"tool.tgz": "tampered"})
	dir := t.TempDir()
	writeTree(t, dir, bashBuildpack("d/bad", "1.0.0", "\n[metadata]\n"+dep("tool", "1.0.0", srv.URL+"/tool.tgz", "original", "amd64")))
	p, err := packager.Build(ctx(t), packager.Options{Path: dir, IncludeDependencies: true})
	g.Expect(p).To(BeNil())
	g.Expect(err).To(MatchError(ContainSubstring("sha256")))
}

func TestInventoryReplacedAtPackageTime(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	srv, _ := artifactServer(t, map[string]string{"internal.tgz": "our own build"})
	dir := t.TempDir()
	writeTree(t, filepath.Join(dir, "bp"), bashBuildpack("d/inv", "1.0.0", "\n[metadata]\nkeep = \"me\"\n"+
		dep("cpython", "3.12.0", "https://upstream.invalid/cpython.tgz", "upstream", "amd64")+
		dep("pip", "24.0.0", "https://upstream.invalid/pip.tgz", "pip", "amd64")))
	writeTree(t, dir, map[string]string{"inventory.toml": strings.ReplaceAll(
		dep("cpython", "3.12.1", srv.URL+"/internal.tgz", "our own build", "amd64"), "metadata.dependencies", "dependencies")})

	for _, tc := range []struct {
		mode dependency.MergeMode
		want []string
	}{
		{dependency.Replace, []string{"cpython@3.12.1", "pip@24.0.0"}},
		{dependency.Extend, []string{"cpython@3.12.0", "cpython@3.12.1", "pip@24.0.0"}},
		{"", []string{"cpython@3.12.0", "cpython@3.12.1", "pip@24.0.0"}}, // the default: extend
	} {
		p, err := packager.Build(ctx(t), packager.Options{Path: filepath.Join(dir, "bp"), Inventory: filepath.Join(dir, "inventory.toml"), InventoryMode: tc.mode,
			IncludeDependencies: true, DependencyFilter: []string{"cpython@3.12.1"}})
		g.Expect(err).NotTo(HaveOccurred())
		layers, err := p.Images[0].Image.Layers()
		g.Expect(err).NotTo(HaveOccurred())
		rc, err := layers[0].Uncompressed()
		g.Expect(err).NotTo(HaveOccurred())
		var descriptor string
		var names []string
		for _, e := range readTar(t, rc, false) {
			names = append(names, e.hdr.Name)
			if strings.HasSuffix(e.hdr.Name, "/buildpack.toml") {
				descriptor = string(e.data)
			}
		}
		rc.Close()
		bp, err := spec.ParseBuildpack([]byte(descriptor))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(bp.Metadata["keep"]).To(Equal("me"), "the rest of [metadata] is kept")
		var got []string
		for _, d := range bp.Metadata["dependencies"].([]map[string]any) {
			got = append(got, d["id"].(string)+"@"+d["version"].(string))
		}
		sort.Strings(got)
		g.Expect(got).To(Equal(tc.want), "inventory after %s", tc.mode)
		g.Expect(names).To(ContainElement(HaveSuffix("/dependencies/" + sum("our own build") + "/internal.tgz")))
		g.Expect(p.Close()).To(Succeed())
	}

	// An invalid inventory is reported before anything is fetched.
	writeTree(t, dir, map[string]string{"bad.toml": "[[dependencies]]\nid = \"cpython\"\nversion = \"3\"\n"})
	_, err := packager.Build(ctx(t), packager.Options{Path: filepath.Join(dir, "bp"), Inventory: filepath.Join(dir, "bad.toml"), InventoryMode: dependency.Replace})
	var verr *packager.ValidationError
	g.Expect(err).To(BeAssignableToTypeOf(verr))
	g.Expect(err.Error()).To(ContainSubstring("bad.toml"))
}
