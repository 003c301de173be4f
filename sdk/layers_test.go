package sdk_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

type layerMeta struct {
	Version string    `toml:"version"`
	Size    int       `toml:"size"`
	Built   time.Time `toml:"built"`
}

// buildWith runs one build in w with fn as the build function.
func buildWith(t *testing.T, w *world, fn func(req sdk.BuildRequest[sdk.None, sdk.None]) error) (sdk.Exit, string) {
	t.Helper()
	return w.run("build", nil, func(_ context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		return sdk.BuildResult{}, fn(req)
	})
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			rel += "/"
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	sort.Strings(out)
	return out
}

func TestOpenLayerNewAndPersisted(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	w := newWorld(t, "0.12", "")
	built := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	exit, log := buildWith(t, w, func(req sdk.BuildRequest[sdk.None, sdk.None]) error {
		l, err := sdk.OpenLayer(req.Layers, "python", sdk.LayerTypes{Build: true, Launch: true, Cache: true}, layerMeta{Version: "3.12.1", Size: 10, Built: built}, nil)
		if err != nil {
			return err
		}
		g.Expect(l.Status).To(Equal(sdk.LayerStatus{Reason: sdk.Reason{Kind: sdk.ReasonNoPrevious}}))
		g.Expect(l.Status.String()).To(Equal("new: no previous layer"))
		g.Expect(l.Path).To(BeADirectory())
		g.Expect(l.HasContents()).To(BeTrue())
		l.Metadata.Size = 11 // updated before build ends: this is what is written
		l.SharedEnv().Override("PYTHONHOME", l.Path)
		l.SharedEnv().Prepend("PATH", ":", filepath.Join(l.Path, "bin"))
		l.BuildEnv().Append("CFLAGS", " ", "-I"+l.Path)
		l.BuildEnv().Default("PIP_NO_CACHE_DIR", "1")
		l.LaunchEnv().Default("PYTHONUNBUFFERED", "1")
		l.ProcessEnv("web").Override("PORT", "8080")
		l.ProcessEnv("web").Append("OPTS", ",", "x")
		if err := l.WriteExecD("10-port", strings.NewReader("#!/bin/sh\n")); err != nil {
			return err
		}
		if err := l.WriteSBOM(sdk.CycloneDX, []byte(`{"bomFormat":"CycloneDX"}`)); err != nil {
			return err
		}
		return req.Layers.WriteLaunchSBOM(sdk.CycloneDX, []byte(`{}`))
	})
	g.Expect(exit.Code).To(Equal(0), log)
	g.Expect(exit.Layers).To(HaveKey("python"))

	var lt spec.LayerTOML
	decodeStrict(t, filepath.Join(w.layers, "python.toml"), &lt)
	g.Expect(lt.Types).To(Equal(spec.LayerTypes{Build: true, Launch: true, Cache: true}))
	g.Expect(lt.Metadata).To(Equal(map[string]any{"version": "3.12.1", "size": int64(11), "built": built}))
	raw, _ := os.ReadFile(filepath.Join(w.layers, "python.toml"))
	g.Expect(string(raw)).To(HavePrefix("[types]\n"))

	g.Expect(listDir(t, w.layers)).To(Equal([]string{
		"launch.sbom.cdx.json",
		"python.sbom.cdx.json",
		"python.toml",
		"python/",
		"python/env.build/",
		"python/env.build/CFLAGS.append",
		"python/env.build/CFLAGS.delim",
		"python/env.build/PIP_NO_CACHE_DIR.default",
		"python/env.launch/",
		"python/env.launch/PYTHONUNBUFFERED.default",
		"python/env.launch/web/",
		"python/env.launch/web/OPTS.append",
		"python/env.launch/web/OPTS.delim",
		"python/env.launch/web/PORT.override",
		"python/env/",
		"python/env/PATH.delim",
		"python/env/PATH.prepend",
		"python/env/PYTHONHOME.override",
		"python/exec.d/",
		"python/exec.d/10-port",
	}))
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(w.layers, "python", rel))
		g.Expect(err).NotTo(HaveOccurred())
		return string(b)
	}
	g.Expect(read("env/PATH.prepend")).To(Equal(filepath.Join(w.layers, "python", "bin")))
	g.Expect(read("env/PATH.delim")).To(Equal(":"))
	g.Expect(read("env.build/CFLAGS.delim")).To(Equal(" "))
	g.Expect(read("env.launch/web/PORT.override")).To(Equal("8080"))
	fi, err := os.Stat(filepath.Join(w.layers, "python", "exec.d", "10-port"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(fi.Mode().Perm()).To(Equal(os.FileMode(0o755)))
}

// previous writes a previous layer as the lifecycle restored it.
func previous(t *testing.T, w *world, name, toml string, withDir bool) {
	t.Helper()
	write(t, filepath.Join(w.layers, name+".toml"), toml)
	if withDir {
		write(t, filepath.Join(w.layers, name, "content.txt"), "old")
	}
}

func TestOpenLayerDecisions(t *testing.T) {
	t.Parallel()
	cache := sdk.LayerTypes{Launch: true, Cache: true}
	launchOnly := sdk.LayerTypes{Launch: true}
	want := layerMeta{Version: "3.12.2"}
	tests := []struct {
		name     string
		prevTOML string
		prevDir  bool
		types    sdk.LayerTypes
		restore  func(layerMeta) sdk.Decision
		kept     bool
		kind     sdk.ReasonKind
		status   string
	}{
		{"same metadata is kept", "[metadata]\nversion = \"3.12.2\"\n", true, cache, nil, true, sdk.ReasonKept, "reused: previous layer kept"},
		{"numbers compare as written", "[metadata]\nversion = \"3.12.2\"\nsize = 0\n", true, cache, nil, true, sdk.ReasonKept, "reused: previous layer kept"},
		{"changed metadata is rebuilt", "[metadata]\nversion = \"3.12.1\"\n", true, cache, nil, false, sdk.ReasonMetadataChanged,
			"rebuilt: metadata changed: version: 3.12.1 -> 3.12.2"},
		{"restore keeps", "[metadata]\nversion = \"3.12.1\"\n", true, cache, func(p layerMeta) sdk.Decision {
			if strings.HasPrefix(p.Version, "3.12.") {
				return sdk.Keep()
			}
			return sdk.Rebuild("x")
		}, true, sdk.ReasonKept, "reused: previous layer kept"},
		{"restore rebuilds", "[metadata]\nversion = \"3.11.0\"\n", true, cache, func(p layerMeta) sdk.Decision {
			return sdk.Rebuild("minor version changed from %s", p.Version)
		}, false, sdk.ReasonInvalidated, "rebuilt: invalidated: minor version changed from 3.11.0"},
		{"unreadable metadata", "[metadata]\nversion = 3\n", true, cache, nil, false, sdk.ReasonUnreadable, "rebuilt: previous metadata unreadable: "},
		{"unknown metadata keys", "[metadata]\nversion = \"3.12.2\"\nold-key = 1\n", true, cache, nil, false, sdk.ReasonUnreadable,
			"rebuilt: previous metadata unreadable: previous metadata has keys metadata.old-key that sdk_test.layerMeta does not declare"},
		{"types recorded and changed", "[types]\nbuild = true\n[metadata]\nversion = \"3.12.2\"\n", true, cache, nil, false, sdk.ReasonTypesChanged,
			"rebuilt: types changed: was build=true launch=false cache=false, now build=false launch=true cache=true"},
		{"launch-only layer without contents is kept", "[metadata]\nversion = \"3.12.2\"\n", false, launchOnly, nil, true, sdk.ReasonKept, "reused: previous layer kept"},
		{"launch-only layer without contents cannot become a cache layer", "[metadata]\nversion = \"3.12.2\"\n", false, cache, nil, false, sdk.ReasonTypesChanged,
			"rebuilt: types changed: the previous layer came back without contents (launch-only) and build=false launch=true cache=true needs them"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			w := newWorld(t, "0.12", "")
			previous(t, w, "python", tt.prevTOML, tt.prevDir)
			var layer *sdk.Layer[layerMeta]
			exit, log := buildWith(t, w, func(req sdk.BuildRequest[sdk.None, sdk.None]) error {
				g.Expect(req.Layers.Previous()).To(Equal([]string{"python"}))
				var err error
				layer, err = sdk.OpenLayer(req.Layers, "python", tt.types, want, tt.restore)
				return err
			})
			g.Expect(exit.Code).To(Equal(0), log)
			g.Expect(layer.Status.Restored).To(Equal(tt.kept))
			g.Expect(layer.Status.Reason.Kind).To(Equal(tt.kind))
			g.Expect(layer.Status.String()).To(HavePrefix(tt.status))
			g.Expect(exit.Layers["python"]).To(Equal(layer.Status))
			content := filepath.Join(w.layers, "python", "content.txt")
			switch {
			case tt.kept && tt.prevDir:
				g.Expect(content).To(BeAnExistingFile(), "a kept layer keeps its contents")
			case tt.kept:
				g.Expect(filepath.Join(w.layers, "python")).NotTo(BeADirectory(), "a kept launch-only layer stays without a directory so the exporter reuses the image layer")
				g.Expect(layer.HasContents()).To(BeFalse())
			default:
				g.Expect(filepath.Join(w.layers, "python")).To(BeADirectory())
				g.Expect(content).NotTo(BeAnExistingFile(), "a rebuilt layer starts empty")
			}
			var lt spec.LayerTOML
			decodeStrict(t, filepath.Join(w.layers, "python.toml"), &lt)
			g.Expect(lt.Types).To(Equal(spec.LayerTypes{Build: tt.types.Build, Launch: tt.types.Launch, Cache: tt.types.Cache}))
			if tt.kept && tt.restore != nil {
				g.Expect(lt.Metadata).To(HaveKeyWithValue("version", "3.12.1"), "a kept layer keeps its previous metadata")
			} else {
				g.Expect(lt.Metadata).To(HaveKeyWithValue("version", "3.12.2"))
			}
		})
	}
}

func TestNeedsTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		needs sdk.Needs
		types sdk.LayerTypes
		text  string
	}{
		{sdk.Needs{Launch: true}, sdk.LayerTypes{Launch: true}, "launch"},
		{sdk.Needs{Build: true}, sdk.LayerTypes{Build: true, Cache: true}, "later buildpacks' build"},
		{sdk.Needs{EveryBuild: true}, sdk.LayerTypes{Cache: true}, "every build"},
		{sdk.Needs{Launch: true, Build: true}, sdk.LayerTypes{Launch: true, Build: true, Cache: true}, "launch, later buildpacks' build"},
		{sdk.Needs{Launch: true, EveryBuild: true}, sdk.LayerTypes{Launch: true, Cache: true}, "launch, every build"},
		{sdk.Needs{}, sdk.LayerTypes{}, "nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			g.Expect(tt.needs.Types()).To(Equal(tt.types), "%+v.Types()", tt.needs)
			g.Expect(tt.needs.String()).To(Equal(tt.text))
		})
	}
}

// buildWithKeptLayer runs a build in a new world whose previous build left the launch-only
// layer "l" (metadata only, as the lifecycle restores it) and hands fn that layer, reused.
func buildWithKeptLayer(t *testing.T, fn func(l *sdk.Layer[layerMeta]) error) (*world, sdk.Exit, string) {
	t.Helper()
	w := newWorld(t, "0.12", "")
	previous(t, w, "l", "[metadata]\nversion = \"1\"\n", false)
	exit, log := buildWith(t, w, func(req sdk.BuildRequest[sdk.None, sdk.None]) error {
		l, err := sdk.OpenLayer(req.Layers, "l", sdk.Needs{Launch: true}, layerMeta{Version: "1"}, nil)
		if err != nil {
			return err
		}
		return fn(l)
	})
	return w, exit, log
}

