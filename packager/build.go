package packager

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/cnbkit/cnbkit/packager/internal/compile"
	"github.com/cnbkit/cnbkit/packager/internal/format"
	"github.com/cnbkit/cnbkit/packager/internal/layer"
	"github.com/cnbkit/cnbkit/packager/internal/selection"
	"github.com/cnbkit/cnbkit/packager/internal/source"
	"github.com/cnbkit/cnbkit/packager/internal/workdir"
	"github.com/cnbkit/cnbkit/sdk/dependency"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// Package is a built buildpackage: one image per target. Close it to remove its
// temporary files.
type Package struct {
	// ID and Version are those of the packaged buildpack.
	ID, Version string
	// Images holds one image per target, in the order the targets were resolved.
	Images []Image
	// Buildpacks lists every buildpack in the package as id@version, sorted.
	Buildpacks []string

	work     *workdir.Dir
	packages []*source.Package

	// What the attestations describe (see signing.go).
	opts    Options
	modules []*module
	bundled []bundledDep
}

// Image is the buildpackage image of one target.
type Image struct {
	Target spec.Target
	Image  v1.Image
}

// Close removes the package's temporary files. Images cannot be read afterwards.
func (p *Package) Close() error {
	for _, s := range p.packages {
		_ = s.Close()
	}
	if p.work == nil {
		return nil
	}
	return p.work.Remove()
}

// workPattern names the temporary folder of each Build in os.TempDir(). Build removes
// those that runs killed before they could (SIGKILL, a second Ctrl-C) left behind.
const workPattern = "cnbkit-package-*"

type logger struct {
	w     io.Writer
	start time.Time
}

func (l logger) printf(format string, args ...any) {
	if l.w != nil {
		fmt.Fprintf(l.w, format+"\n", args...)
	}
}

// Build validates the options (Options.Validate), then the buildpack and everything it
// depends on, reporting every problem at once as a *ValidationError, then builds the images. Nothing is written outside a
// temporary folder that Close removes; the folders of earlier runs that were killed
// before they could remove theirs are removed first.
func Build(ctx context.Context, opts Options) (*Package, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	log := logger{w: opts.Log, start: time.Now()}
	// cnbkit-archives-* folders come from versions before the work folder held archives too.
	for _, pattern := range []string{workPattern, "cnbkit-archives-*"} {
		for _, d := range workdir.RemoveAbandoned("", pattern) {
			log.printf("removed %s, left by a run that was stopped", d)
		}
	}
	dir, config, err := resolveMain(opts)
	if err != nil {
		return nil, &ValidationError{Problems: []error{err}}
	}
	work, err := workdir.New("", workPattern)
	if err != nil {
		return nil, err
	}
	l := &loader{ctx: ctx, opts: opts, modules: map[string]*module{}, dirs: map[string]*module{}, work: work.Path}
	log.printf("reading %s", filepath.Join(dir, spec.BuildpackFile))
	main := l.loadDir(dir, config, "buildpack")
	closeAll := func() {
		for _, p := range l.packages {
			_ = p.Close()
		}
		_ = work.Remove()
	}
	if main == nil {
		closeAll()
		return nil, &ValidationError{Problems: l.problems}
	}
	targets := l.resolveTargets(main, config)
	l.checkTargets(targets)
	l.checkOrders()
	l.checkCycles()
	var stacks []format.Stack
	if len(l.problems) == 0 {
		// Only with every component present and no cycle: otherwise the stacks are
		// incomplete and "no stack" would be a second message for the same cause.
		if stacks = l.resolvedStacks(main); len(stacks) == 0 {
			l.problem("the buildpacks of the package share no stack: check their [[stacks]] (or use [[targets]] only)")
		}
	}
	bundles := l.planBundles(main, targets)
	if len(l.problems) > 0 {
		closeAll()
		return nil, &ValidationError{Problems: l.problems}
	}

	p := &Package{ID: main.bp.Info.ID, Version: main.bp.Info.Version, work: work, packages: l.packages,
		opts: opts, modules: l.order}
	for _, m := range l.order {
		p.Buildpacks = append(p.Buildpacks, m.key())
	}
	sort.Strings(p.Buildpacks)
	b := &builder{ctx: ctx, log: log, work: work.Path, layers: map[string]*layer.Layer{}, bundles: bundles,
		fetcher: opts.fetcher()}
	meta := format.MetadataFor(main.bp, stacks)
	for _, t := range targets {
		img, err := b.image(t, main, l.order, l.dups, meta)
		if err != nil {
			p.Close()
			return nil, err
		}
		p.Images = append(p.Images, Image{Target: t, Image: img})
	}
	p.bundled = b.bundled
	log.printf("built %s@%s for %d target(s) in %s", p.ID, p.Version, len(targets), time.Since(log.start).Round(time.Millisecond))
	return p, nil
}

type builder struct {
	ctx     context.Context
	log     logger
	work    string
	layers  map[string]*layer.Layer // by module dir + compile key
	bundles bundlePlan
	fetcher *dependency.Fetcher
	n       int
	bundled []bundledDep
}

