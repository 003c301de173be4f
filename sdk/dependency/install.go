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

// InstallOptions tune Install. The zero value is usable.
type InstallOptions struct {
	// Fetcher obtains the artifact. nil: NewFetcher(req.Platform, req.Buildpack, req.Log).
	// When its CacheDir is empty, downloads are cached in a cache layer "<name>-download"
	// unless the dependency layer is itself a cache layer.
	Fetcher *Fetcher
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
// For a build layer (types.Build), also set types.Cache, or every build re-extracts: the
// lifecycle restores build layers only when they are cache layers.
func Install[M, C any](ctx context.Context, req sdk.BuildRequest[M, C], name string, types sdk.LayerTypes, dep Dependency, opts InstallOptions) (*sdk.Layer[LayerMetadata], Result, error) {
	res := Result{Dependency: dep}
	if !hexPattern.MatchString(dep.SHA256) {
		return nil, res, fmt.Errorf("installing %s: the dependency has no valid sha256", dep)
	}
	want := LayerMetadata{ID: dep.ID, Version: dep.Version, SHA256: dep.SHA256, Target: dep.Target.String()}
	layer, err := sdk.OpenLayer(req.Layers, name, types, want, func(prev LayerMetadata) sdk.Decision {
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

	if layer.Status.Restored {
		res.Reused = true
		req.Log.Detail("Reusing %s %s (layer %s, %s)", dep.DisplayName(), dep.Version, name, short(dep.SHA256))
	} else {
		req.Log.Detail("Installing %s %s for %s into layer %s (%s)", dep.DisplayName(), dep.Version, dep.Target, name, layer.Status)
		origin, err := installInto(ctx, req, name, types, layer.Path, dep, opts)
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

func installInto[M, C any](ctx context.Context, req sdk.BuildRequest[M, C], name string, types sdk.LayerTypes, dir string, dep Dependency, opts InstallOptions) (Origin, error) {
	f := opts.Fetcher
	if f == nil {
		var err error
		if f, err = NewFetcher(req.Platform, req.Buildpack, req.Log); err != nil {
			return "", err
		}
	}
	fetcher := *f
	var tmpCache string
	if fetcher.CacheDir == "" {
		if types.Cache {
			// The layer itself is restored; keep the download outside it, for this build only.
			d, err := os.MkdirTemp("", "cnbkit-download-")
			if err != nil {
				return "", fmt.Errorf("installing %s: %w", dep, err)
			}
			tmpCache = d
			fetcher.CacheDir = d
		} else {
			cache, err := sdk.OpenLayer(req.Layers, name+"-download", sdk.LayerTypes{Cache: true},
				downloadMetadata{SHA256: dep.SHA256}, nil)
			if err != nil {
				return "", fmt.Errorf("installing %s: opening the download cache: %w", dep, err)
			}
			fetcher.CacheDir = cache.Path
		}
	}
	if tmpCache != "" {
		defer os.RemoveAll(tmpCache)
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
	req.Log.Debug("Extracted %s in %s", filepath.Base(art.Path), time.Since(done).Round(time.Millisecond))
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
