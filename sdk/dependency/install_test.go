package dependency_test

import (
	"archive/tar"
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/cnbtest"
	"github.com/cnbkit/cnbkit/sdk/dependency"
)

// toolArchive is a tar.gz with one top folder, like python-build-standalone's.
func toolArchive(t testing.TB, version string) []byte {
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	add := func(name string, mode int64, body string) {
		typ := byte(tar.TypeReg)
		if strings.HasSuffix(name, "/") {
			typ = tar.TypeDir
		}
		tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(body)), Typeflag: typ, ModTime: time.Unix(1700000000, 0)})
		tw.Write([]byte(body))
	}
	add("tool/", 0o755, "")
	add("tool/bin/", 0o755, "")
	add("tool/bin/tool", 0o755, "#!/bin/sh\necho tool "+version+"\n")
	add("tool/share/README", 0o644, "tool "+version)
	tw.Close()
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(raw.Bytes())
	w.Close()
	return gz.Bytes()
}

// installFixture is a buildpack dir whose inventory points at an httptest server.
type installFixture struct {
	srv     *server
	dir     string
	archive map[string][]byte // version -> tgz
}

func newInstallFixture(t *testing.T, extraDeps string) *installFixture {
	fx := &installFixture{archive: map[string][]byte{"1.2.3": toolArchive(t, "1.2.3"), "1.3.0": toolArchive(t, "1.3.0")}}
	fx.srv = newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) {
		for v, data := range fx.archive {
			if strings.HasSuffix(r.URL.Path, "/tool-"+v+".tgz") {
				w.Write(data)
				return
			}
		}
		http.NotFound(w, r)
	})
	fx.dir = t.TempDir()
	fx.writeDescriptor(t, fx.srv.URL, extraDeps)
	return fx
}

