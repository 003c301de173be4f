package dependency

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/dependency/internal/extract"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// *sdk.Logger is the Logger buildpacks pass.
var _ Logger = (*sdk.Logger)(nil)

// Binding types read by NewFetcher.
const (
	MappingBindingType = "dependency-mapping" // keys: sha256 (hex or "sha256:<hex>"), values: uri
	MirrorBindingType  = "dependency-mirror"  // keys: "default" or a host name, values: mirror
)

// NewFetcher returns a Fetcher configured from the platform and the buildpack: mirrors from
// BP_DEPENDENCY_MIRROR[_<HOST>] (platform env, then the process env the lifecycle passed)
// and dependency-mirror bindings, dependency-mapping bindings, and the buildpack's bundled
// dependencies (<buildpack>/dependencies). CacheDir is left empty for Install to fill in.
func NewFetcher(platform sdk.Platform, buildpack sdk.Buildpack, log *sdk.Logger) (*Fetcher, error) {
	f := &Fetcher{Mirrors: Mirrors{}, Mappings: Mappings{}}
	if log != nil {
		f.Log = log
	}
	if buildpack.Dir != "" {
		f.BundleDirs = []string{BundleDir(buildpack.Dir)}
	}
	var problems []string
	for _, b := range platform.Bindings.OfType(MirrorBindingType) {
		for k, v := range b.Secret {
			host := strings.ToLower(strings.TrimSpace(k))
			if host == "default" {
				host = ""
			}
			if _, _, err := parseMirror(strings.TrimSpace(v)); err != nil {
				problems = append(problems, fmt.Sprintf("binding %s key %s: %v", b.Name, k, err))
				continue
			}
			f.Mirrors[host] = strings.TrimSpace(v)
		}
	}
	for _, b := range platform.Bindings.OfType(MappingBindingType) {
		for k, v := range b.Secret {
			if err := f.Mappings.Add(k, v); err != nil {
				problems = append(problems, fmt.Sprintf("binding %s: %v", b.Name, err))
			}
		}
	}
	// Environment mirrors win over binding mirrors. The platform env files are listed; the
	// process env is asked for the default and for the hosts the inventory downloads from.
	env := map[string]string{}
	names := []string{MirrorEnv}
	if buildpack.Dir != "" {
		if inv, err := Load(buildpack.Dir); err == nil {
			for _, d := range inv {
				if u, err := url.Parse(d.URI); err == nil && u.Hostname() != "" {
					names = append(names, MirrorEnvFor(u.Hostname()))
				}
			}
		}
	}
	for _, n := range names {
		if v, ok := platform.Lookup(n); ok {
			env[n] = v
		}
	}
	for k, v := range platform.Env {
		if strings.HasPrefix(k, MirrorEnv) {
			env[k] = v
		}
	}
	mirrors, err := MirrorsFromEnv(env)
	if err != nil {
		problems = append(problems, err.Error())
	}
	for k, v := range mirrors {
		f.Mirrors[k] = v
	}
	if len(problems) > 0 {
		return nil, &sdk.Error{
			Title:  "Invalid dependency mirror or mapping",
			Detail: strings.Join(problems, "; "),
			Fixes: []string{
				"Set BP_DEPENDENCY_MIRROR to an https://, http:// or file:// URL, optionally containing {originalHost}.",
				"Give dependency-mapping bindings one file per artifact, named by its sha256, holding the URI.",
			},
		}
	}
	return f, nil
}

// MirrorEnvFor is the variable naming a mirror for host, e.g. BP_DEPENDENCY_MIRROR_RELEASES_EXAMPLE_COM.
func MirrorEnvFor(host string) string {
	h := strings.ToUpper(host)
	h = strings.ReplaceAll(h, "-", "__")
	h = strings.ReplaceAll(h, ".", "_")
	return MirrorEnv + "_" + h
}

// LayerMetadata is the metadata Install writes for a dependency layer. The layer is reused
// while SHA256 is unchanged.
type LayerMetadata struct {
	ID      string `toml:"id"`
	Version string `toml:"version"`
	SHA256  string `toml:"sha256"`
	Target  string `toml:"target"`
}