// A launch-only layer kept without contents: its environment and exec.d stay as the previous
// image has them until the layer is refilled; a refilled layer gets them written again.
func TestLaunchOnlyLayerKeptAndRefilled(t *testing.T) {
	t.Parallel()
	for _, refill := range []bool{false, true} {
		t.Run(fmt.Sprintf("refill=%t", refill), func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			w, exit, log := buildWithKeptLayer(t, func(l *sdk.Layer[layerMeta]) error {
				g.Expect(l.Status.Restored).To(BeTrue())
				g.Expect(l.HasContents()).To(BeFalse())
				g.Expect(l.Types).To(Equal(sdk.LayerTypes{Launch: true}))
				if refill {
					g.Expect(l.Refill()).To(Succeed())
					g.Expect(l.HasContents()).To(BeTrue())
					g.Expect(l.Refill()).To(Succeed(), "a second Refill does nothing")
					write(t, filepath.Join(l.Path, "bin", "tool"), "the same file again")
				}
				g.Expect(l.WriteExecD("x", strings.NewReader("#!/bin/sh\n"))).To(Succeed())
				l.LaunchEnv().Override("A", "b")
				g.Expect(l.Status.Restored).To(BeTrue(), "a refilled layer is still the reused one")
				return nil
			})
			g.Expect(exit.Code).To(Equal(0), log)
			if refill {
				g.Expect(listDir(t, w.layers)).To(Equal([]string{"l.toml", "l/", "l/bin/", "l/bin/tool", "l/env.launch/", "l/env.launch/A.override", "l/exec.d/", "l/exec.d/x"}))
			} else {
				g.Expect(listDir(t, w.layers)).To(Equal([]string{"l.toml"}), "no directory: the exporter reuses the previous image's layer")
			}
		})
	}
	t.Run("bad env names fail without contents too", func(t *testing.T) {
		t.Parallel()
		_, exit, _ := buildWithKeptLayer(t, func(l *sdk.Layer[layerMeta]) error {
			l.LaunchEnv().Override("A=B", "c")
			return nil
		})
		NewWithT(t).Expect(exit.Err).To(MatchError(ContainSubstring(`"A=B" is not a valid environment variable name`)))
	})
	// Writing into a reused launch-only layer without Refill would make the exporter replace
	// the image's layer by whatever the directory holds: the build fails instead.
	t.Run("written without Refill", func(t *testing.T) {
		t.Parallel()
		_, exit, _ := buildWithKeptLayer(t, func(l *sdk.Layer[layerMeta]) error {
			write(t, filepath.Join(l.Path, "bin", "tool"), "one file of many")
			return nil
		})
		NewWithT(t).Expect(exit.Err).To(MatchError(ContainSubstring("persisting layer l: it was reused without its contents, but its directory was created")))
	})
}