func (fx *installFixture) writeDescriptor(t *testing.T, base, extraDeps string) {
	toml := `api = "0.12"
[buildpack]
id = "example/tool"
version = "0.0.1"
sbom-formats = ["application/vnd.cyclonedx+json", "application/spdx+json"]

[[targets]]
os = "linux"
arch = "amd64"
`
	for _, v := range []string{"1.2.3", "1.3.0"} {
		toml += `
[[metadata.dependencies]]
id = "tool"
name = "Tool"
version = "` + v + `"
uri = "` + base + `/dl/tool-` + v + `.tgz"
checksum = "sha256:` + sha(fx.archive[v]) + `"
os = "linux"
arch = "amd64"
purl = "pkg:generic/tool@` + v + `"
licenses = ["MIT"]
strip-components = 1
`
	}
	toml += extraDeps
	if err := os.WriteFile(filepath.Join(fx.dir, "buildpack.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
}

// resolveTool resolves the fixture's tool for the build's target.
func resolveTool(req sdk.BuildRequest[sdk.None, sdk.None], constraint string) (dependency.Dependency, error) {
	inv, err := dependency.Load(req.Buildpack.Dir)
	if err != nil {
		return dependency.Dependency{}, err
	}
	return inv.Resolve("tool", constraint, req.Target.Spec())
}

// installBuild returns a build func installing the constraint's version, and where it
// records the Result.
func installBuild(constraint string, types sdk.LayerTypes, opts dependency.InstallOptions) (sdk.BuildFunc[sdk.None, sdk.None], *dependency.Result) {
	var mu sync.Mutex
	res := &dependency.Result{}
	return func(ctx context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		dep, err := resolveTool(req, constraint)
		if err != nil {
			return sdk.BuildResult{}, err
		}
		_, r, err := dependency.Install(ctx, req, "tool", types, dep, opts)
		mu.Lock()
		*res = r
		mu.Unlock()
		return sdk.BuildResult{}, err
	}, res
}

func TestInstallThenReuseWithoutNetwork(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	fx := newInstallFixture(t, "")
	types := sdk.LayerTypes{Build: true, Launch: true, Cache: true}
	build, res := installBuild("1.2", types, dependency.InstallOptions{})

	first := cnbtest.Build(t, build, cnbtest.Options{BuildpackDir: fx.dir})
	g.Expect(first).To(cnbtest.HavePassed())
	g.Expect(res.Reused).To(BeFalse())
	g.Expect(res.Origin).To(Equal(dependency.FromDownload))
	g.Expect(first.Log).To(ContainSubstring("Installing Tool 1.2.3 for linux/amd64 into layer tool"))
	layer := first.Layers["tool"]
	g.Expect(cnbtest.LayerMetadata[dependency.LayerMetadata](first, "tool")).
		To(Equal(dependency.LayerMetadata{ID: "tool", Version: "1.2.3", SHA256: sha(fx.archive["1.2.3"]), Target: "linux/amd64"}))
	info, err := os.Stat(filepath.Join(layer.Path, "bin", "tool"))
	g.Expect(err).NotTo(HaveOccurred(), "strip-components = 1 puts bin/ at the layer root")
	g.Expect(info.Mode().Perm()).To(BeEquivalentTo(0o755))
	g.Expect(layer.SBOM).To(ConsistOf("tool.sbom.cdx.json", "tool.sbom.spdx.json"))
	cdx, err := os.ReadFile(filepath.Join(first.LayersDir, "tool.sbom.cdx.json"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(cdx)).To(ContainSubstring(`"purl": "pkg:generic/tool@1.2.3"`))
	g.Expect(string(cdx)).To(ContainSubstring(sha(fx.archive["1.2.3"])))
	g.Expect(fx.srv.count("/dl/tool-1.2.3.tgz")).To(Equal(1))

	// Same dependency: the layer is kept, nothing is fetched or extracted.
	fx.srv.Close()
	second := cnbtest.Build(t, build, cnbtest.Options{BuildpackDir: fx.dir, Layers: first.LayersDir})
	g.Expect(second).To(cnbtest.HavePassed())
	g.Expect(second).To(cnbtest.HaveReusedLayer("tool"))
	g.Expect(res.Reused).To(BeTrue())
	g.Expect(res.String()).To(ContainSubstring("reused"))
	g.Expect(second.Log).To(ContainSubstring("Reusing Tool 1.2.3"))
	g.Expect(second.Layers["tool"].SBOM).To(ConsistOf("tool.sbom.cdx.json", "tool.sbom.spdx.json"))
}

func TestInstallRebuildsWhenTheChecksumChanges(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	fx := newInstallFixture(t, "")
	types := sdk.LayerTypes{Launch: true, Cache: true}
	old, _ := installBuild("1.2.3", types, dependency.InstallOptions{})
	first := cnbtest.Build(t, old, cnbtest.Options{BuildpackDir: fx.dir})
	g.Expect(first).To(cnbtest.HavePassed())

	newer, res := installBuild("1.3", types, dependency.InstallOptions{})
	second := cnbtest.Build(t, newer, cnbtest.Options{BuildpackDir: fx.dir, Layers: first.LayersDir})
	g.Expect(second).To(cnbtest.HavePassed())
	g.Expect(second).To(cnbtest.HaveRebuiltLayer("tool", "Tool 1.2.3 -> 1.3.0"))
	g.Expect(res.Reused).To(BeFalse())
	body, err := os.ReadFile(filepath.Join(second.Layers["tool"].Path, "share", "README"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(body)).To(Equal("tool 1.3.0"))
}

func TestInstallBuildOnlyLayerUsesTheDownloadCache(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	fx := newInstallFixture(t, "")
	build, res := installBuild("1.2.3", sdk.LayerTypes{Build: true}, dependency.InstallOptions{})
	first := cnbtest.Build(t, build, cnbtest.Options{BuildpackDir: fx.dir})
	g.Expect(first).To(cnbtest.HavePassed())
	g.Expect(first.Layers).To(HaveKey("tool-download"))

	fx.srv.Close()
	second := cnbtest.Build(t, build, cnbtest.Options{BuildpackDir: fx.dir, Layers: first.LayersDir})
	g.Expect(second).To(cnbtest.HavePassed())
	g.Expect(res.Reused).To(BeFalse(), "a build-only layer is not restored by the lifecycle")
	g.Expect(res.Origin).To(Equal(dependency.FromCache))
	g.Expect(second.Log).To(ContainSubstring("Reusing the cached download of Tool 1.2.3"))
}

func TestInstallChecksumMismatchFailsTheBuildCleanly(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	fx := newInstallFixture(t, "")
	fx.archive["1.2.3"] = toolArchive(t, "1.2.3") // same bytes...
	good := fx.archive["1.2.3"]
	fx.writeDescriptor(t, fx.srv.URL, "")
	fx.archive["1.2.3"] = append([]byte{}, good...)
	fx.archive["1.2.3"][len(good)-1] ^= 0xff // ...then tampered after the inventory was written
	build, _ := installBuild("1.2.3", sdk.LayerTypes{Launch: true}, dependency.InstallOptions{})
	out := cnbtest.Build(t, build, cnbtest.Options{BuildpackDir: fx.dir})
	g.Expect(out).To(cnbtest.HaveErrored("dependency checksum mismatch"))
	g.Expect(out.Log).To(ContainSubstring("expects sha256:" + sha(good)))
	g.Expect(out.Log).To(ContainSubstring("has checksum sha256:" + sha(fx.archive["1.2.3"])))
	entries, _ := os.ReadDir(filepath.Join(out.LayersDir, "tool"))
	g.Expect(entries).To(BeEmpty(), "nothing half-installed")
	cache, _ := os.ReadDir(filepath.Join(out.LayersDir, "tool-download"))
	g.Expect(cache).To(BeEmpty(), "nothing left in the download cache")
}

func TestInstallOfflineFromBundleMirrorAndMapping(t *testing.T) {
	t.Parallel()
	t.Run("bundled", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		fx := newInstallFixture(t, "")
		inv, err := dependency.Load(fx.dir)
		g.Expect(err).NotTo(HaveOccurred())
		_, err = dependency.Bundle(context.Background(), fx.dir, inv[0], nil)
		g.Expect(err).NotTo(HaveOccurred())
		fx.srv.Close()
		build, res := installBuild("1.2.3", sdk.LayerTypes{Launch: true}, dependency.InstallOptions{})
		out := cnbtest.Build(t, build, cnbtest.Options{BuildpackDir: fx.dir})
		g.Expect(out).To(cnbtest.HavePassed())
		g.Expect(res.Origin).To(Equal(dependency.FromBundle))
	})
	t.Run("mirror from platform env", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		fx := newInstallFixture(t, "")
		fx.writeDescriptor(t, "https://downloads.upstream.invalid", "")
		build, res := installBuild("1.2.3", sdk.LayerTypes{Launch: true}, dependency.InstallOptions{})
		out := cnbtest.Build(t, build, cnbtest.Options{BuildpackDir: fx.dir,
			Env: map[string]string{"BP_DEPENDENCY_MIRROR": fx.srv.URL + "/{originalHost}"}})
		g.Expect(out).To(cnbtest.HavePassed())
		g.Expect(res.Origin).To(Equal(dependency.FromDownload))
		g.Expect(fx.srv.count("/downloads.upstream.invalid/dl/tool-1.2.3.tgz")).To(Equal(1))
	})
	t.Run("host mirror from process env", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		fx := newInstallFixture(t, "")
		fx.writeDescriptor(t, "https://downloads.upstream.invalid", "")
		build, _ := installBuild("1.2.3", sdk.LayerTypes{Launch: true}, dependency.InstallOptions{})
		out := cnbtest.Build(t, build, cnbtest.Options{BuildpackDir: fx.dir,
			ProcessEnv: map[string]string{dependency.MirrorEnvFor("downloads.upstream.invalid"): fx.srv.URL + "/m"}})
		g.Expect(out).To(cnbtest.HavePassed())
		g.Expect(fx.srv.count("/m/dl/tool-1.2.3.tgz")).To(Equal(1))
	})
	t.Run("dependency-mapping binding", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		fx := newInstallFixture(t, "")
		fx.writeDescriptor(t, "https://downloads.upstream.invalid", "")
		build, _ := installBuild("1.2.3", sdk.LayerTypes{Launch: true}, dependency.InstallOptions{})
		out := cnbtest.Build(t, build, cnbtest.Options{BuildpackDir: fx.dir,
			Bindings: []sdk.Binding{{Name: "deps", Type: "dependency-mapping",
				Secret: map[string]string{sha(fx.archive["1.2.3"]): fx.srv.URL + "/internal/tool-1.2.3.tgz"}}}})
		g.Expect(out).To(cnbtest.HavePassed())
		g.Expect(out.Log).To(ContainSubstring("(dependency-mapping binding)"))
		g.Expect(fx.srv.count("/internal/tool-1.2.3.tgz")).To(Equal(1))
	})
	t.Run("unreachable gives a designed error", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		fx := newInstallFixture(t, "")
		fx.srv.Close()
		f := &dependency.Fetcher{Attempts: 2, Backoff: time.Millisecond}
		build, _ := installBuild("1.2.3", sdk.LayerTypes{Launch: true}, dependency.InstallOptions{Fetcher: f})
		out := cnbtest.Build(t, build, cnbtest.Options{BuildpackDir: fx.dir})
		g.Expect(out).To(cnbtest.HaveErrored("dependency download failed"))
		g.Expect(out.Log).To(ContainSubstring("BP_DEPENDENCY_MIRROR"))
		g.Expect(out.Log).To(ContainSubstring("failed after 2 attempts"))
	})
	t.Run("bad mirror is refused up front", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		fx := newInstallFixture(t, "")
		build, _ := installBuild("1.2.3", sdk.LayerTypes{Launch: true}, dependency.InstallOptions{})
		out := cnbtest.Build(t, build, cnbtest.Options{BuildpackDir: fx.dir, Env: map[string]string{"BP_DEPENDENCY_MIRROR": "ftp://x"}})
		g.Expect(out).To(cnbtest.HaveErrored("invalid dependency mirror or mapping"))
	})
}

