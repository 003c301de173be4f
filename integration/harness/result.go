package harness

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Labels the lifecycle writes on app images.
const (
	LabelBuildMetadata     = "io.buildpacks.build.metadata"
	LabelLifecycleMetadata = "io.buildpacks.lifecycle.metadata"
	// LabelExecEnv holds the execution environment the image was built for (platform API
	// 0.15 and later, when the platform set one).
	LabelExecEnv = "io.buildpacks.exec-env"
)

// Result is what a build produced, for assertions.
type Result struct {
	// Success is true when creator exited 0 and the image was exported.
	Success bool
	// ExitCode is creator's exit code (0 on success; 20 and up are the lifecycle's phase
	// failures, e.g. 20 for a failed detect, 51 for a failed build).
	ExitCode int
	// Logs is creator's combined output.
	Logs string
	// Image is the tag the app image was exported to ("127.0.0.1:<port>/apps/x:latest") and
	// Digest its manifest digest ("sha256:..."); Ref is Image pinned to Digest.
	Image, Digest, Ref string
	// Config is the image config: Labels, Env, User, Entrypoint, WorkingDir.
	Config v1.Config
	// ExecEnv is the execution environment the lifecycle recorded for the image (label
	// io.buildpacks.exec-env); empty when the build set none.
	ExecEnv string
	// Processes are the launch processes from the io.buildpacks.build.metadata label.
	Processes []Process
	// Buildpacks are the buildpacks that took part (the passing group), in order.
	Buildpacks []BuildpackRef
	// Layers are the image's layers, base image first.
	Layers []Layer
	// SBOM maps paths below the SBOM directory ("launch/<buildpack>/<layer>/sbom.cdx.json",
	// "build/<buildpack>/sbom.spdx.json", ...) to their contents: launch SBOMs from the
	// image's SBOM layer, build SBOMs from the build's layers directory.
	SBOM map[string][]byte
	// Reused names the named layers (see Layer.Name) whose content is the same as in the
	// previous image; Rebuilt the ones that are new or changed. Both are empty after a first
	// Build; after a Rebuild they cover every named layer.
	Reused, Rebuilt []string
	// LayersDir is the build's /layers directory on the host, kept until the test ends.
	LayersDir string
	// LayoutPath is the OCI layout directory holding the image when the build exported to
	// a layout (BuildOptions.Layout); empty otherwise.
	LayoutPath string
	// Restored names the layers ("<buildpack id>:<layer>") whose contents the lifecycle's
	// restorer brought back from the cache, as its "Restoring data for ... from cache" lines
	// say. Launch layers reused by their metadata alone are not in it.
	Restored []string
	// Elapsed is how long the lifecycle ran (creator, from start to exit), without the
	// harness's own work before and after (copying the app and buildpacks, reading the image).
	Elapsed time.Duration
	// Phases are the durations the lifecycle's "Timer: <name> ran for <duration>" lines
	// report, by name ("Analyzer", "Detector", "Restorer", "Builder", "Exporter", "Cache",
	// ...). The lifecycle prints them only with BuildOptions.LogLevel "debug".
	Phases map[string]time.Duration
	// Options are the options the build ran with (defaults filled in).
	Options BuildOptions

	lineage lineage
	img     v1.Image
	named   map[string]string // layer name -> diffID
}

// Process is a launch process of the image.
type Process struct {
	Type    string   `json:"type"`
	Command []string `json:"-"`
	Args    []string `json:"args"`
	Direct  bool     `json:"direct"`
	// Default is true for the process the image's entrypoint runs (the lifecycle does not
	// keep launch.toml's default flag in the label; the harness derives it).
	Default     bool     `json:"default"`
	BuildpackID string   `json:"buildpackID"`
	WorkingDir  string   `json:"working-dir"`
	ExecEnv     []string `json:"exec-env"`
}

