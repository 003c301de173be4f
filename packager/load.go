package packager

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cnbkit/cnbkit/packager/internal/compile"
	"github.com/cnbkit/cnbkit/packager/internal/format"
	"github.com/cnbkit/cnbkit/packager/internal/selection"
	"github.com/cnbkit/cnbkit/packager/internal/source"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// module is one buildpack that goes into the package.
type module struct {
	bp     spec.Buildpack
	origin string // where it came from, for messages

	// From a directory:
	dir    string
	goMain string // "./cmd" or "." for Go buildpacks
	files  []selection.Entry
	config string // its package.toml, if any

	// From an existing package:
	pkg  *source.Package
	info format.LayerInfo
}

func (m *module) key() string { return m.bp.Info.ID + "@" + m.bp.Info.Version }

// packageDep is one [[dependencies]] entry of a package.toml, opened.
type packageDep struct {
	uri  string
	top  []*module // the buildpack(s) it brings at top level (the package's own buildpack)
	from *module   // the module whose package.toml listed it
}

type loader struct {
	ctx      context.Context
	opts     Options
	problems []error
	modules  map[string]*module // by id@version
	order    []*module          // load order, main first
	dups     []*module          // id@version already in modules, from another source
	dirs     map[string]*module // by absolute directory
	deps     []packageDep
	packages []*source.Package
	work     string // the package's temporary folder (extracted buildpack archives)
	// failedDeps counts package.toml dependencies that could not be read: the buildpacks
	// they hold are unknown, so orders naming them are not reported as missing too.
	failedDeps int
}

// extract unpacks a buildpack archive into the package's temporary folder.
func (l *loader) extract(archive string) (string, error) {
	return extractArchive(l.ctx, archive, l.work)
}

func (l *loader) problem(format string, args ...any) {
	err := fmt.Errorf(format, args...)
	for _, p := range l.problems {
		if p.Error() == err.Error() {
			return
		}
	}
	l.problems = append(l.problems, err)
}

// resolveMain works out the main buildpack directory and its package.toml.
func resolveMain(opts Options) (dir, config string, err error) {
	config = opts.Config
	dir = opts.Path
	if config == "" {
		if dir == "" {
			dir = "."
		}
		candidate := filepath.Join(dir, spec.PackageFile)
		if _, err := os.Stat(candidate); err == nil {
			config = candidate
		}
		return dir, config, nil
	}
	if dir == "" {
		p, err := spec.ReadPackage(config)
		if err != nil {
			return "", "", err
		}
		uri := strings.TrimPrefix(p.Buildpack.URI, "file://")
		if uri == "" {
			uri = "."
		}
		if !filepath.IsAbs(uri) {
			uri = filepath.Join(filepath.Dir(config), uri)
		}
		dir = uri
	}
	return dir, config, nil
}

// loadDir reads a buildpack directory and, when config is set, the dependencies it lists.
func (l *loader) loadDir(dir, config, origin string) *module {
	abs, err := filepath.Abs(dir)
	if err != nil {
		l.problem("%s: %v", origin, err)
		return nil
	}
	if m, ok := l.dirs[abs]; ok {
		return m
	}
	bp, err := spec.ReadBuildpack(filepath.Join(abs, spec.BuildpackFile))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			l.problem("%s: %s has no %s: point Options.Path or the uri at a buildpack directory", origin, dir, spec.BuildpackFile)
		} else {
			l.problem("%s: %v", origin, err)
		}
		return nil
	}
	m := &module{bp: bp, origin: origin, dir: abs}
	l.dirs[abs] = m
	if err := bp.Validate(); err != nil {
		for _, e := range unjoin(err) {
			l.problem("%s (%s): %v", spec.BuildpackFile, dir, e)
		}
	}
	l.add(m)
	l.selectFiles(m)
	if config != "" {
		m.config = config
		l.loadConfig(m, config)
	}
	return m
}