// image assembles the image of one target: every component sorted by id and version,
// then the main buildpack.
func (b *builder) image(t spec.Target, main *module, modules, dups []*module, meta format.Metadata) (v1.Image, error) {
	sorted := append([]*module(nil), modules...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if (sorted[i] == main) != (sorted[j] == main) {
			return sorted[j] == main
		}
		if sorted[i].bp.Info.ID != sorted[j].bp.Info.ID {
			return sorted[i].bp.Info.ID < sorted[j].bp.Info.ID
		}
		return sorted[i].bp.Info.Version < sorted[j].bp.Info.Version
	})
	labels := format.Layers{}
	var layers []v1.Layer
	seen := map[v1.Hash]bool{}
	for _, m := range sorted {
		l, diffID, err := b.layer(t, m)
		if err != nil {
			return nil, err
		}
		var info format.LayerInfo
		if m.pkg != nil {
			info = m.info
			info.LayerDiffID = diffID.String()
		} else {
			info = format.LayerInfoFor(m.bp, diffID.String())
		}
		labels.Add(m.bp.Info.ID, m.bp.Info.Version, info)
		if !seen[diffID] {
			seen[diffID] = true
			layers = append(layers, l)
		}
	}
	for _, d := range dups {
		_, diffID, err := b.layer(t, d)
		if err != nil {
			return nil, err
		}
		if prev, ok := labels.Get(d.bp.Info.ID, d.bp.Info.Version); ok && prev.LayerDiffID != diffID.String() {
			return nil, fmt.Errorf("buildpack %s comes from two places with different content (%s and %s): keep one of them, or give them different versions",
				d.key(), originOf(modules, d.key()), d.origin)
		}
	}
	img, err := format.Image(t, layers, meta, labels)
	if err != nil {
		return nil, fmt.Errorf("assembling the image for %s: %w", t, err)
	}
	return img, nil
}

// layer returns the layer of module m for target t.
func (b *builder) layer(t spec.Target, m *module) (v1.Layer, v1.Hash, error) {
	if m.pkg != nil {
		src, err := m.pkg.Select(t)
		if err != nil {
			return nil, v1.Hash{}, fmt.Errorf("buildpack %s: %w", m.key(), err)
		}
		cfg, err := src.Image.ConfigFile()
		if err != nil {
			return nil, v1.Hash{}, fmt.Errorf("reading %s: %w", m.pkg.Name, err)
		}
		_, labels, err := format.Labels(cfg)
		if err != nil {
			return nil, v1.Hash{}, fmt.Errorf("reading %s: %w", m.pkg.Name, err)
		}
		info, ok := labels.Get(m.bp.Info.ID, m.bp.Info.Version)
		if !ok {
			return nil, v1.Hash{}, fmt.Errorf("the %s image of %s does not hold %s", source.PlatformString(src.Platform), m.pkg.Name, m.key())
		}
		h, err := v1.NewHash(info.LayerDiffID)
		if err != nil {
			return nil, v1.Hash{}, fmt.Errorf("%s: layer diff ID of %s: %w", m.pkg.Name, m.key(), err)
		}
		l, err := src.Image.LayerByDiffID(h)
		if err != nil {
			return nil, v1.Hash{}, fmt.Errorf("%s: layer of %s: %w", m.pkg.Name, m.key(), err)
		}
		return l, h, nil
	}
	key := m.dir + "|any"
	if m.goMain != "" {
		key = m.dir + "|" + compile.Key(t)
	}
	bundle := b.bundles.forModule(m, t)
	if bundle != nil {
		key += "|" + bundle.key
	}
	if l, ok := b.layers[key]; ok {
		d, _ := l.DiffID()
		return l, d, nil
	}
	files := toLayerFiles(m.files)
	if m.goMain != "" {
		b.n++
		out := filepath.Join(b.work, fmt.Sprintf("bin-%d", b.n), "build")
		b.log.printf("compiling %s for %s", m.key(), t)
		if err := compile.Build(b.ctx, m.dir, m.goMain, t, out, b.work); err != nil {
			return nil, v1.Hash{}, err
		}
		files = append(files,
			layer.File{Path: "bin", Mode: fs.ModeDir | 0o755},
			layer.File{Path: "bin/build", Source: out, Mode: 0o755},
			layer.File{Path: "bin/detect", Mode: fs.ModeSymlink | 0o777, Link: "build"})
	}
	if bundle != nil {
		extra, err := b.bundle(m, t, bundle)
		if err != nil {
			return nil, v1.Hash{}, err
		}
		files = append(files, extra...)
	}
	files = sortFiles(files)
	b.log.printf("writing layer of %s", m.key())
	l, err := layer.Write(b.ctx, b.work, spec.DirName(m.bp.Info.ID), m.bp.Info.Version, files)
	if err != nil {
		return nil, v1.Hash{}, fmt.Errorf("writing the layer of %s: %w", m.key(), err)
	}
	b.layers[key] = l
	d, _ := l.DiffID()
	return l, d, nil
}

func toLayerFiles(entries []selection.Entry) []layer.File {
	out := make([]layer.File, len(entries))
	for i, e := range entries {
		out[i] = layer.File{Path: e.Path, Source: e.Source, Mode: e.Mode, Link: e.Link}
	}
	return out
}

// sortFiles orders files parents first, names in byte order within a directory, and drops
// duplicate paths (the later entry wins).
func sortFiles(files []layer.File) []layer.File {
	byPath := map[string]layer.File{}
	for _, f := range files {
		byPath[f.Path] = f
	}
	out := make([]layer.File, 0, len(byPath))
	for _, f := range byPath {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := strings.Split(out[i].Path, "/"), strings.Split(out[j].Path, "/")
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return len(a) < len(b)
	})
	return out
}

func originOf(modules []*module, key string) string {
	for _, m := range modules {
		if m.key() == key {
			return m.origin
		}
	}
	return "?"
}
