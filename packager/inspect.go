package packager

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/cnbkit/cnbkit/internal/ctxio"
	"github.com/cnbkit/cnbkit/packager/internal/format"
	"github.com/cnbkit/cnbkit/packager/internal/source"
	"github.com/cnbkit/cnbkit/sdk/dependency"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// SourceKind says where Inspect and Verify read a package from.
type SourceKind string

// The places a package is read from.
const (
	SourceFile     SourceKind = SourceKind(source.KindFile)     // a .cnb file
	SourceLayout   SourceKind = SourceKind(source.KindLayout)   // an OCI layout folder
	SourceRegistry SourceKind = SourceKind(source.KindRegistry) // an image reference
)

// Info describes a buildpackage read back by Inspect.
type Info struct {
	// Source is what was inspected, and Kind where it was.
	Source string     `json:"source"`
	Kind   SourceKind `json:"kind"`
	// Digest and MediaType are those of the top manifest (image or index), when known.
	Digest    string `json:"digest,omitempty"`
	MediaType string `json:"mediaType,omitempty"`
	// ID, Version, Name, Homepage, Description come from the package metadata label.
	ID          string   `json:"id"`
	Version     string   `json:"version"`
	Name        string   `json:"name,omitempty"`
	Homepage    string   `json:"homepage,omitempty"`
	Description string   `json:"description,omitempty"`
	Stacks      []string `json:"stacks,omitempty"`
	// Images has one entry per image (target) of the package.
	Images []ImageInfo `json:"images"`
	// Buildpacks lists the buildpacks of the first image, sorted by id and version.
	Buildpacks []BuildpackInfo `json:"buildpacks"`
	// Files are the files Inspect read with their sha256: the .cnb file, or the index.json
	// of a layout (its blobs are named by their digests already).
	Files []FileDigest `json:"files,omitempty"`
}

// FileDigest is a file read by Inspect and its digest.
type FileDigest struct {
	Path   string `json:"path"`
	Digest string `json:"digest"`
}