// selectFiles picks the files of a directory buildpack and checks its executables.
// A composite buildpack gets its files (buildpack.toml) but no executables.
func (l *loader) selectFiles(m *module) {
	goMain := ""
	if !m.bp.IsComposite() {
		var err error
		if goMain, err = compile.FindMain(m.dir); err != nil {
			l.problem("%s: %v", m.origin, err)
		}
	}
	m.goMain = goMain
	// The package's own outputs come last: no Include brings them back.
	extra := slices.Concat(l.opts.Exclude, negate(l.opts.Include), l.opts.outputRules(m.dir))
	rules, err := selection.Rules(m.dir, extra)
	if err != nil {
		l.problem("%s: %v", m.origin, err)
		return
	}
	skip := func(rel string) bool {
		return goMain != "" && (rel == "bin/build" || rel == "bin/detect")
	}
	files, err := selection.Select(m.dir, rules, skip)
	if err != nil {
		l.problem("%s: %v", m.origin, err)
		return
	}
	m.files = files
	have := map[string]bool{}
	for _, f := range files {
		have[f.Path] = true
	}
	required := []string{spec.BuildpackFile}
	if goMain == "" && !m.bp.IsComposite() {
		required = append(required, "bin/build", "bin/detect")
	}
	var missing []string
	for _, r := range required {
		if have[r] {
			continue
		}
		if _, err := os.Lstat(filepath.Join(m.dir, filepath.FromSlash(r))); err == nil {
			l.problem("buildpack %s (%s): %s is excluded by %s or Options.Exclude, but a buildpack cannot work without it: remove the rule that matches it, or add the rule !%s",
				m.key(), relPath(m.dir), r, selection.IgnoreFile, r)
			continue
		}
		missing = append(missing, r)
	}
	generated := goMain != ""
	for _, p := range linkProblems(files, generated) {
		l.problem("buildpack %s (%s): %s", m.key(), relPath(m.dir), p)
	}
	if len(missing) > 0 {
		l.problem("buildpack %s (%s) has no %s and no Go main package in ./cmd or at its root: add the executables, or a main package the packager compiles",
			m.key(), relPath(m.dir), strings.Join(missing, " or "))
	}
}

func negate(include []string) []string {
	out := make([]string, len(include))
	for i, s := range include {
		out[i] = "!" + strings.TrimPrefix(s, "!")
	}
	return out
}

func (l *loader) add(m *module) {
	if prev, ok := l.modules[m.key()]; ok {
		if prev.dir == "" || prev.dir != m.dir {
			// The same id@version from two places: allowed when their layers are
			// identical, which is checked when the layers are built.
			l.dups = append(l.dups, m)
		}
		return
	}
	l.modules[m.key()] = m
	l.order = append(l.order, m)
}

// loadConfig reads a package.toml and opens its dependencies.
func (l *loader) loadConfig(owner *module, config string) {
	p, err := spec.ReadPackage(config)
	if err != nil {
		l.problem("%v", err)
		return
	}
	if err := p.Validate(); err != nil {
		for _, e := range unjoin(err) {
			l.problem("%s: %v", config, e)
		}
	}
	base := filepath.Dir(config)
	for _, d := range p.Dependencies {
		before := len(l.problems)
		if d.URI == "" && d.ImageName != "" {
			dep := packageDep{uri: d.ImageName, from: owner}
			l.openPackage(&dep, d.ImageName, fmt.Sprintf("dependency image %q of %s", d.ImageName, config), true)
			l.deps = append(l.deps, dep)
		} else {
			l.loadDependency(owner, d.URI, base, config)
		}
		if len(l.problems) > before {
			l.failedDeps++
		}
	}
}

func (l *loader) loadDependency(owner *module, uri, base, config string) {
	origin := fmt.Sprintf("dependency %q of %s", uri, config)
	dep := packageDep{uri: uri, from: owner}
	switch {
	case strings.HasPrefix(uri, "http://") || strings.HasPrefix(uri, "https://"):
		l.problem("%s: downloading buildpacks over HTTP is not supported: download the .cnb file and use its path", origin)
		return
	case strings.HasPrefix(uri, "docker://"):
		l.openPackage(&dep, strings.TrimPrefix(uri, "docker://"), origin, true)
	default:
		path := strings.TrimPrefix(uri, "file://")
		if !filepath.IsAbs(path) {
			path = filepath.Join(base, path)
		}
		info, err := os.Stat(path)
		switch {
		case err == nil && info.IsDir():
			if _, err := os.Stat(filepath.Join(path, spec.BuildpackFile)); err == nil {
				cfg := filepath.Join(path, spec.PackageFile)
				if _, err := os.Stat(cfg); err != nil {
					cfg = ""
				}
				if m := l.loadDir(path, cfg, origin); m != nil {
					dep.top = []*module{m}
				}
			} else {
				l.openPackage(&dep, path, origin, false)
			}
		case err == nil && isBuildpackArchive(path):
			dir, err := l.extract(path)
			if err != nil {
				l.problem("%s: %v", origin, err)
				return
			}
			if m := l.loadDir(dir, "", origin); m != nil {
				dep.top = []*module{m}
			}
		case err == nil:
			l.openPackage(&dep, path, origin, false)
		case looksLikePath(uri):
			l.problem("%s: %s does not exist", origin, path)
			return
		default:
			l.openPackage(&dep, uri, origin, true)
		}
	}
	l.deps = append(l.deps, dep)
}