func TestLayersNotOpenedAreRemoved(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	w := newWorld(t, "0.12", "")
	previous(t, w, "old", "[metadata]\nx = 1\n", true)
	write(t, filepath.Join(w.layers, "old.sbom.cdx.json"), "{}")
	previous(t, w, "kept", "[metadata]\nversion = \"1\"\n", true)
	write(t, filepath.Join(w.layers, "store.toml"), "[metadata]\na = 1\n")
	exit, log := buildWith(t, w, func(req sdk.BuildRequest[sdk.None, sdk.None]) error {
		_, err := sdk.OpenLayer(req.Layers, "kept", sdk.LayerTypes{Cache: true}, layerMeta{Version: "1"}, nil)
		return err
	})
	g.Expect(exit.Code).To(Equal(0), log)
	g.Expect(listDir(t, w.layers)).To(Equal([]string{"kept.toml", "kept/", "kept/content.txt", "store.toml"}))
}

func TestOpenLayerErrors(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "launch", "build", "store", "a/b", "..", ".hidden", "x.toml", "x.sbom.cdx"} {
		t.Run("name "+name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			exit, _ := buildWith(t, newWorld(t, "0.12", ""), func(req sdk.BuildRequest[sdk.None, sdk.None]) error {
				_, err := sdk.OpenLayer(req.Layers, name, sdk.LayerTypes{}, sdk.None{}, nil)
				return err
			})
			g.Expect(exit.Err).To(MatchError(ContainSubstring("opening layer")))
		})
	}
	t.Run("opened twice", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		exit, _ := buildWith(t, newWorld(t, "0.12", ""), func(req sdk.BuildRequest[sdk.None, sdk.None]) error {
			if _, err := sdk.OpenLayer(req.Layers, "a", sdk.LayerTypes{}, sdk.None{}, nil); err != nil {
				return err
			}
			_, err := sdk.OpenLayer(req.Layers, "a", sdk.LayerTypes{}, sdk.None{}, nil)
			return err
		})
		g.Expect(exit.Err).To(MatchError(ContainSubstring(`opening layer "a": it is already open`)))
	})
	t.Run("nil layers", func(t *testing.T) {
		t.Parallel()
		_, err := sdk.OpenLayer[sdk.None](nil, "a", sdk.LayerTypes{}, sdk.None{}, nil)
		NewWithT(t).Expect(err).To(MatchError(ContainSubstring("OpenLayer works in build only")))
	})
	t.Run("a Needs that nobody needs", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		exit, _ := buildWith(t, newWorld(t, "0.12", ""), func(req sdk.BuildRequest[sdk.None, sdk.None]) error {
			_, err := sdk.OpenLayer(req.Layers, "a", sdk.Needs{}, sdk.None{}, nil)
			return err
		})
		g.Expect(exit.Err).To(MatchError(`opening layer "a": sdk.Needs{} says nobody reads it: set Launch, Build or EveryBuild`))
	})
	t.Run("no kind", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		exit, _ := buildWith(t, newWorld(t, "0.12", ""), func(req sdk.BuildRequest[sdk.None, sdk.None]) error {
			_, err := sdk.OpenLayer(req.Layers, "a", nil, sdk.None{}, nil)
			return err
		})
		g.Expect(exit.Err).To(MatchError(ContainSubstring(`opening layer "a": no kind`)))
	})
	t.Run("bad env and exec.d names", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		exit, _ := buildWith(t, newWorld(t, "0.12", ""), func(req sdk.BuildRequest[sdk.None, sdk.None]) error {
			l, err := sdk.OpenLayer(req.Layers, "l", sdk.LayerTypes{Launch: true}, sdk.None{}, nil)
			if err != nil {
				return err
			}
			g.Expect(l.WriteExecD("../x", strings.NewReader(""))).To(MatchError(ContainSubstring("use a plain file name")))
			l.LaunchEnv().Override("A=B", "c")
			return nil
		})
		g.Expect(exit.Err).To(MatchError(ContainSubstring(`"A=B" is not a valid environment variable name`)))
	})
}