// downloadMetadata keys the download cache layer.
type downloadMetadata struct {
	SHA256 string `toml:"sha256"`
}

// InstallOptions tune Install and Refill. The zero value is usable.
type InstallOptions struct {
	// Fetcher obtains the artifact. nil: NewFetcher(req.Platform, req.Buildpack, req.Log).
	// When its CacheDir is empty, a download is kept for later builds in a cache layer
	// "<name>-download" when a later build will need the files again (see KeepArtifact), and
	// in a temporary directory otherwise.
	Fetcher *Fetcher
	// KeepArtifact says this buildpack may need the files of a layer reused without them
	// (sdk.Needs{Launch: true}) in a later build, and will call Refill then: e.g. CPython,
	// to rebuild a virtual environment after a requirements change. Install then keeps the
	// artifact (one compressed file: cheap for the lifecycle to restore and cache) in the cache
	// layer "<name>-download" on every build, unless it is bundled with the buildpack or a
	// file:// uri, which Refill reads in place. A layer the lifecycle never brings back
	// (build=true or launch=false, without cache) keeps its artifact whatever this says.
	KeepArtifact bool
	// StripComponents overrides the dependency's strip-components when not nil.
	StripComponents *int
	// MaxBytes caps the extracted size (decompression-bomb guard). 0: 16 GiB.
	MaxBytes int64
	// Inventory is used to suggest newer versions in deprecation warnings. nil: the
	// buildpack's buildpack.toml.
	Inventory Inventory
	// Now is the clock for deprecation warnings. nil: time.Now.
	Now func() time.Time
}

// Result says what Install did, for logging and tests.
type Result struct {
	Dependency Dependency
	// Reused is true when the previous layer was kept: no network, no extraction.
	Reused bool
	// Reason is the layer status, e.g. "reused: previous layer kept" or
	// "rebuilt: CPython 3.12.6 -> 3.12.7".
	Reason string
	// Origin is where the artifact came from when it was installed.
	Origin Origin
	// Deprecation is set when a deprecation warning was logged.
	Deprecation *Notice
}

func (r Result) String() string {
	if r.Reused {
		return fmt.Sprintf("%s %s: %s", r.Dependency.DisplayName(), r.Dependency.Version, r.Reason)
	}
	return fmt.Sprintf("%s %s: installed (%s; artifact %s)", r.Dependency.DisplayName(), r.Dependency.Version, r.Reason, r.Origin)
}

// Install puts dep into the layer name with the given types, keyed by its checksum: when the
// previous build left a layer with the same sha256 it is kept as is (no network, no
// extraction); otherwise the artifact is fetched (bundle, cache, mapping, mirror or uri, see
// Fetcher), verified, and extracted into the emptied layer with dep's strip-components. It
// logs a deprecation warning when due, and writes the layer's SBOM in the formats
// buildpack.toml lists in sbom-formats (CycloneDX and SPDX).
//
// kind is an sdk.Needs (or sdk.LayerTypes). With sdk.Needs{Launch: true} an unchanged
// rebuild keeps the layer by its metadata alone, without its files (layer.HasContents() is
// false): Refill puts them back when the build needs them after all.
func Install[M, C any](ctx context.Context, req sdk.BuildRequest[M, C], name string, kind sdk.LayerKind, dep Dependency, opts InstallOptions) (*sdk.Layer[LayerMetadata], Result, error) {
	res := Result{Dependency: dep}
	if !hexPattern.MatchString(dep.SHA256) {
		return nil, res, fmt.Errorf("installing %s: the dependency has no valid sha256", dep)
	}
	want := LayerMetadata{ID: dep.ID, Version: dep.Version, SHA256: dep.SHA256, Target: dep.Target.String()}
	layer, err := sdk.OpenLayer(req.Layers, name, kind, want, func(prev LayerMetadata) sdk.Decision {
		if prev.SHA256 == dep.SHA256 {
			return sdk.Keep()
		}
		if prev.Version != dep.Version {
			return sdk.Rebuild("%s %s -> %s", dep.DisplayName(), prev.Version, dep.Version)
		}
		return sdk.Rebuild("%s %s: checksum changed (%s -> %s)", dep.DisplayName(), dep.Version, short(prev.SHA256), short(dep.SHA256))
	})
	if err != nil {
		return nil, res, fmt.Errorf("installing %s: %w", dep, err)
	}
	res.Reason = layer.Status.String()
	res.Deprecation = warnDeprecation(req, dep, opts)
	fetcher, err := installFetcher(req, name, layer.Types, dep, opts)
	if err != nil {
		return nil, res, err
	}

	if layer.Status.Restored {
		res.Reused = true
		req.Log.Detail("Reusing %s %s (layer %s, %s)", dep.DisplayName(), dep.Version, name, short(dep.SHA256))
	} else {
		req.Log.Detail("Installing %s %s for %s into layer %s (%s)", dep.DisplayName(), dep.Version, dep.Target, name, layer.Status)
		origin, err := fetchInto(ctx, req.Log, fetcher, layer.Path, dep, opts)
		if err != nil {
			clearDir(layer.Path)
			return nil, res, err
		}
		res.Origin = origin
	}
	if err := writeSBOM(req, layer, dep); err != nil {
		return nil, res, fmt.Errorf("installing %s: %w", dep, err)
	}
	return layer, res, nil
}

