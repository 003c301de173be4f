package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/BurntSushi/toml"
	"github.com/cnbkit/cnbkit/internal/fstree"
	"github.com/cnbkit/cnbkit/sdk/spec"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Labels of a buildpackage image, as pack writes and reads them.
const (
	labelBuildpackLayers   = "io.buildpacks.buildpack.layers"
	labelBuildpackMetadata = "io.buildpacks.buildpackage.metadata"
)

// Buildpack is a buildpack given to [Harness.Build]: a directory, a .cnb file or an image in a
// registry. Make one with [BuildpackDir], [BuildpackFile] or [BuildpackImage].
type Buildpack struct {
	kind string // "dir", "file", "image"
	src  string
}

// BuildpackDir is a buildpack directory as the lifecycle runs it: buildpack.toml and an
// executable bin/detect and bin/build (compiled or scripts). A composite buildpack directory
// (buildpack.toml with [[order]]) needs its components given too.
func BuildpackDir(dir string) Buildpack { return Buildpack{kind: "dir", src: dir} }

// BuildpackFile is a .cnb file: an uncompressed tar of an OCI layout holding a buildpackage
// (what `pack buildpack package --format file` and `cnbkit package` write). Every buildpack in
// it is installed; the top-level one goes into the default order.
func BuildpackFile(path string) Buildpack { return Buildpack{kind: "file", src: path} }

// BuildpackImage is a buildpackage image in a registry, e.g. one pushed to [Registry].
func BuildpackImage(ref string) Buildpack { return Buildpack{kind: "image", src: ref} }

// String describes the buildpack source for messages.
func (b Buildpack) String() string { return b.kind + " " + b.src }

// BuildpackRef names a buildpack in an order group.
type BuildpackRef struct {
	ID, Version string
	Optional    bool
}

// install puts the buildpack under cnb/buildpacks/<id>/<version> and returns the top-level
// buildpack's reference.
func (b Buildpack) install(ctx context.Context, cnb string) (BuildpackRef, error) {
	switch b.kind {
	case "dir":
		return installDir(ctx, b.src, cnb)
	case "file":
		img, cleanup, err := imageFromCNB(b.src)
		if err != nil {
			return BuildpackRef{}, err
		}
		defer cleanup()
		return installImage(img, cnb)
	case "image":
		ref, err := name.ParseReference(b.src)
		if err != nil {
			return BuildpackRef{}, fmt.Errorf("parsing buildpack image reference %q: %w", b.src, err)
		}
		img, err := remote.Image(ref, remote.WithContext(ctx))
		if err != nil {
			return BuildpackRef{}, fmt.Errorf("pulling buildpack image %s: %w", b.src, err)
		}
		return installImage(img, cnb)
	}
	return BuildpackRef{}, fmt.Errorf("unknown buildpack source %q: use BuildpackDir, BuildpackFile or BuildpackImage", b.kind)
}

func installDir(ctx context.Context, dir, cnb string) (BuildpackRef, error) {
	var desc struct {
		Buildpack struct{ ID, Version string } `toml:"buildpack"`
	}
	if _, err := toml.DecodeFile(filepath.Join(dir, spec.BuildpackFile), &desc); err != nil {
		return BuildpackRef{}, fmt.Errorf("reading buildpack directory %s: %w", dir, err)
	}
	id, version := desc.Buildpack.ID, desc.Buildpack.Version
	if id == "" || version == "" {
		return BuildpackRef{}, fmt.Errorf("buildpack directory %s: buildpack.toml has no [buildpack] id or version", dir)
	}
	dst := filepath.Join(cnb, "buildpacks", spec.DirName(id), version)
	if _, err := os.Stat(dst); err == nil {
		return BuildpackRef{}, fmt.Errorf("buildpack %s@%s given twice", id, version)
	}
	// The lifecycle reads the buildpack as the build user.
	if err := fstree.Copy(ctx, dir, dst, fstree.Options{ReadableByAll: true}); err != nil {
		return BuildpackRef{}, fmt.Errorf("copying buildpack %s: %w", dir, err)
	}
	return BuildpackRef{ID: id, Version: version}, nil
}

// imageFromCNB unpacks a .cnb (a tar of an OCI layout) and returns its first image.
func imageFromCNB(path string) (v1.Image, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("opening buildpack file: %w", err)
	}
	defer f.Close()
	dir, err := os.MkdirTemp("", "cnbkit-cnb-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	if err := extractTar(f, dir, ""); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("unpacking %s: %w", path, err)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("%s is not an OCI layout tar (no oci-layout or index.json): %w", path, err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	m, err := idx.IndexManifest()
	if err != nil || len(m.Manifests) == 0 {
		cleanup()
		return nil, nil, fmt.Errorf("reading %s: index.json lists no image", path)
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("reading %s: the first manifest is not an image: %w", path, err)
	}
	return img, cleanup, nil
}

// installImage extracts every layer of a buildpackage (entries under /cnb/) into cnb.
func installImage(img v1.Image, cnb string) (BuildpackRef, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return BuildpackRef{}, fmt.Errorf("reading buildpackage config: %w", err)
	}
	layersLabel, ok := cf.Config.Labels[labelBuildpackLayers]
	if !ok {
		return BuildpackRef{}, fmt.Errorf("not a buildpackage: the image has no %s label", labelBuildpackLayers)
	}
	var layers map[string]map[string]json.RawMessage
	if err := json.Unmarshal([]byte(layersLabel), &layers); err != nil {
		return BuildpackRef{}, fmt.Errorf("decoding label %s: %w", labelBuildpackLayers, err)
	}
	var meta struct{ ID, Version string }
	if err := json.Unmarshal([]byte(cf.Config.Labels[labelBuildpackMetadata]), &meta); err != nil || meta.ID == "" {
		// Without the package metadata, a package with a single buildpack is still usable.
		ids := slices.Sorted(maps.Keys(layers))
		if len(ids) != 1 || len(layers[ids[0]]) != 1 {
			return BuildpackRef{}, fmt.Errorf("buildpackage has no usable %s label and holds %d buildpacks: cannot tell the top-level one", labelBuildpackMetadata, len(ids))
		}
		meta.ID = ids[0]
		for v := range layers[ids[0]] {
			meta.Version = v
		}
	}
	ls, err := img.Layers()
	if err != nil {
		return BuildpackRef{}, err
	}
	for _, l := range ls {
		rc, err := l.Uncompressed()
		if err != nil {
			return BuildpackRef{}, fmt.Errorf("reading buildpackage layer: %w", err)
		}
		err = extractTar(rc, cnb, "cnb")
		rc.Close()
		if err != nil {
			return BuildpackRef{}, fmt.Errorf("extracting buildpackage layer: %w", err)
		}
	}
	if _, err := os.Stat(filepath.Join(cnb, "buildpacks", spec.DirName(meta.ID), meta.Version, spec.BuildpackFile)); err != nil {
		return BuildpackRef{}, fmt.Errorf("buildpackage %s@%s: its layers hold no /cnb/buildpacks/%s/%s/buildpack.toml", meta.ID, meta.Version, spec.DirName(meta.ID), meta.Version)
	}
	return BuildpackRef{ID: meta.ID, Version: meta.Version}, nil
}
