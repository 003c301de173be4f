package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"

	"github.com/cnbkit/cnbkit/sdk/internal/cnb"
	"github.com/cnbkit/cnbkit/sdk/internal/table"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// Layers is the buildpack's layers directory (CNB_LAYERS_DIR) during build. Open layers with
// OpenLayer. When build returns without error, every opened layer is persisted (its
// <name>.toml with types and metadata, and its environment files), and layers from the
// previous build that were not opened are removed. Forgetting to hand a layer back is therefore
// impossible.
type Layers struct {
	path        string
	api         string
	sbomFormats []string
	log         *Logger

	mu       sync.Mutex
	previous map[string]bool // layer names with a <name>.toml at the start of build
	opened   map[string]layerPersister
	order    []string
}

type layerPersister interface {
	persist() error
	status() LayerStatus
}

// reservedLayerNames are files of the layers directory that are not layers.
var reservedLayerNames = map[string]bool{"launch": true, "build": true, "store": true, "sbom": true}

// newLayers scans dir for the layers the lifecycle restored.
func newLayers(dir, api string, sbomFormats []string, log *Logger) (*Layers, error) {
	l := &Layers{path: dir, api: api, sbomFormats: sbomFormats, log: log,
		previous: map[string]bool{}, opened: map[string]layerPersister{}}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading layers directory: %w", err)
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".toml")
		if !ok || e.IsDir() || reservedLayerNames[name] || strings.HasPrefix(name, ".") {
			continue
		}
		l.previous[name] = true
	}
	return l, nil
}

// Path returns the layers directory.
func (l *Layers) Path() string { return l.path }

