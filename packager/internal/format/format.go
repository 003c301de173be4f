package format

import (
	"encoding/json"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/cnbkit/cnbkit/sdk/spec"
)

// Label names.
const (
	MetadataLabel = "io.buildpacks.buildpackage.metadata"
	LayersLabel   = "io.buildpacks.buildpack.layers"
)

// Created is the creation time written in image configs.
var Created = time.Date(1980, time.January, 1, 0, 0, 1, 0, time.UTC)

// ModuleInfo is what both labels say of a buildpack: the fields of its [buildpack] table.
// Metadata and ModuleRef embed it, so its fields are written inline, first.
type ModuleInfo struct {
	ID          string    `json:"id,omitempty"`
	Name        string    `json:"name,omitempty"`
	Version     string    `json:"version,omitempty"`
	Description string    `json:"description,omitempty"`
	Homepage    string    `json:"homepage,omitempty"`
	Keywords    []string  `json:"keywords,omitempty"`
	ExecEnv     []string  `json:"exec-env,omitempty"`
	Licenses    []License `json:"licenses,omitempty"`
	ClearEnv    bool      `json:"clear-env,omitempty"`
}

// Metadata is the io.buildpacks.buildpackage.metadata label.
type Metadata struct {
	ModuleInfo
	Stacks []Stack `json:"stacks"`
}

// License is spelled with capitalised keys in pack's labels.
type License struct {
	Type string
	URI  string
}

// Stack is a deprecated stack entry.
type Stack struct {
	ID     string   `json:"id"`
	Mixins []string `json:"mixins,omitempty"`
}

// Target is a target as the layers label writes it.
type Target struct {
	OS      string   `json:"os"`
	Arch    string   `json:"arch"`
	Variant string   `json:"variant,omitempty"`
	Distros []Distro `json:"distros,omitempty"`
}

// Distro is a distribution of a target.
type Distro struct {
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
}

// ModuleRef is a group entry of an order.
type ModuleRef struct {
	ModuleInfo
	Optional bool `json:"optional,omitempty"`
}

// OrderEntry is one order of a composite buildpack.
type OrderEntry struct {
	Group []ModuleRef `json:"group"`
}

// LayerInfo describes one buildpack of the package.
type LayerInfo struct {
	API         string       `json:"api"`
	Stacks      []Stack      `json:"stacks,omitempty"`
	Targets     []Target     `json:"targets,omitempty"`
	Order       []OrderEntry `json:"order,omitempty"`
	LayerDiffID string       `json:"layerDiffID"`
	Homepage    string       `json:"homepage,omitempty"`
	Name        string       `json:"name,omitempty"`
}

// Layers is the io.buildpacks.buildpack.layers label: id → version → info.
type Layers map[string]map[string]LayerInfo

// Add records a buildpack.
func (l Layers) Add(id, version string, info LayerInfo) {
	if l[id] == nil {
		l[id] = map[string]LayerInfo{}
	}
	l[id][version] = info
}

// Get returns the info of id@version.
func (l Layers) Get(id, version string) (LayerInfo, bool) {
	info, ok := l[id][version]
	return info, ok
}

// MetadataFor returns the package metadata of a buildpack descriptor with resolved stacks.
func MetadataFor(bp spec.Buildpack, stacks []Stack) Metadata {
	m := Metadata{
		ModuleInfo: ModuleInfo{
			ID: bp.Info.ID, Name: bp.Info.Name, Version: bp.Info.Version, Description: bp.Info.Description,
			Homepage: bp.Info.Homepage, Keywords: bp.Info.Keywords, ExecEnv: bp.Info.ExecEnv,
			ClearEnv: bp.Info.ClearEnv,
		},
		Stacks: stacks,
	}
	for _, l := range bp.Info.Licenses {
		m.Licenses = append(m.Licenses, License{Type: l.Type, URI: l.URI})
	}
	if m.Stacks == nil {
		m.Stacks = []Stack{}
	}
	return m
}