// Refill puts the files of a dependency layer back when Install kept it without them (a
// launch-only layer reused by its metadata alone) and this build needs them after all, e.g.
// CPython to rebuild a virtual environment. It extracts the same artifact again, so the
// exporter finds the same layer and still reuses the previous image's: from the bundle, from
// the download Install kept (InstallOptions.KeepArtifact), else from the network. It does
// nothing for a layer that has its files, and returns where the artifact came from ("" then).
// Call it after Install with the same dependency and options.
func Refill[M, C any](ctx context.Context, req sdk.BuildRequest[M, C], layer *sdk.Layer[LayerMetadata], dep Dependency, opts InstallOptions) (Origin, error) {
	if layer.HasContents() {
		return "", nil
	}
	if layer.Metadata.SHA256 != dep.SHA256 {
		return "", fmt.Errorf("refilling layer %s: it holds sha256 %s, not %s: install %s with Install first", layer.Name, short(layer.Metadata.SHA256), short(dep.SHA256), dep)
	}
	fetcher, err := copyFetcher(req, opts)
	if err != nil {
		return "", err
	}
	if kept := filepath.Join(req.Layers.Path(), downloadLayer(layer.Name)); fetcher.CacheDir == "" && dirExists(kept) {
		fetcher.CacheDir = kept // the download Install keeps (KeepArtifact)
	}
	if err := layer.Refill(); err != nil {
		return "", err
	}
	req.Log.Detail("Refilling layer %s with %s %s: this build needs its files", layer.Name, dep.DisplayName(), dep.Version)
	origin, err := fetchInto(ctx, req.Log, fetcher, layer.Path, dep, opts)
	if err != nil {
		clearDir(layer.Path)
		return "", err
	}
	return origin, nil
}

// installFetcher returns the Fetcher for dep and, when a later build will need the files of
// the layer name again and the artifact cannot be read in place, keeps the download in the
// cache layer "<name>-download" (opened on every build, so it survives unchanged rebuilds).
func installFetcher[M, C any](req sdk.BuildRequest[M, C], name string, types sdk.LayerTypes, dep Dependency, opts InstallOptions) (*Fetcher, error) {
	fetcher, err := copyFetcher(req, opts)
	if err != nil || fetcher.CacheDir != "" {
		return fetcher, err
	}
	// The lifecycle brings a layer back with its files only when it is cached, and with its
	// metadata only when it is launch-only: anything else is rebuilt on every build.
	rebuiltEveryBuild := types.Build || !types.Launch
	if types.Cache || !(rebuiltEveryBuild || opts.KeepArtifact) || fetcher.readsInPlace(dep) {
		return fetcher, nil
	}
	cache, err := sdk.OpenLayer(req.Layers, downloadLayer(name), sdk.Needs{EveryBuild: true},
		downloadMetadata{SHA256: dep.SHA256}, nil)
	if err != nil {
		return nil, fmt.Errorf("installing %s: opening the download cache: %w", dep, err)
	}
	fetcher.CacheDir = cache.Path
	return fetcher, nil
}