// Previous returns the names of the layers the previous build left (restored by the
// lifecycle), sorted.
func (l *Layers) Previous() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	names := make([]string, 0, len(l.previous))
	for n := range l.previous {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LayerKind is what OpenLayer accepts for a layer's kind: a Needs (what the layer is for; the
// SDK picks the lifecycle's flags) or LayerTypes (the flags as the lifecycle reads them).
type LayerKind interface {
	// Types returns the lifecycle's layer types for the kind.
	Types() LayerTypes
}

// Needs declares who reads a layer's contents, and when. OpenLayer maps it to the lifecycle's
// layer types, and so to what an unchanged rebuild costs:
//
//   - Launch alone: launch=true. The layer is reused from the previous image by its metadata
//     alone: a rebuild restores none of its files and the exporter does not read them again.
//     The reused layer has no directory (HasContents is false); when this build needs its
//     files after all, fill it again with Refill (dependency.Refill does it for a dependency).
//   - Build: later buildpacks read it while they build. build=true and cache=true: the
//     lifecycle restores build layers only from the cache, so without cache=true the layer
//     would be rebuilt on every build.
//   - EveryBuild: this buildpack reads it on every build, even when nothing changed (e.g. to
//     run a build step with it). cache=true.
//
// Build and EveryBuild cost on every build: the lifecycle restores the layer file by file from
// the cache, then tars and hashes it again for the image and the cache. Keep what is needed
// only when something changes as a packed artifact instead (see the dependency package's
// KeepArtifact and Stash).
type Needs struct {
	Launch, Build, EveryBuild bool
}

// Types returns the lifecycle's layer types for n.
func (n Needs) Types() LayerTypes {
	return LayerTypes{Launch: n.Launch, Build: n.Build, Cache: n.Build || n.EveryBuild}
}

func (n Needs) String() string {
	var parts []string
	for _, p := range []struct {
		on   bool
		name string
	}{{n.Launch, "launch"}, {n.Build, "later buildpacks' build"}, {n.EveryBuild, "every build"}} {
		if p.on {
			parts = append(parts, p.name)
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

// LayerTypes says when a layer is available: during build of later buildpacks, in the app
// image, and cached for the next build. These are the flags of <layer>.toml as the lifecycle
// reads them; Needs says the same in terms of who reads the layer.
type LayerTypes struct {
	Build, Launch, Cache bool
}

// Types returns t.
func (t LayerTypes) Types() LayerTypes { return t }

func (t LayerTypes) spec() spec.LayerTypes {
	return spec.LayerTypes{Build: t.Build, Launch: t.Launch, Cache: t.Cache}
}

func (t LayerTypes) String() string {
	return fmt.Sprintf("build=%t launch=%t cache=%t", t.Build, t.Launch, t.Cache)
}

// Decision is what a restore function decides about a previous layer.
type Decision struct {
	keep   bool
	reason string
}

// Keep reuses the previous layer as it is.
func Keep() Decision { return Decision{keep: true} }

// Rebuild discards the previous layer; the reason is logged and reported in LayerStatus.
func Rebuild(format string, args ...any) Decision {
	return Decision{reason: fmt.Sprintf(format, args...)}
}

// ReasonKind classifies why a layer was reused or is new.
type ReasonKind int

const (
	// ReasonNoPrevious: there was no previous layer of that name.
	ReasonNoPrevious ReasonKind = iota
	// ReasonKept: the previous layer was reused.
	ReasonKept
	// ReasonMetadataChanged: no restore function, and the previous metadata differs from the wanted.
	ReasonMetadataChanged
	// ReasonInvalidated: the restore function returned Rebuild.
	ReasonInvalidated
	// ReasonTypesChanged: the previous layer had other types, or it came back without contents
	// (a launch-only layer) but the new types need them (build or cache).
	ReasonTypesChanged
	// ReasonUnreadable: the previous metadata does not decode into the metadata type.
	ReasonUnreadable
)

func (k ReasonKind) String() string {
	switch k {
	case ReasonNoPrevious:
		return "no previous layer"
	case ReasonKept:
		return "previous layer kept"
	case ReasonMetadataChanged:
		return "metadata changed"
	case ReasonInvalidated:
		return "invalidated"
	case ReasonTypesChanged:
		return "types changed"
	case ReasonUnreadable:
		return "previous metadata unreadable"
	}
	return fmt.Sprintf("ReasonKind(%d)", int(k))
}

// Reason says why a layer was reused or created.
type Reason struct {
	Kind   ReasonKind
	Detail string
}

func (r Reason) String() string {
	if r.Detail == "" {
		return r.Kind.String()
	}
	return r.Kind.String() + ": " + r.Detail
}

// LayerStatus says how OpenLayer got the layer.
type LayerStatus struct {
	Restored bool // the previous layer was kept
	Reason   Reason
}

// String is "reused: ...", "new: no previous layer" or "rebuilt: <reason>".
func (s LayerStatus) String() string {
	switch {
	case s.Restored:
		if s.Reason.Detail != "" {
			return "reused: " + s.Reason.Detail
		}
		return "reused: previous layer kept"
	case s.Reason.Kind == ReasonNoPrevious:
		return "new: " + s.Reason.String()
	default:
		return "rebuilt: " + s.Reason.String()
	}
}

// Layer is a layer opened for this build, with metadata of type M. OpenLayer may be called
// from several goroutines; one Layer and its Envs belong to one goroutine at a time.
type Layer[M any] struct {
	Name string
	Path string // <layers>/<name>; absent for a reused launch-only layer (see HasContents)
	// Types are the lifecycle's flags the layer is written with.
	Types LayerTypes
	// Metadata is written to <name>.toml at the end of build. It starts as the previous metadata
	// for a reused layer and as the wanted metadata otherwise; update it freely before build returns.
	Metadata M
	Status   LayerStatus

	layers      *Layers
	hasContents bool
	shared      *Env
	build       *Env
	launch      *Env
	process     map[string]*Env
}

// HasContents reports whether the layer directory is here. A reused launch-only layer
// (Needs{Launch: true}) comes back with its metadata only: the exporter reuses its contents
// from the previous image. Do not create its directory, or the exporter puts what the
// directory holds into the image instead; call Refill when this build needs the files.
func (l *Layer[M]) HasContents() bool { return l.hasContents }

// Refill gives a layer that was reused without contents an empty directory, for a build that
// needs the layer's files after all (CPython, to rebuild a virtual environment). Put the same
// files back: the exporter then finds the same layer digest and still reuses the previous
// image's layer; other files make a new layer, which is correct but not reused. The layer
// stays reused (Status and Metadata are unchanged) and its environment files are written again
// at the end of build. It does nothing for a layer that has its contents.
func (l *Layer[M]) Refill() error {
	if l.hasContents {
		return nil
	}
	if err := os.MkdirAll(l.Path, 0o755); err != nil {
		return fmt.Errorf("refilling layer %s: %w", l.Name, err)
	}
	l.hasContents = true
	l.layers.log.Debug("layer %s: refilled (its files are needed in this build)", l.Name)
	return nil
}

// OpenLayer opens the layer name of the given kind (a Needs, or LayerTypes) with the wanted
// metadata.
//
// When a previous layer of that name exists and its metadata decodes into M, restore decides
// with Keep or Rebuild. A nil restore keeps the layer when the previous metadata equals want
// (compared as TOML, so numbers and dates compare as written). A previous layer that came back
// without contents (launch-only) can be kept only with launch-only types. When the layer is not
// kept, its directory is emptied (or created).
//
// The layer is persisted automatically when build returns without error. Set its environment
// (and exec.d programs) on every build: they are written whenever the layer has its directory
// and left as the previous image has them when it was reused without contents, so put what
// they depend on into the metadata.
func OpenLayer[M any](layers *Layers, name string, kind LayerKind, want M, restore func(previous M) Decision) (*Layer[M], error) {
	if layers == nil {
		return nil, errors.New("opening layer: no layers directory (OpenLayer works in build only)")
	}
	if err := checkLayerName(name); err != nil {
		return nil, err
	}
	if kind == nil {
		return nil, fmt.Errorf("opening layer %q: no kind: pass an sdk.Needs saying who reads the layer", name)
	}
	if n, ok := kind.(Needs); ok && n == (Needs{}) {
		return nil, fmt.Errorf("opening layer %q: sdk.Needs{} says nobody reads it: set Launch, Build or EveryBuild", name)
	}
	types := kind.Types()
	// Reserve the name, then decide without holding the lock: restore is the author's code.
	layers.mu.Lock()
	if _, dup := layers.opened[name]; dup {
		layers.mu.Unlock()
		return nil, fmt.Errorf("opening layer %q: it is already open; open each layer once and keep the *Layer", name)
	}
	layers.opened[name] = nil
	layers.mu.Unlock()
	l, err := openLayer(layers, name, types, want, restore)
	layers.mu.Lock()
	defer layers.mu.Unlock()
	if err != nil {
		delete(layers.opened, name)
		return nil, err
	}
	layers.opened[name] = l
	layers.order = append(layers.order, name)
	return l, nil
}

func openLayer[M any](layers *Layers, name string, types LayerTypes, want M, restore func(previous M) Decision) (*Layer[M], error) {
	l := &Layer[M]{
		Name: name, Path: filepath.Join(layers.path, name), Types: types, layers: layers,
		shared: &Env{}, build: &Env{}, launch: &Env{}, process: map[string]*Env{},
	}
	status, previous, err := decideLayer(layers.path, name, types, want, restore)
	if err != nil {
		return nil, err
	}
	l.Status = status
	if status.Restored {
		l.Metadata = previous
		l.hasContents = dirExists(l.Path)
	} else {
		l.Metadata = want
		if err := resetLayer(layers.path, name); err != nil {
			return nil, err
		}
		l.hasContents = true
	}
	layers.log.Debug("layer %s (%s): %s", name, types, status)
	return l, nil
}

// decideLayer reads the previous layer and decides whether to keep it.
func decideLayer[M any](dir, name string, types LayerTypes, want M, restore func(M) Decision) (LayerStatus, M, error) {
	var zero M
	data, err := os.ReadFile(filepath.Join(dir, name+".toml"))
	if errors.Is(err, os.ErrNotExist) {
		return LayerStatus{Reason: Reason{Kind: ReasonNoPrevious}}, zero, nil
	}
	if err != nil {
		return LayerStatus{}, zero, fmt.Errorf("reading previous layer %s: %w", name, err)
	}
	// The metadata is read as a table first: numbers restored by the lifecycle are floats
	// (see table.FromLifecycle) and must still decode into the author's integer fields.
	var raw struct {
		Types    *spec.LayerTypes `toml:"types"`
		Metadata map[string]any   `toml:"metadata"`
	}
	if _, err := toml.Decode(string(data), &raw); err != nil {
		return LayerStatus{Reason: Reason{Kind: ReasonUnreadable, Detail: oneLine(err.Error())}}, zero, nil
	}
	previous, unknown, err := table.Decode[M](table.FromLifecycle(raw.Metadata), nil)
	if err != nil {
		return LayerStatus{Reason: Reason{Kind: ReasonUnreadable, Detail: oneLine(err.Error())}}, zero, nil
	}
	if len(unknown) > 0 {
		for i, k := range unknown {
			unknown[i] = "metadata." + k
		}
		return LayerStatus{Reason: Reason{Kind: ReasonUnreadable,
			Detail: "previous metadata has keys " + strings.Join(unknown, ", ") + " that " + typeName[M]() + " does not declare"}}, zero, nil
	}
	if raw.Types != nil && (*raw.Types != spec.LayerTypes{}) && *raw.Types != types.spec() {
		pt := LayerTypes{Build: raw.Types.Build, Launch: raw.Types.Launch, Cache: raw.Types.Cache}
		return LayerStatus{Reason: Reason{Kind: ReasonTypesChanged, Detail: fmt.Sprintf("was %s, now %s", pt, types)}}, zero, nil
	}
	if !dirExists(filepath.Join(dir, name)) && (types.Build || types.Cache || !types.Launch) {
		return LayerStatus{Reason: Reason{Kind: ReasonTypesChanged,
			Detail: fmt.Sprintf("the previous layer came back without contents (launch-only) and %s needs them", types)}}, zero, nil
	}
	if restore != nil {
		d := restore(previous)
		if d.keep {
			return LayerStatus{Restored: true, Reason: Reason{Kind: ReasonKept}}, previous, nil
		}
		return LayerStatus{Reason: Reason{Kind: ReasonInvalidated, Detail: d.reason}}, zero, nil
	}
	same, diff, err := sameMetadata(previous, want)
	if err != nil {
		return LayerStatus{}, zero, fmt.Errorf("comparing metadata of layer %s: %w", name, err)
	}
	if same {
		return LayerStatus{Restored: true, Reason: Reason{Kind: ReasonKept}}, previous, nil
	}
	return LayerStatus{Reason: Reason{Kind: ReasonMetadataChanged, Detail: diff}}, zero, nil
}

// sameMetadata compares two metadata values by their TOML tables and describes what differs.
func sameMetadata(previous, want any) (bool, string, error) {
	a, err := table.Encode(previous)
	if err != nil {
		return false, "", err
	}
	b, err := table.Encode(want)
	if err != nil {
		return false, "", err
	}
	if reflect.DeepEqual(a, b) {
		return true, "", nil
	}
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	var parts []string
	for _, k := range names {
		av, aok := a[k]
		bv, bok := b[k]
		switch {
		case !aok:
			parts = append(parts, fmt.Sprintf("%s: (none) -> %v", k, bv))
		case !bok:
			parts = append(parts, fmt.Sprintf("%s: %v -> (none)", k, av))
		case !reflect.DeepEqual(av, bv):
			parts = append(parts, fmt.Sprintf("%s: %v -> %v", k, av, bv))
		}
	}
	return false, strings.Join(parts, "; "), nil
}

// resetLayer removes a previous layer's files and creates its empty directory.
func resetLayer(dir, name string) error {
	if err := removeLayerFiles(dir, name); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
		return fmt.Errorf("creating layer %s: %w", name, err)
	}
	return nil
}

// removeLayerFiles removes <name>, <name>.toml and <name>.sbom.* from dir.
func removeLayerFiles(dir, name string) error {
	paths := []string{filepath.Join(dir, name), filepath.Join(dir, name+".toml")}
	sboms, _ := filepath.Glob(filepath.Join(dir, globEscape(name)+".sbom.*"))
	paths = append(paths, sboms...)
	for _, p := range paths {
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("removing previous layer %s: %w", name, err)
		}
	}
	return nil
}

func globEscape(s string) string {
	r := strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`)
	return r.Replace(s)
}

func checkLayerName(name string) error {
	switch {
	case name == "":
		return errors.New("opening layer: the name is empty")
	case reservedLayerNames[name]:
		return fmt.Errorf("opening layer %q: the name is reserved for %s.toml of the layers directory; choose another", name, name)
	case strings.ContainsAny(name, `/\`) || name == "." || name == ".." || strings.HasPrefix(name, "."):
		return fmt.Errorf("opening layer %q: use a plain name without slashes or a leading dot", name)
	case strings.HasSuffix(name, ".toml") || strings.Contains(name, ".sbom."):
		return fmt.Errorf("opening layer %q: the name may not end in .toml or contain .sbom.", name)
	}
	return nil
}

func dirExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// SharedEnv is the environment for both build (later buildpacks) and launch: <layer>/env.
func (l *Layer[M]) SharedEnv() *Env { return l.shared }

// BuildEnv is the environment for later buildpacks during build: <layer>/env.build.
func (l *Layer[M]) BuildEnv() *Env { return l.build }

// LaunchEnv is the environment of every process in the app image: <layer>/env.launch.
//
// Execution environments (Buildpack API 0.12) have no env directories of their own: neither
// the spec nor lifecycle v0.21 reads an exec-env scoped env.launch. A build makes an image for
// one CNB_EXEC_ENV, so write environment-specific variables by testing BuildRequest.ExecEnv,
// and put the ExecEnv into the layer's metadata (the spec's optional [metadata] exec-env list
// is a field `toml:"exec-env"` of M) so that a build for another environment rebuilds it.
func (l *Layer[M]) LaunchEnv() *Env { return l.launch }

// ProcessEnv is the launch environment of one process type: <layer>/env.launch/<process>.
func (l *Layer[M]) ProcessEnv(process string) *Env {
	e, ok := l.process[process]
	if !ok {
		e = &Env{process: process}
		l.process[process] = e
	}
	return e
}

// WriteExecD writes an exec.d program, <layer>/exec.d/<name>, mode 0755. The launcher runs it
// before each process and adds the TOML it writes to file descriptor 3 to the environment.
// On a layer reused without its contents it writes nothing: the previous image's layer keeps
// its exec.d programs, as it keeps its environment files.
func (l *Layer[M]) WriteExecD(name string, program io.Reader) error {
	if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		return fmt.Errorf("writing exec.d program %q of layer %s: use a plain file name", name, l.Name)
	}
	data, err := io.ReadAll(program)
	if err != nil {
		return fmt.Errorf("reading exec.d program %s: %w", name, err)
	}
	if !l.hasContents {
		return nil
	}
	dir := filepath.Join(l.Path, "exec.d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating exec.d of layer %s: %w", l.Name, err)
	}
	return cnb.WriteFileAtomic(filepath.Join(dir, name), data, 0o755)
}

// WriteSBOM writes the layer's software bill of materials, <layers>/<name>.sbom.<format>.
// The format's media type must be listed in buildpack.toml sbom-formats (the lifecycle
// rejects the build otherwise) and data must be JSON.
func (l *Layer[M]) WriteSBOM(format SBOMFormat, data []byte) error {
	return l.layers.writeSBOM(l.Name, format, data)
}

// WriteLaunchSBOM writes the SBOM of what the buildpack adds to the app image outside layers,
// <layers>/launch.sbom.<format>.
func (l *Layers) WriteLaunchSBOM(format SBOMFormat, data []byte) error {
	return l.writeSBOM("launch", format, data)
}

// WriteBuildSBOM writes the SBOM of what the buildpack used during build outside layers,
// <layers>/build.sbom.<format>.
func (l *Layers) WriteBuildSBOM(format SBOMFormat, data []byte) error {
	return l.writeSBOM("build", format, data)
}

func (l *Layers) writeSBOM(name string, format SBOMFormat, data []byte) error {
	mt, ok := format.MediaType()
	if !ok {
		return fmt.Errorf("writing SBOM of %s: unknown format %q: use sdk.CycloneDX, sdk.SPDX or sdk.Syft", name, string(format))
	}
	declared := false
	for _, f := range l.sbomFormats {
		if f == mt {
			declared = true
		}
	}
	if !declared {
		return &Error{
			Title:  "SBOM format not declared",
			Detail: fmt.Sprintf("the buildpack writes a %s SBOM for %s but buildpack.toml sbom-formats does not list %s", format, name, mt),
			Fixes:  []string{fmt.Sprintf("Add %q to sbom-formats in the [buildpack] table of buildpack.toml.", mt)},
		}
	}
	if !json.Valid(data) {
		return fmt.Errorf("writing %s SBOM of %s: the data is not valid JSON", format, name)
	}
	return cnb.WriteFileAtomic(filepath.Join(l.path, name+".sbom."+string(format)), data, 0o644)
}

// SBOMFormat is the file extension of an SBOM format.
type SBOMFormat string

// SBOM formats the lifecycle accepts.
const (
	CycloneDX SBOMFormat = "cdx.json"
	SPDX      SBOMFormat = "spdx.json"
	Syft      SBOMFormat = "syft.json"
)

// MediaType returns the media type buildpack.toml sbom-formats uses for f.
func (f SBOMFormat) MediaType() (string, bool) {
	switch f {
	case CycloneDX:
		return spec.MediaTypeCycloneDX, true
	case SPDX:
		return spec.MediaTypeSPDX, true
	case Syft:
		return spec.MediaTypeSyft, true
	}
	return "", false
}

func (l *Layer[M]) status() LayerStatus { return l.Status }

// persist writes the layer's environment files and <name>.toml. A layer reused without its
// contents keeps the environment files of the previous image's layer: its environment is
// written only when the layer has its directory (new, rebuilt or refilled).
func (l *Layer[M]) persist() error {
	if !l.hasContents && dirExists(l.Path) {
		return fmt.Errorf("persisting layer %s: it was reused without its contents, but its directory was created: "+
			"the exporter would put only what the directory holds into the image; call Refill before writing into a reused layer, and put all its files back", l.Name)
	}
	envDirs := []struct {
		dir string
		env *Env
	}{{"env", l.shared}, {"env.build", l.build}, {"env.launch", l.launch}}
	procs := make([]string, 0, len(l.process))
	for p := range l.process {
		procs = append(procs, p)
	}
	sort.Strings(procs)
	launchOps := append([]cnb.EnvOp(nil), l.launch.ops...)
	for _, p := range procs {
		launchOps = append(launchOps, l.process[p].ops...)
	}
	envDirs[2].env = &Env{ops: launchOps}
	for _, d := range envDirs {
		if len(d.env.ops) == 0 {
			continue
		}
		files, err := cnb.EnvFiles(d.env.ops)
		if err != nil {
			return fmt.Errorf("persisting layer %s %s: %w", l.Name, d.dir, err)
		}
		if !l.hasContents {
			continue
		}
		if err := cnb.WriteEnvDir(filepath.Join(l.Path, d.dir), files); err != nil {
			return fmt.Errorf("persisting layer %s: %w", l.Name, err)
		}
	}
	md, err := table.Encode(l.Metadata)
	if err != nil {
		return fmt.Errorf("persisting layer %s: metadata: %w", l.Name, err)
	}
	return cnb.WriteLayerTOML(filepath.Join(l.layers.path, l.Name+".toml"), l.Types.spec(), md)
}

// finish persists every opened layer and removes previous layers that were not opened.
func (l *Layers) finish() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, name := range l.order {
		if err := l.opened[name].persist(); err != nil {
			return err
		}
	}
	var stale []string
	for name := range l.previous {
		if _, ok := l.opened[name]; !ok {
			stale = append(stale, name)
		}
	}
	sort.Strings(stale)
	for _, name := range stale {
		l.log.Debug("removing layer %s: this build did not open it", name)
		if err := removeLayerFiles(l.path, name); err != nil {
			return err
		}
	}
	return nil
}

// statuses returns the status of every opened layer.
func (l *Layers) statuses() map[string]LayerStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]LayerStatus, len(l.opened))
	for n, p := range l.opened {
		if p != nil {
			out[n] = p.status()
		}
	}
	return out
}

// Env collects environment modifications of a layer; they are written as files when build
// ends, named as the Buildpack Interface spec says (NAME.append, NAME.delim, ...).
type Env struct {
	process string
	ops     []cnb.EnvOp
}

// Append appends value to NAME, separated from the existing value by delim.
func (e *Env) Append(name, delim, value string) {
	e.ops = append(e.ops, cnb.EnvOp{Process: e.process, Name: name, Action: "append", Delim: delim, Value: value})
}

// Prepend puts value in front of NAME, separated from the existing value by delim.
func (e *Env) Prepend(name, delim, value string) {
	e.ops = append(e.ops, cnb.EnvOp{Process: e.process, Name: name, Action: "prepend", Delim: delim, Value: value})
}

// Override sets NAME to value, replacing any existing value.
func (e *Env) Override(name, value string) {
	e.ops = append(e.ops, cnb.EnvOp{Process: e.process, Name: name, Action: "override", Value: value})
}

// Default sets NAME to value unless it is already set.
func (e *Env) Default(name, value string) {
	e.ops = append(e.ops, cnb.EnvOp{Process: e.process, Name: name, Action: "default", Value: value})
}

// PrependPath prepends a directory to PATH-like variable name with the OS list separator.
func (e *Env) PrependPath(name, dir string) { e.Prepend(name, string(os.PathListSeparator), dir) }

// writeTOML encodes v and writes it atomically.
func writeTOML(path string, v any) error {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(v); err != nil {
		return fmt.Errorf("encoding %s: %w", filepath.Base(path), err)
	}
	return cnb.WriteFileAtomic(path, buf.Bytes(), 0o644)
}
