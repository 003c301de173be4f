package packager

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/cnbkit/cnbkit/packager/internal/format"
	"github.com/cnbkit/cnbkit/packager/internal/sink"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// FolderName is the folder of target t when a package is written as folders for several
// targets: <name>-<os>-<arch>[-<variant>][-<distro>-<version>].
func FolderName(name string, t spec.Target) string {
	return strings.TrimSuffix(FileName(filepath.Clean(name), t), ".cnb")
}

// FolderSink writes the compiled buildpack as a plain folder, ready for tools that package
// a buildpack folder themselves (`pack buildpack package --path`, a builder.toml uri): the
// files of the buildpack's layer, buildpack.toml, bin/build and bin/detect compiled for the
// target, and the bundled dependencies. A folder is not a buildpackage: it cannot be
// signed (Signing refuses it), and a composite buildpack, which has no folder of its own,
// is refused.
type FolderSink struct {
	// Name is the folder for one target; with several, each target gets the folder named by
	// FolderName.
	Name string
}

// Write writes one folder per target. Each folder is written to a temporary folder beside
// it and renamed into place; a path that exists and is not an empty folder is refused
// before anything is written.
func (s FolderSink) Write(ctx context.Context, p *Package) ([]Output, error) {
	type job struct {
		dest  string
		img   Image
		layer v1.Layer
	}
	var jobs []job
	for _, img := range p.Images {
		dest := filepath.Clean(s.Name)
		if len(p.Images) > 1 {
			dest = FolderName(s.Name, img.Target)
		}
		l, err := p.buildpackLayer(img)
		if err != nil {
			return nil, err
		}
		if err := sink.CheckFolder(dest); err != nil {
			return nil, err
		}
		jobs = append(jobs, job{dest: dest, img: img, layer: l})
	}
	var outs []Output
	for _, j := range jobs {
		if err := sink.WriteFolder(ctx, j.dest, j.layer, path.Join("/cnb/buildpacks", spec.DirName(p.ID), p.Version)); err != nil {
			return outs, fmt.Errorf("writing folder %s: %w", j.dest, err)
		}
		d, err := j.img.digest()
		if err != nil {
			return outs, err
		}
		outs = append(outs, Output{Kind: FormatFolder, Location: j.dest, Digest: d, Targets: []string{j.img.Target.String()}})
	}
	return outs, nil
}

// buildpackLayer returns the layer of the packaged buildpack itself in img.
func (p *Package) buildpackLayer(img Image) (v1.Layer, error) {
	cfg, err := img.Image.ConfigFile()
	if err != nil {
		return nil, err
	}
	_, labels, err := format.Labels(cfg)
	if err != nil {
		return nil, err
	}
	info, ok := labels.Get(p.ID, p.Version)
	if !ok {
		return nil, fmt.Errorf("the %s image holds no layer of %s@%s", img.Target, p.ID, p.Version)
	}
	if len(info.Order) > 0 {
		return nil, fmt.Errorf("%s@%s is a composite buildpack: a folder holds one buildpack, so FormatFolder cannot write it; write a .cnb file (FormatFile) or an OCI layout (FormatLayout), which hold its components too", p.ID, p.Version)
	}
	h, err := v1.NewHash(info.LayerDiffID)
	if err != nil {
		return nil, fmt.Errorf("layer diff ID of %s@%s: %w", p.ID, p.Version, err)
	}
	return img.Image.LayerByDiffID(h)
}
