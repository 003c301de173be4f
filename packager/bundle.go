package packager

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/cnbkit/cnbkit/packager/internal/layer"
	"github.com/cnbkit/cnbkit/packager/internal/selection"
	"github.com/cnbkit/cnbkit/sdk/dependency"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// bundlePlan says, for each directory buildpack, which inventory it gets (when replaced or
// extended at package time) and which dependencies are bundled for which target.
type bundlePlan struct {
	byModule map[*module]*moduleBundle
	filter   []string
}

type moduleBundle struct {
	// inventory is the merged inventory written into the packaged buildpack.toml, or nil
	// when the buildpack keeps its own.
	inventory dependency.Inventory
	// bundled is the inventory to bundle from (merged or own), when bundling.
	bundled dependency.Inventory
	bundle  bool
}

type bundleSpec struct {
	key  string
	deps dependency.Inventory
	mb   *moduleBundle
}

// planBundles validates inventories and the dependency options before anything is built.
func (l *loader) planBundles(main *module, targets []spec.Target) bundlePlan {
	plan := bundlePlan{byModule: map[*module]*moduleBundle{}, filter: l.opts.DependencyFilter}
	opts := l.opts
	if !opts.IncludeDependencies && opts.Inventory == "" && len(opts.DependencyFilter) == 0 {
		return plan
	}
	var dirModules []*module
	for _, m := range l.order {
		if m.dir != "" && !m.bp.IsComposite() {
			dirModules = append(dirModules, m)
		}
	}
	var override dependency.Inventory
	if opts.Inventory != "" {
		var err error
		if override, err = dependency.ReadFile(opts.Inventory); err != nil {
			l.problem("dependency inventory %s: %v", opts.Inventory, err)
			return plan
		}
	}
	ids := map[string]bool{}
	for _, d := range override {
		ids[d.ID] = true
	}
	applied := false
	for _, m := range dirModules {
		base, err := dependency.Load(m.dir)
		if err != nil {
			l.problem("buildpack %s: %v", m.key(), err)
			continue
		}
		mb := &moduleBundle{bundled: base, bundle: opts.IncludeDependencies}
		if opts.Inventory != "" && (appliesTo(base, ids) || (len(dirModules) == 1 && m == main)) {
			merged, err := dependency.Merge(base, override, opts.inventoryMode())
			if err != nil {
				l.problem("buildpack %s: applying %s: %v", m.key(), opts.Inventory, err)
				continue
			}
			mb.inventory, mb.bundled = merged, merged
			applied = true
		}
		if mb.inventory != nil || mb.bundle {
			plan.byModule[m] = mb
		}
	}
	if opts.Inventory != "" && !applied && len(l.problems) == 0 {
		l.problem("dependency inventory %s: no buildpack of the package lists any of its ids (%s): package the buildpack it is meant for", opts.Inventory, strings.Join(slices.Sorted(maps.Keys(ids)), ", "))
	}
	for _, f := range opts.DependencyFilter {
		found := false
		for _, mb := range plan.byModule {
			if len(filterDeps(mb.bundled, []string{f})) > 0 {
				found = true
			}
		}
		if !found {
			l.problem("dependency filter %q matches no dependency of the package's buildpacks", f)
		}
	}
	if opts.IncludeDependencies {
		for m, mb := range plan.byModule {
			for _, t := range targets {
				if !supports(m.bp, t) {
					continue
				}
				deps := filterDeps(mb.bundled.ForTargets(t), opts.DependencyFilter)
				for _, d := range deps {
					if d.SHA256 == "" {
						l.problem("buildpack %s: dependency %s has no sha256 checksum: it cannot be bundled", m.key(), d)
					}
				}
			}
		}
	}
	return plan
}

func appliesTo(inv dependency.Inventory, ids map[string]bool) bool {
	for _, d := range inv {
		if ids[d.ID] {
			return true
		}
	}
	return false
}

// filterDeps keeps entries named by filter (id or id@version); no filter keeps everything.
func filterDeps(inv dependency.Inventory, filter []string) dependency.Inventory {
	if len(filter) == 0 {
		return inv
	}
	return inv.Filter(func(d dependency.Dependency) bool {
		for _, f := range filter {
			id, version, hasVersion := strings.Cut(f, "@")
			if d.ID == id && (!hasVersion || d.Version == version) {
				return true
			}
		}
		return false
	})
}

// forModule returns what module m gets for target t, or nil when nothing changes.
func (p bundlePlan) forModule(m *module, t spec.Target) *bundleSpec {
	mb, ok := p.byModule[m]
	if !ok {
		return nil
	}
	s := &bundleSpec{mb: mb, key: "inventory"}
	if mb.bundle {
		s.deps = filterDeps(mb.bundled.ForTargets(t), p.filter)
		var sums []string
		for _, d := range s.deps {
			sums = append(sums, d.SHA256)
		}
		sort.Strings(sums)
		s.key += "|" + strings.Join(sums, ",")
	}
	return s
}

// bundle writes the packaged buildpack.toml (when the inventory changed) and fetches the
// dependencies to bundle, returning the files to add to the layer.
func (b *builder) bundle(m *module, t spec.Target, s *bundleSpec) ([]layer.File, error) {
	b.n++
	stage := filepath.Join(b.work, fmt.Sprintf("bundle-%d", b.n))
	if err := os.MkdirAll(stage, 0o755); err != nil {
		return nil, err
	}
	var files []layer.File
	if s.mb.inventory != nil {
		src, err := spec.ReadFile(filepath.Join(m.dir, spec.BuildpackFile))
		if err != nil {
			return nil, fmt.Errorf("reading %s of %s: %w", spec.BuildpackFile, m.key(), err)
		}
		data, err := dependency.WithInventory(src, s.mb.inventory)
		if err != nil {
			return nil, fmt.Errorf("buildpack %s: %w", m.key(), err)
		}
		p := filepath.Join(stage, spec.BuildpackFile)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return nil, err
		}
		files = append(files, layer.File{Path: spec.BuildpackFile, Source: p, Mode: 0o644})
	}
	deps := s.deps
	if len(deps) == 0 {
		return files, nil
	}
	fetchStage := filepath.Join(stage, "fetch")
	fetcher := b.fetcher
	for _, d := range deps {
		b.log.printf("bundling %s %s for %s into %s", d.ID, d.Version, t, m.key())
		if _, err := dependency.Bundle(b.ctx, fetchStage, d, fetcher); err != nil {
			return nil, fmt.Errorf("buildpack %s: %w", m.key(), dependency.UserError(d, err))
		}
		b.bundled = append(b.bundled, bundledDep{module: m.key(), dep: d})
	}
	entries, err := selection.Select(fetchStage, nil, func(rel string) bool {
		return strings.HasSuffix(rel, ".lock") || strings.Contains(rel, ".tmp")
	})
	if err != nil {
		return nil, err
	}
	return append(files, toLayerFiles(entries)...), nil
}