func looksLikePath(uri string) bool {
	return strings.HasPrefix(uri, ".") || strings.HasPrefix(uri, "/") || strings.HasPrefix(uri, "file://") ||
		strings.HasSuffix(uri, ".cnb") || strings.HasSuffix(uri, ".tgz") || strings.HasSuffix(uri, ".tar") || !strings.Contains(uri, "/")
}

func (l *loader) openPackage(dep *packageDep, ref, origin string, remoteRef bool) {
	var (
		p   *source.Package
		err error
	)
	if remoteRef {
		p, err = source.OpenRemote(l.ctx, ref, l.opts.Registry.sink().Options(l.ctx)...)
	} else {
		p, err = source.Open(l.ctx, ref)
	}
	if err != nil {
		l.problem("%s: %w", origin, err)
		return
	}
	l.packages = append(l.packages, p)
	if l.opts.Verifier != nil {
		if _, err := verifyPackage(l.ctx, p, VerifyOptions{Verifier: l.opts.Verifier, Registry: l.opts.Registry}); err != nil {
			// Reported; its buildpacks are still read so that no follow-on problem is.
			l.problem("%s: %v (every .cnb, layout and registry component must be signed by %s)", origin, err, l.opts.Verifier.Name())
		}
	}
	if len(p.Images) == 0 {
		l.problem("%s: the package holds no image", origin)
		return
	}
	cfg, err := p.Images[0].Image.ConfigFile()
	if err != nil {
		l.problem("%s: reading image config: %w", origin, err)
		return
	}
	meta, layers, err := format.Labels(cfg)
	if err != nil {
		l.problem("%s: %v", origin, err)
		return
	}
	ids := slices.Sorted(maps.Keys(layers))
	for _, id := range ids {
		if err := spec.ValidateID(id); err != nil {
			l.problem("%s: its %s label: %v", origin, format.LayersLabel, err)
			continue
		}
		versions := slices.Sorted(maps.Keys(layers[id]))
		for _, v := range versions {
			if err := spec.ValidateVersion(v); err != nil {
				l.problem("%s: its %s label: buildpack %s: %v", origin, format.LayersLabel, id, err)
				continue
			}
			info := layers[id][v]
			m := &module{bp: descriptorOf(id, v, info), origin: origin, pkg: p, info: info}
			l.add(m)
			if id == meta.ID && v == meta.Version {
				dep.top = append(dep.top, l.modules[m.key()])
			}
		}
	}
	if len(dep.top) == 0 {
		l.problem("%s: its %s label names %s@%s, which its layers label does not list", origin, format.MetadataLabel, meta.ID, meta.Version)
	}
}

// descriptorOf rebuilds the parts of a descriptor the packager needs from a layers label entry.
func descriptorOf(id, version string, info format.LayerInfo) spec.Buildpack {
	bp := spec.Buildpack{API: info.API, Info: spec.BuildpackInfo{ID: id, Version: version, Name: info.Name, Homepage: info.Homepage}}
	for _, s := range info.Stacks {
		bp.Stacks = append(bp.Stacks, spec.Stack{ID: s.ID, Mixins: s.Mixins})
	}
	for _, t := range info.Targets {
		bp.Targets = append(bp.Targets, t.Spec())
	}
	for _, o := range info.Order {
		var so spec.Order
		for _, g := range o.Group {
			so.Group = append(so.Group, spec.GroupEntry{ID: g.ID, Version: g.Version, Optional: g.Optional})
		}
		bp.Order = append(bp.Order, so)
	}
	return bp
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func relPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}