// LayerInfoFor returns the layers label entry of a buildpack descriptor.
func LayerInfoFor(bp spec.Buildpack, diffID string) LayerInfo {
	info := LayerInfo{API: bp.API, LayerDiffID: diffID, Homepage: bp.Info.Homepage, Name: bp.Info.Name}
	info.Stacks = StacksOf(bp)
	for _, t := range bp.Targets {
		info.Targets = append(info.Targets, TargetOf(t))
	}
	for _, o := range bp.Order {
		var e OrderEntry
		for _, g := range o.Group {
			e.Group = append(e.Group, ModuleRef{ModuleInfo: ModuleInfo{ID: g.ID, Version: g.Version}, Optional: g.Optional})
		}
		info.Order = append(info.Order, e)
	}
	return info
}

// StacksOf converts the deprecated stacks of a descriptor.
func StacksOf(bp spec.Buildpack) []Stack {
	var out []Stack
	for _, s := range bp.Stacks {
		out = append(out, Stack{ID: s.ID, Mixins: s.Mixins})
	}
	return out
}

// TargetOf converts a spec target.
func TargetOf(t spec.Target) Target {
	out := Target{OS: t.OS, Arch: t.Arch, Variant: t.Variant}
	for _, d := range t.Distros {
		out.Distros = append(out.Distros, Distro{Name: d.Name, Version: d.Version})
	}
	return out
}

// Spec converts back to a spec target.
func (t Target) Spec() spec.Target {
	out := spec.Target{OS: t.OS, Arch: t.Arch, Variant: t.Variant}
	for _, d := range t.Distros {
		out.Distros = append(out.Distros, spec.Distro{Name: d.Name, Version: d.Version})
	}
	return out
}

// Platform is the image platform of a concrete target (one distro at most).
func Platform(t spec.Target) v1.Platform {
	p := v1.Platform{OS: t.OS, Architecture: t.Arch, Variant: t.Variant}
	if len(t.Distros) == 1 {
		p.OSVersion = t.Distros[0].Version
	}
	return p
}

// Image assembles a buildpackage image for target t from its layers, in order, and labels.
func Image(t spec.Target, layers []v1.Layer, meta Metadata, bpLayers Layers) (v1.Image, error) {
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("encoding %s label: %w", MetadataLabel, err)
	}
	layersJSON, err := json.Marshal(bpLayers)
	if err != nil {
		return nil, fmt.Errorf("encoding %s label: %w", LayersLabel, err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	p := Platform(t)
	cfg.OS, cfg.Architecture, cfg.Variant, cfg.OSVersion = p.OS, p.Architecture, p.Variant, p.OSVersion
	cfg.Created = v1.Time{Time: Created}
	cfg.Config.Labels = map[string]string{MetadataLabel: string(metaJSON), LayersLabel: string(layersJSON)}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, err
	}
	adds := make([]mutate.Addendum, len(layers))
	for i, l := range layers {
		adds[i] = mutate.Addendum{Layer: l, MediaType: types.OCILayer, History: v1.History{Created: v1.Time{Time: Created}}}
	}
	img, err = mutate.Append(img, adds...)
	if err != nil {
		return nil, fmt.Errorf("assembling image: %w", err)
	}
	return img, nil
}

// Labels reads both labels of a buildpackage image config.
func Labels(cfg *v1.ConfigFile) (Metadata, Layers, error) {
	var meta Metadata
	layers := Layers{}
	raw, ok := cfg.Config.Labels[MetadataLabel]
	if !ok {
		return meta, nil, fmt.Errorf("the image has no %s label: it is not a buildpackage", MetadataLabel)
	}
	if err := json.Unmarshal([]byte(raw), &meta); err != nil {
		return meta, nil, fmt.Errorf("decoding %s label: %w", MetadataLabel, err)
	}
	raw, ok = cfg.Config.Labels[LayersLabel]
	if !ok {
		return meta, nil, fmt.Errorf("the image has no %s label: it is not a buildpackage", LayersLabel)
	}
	if err := json.Unmarshal([]byte(raw), &layers); err != nil {
		return meta, nil, fmt.Errorf("decoding %s label: %w", LayersLabel, err)
	}
	return meta, layers, nil
}