// UnmarshalJSON accepts the command as a string (platform API < 0.10) or a list.
func (p *Process) UnmarshalJSON(data []byte) error {
	type plain Process
	var raw struct {
		plain
		Command json.RawMessage `json:"command"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*p = Process(raw.plain)
	if len(raw.Command) == 0 {
		return nil
	}
	if raw.Command[0] == '"' {
		var s string
		if err := json.Unmarshal(raw.Command, &s); err != nil {
			return err
		}
		p.Command = []string{s}
		return nil
	}
	return json.Unmarshal(raw.Command, &p.Command)
}

// Layer is one layer of the app image.
type Layer struct {
	// Name says what the layer holds: "<buildpack id>:<layer name>" for a buildpack layer,
	// "app" (or "app:<n>" for slices), "launcher", "config", "process-types", "sbom", or
	// "base" for the run image's layers.
	Name   string
	Digest v1.Hash
	DiffID v1.Hash
	Size   int64
}

// OCIImage returns the exported image as read from the harness registry. Its layers are
// fetched when they are read, in any test that runs while the Harness does.
func (r *Result) OCIImage() v1.Image { return r.img }

// Process returns the launch process of the given type and whether it exists.
func (r *Result) Process(typ string) (Process, bool) {
	for _, p := range r.Processes {
		if p.Type == typ {
			return p, true
		}
	}
	return Process{}, false
}

// LayerNamed returns the layer with the given name (see Layer.Name) and whether it exists.
func (r *Result) LayerNamed(layerName string) (Layer, bool) {
	for _, l := range r.Layers {
		if l.Name == layerName {
			return l, true
		}
	}
	return Layer{}, false
}

// lifecycleMetadata is the part of io.buildpacks.lifecycle.metadata the harness reads.
type lifecycleMetadata struct {
	App          []struct{ SHA string } `json:"app"`
	Config       struct{ SHA string }   `json:"config"`
	Launcher     struct{ SHA string }   `json:"launcher"`
	ProcessTypes struct{ SHA string }   `json:"process-types"`
	SBOM         *struct{ SHA string }  `json:"sbom"`
	Buildpacks   []struct {
		Key    string                          `json:"key"`
		Layers map[string]struct{ SHA string } `json:"layers"`
	} `json:"buildpacks"`
	RunImage struct {
		TopLayer string `json:"topLayer"`
	} `json:"runImage"`
}

type buildMetadata struct {
	Processes  []Process `json:"processes"`
	Buildpacks []struct {
		ID      string `json:"id"`
		Version string `json:"version"`
	} `json:"buildpacks"`
}

// inspect reads the exported image and fills in the result.
func (r *Result) inspect(ctx context.Context, prev *Result) error {
	ref, err := name.ParseReference(r.Image, name.WeakValidation)
	if err != nil {
		return err
	}
	var img v1.Image
	if r.LayoutPath != "" {
		img, err = layoutImage(r.LayoutPath)
	} else {
		// The image's blobs are fetched when they are read, possibly by a later test than the
		// one that built it (the registry lives as long as the Harness): not with the
		// build's context, which ends with that test.
		img, err = remote.Image(ref, remote.WithContext(context.WithoutCancel(ctx)))
	}
	if err != nil {
		return fmt.Errorf("reading exported image %s: %w", r.Image, err)
	}
	r.img = img
	d, err := img.Digest()
	if err != nil {
		return err
	}
	r.Digest = d.String()
	r.Ref = ref.Context().Digest(r.Digest).String()
	if r.LayoutPath != "" {
		r.Ref = r.Image + "@" + r.Digest
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("reading image config: %w", err)
	}
	r.Config = cf.Config
	r.ExecEnv = cf.Config.Labels[LabelExecEnv]
	var bm buildMetadata
	if err := json.Unmarshal([]byte(cf.Config.Labels[LabelBuildMetadata]), &bm); err != nil {
		return fmt.Errorf("decoding label %s: %w", LabelBuildMetadata, err)
	}
	r.Processes = bm.Processes
	for i, p := range r.Processes {
		if len(cf.Config.Entrypoint) == 1 && cf.Config.Entrypoint[0] == "/cnb/process/"+p.Type {
			r.Processes[i].Default = true
		}
	}
	for _, b := range bm.Buildpacks {
		r.Buildpacks = append(r.Buildpacks, BuildpackRef{ID: b.ID, Version: b.Version})
	}
	var lm lifecycleMetadata
	if err := json.Unmarshal([]byte(cf.Config.Labels[LabelLifecycleMetadata]), &lm); err != nil {
		return fmt.Errorf("decoding label %s: %w", LabelLifecycleMetadata, err)
	}
	r.named = lm.names()
	byDiff := map[string]string{}
	for n, sha := range r.named {
		byDiff[sha] = n
	}
	ls, err := img.Layers()
	if err != nil {
		return err
	}
	base := true
	for _, l := range ls {
		var layer Layer
		if layer.Digest, err = l.Digest(); err != nil {
			return err
		}
		if layer.DiffID, err = l.DiffID(); err != nil {
			return err
		}
		if layer.Size, err = l.Size(); err != nil {
			return err
		}
		layer.Name = byDiff[layer.DiffID.String()]
		if base {
			layer.Name = "base"
		}
		if layer.DiffID.String() == lm.RunImage.TopLayer {
			base = false
		}
		r.Layers = append(r.Layers, layer)
	}
	r.SBOM = map[string][]byte{}
	if lm.SBOM != nil && lm.SBOM.SHA != "" {
		for _, l := range ls {
			if id, err := l.DiffID(); err == nil && id.String() == lm.SBOM.SHA {
				if err := readSBOMLayer(l, r.SBOM); err != nil {
					return err
				}
			}
		}
	}
	if r.LayersDir != "" {
		if err := readBuildSBOM(filepath.Join(r.LayersDir, "sbom", "build"), r.SBOM); err != nil {
			return err
		}
	}
	if prev != nil && prev.named != nil {
		for n, sha := range r.named {
			if prev.named[n] == sha {
				r.Reused = append(r.Reused, n)
			} else {
				r.Rebuilt = append(r.Rebuilt, n)
			}
		}
		sort.Strings(r.Reused)
		sort.Strings(r.Rebuilt)
	}
	return nil
}

// names maps layer names to diffIDs.
func (m lifecycleMetadata) names() map[string]string {
	n := map[string]string{}
	add := func(k, sha string) {
		if sha != "" {
			n[k] = sha
		}
	}
	for i, a := range m.App {
		if i == 0 {
			add("app", a.SHA)
		} else {
			add(fmt.Sprintf("app:%d", i), a.SHA)
		}
	}
	add("config", m.Config.SHA)
	add("launcher", m.Launcher.SHA)
	add("process-types", m.ProcessTypes.SHA)
	if m.SBOM != nil {
		add("sbom", m.SBOM.SHA)
	}
	for _, b := range m.Buildpacks {
		for ln, l := range b.Layers {
			add(b.Key+":"+ln, l.SHA)
		}
	}
	return n
}

// readSBOMLayer reads layers/sbom/... files of the lifecycle's SBOM layer.
func readSBOMLayer(l v1.Layer, into map[string][]byte) error {
	rc, err := l.Uncompressed()
	if err != nil {
		return fmt.Errorf("reading SBOM layer: %w", err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading SBOM layer: %w", err)
		}
		n, ok := entryName(hdr.Name, "layers/sbom")
		if !ok || hdr.Typeflag != tar.TypeReg {
			continue
		}
		if into[n], err = io.ReadAll(tr); err != nil {
			return err
		}
	}
}

// readBuildSBOM reads <layers>/sbom/build/... into "build/...".
func readBuildSBOM(dir string, into map[string][]byte) error {
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(filepath.Dir(dir), p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		into[strings.ReplaceAll(rel, string(filepath.Separator), "/")] = data
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// layoutImage reads the single image of an OCI layout directory.
func layoutImage(dir string) (v1.Image, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, err
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	if len(m.Manifests) == 0 {
		return nil, fmt.Errorf("layout %s holds no image", dir)
	}
	return idx.Image(m.Manifests[len(m.Manifests)-1].Digest)
}

var (
	restoredLine = regexp.MustCompile(`(?m)Restoring data for "([^"]+)" from cache`)
	timerLine    = regexp.MustCompile(`(?m)Timer: (.+?) ran for (\S+) and ended at`)
)

// readLogs fills in what the lifecycle's output tells: the layers restored from the cache
// and the phase timers.
func (r *Result) readLogs() {
	for _, m := range restoredLine.FindAllStringSubmatch(r.Logs, -1) {
		r.Restored = append(r.Restored, m[1])
	}
	sort.Strings(r.Restored)
	for _, m := range timerLine.FindAllStringSubmatch(r.Logs, -1) {
		if d, err := time.ParseDuration(m[2]); err == nil {
			if r.Phases == nil {
				r.Phases = map[string]time.Duration{}
			}
			r.Phases[m[1]] += d
		}
	}
}