// BundledDependency is a dependency artifact bundled into a buildpack of the package
// (cnbkit package --include-dependencies).
type BundledDependency struct {
	// Buildpack is the id@version of the buildpack that holds it.
	Buildpack string `json:"buildpack"`
	// ID, Version and Target are those of its entry in the buildpack's inventory; empty when
	// the buildpack.toml in the layer lists no entry with its checksum.
	ID      string `json:"id,omitempty"`
	Version string `json:"version,omitempty"`
	Target  string `json:"target,omitempty"`
	// File is its path in the buildpack (dependencies/<sha256>/<name>), Size its size.
	File   string `json:"file"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ImageInfo is one image of a package.
type ImageInfo struct {
	Platform string      `json:"platform"`
	Digest   string      `json:"digest"`
	Layers   []LayerInfo `json:"layers"`
	// Labels are the image config labels as stored (the two buildpackage labels are JSON).
	Labels map[string]string `json:"labels"`
	// Dependencies are the artifacts bundled into the image's buildpacks, sorted by
	// buildpack, id and version.
	Dependencies []BundledDependency `json:"dependencies,omitempty"`
}

// LayerInfo is one layer of an image and the buildpacks it holds.
type LayerInfo struct {
	DiffID     string   `json:"diffID"`
	Digest     string   `json:"digest"`
	Size       int64    `json:"size"`
	Buildpacks []string `json:"buildpacks"`
}

// BuildpackInfo is one buildpack of a package.
type BuildpackInfo struct {
	ID          string          `json:"id"`
	Version     string          `json:"version"`
	Name        string          `json:"name,omitempty"`
	API         string          `json:"api"`
	Homepage    string          `json:"homepage,omitempty"`
	Targets     []string        `json:"targets,omitempty"`
	Stacks      []string        `json:"stacks,omitempty"`
	Order       [][]OrderMember `json:"order,omitempty"`
	LayerDiffID string          `json:"layerDiffID"`
}

// OrderMember is one entry of a group of an order.
type OrderMember struct {
	ID       string `json:"id"`
	Version  string `json:"version,omitempty"`
	Optional bool   `json:"optional,omitempty"`
}

// Inspect reads a .cnb file, an OCI layout directory or an image reference (tried in that
// order) and describes the buildpackage. Every blob read is verified against its digest:
// for a file or a layout that includes every layer (a local read), so a package altered
// after it was written fails here with a *DigestError naming the file and the blob.
// Layers of a registry image are not downloaded; the registry client verifies what it reads.
func Inspect(ctx context.Context, ref string, o RegistryOptions) (*Info, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	p, err := source.Open(ctx, ref, o.sink().Options(ctx)...)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	info := &Info{Source: ref, Kind: SourceKind(p.Kind), MediaType: string(p.MediaType)}
	switch p.Kind {
	case source.KindFile:
		d, err := fileDigest(ref)
		if err != nil {
			return nil, err
		}
		info.Files = append(info.Files, FileDigest{Path: ref, Digest: d})
	case source.KindLayout:
		index := filepath.Join(ref, "index.json")
		d, err := fileDigest(index)
		if err != nil {
			return nil, err
		}
		info.Files = append(info.Files, FileDigest{Path: index, Digest: d})
	}
	if p.Digest.Hex != "" {
		info.Digest = p.Digest.String()
	}
	for i, img := range p.Images {
		cfg, err := img.Image.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("reading image config of %s: %w", ref, err)
		}
		meta, layers, err := format.Labels(cfg)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		ii := ImageInfo{Platform: source.PlatformString(img.Platform), Digest: img.Digest.String(), Labels: cfg.Config.Labels}
		m, err := img.Image.Manifest()
		if err != nil {
			return nil, fmt.Errorf("reading manifest of %s: %w", ref, err)
		}
		if len(m.Layers) != len(cfg.RootFS.DiffIDs) {
			return nil, fmt.Errorf("%s: the manifest lists %d layers but the config %d diff IDs", ref, len(m.Layers), len(cfg.RootFS.DiffIDs))
		}
		holders := map[string][]string{}
		for id, versions := range layers {
			for v, l := range versions {
				holders[l.LayerDiffID] = append(holders[l.LayerDiffID], id+"@"+v)
			}
		}
		if p.Kind != source.KindRegistry {
			if err := verifyLayers(ctx, img); err != nil {
				return nil, err
			}
		}
		for j, d := range cfg.RootFS.DiffIDs {
			bps := holders[d.String()]
			sort.Strings(bps)
			ii.Layers = append(ii.Layers, LayerInfo{DiffID: d.String(), Digest: m.Layers[j].Digest.String(), Size: m.Layers[j].Size, Buildpacks: bps})
			if len(bps) == 0 {
				continue
			}
			l, err := img.Image.LayerByDiffID(d)
			if err != nil {
				return nil, fmt.Errorf("%s: layer %s: %w", ref, d, err)
			}
			deps, err := bundledDependencies(ctx, l, layers)
			if err != nil {
				return nil, fmt.Errorf("%s: reading layer %s: %w", ref, d, err)
			}
			ii.Dependencies = append(ii.Dependencies, deps...)
		}
		sort.Slice(ii.Dependencies, func(a, b int) bool {
			x, y := ii.Dependencies[a], ii.Dependencies[b]
			return x.Buildpack+"\x00"+x.ID+"\x00"+x.Version+"\x00"+x.File < y.Buildpack+"\x00"+y.ID+"\x00"+y.Version+"\x00"+y.File
		})
		info.Images = append(info.Images, ii)
		if i > 0 {
			continue
		}
		info.ID, info.Version, info.Name, info.Homepage, info.Description = meta.ID, meta.Version, meta.Name, meta.Homepage, meta.Description
		for _, s := range meta.Stacks {
			info.Stacks = append(info.Stacks, s.ID)
		}
		for id, versions := range layers {
			for v, l := range versions {
				b := BuildpackInfo{ID: id, Version: v, Name: l.Name, API: l.API, Homepage: l.Homepage, LayerDiffID: l.LayerDiffID}
				for _, t := range l.Targets {
					b.Targets = append(b.Targets, t.Spec().String())
				}
				for _, s := range l.Stacks {
					b.Stacks = append(b.Stacks, s.ID)
				}
				for _, o := range l.Order {
					var g []OrderMember
					for _, m := range o.Group {
						g = append(g, OrderMember{ID: m.ID, Version: m.Version, Optional: m.Optional})
					}
					b.Order = append(b.Order, g)
				}
				info.Buildpacks = append(info.Buildpacks, b)
			}
		}
		sort.Slice(info.Buildpacks, func(i, j int) bool {
			if info.Buildpacks[i].ID != info.Buildpacks[j].ID {
				return info.Buildpacks[i].ID < info.Buildpacks[j].ID
			}
			return info.Buildpacks[i].Version < info.Buildpacks[j].Version
		})
	}
	return info, nil
}

// Buildpack returns the buildpack id@version of the package, if present.
func (i *Info) Buildpack(id, version string) (BuildpackInfo, bool) {
	for _, b := range i.Buildpacks {
		if b.ID == id && b.Version == version {
			return b, true
		}
	}
	return BuildpackInfo{}, false
}

// verifyLayers reads every layer of img once, checking its digest, size and diff ID.
func verifyLayers(ctx context.Context, img source.Image) error {
	layers, err := img.Image.Layers()
	if err != nil {
		return err
	}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		_, err = ctxio.Copy(ctx, io.Discard, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// fileDigest is the sha256 of a file, as "sha256:<hex>".
func fileDigest(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", p, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// bundledDependencies lists the artifacts under /cnb/buildpacks/<dir>/<version>/dependencies/
// of a buildpack layer, named by the inventory of the buildpack.toml in the same layer.
func bundledDependencies(ctx context.Context, l v1.Layer, labels format.Layers) ([]BundledDependency, error) {
	owners := map[string]string{} // "/cnb/buildpacks/<dir>/<version>/" -> id@version
	for id, versions := range labels {
		for v := range versions {
			owners[path.Join("/cnb/buildpacks", spec.DirName(id), v)+"/"] = id + "@" + v
		}
	}
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var deps []BundledDependency
	descriptors := map[string][]byte{} // buildpack root -> buildpack.toml
	tr := tar.NewReader(rc)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		name := path.Clean("/" + h.Name)
		for root, owner := range owners {
			rel, ok := strings.CutPrefix(name, root)
			if !ok {
				continue
			}
			switch {
			case rel == spec.BuildpackFile && h.Typeflag == tar.TypeReg:
				data, err := io.ReadAll(io.LimitReader(tr, 16<<20))
				if err != nil {
					return nil, err
				}
				descriptors[root] = data
			case h.Typeflag == tar.TypeReg && strings.HasPrefix(rel, dependency.BundleDirName+"/") && strings.Count(rel, "/") == 2:
				sum := strings.Split(rel, "/")[1]
				deps = append(deps, BundledDependency{Buildpack: owner, File: rel, Size: h.Size, SHA256: sum})
			}
		}
	}
	for i, d := range deps {
		root := ""
		for r, owner := range owners {
			if owner == d.Buildpack {
				root = r
			}
		}
		inv, err := dependency.ParseInventory(descriptors[root])
		if err != nil {
			continue // the buildpack.toml was validated when packaged; name what can be named
		}
		for _, e := range inv {
			if e.SHA256 == d.SHA256 {
				deps[i].ID, deps[i].Version, deps[i].Target = e.ID, e.Version, e.Target.String()
				break
			}
		}
	}
	return deps, nil
}