func TestInstallWarnsAboutDeprecation(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	fx := newInstallFixture(t, "")
	data, _ := os.ReadFile(filepath.Join(fx.dir, "buildpack.toml"))
	data = []byte(strings.Replace(string(data), "strip-components = 1\n", "strip-components = 1\ndeprecation-date = 2026-03-01\n", 1))
	g.Expect(os.WriteFile(filepath.Join(fx.dir, "buildpack.toml"), data, 0o644)).To(Succeed())
	now := func() time.Time { return time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC) }
	build, res := installBuild("1.2.3", sdk.LayerTypes{Launch: true}, dependency.InstallOptions{Now: now})
	out := cnbtest.Build(t, build, cnbtest.Options{BuildpackDir: fx.dir})
	g.Expect(out).To(cnbtest.HavePassed())
	g.Expect(res.Deprecation).NotTo(BeNil())
	g.Expect(out.Log).To(ContainSubstring("WARNING: Tool 1.2.3 reaches its deprecation date on 2026-03-01 (in 9 days)"))
	g.Expect(out.Log).To(ContainSubstring("select a newer version, e.g. 1.3.0"))
}

func TestInstallRefusesUnsafeArchives(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	tw.WriteHeader(&tar.Header{Name: "tool/../../evil", Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
	tw.Write([]byte("x"))
	tw.Close()
	fx := newInstallFixture(t, "")
	fx.archive["1.2.3"] = raw.Bytes()
	fx.writeDescriptor(t, fx.srv.URL, "")
	build, _ := installBuild("1.2.3", sdk.LayerTypes{Launch: true}, dependency.InstallOptions{})
	out := cnbtest.Build(t, build, cnbtest.Options{BuildpackDir: fx.dir})
	g.Expect(out).To(cnbtest.HaveErrored("unsafe dependency archive"))
	g.Expect(out.Log).To(ContainSubstring(`refusing archive entry "tool/../../evil"`))
}

// refillBuild installs tool 1.2.3 into a launch-only layer and, when refill is set, puts its
// files back with Refill, as a build that needs them after all would.
func refillBuild(refill bool, opts dependency.InstallOptions) (sdk.BuildFunc[sdk.None, sdk.None], *dependency.Origin) {
	var mu sync.Mutex
	origin := new(dependency.Origin)
	return func(ctx context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		dep, err := resolveTool(req, "1.2.3")
		if err != nil {
			return sdk.BuildResult{}, err
		}
		layer, _, err := dependency.Install(ctx, req, "tool", sdk.Needs{Launch: true}, dep, opts)
		if err != nil || !refill {
			return sdk.BuildResult{}, err
		}
		o, err := dependency.Refill(ctx, req, layer, dep, opts)
		mu.Lock()
		*origin = o
		mu.Unlock()
		return sdk.BuildResult{}, err
	}, origin
}

func TestRefillALaunchOnlyLayer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		keep      bool
		bundle    bool
		kept      bool // a tool-download layer keeps the artifact
		origin    dependency.Origin
		downloads int // of the artifact, by Bundle and the three builds
	}{
		{name: "kept artifact", keep: true, kept: true, origin: dependency.FromCache, downloads: 1},
		{name: "nothing kept: downloaded again", origin: dependency.FromDownload, downloads: 2},
		{name: "bundled: nothing kept, read from the bundle", keep: true, bundle: true, origin: dependency.FromBundle, downloads: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			fx := newInstallFixture(t, "")
			if tt.bundle {
				inv, err := dependency.Load(fx.dir)
				g.Expect(err).NotTo(HaveOccurred())
				_, err = dependency.Bundle(context.Background(), fx.dir, inv[0], nil)
				g.Expect(err).NotTo(HaveOccurred())
			}
			opts := dependency.InstallOptions{KeepArtifact: tt.keep}
			install, _ := refillBuild(false, opts)
			first := cnbtest.Build(t, install, cnbtest.Options{BuildpackDir: fx.dir})
			g.Expect(first).To(cnbtest.HavePassed())
			g.Expect(first.Layers).To(HaveLen(map[bool]int{true: 2, false: 1}[tt.kept]), "layers: %v", first.Layers)

			// Unchanged: the layer comes back without its files, the kept artifact with its file.
			second := cnbtest.Build(t, install, cnbtest.Options{BuildpackDir: fx.dir, Layers: first.LayersDir})
			g.Expect(second).To(cnbtest.HaveReusedLayer("tool"))
			g.Expect(second.Layers["tool"].HasContents).To(BeFalse())
			if tt.kept {
				g.Expect(second).To(cnbtest.HaveReusedLayer("tool-download"))
			} else {
				g.Expect(second.Layers).NotTo(HaveKey("tool-download"))
			}

			// This build needs the files: Refill puts the same ones back.
			refill, origin := refillBuild(true, opts)
			third := cnbtest.Build(t, refill, cnbtest.Options{BuildpackDir: fx.dir, Layers: second.LayersDir})
			g.Expect(third).To(cnbtest.HavePassed())
			g.Expect(third).To(cnbtest.HaveReusedLayer("tool"))
			g.Expect(*origin).To(Equal(tt.origin))
			g.Expect(third.Log).To(ContainSubstring("Refilling layer tool with Tool 1.2.3: this build needs its files"))
			g.Expect(third.Layers["tool"].HasContents).To(BeTrue())
			g.Expect(listTree(t, third.Layers["tool"].Path)).To(Equal(listTree(t, first.Layers["tool"].Path)), "the same files as the first build")
			g.Expect(fx.srv.count("/dl/tool-1.2.3.tgz")).To(Equal(tt.downloads))
		})
	}
	t.Run("another dependency than the layer holds", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		fx := newInstallFixture(t, "")
		install, _ := refillBuild(false, dependency.InstallOptions{})
		first := cnbtest.Build(t, install, cnbtest.Options{BuildpackDir: fx.dir})
		g.Expect(first).To(cnbtest.HavePassed())
		wrong := func(ctx context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
			dep, err := resolveTool(req, "1.2.3")
			if err != nil {
				return sdk.BuildResult{}, err
			}
			layer, _, err := dependency.Install(ctx, req, "tool", sdk.Needs{Launch: true}, dep, dependency.InstallOptions{})
			if err != nil {
				return sdk.BuildResult{}, err
			}
			newer, err := resolveTool(req, "1.3.0")
			if err != nil {
				return sdk.BuildResult{}, err
			}
			_, err = dependency.Refill(ctx, req, layer, newer, dependency.InstallOptions{})
			return sdk.BuildResult{}, err
		}
		out := cnbtest.Build(t, wrong, cnbtest.Options{BuildpackDir: fx.dir, Layers: first.LayersDir})
		g.Expect(out).To(cnbtest.HaveErrored("refilling layer tool: it holds sha256"))
	})
}

// listTree lists the files under dir with their modes and contents.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		line := rel + " " + info.Mode().String()
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += " " + string(data)
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