// downloadLayer names the cache layer that keeps the artifact of the layer name.
func downloadLayer(name string) string { return name + "-download" }

// copyFetcher returns a copy of opts.Fetcher, or the Fetcher NewFetcher makes.
func copyFetcher[M, C any](req sdk.BuildRequest[M, C], opts InstallOptions) (*Fetcher, error) {
	if opts.Fetcher == nil {
		return NewFetcher(req.Platform, req.Buildpack, req.Log)
	}
	f := *opts.Fetcher
	return &f, nil
}

// readsInPlace reports whether dep's artifact is bundled with the buildpack or named by a
// file:// uri: it can be read again at no cost, so there is nothing to keep.
func (f *Fetcher) readsInPlace(dep Dependency) bool {
	for _, dir := range f.BundleDirs {
		if _, ok := lookupLayout(dir, dep.SHA256); ok {
			return true
		}
	}
	uri, _, err := f.Source(dep)
	return err == nil && strings.HasPrefix(uri, "file:")
}

// fetchInto fetches dep with fetcher (a temporary download directory when it has no cache)
// and extracts it into dir.
func fetchInto(ctx context.Context, log *sdk.Logger, f *Fetcher, dir string, dep Dependency, opts InstallOptions) (Origin, error) {
	fetcher := *f
	if fetcher.CacheDir == "" {
		// Nothing to keep: the download lives for this build only.
		d, err := os.MkdirTemp("", "cnbkit-download-")
		if err != nil {
			return "", fmt.Errorf("installing %s: %w", dep, err)
		}
		defer os.RemoveAll(d)
		fetcher.CacheDir = d
	}
	art, err := fetcher.Fetch(ctx, dep)
	if err != nil {
		return "", asUserError(dep, err)
	}
	strip := dep.StripComponents
	if opts.StripComponents != nil {
		strip = *opts.StripComponents
	}
	done := time.Now()
	if err := extract.File(ctx, art.Path, dir, extract.Options{
		StripComponents: strip, Name: artifactName(dep), MaxBytes: opts.MaxBytes,
	}); err != nil {
		var ue *extract.UnsafeError
		if errors.As(err, &ue) || errors.Is(err, extract.ErrTooLarge) {
			return "", &sdk.Error{
				Title:  "Unsafe dependency archive",
				Detail: fmt.Sprintf("%s from %s: %v", dep, art.Path, err),
				Fixes:  []string{"Check that the inventory's uri and checksum name the archive you meant; report it to the buildpack's maintainers."},
				Cause:  err,
			}
		}
		return "", fmt.Errorf("installing %s: %w", dep, err)
	}
	log.Debug("Extracted %s in %s", filepath.Base(art.Path), time.Since(done).Round(time.Millisecond))
	return art.Origin, nil
}

// UserError turns a failure to fetch dep into the error the person running the build reads:
// a checksum mismatch or a failed download becomes an *sdk.Error with what to do (a proxy,
// BP_DEPENDENCY_MIRROR, a dependency-mapping binding, an offline buildpackage); other
// errors are wrapped. Install and `cnbkit package --include-dependencies` give the same advice.
func UserError(dep Dependency, err error) error { return asUserError(dep, err) }

// asUserError turns fetch failures into errors worded for the person running the build.
func asUserError(dep Dependency, err error) error {
	var ce *ChecksumError
	if errors.As(err, &ce) {
		return &sdk.Error{
			Title:  "Dependency checksum mismatch",
			Detail: fmt.Sprintf("%s from %s has checksum %s; the buildpack expects %s. The file was discarded.", dep, ce.URI, ce.Actual, ce.Expected),
			Fixes: []string{
				"If you use BP_DEPENDENCY_MIRROR or a dependency-mapping binding, check that it serves the same file as the original uri.",
				"Otherwise the file changed upstream or in transit: report it to the buildpack's maintainers.",
			},
			Cause: err,
		}
	}
	var de *DownloadError
	if errors.As(err, &de) {
		return &sdk.Error{
			Title:  "Dependency download failed",
			Detail: fmt.Sprintf("%s could not be downloaded: %v", dep, err),
			Fixes: []string{
				"Check that the build can reach " + hostOf(dep.URI) + " (a proxy may be needed: HTTPS_PROXY).",
				"In an air-gapped environment, set BP_DEPENDENCY_MIRROR, add a dependency-mapping binding, or use a buildpack packaged with --include-dependencies.",
			},
			Cause: err,
		}
	}
	return fmt.Errorf("installing %s: %w", dep, err)
}