func TestSBOMChecks(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	exit, log := buildWith(t, newWorld(t, "0.12", ""), func(req sdk.BuildRequest[sdk.None, sdk.None]) error {
		l, err := sdk.OpenLayer(req.Layers, "l", sdk.LayerTypes{Launch: true}, sdk.None{}, nil)
		if err != nil {
			return err
		}
		g.Expect(l.WriteSBOM(sdk.CycloneDX, []byte("not json"))).To(MatchError(ContainSubstring("not valid JSON")))
		g.Expect(l.WriteSBOM(sdk.SBOMFormat("xml"), []byte("{}"))).To(MatchError(ContainSubstring(`unknown format "xml"`)))
		g.Expect(req.Layers.WriteBuildSBOM(sdk.CycloneDX, []byte("{}"))).To(Succeed())
		return l.WriteSBOM(sdk.SPDX, []byte("{}"))
	})
	g.Expect(exit.Code).To(Equal(1))
	g.Expect(log).To(ContainSubstring("ERROR: SBOM format not declared"))
	g.Expect(log).To(ContainSubstring(`Add "application/spdx+json" to sbom-formats`))
	for _, f := range []sdk.SBOMFormat{sdk.CycloneDX, sdk.SPDX, sdk.Syft} {
		mt, ok := f.MediaType()
		g.Expect(ok).To(BeTrue())
		g.Expect(mt).To(HavePrefix("application/"))
	}
}

func TestOpenLayerConcurrently(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	w := newWorld(t, "0.12", "")
	previous(t, w, "outer", "[metadata]\nversion = \"1\"\n", true)
	exit, log := buildWith(t, w, func(req sdk.BuildRequest[sdk.None, sdk.None]) error {
		// A restore function may open another layer.
		_, err := sdk.OpenLayer(req.Layers, "outer", sdk.LayerTypes{Cache: true}, layerMeta{Version: "1"}, func(layerMeta) sdk.Decision {
			if _, err := sdk.OpenLayer(req.Layers, "inner", sdk.LayerTypes{Cache: true}, sdk.None{}, nil); err != nil {
				return sdk.Rebuild("inner: %v", err)
			}
			return sdk.Keep()
		})
		if err != nil {
			return err
		}
		errs := make(chan error, 8)
		for i := range 8 {
			go func() {
				l, err := sdk.OpenLayer(req.Layers, fmt.Sprintf("p%d", i), sdk.LayerTypes{Launch: true}, layerMeta{Size: i}, nil)
				if err == nil {
					l.LaunchEnv().Override("I", fmt.Sprint(i))
				}
				errs <- err
			}()
		}
		for range 8 {
			if err := <-errs; err != nil {
				return err
			}
		}
		return nil
	})
	g.Expect(exit.Code).To(Equal(0), log)
	g.Expect(exit.Layers).To(HaveLen(10))
	g.Expect(exit.Layers["outer"].Restored).To(BeTrue())
	g.Expect(filepath.Join(w.layers, "inner.toml")).To(BeAnExistingFile())
	g.Expect(filepath.Join(w.layers, "p7", "env.launch", "I.override")).To(BeAnExistingFile())
}