func hostOf(uri string) string {
	if u, err := url.Parse(uri); err == nil && u.Host != "" {
		return u.Host
	}
	return uri
}

func warnDeprecation[M, C any](req sdk.BuildRequest[M, C], dep Dependency, opts InstallOptions) *Notice {
	if dep.DeprecationDate.IsZero() {
		return nil
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	inv := opts.Inventory
	if inv == nil && req.Buildpack.Dir != "" {
		inv, _ = Load(req.Buildpack.Dir)
	}
	target := dep.Target
	if t := req.Target.Spec(); t.OS != "" || t.Arch != "" {
		target = t
	}
	n, ok := inv.Deprecation(dep, target, now())
	if !ok {
		return nil
	}
	req.Log.Warn("%s", n)
	return &n
}

func writeSBOM[M, C any](req sdk.BuildRequest[M, C], layer *sdk.Layer[LayerMetadata], dep Dependency) error {
	declared := map[string]bool{}
	for _, f := range req.Buildpack.Descriptor.Info.SBOMFormats {
		declared[f] = true
	}
	doc := SBOM(layer.Name, dep)
	wrote := false
	for _, f := range []struct {
		format sdk.SBOMFormat
		media  string
		render func() ([]byte, error)
	}{
		{sdk.CycloneDX, spec.MediaTypeCycloneDX, doc.CycloneDX},
		{sdk.SPDX, spec.MediaTypeSPDX, doc.SPDX},
	} {
		if !declared[f.media] {
			continue
		}
		data, err := f.render()
		if err != nil {
			return err
		}
		if err := layer.WriteSBOM(f.format, data); err != nil {
			return err
		}
		wrote = true
	}
	if !wrote {
		req.Log.Debug("No SBOM written for layer %s: buildpack.toml sbom-formats lists neither %s nor %s",
			layer.Name, spec.MediaTypeCycloneDX, spec.MediaTypeSPDX)
	}
	return nil
}

func short(sum string) string {
	if len(sum) > 12 {
		return "sha256:" + sum[:12]
	}
	return "sha256:" + sum
}

// clearDir removes the contents of dir, keeping dir.
func clearDir(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// Extract unpacks a fetched artifact of dep into dst (created if missing) with dep's
// strip-components: a tar (plain, gzip, xz, zstd or bzip2), a zip, or a single file
// (possibly compressed) that becomes an executable named after the uri. Entries that would
// land outside dst (absolute paths, "..", escaping links), devices, and archives that expand
// beyond 16 GiB or 1000:1 are refused. Install calls it; use it directly to put several
// artifacts into one layer.
func Extract(ctx context.Context, art Artifact, dep Dependency, dst string) error {
	if err := extract.File(ctx, art.Path, dst, extract.Options{StripComponents: dep.StripComponents, Name: artifactName(dep)}); err != nil {
		return fmt.Errorf("extracting %s: %w", dep, err)
	}
	return nil
}

// ExtractArchive unpacks the tar (plain, gzip, xz, zstd or bzip2) or zip archive at path
// into dst (created if missing) with the same rules as Extract: nothing is written outside
// dst, whatever the entries' names, symbolic links and hard links say. Anything that is not
// such an archive is refused. The packager unpacks the buildpack tarballs that package.toml
// names with it, so package inputs and dependencies share one extractor.
func ExtractArchive(ctx context.Context, path, dst string) error {
	if err := extract.File(ctx, path, dst, extract.Options{ArchiveOnly: true}); err != nil {
		return fmt.Errorf("extracting %s: %w", path, err)
	}
	return nil
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
