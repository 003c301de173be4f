package ffmpeg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/dependency"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// Program names, which are also the dependency ids in buildpack.toml and the layer names.
const (
	FFmpeg  = "ffmpeg"
	FFprobe = "ffprobe"
)

// Build installs ffmpeg (and ffprobe unless BP_FFMPEG_FFPROBE=false) for the build target.
func Build(ctx context.Context, req sdk.BuildRequest[Metadata, Config]) (sdk.BuildResult, error) {
	merged, ok, err := sdk.Entries[RequireMetadata](req.Plan, PlanName)
	if err != nil {
		return sdk.BuildResult{}, fmt.Errorf("reading the buildpack plan: %w", err)
	}
	if !ok {
		req.Log.Detail("No buildpack asked for ffmpeg in this build: nothing to install")
		return sdk.BuildResult{}, nil
	}
	constraint, source := "", ""
	if v, ok := merged.Version(); ok {
		constraint, source = v.Version, v.Source
	} else if !req.Config.Version.IsZero() {
		constraint, source = req.Config.Version.String(), "BP_FFMPEG_VERSION"
	}
	// Who reads the layers: the app's processes (launch), later buildpacks (build). Needed at
	// launch only, an unchanged rebuild keeps them by their metadata alone and restores none
	// of their files; a later buildpack's build = true makes them cache layers, restored on
	// every build.
	needs := sdk.Needs{Build: merged.Build, Launch: merged.Launch}
	if !needs.Build && !needs.Launch {
		// An entry without flags still wants ffmpeg somewhere: make it usable everywhere.
		needs.Build, needs.Launch = true, true
	}

	inv, err := dependency.Load(req.Buildpack.Dir)
	if err != nil {
		return sdk.BuildResult{}, fmt.Errorf("loading the ffmpeg inventory: %w", err)
	}
	target := req.Target.Spec()
	fetcher, err := dependency.NewFetcher(req.Platform, req.Buildpack, req.Log)
	if err != nil {
		return sdk.BuildResult{}, err
	}
	// One download cache for this build: when ffmpeg and ffprobe come in the same archive
	// (release builds hold both), it is downloaded once and extracted into each layer.
	cache, err := os.MkdirTemp("", "cnbkit-ffmpeg-download-")
	if err != nil {
		return sdk.BuildResult{}, fmt.Errorf("creating a download cache: %w", err)
	}
	defer os.RemoveAll(cache)
	fetcher.CacheDir = cache

	req.Log.Section("ffmpeg")
	ff, err := resolve(inv, FFmpeg, constraint, source, target)
	if err != nil {
		return sdk.BuildResult{}, err
	}
	if constraint == "" {
		req.Log.Detail("Selected %s %s for %s (the newest; set BP_FFMPEG_VERSION to choose)", ff.DisplayName(), ff.Version, req.Target)
	} else {
		req.Log.Detail("Selected %s %s for %s (%q from %s)", ff.DisplayName(), ff.Version, req.Target, constraint, source)
	}
	layer, err := install(ctx, req, fetcher, ff, needs)
	if err != nil {
		return sdk.BuildResult{}, err
	}
	program := filepath.Join(layer.Path, "bin", FFmpeg)
	if err := smokeCheck(ctx, req, layer, ff); err != nil {
		return sdk.BuildResult{}, err
	}
	// Libraries that drive ffmpeg look for it in these variables before PATH; Default keeps a
	// value the user set.
	layer.SharedEnv().Default("IMAGEIO_FFMPEG_EXE", program)
	layer.SharedEnv().Default("FFMPEG_BINARY", program)

	if req.Config.FFprobe {
		req.Log.Section("ffprobe")
		fp, err := resolve(inv, FFprobe, "", "default: newest", target)
		if err != nil {
			return sdk.BuildResult{}, err
		}
		req.Log.Detail("Selected %s %s for %s", fp.DisplayName(), fp.Version, req.Target)
		probeLayer, err := install(ctx, req, fetcher, fp, needs)
		if err != nil {
			return sdk.BuildResult{}, err
		}
		if err := smokeCheck(ctx, req, probeLayer, fp); err != nil {
			return sdk.BuildResult{}, err
		}
		probeLayer.SharedEnv().Default("FFPROBE_BINARY", filepath.Join(probeLayer.Path, "bin", FFprobe))
	} else {
		req.Log.Detail("ffprobe skipped (BP_FFMPEG_FFPROBE=false)")
	}
	return sdk.BuildResult{}, nil
}

// smokeCheck runs the program of dep's layer and tells its version and licence. A layer kept
// without its files (needed at launch only) was checked when it was installed: its program is
// not here to run, and the previous image's layer is reused as it was.
func smokeCheck(ctx context.Context, req sdk.BuildRequest[Metadata, Config], layer *sdk.Layer[dependency.LayerMetadata], dep dependency.Dependency) error {
	if !layer.HasContents() {
		req.Log.Detail("Smoke check passed when %s %s was installed; the image's layer is reused as it is", dep.ID, dep.Version)
		return nil
	}
	info, err := SmokeCheck(ctx, filepath.Join(layer.Path, "bin", dep.ID), req.Target)
	if err != nil {
		discard(layer.Path)
		return err
	}
	req.Log.Detail("Smoke check passed: %s", info.Line)
	licenceNotice(req.Log, dep, info)
	return nil
}

// resolve picks the highest version of id that satisfies constraint for target, turning a
// miss into an error that lists what is available.
func resolve(inv dependency.Inventory, id, constraint, source string, target spec.Target) (dependency.Dependency, error) {
	dep, err := inv.Resolve(id, constraint, target)
	if err == nil {
		return dep, nil
	}
	var nm *dependency.NoMatchError
	if !errors.As(err, &nm) {
		return dependency.Dependency{}, sdk.Errorf(fmt.Sprintf("Invalid %s version constraint", id),
			"%q (from %s) is not a version constraint", constraint, source).
			WithFixes("Use a constraint such as 7.1, >=7 or an exact version, or unset it for the newest.").
			WithCause(err)
	}
	switch {
	case len(nm.Available) > 0:
		return dependency.Dependency{}, sdk.Errorf(fmt.Sprintf("No %s version matches %s", id, constraint),
			"%s asks for %q; for %s this buildpack offers %s", source, constraint, target, strings.Join(nm.Available, ", ")).
			WithFixes(fmt.Sprintf("Change %s to one of the versions offered, or remove it to get the newest.", source),
				"To use a build this buildpack does not ship, add it to the inventory (docs/buildpacks/ffmpeg.md).").
			WithCause(err)
	default:
		return dependency.Dependency{}, sdk.Errorf(fmt.Sprintf("No %s for this build target", id),
			"the build target is %s; this buildpack has %s for %s", target, id, strings.Join(nm.OtherTargets, ", ")).
			WithFixes("Build on one of those targets, or add an artifact for this target to the inventory (docs/buildpacks/ffmpeg.md).").
			WithCause(err)
	}
}

// licenceNotice tells the user under which licence the binary is redistributed in the image.
func licenceNotice(log *sdk.Logger, dep dependency.Dependency, info VersionInfo) {
	var ids []string
	for _, l := range dep.Licenses {
		id := l.Type
		if l.URI != "" {
			id += " (" + l.URI + ")"
		}
		ids = append(ids, id)
	}
	licence := strings.Join(ids, ", ")
	if licence == "" {
		licence = "not declared in buildpack.toml"
	}
	gpl := ""
	if info.GPL() {
		gpl = "; it is a GPL build (configured with --enable-gpl)"
	}
	log.Detail("Licence: %s is distributed under %s%s. Shipping it in an image means you redistribute it under those terms.", dep.ID, licence, gpl)
}

// install puts dep into the layer named after its id with the SDK's dependency support
// (verified download, mirrors, offline bundles, reuse by checksum, SBOM), places the program
// at <layer>/bin/<id>, executable, and keeps nothing else of a freshly extracted artifact but
// its licence files: a release archive also holds the other programs, documentation and
// headers.
func install(ctx context.Context, req sdk.BuildRequest[Metadata, Config], fetcher *dependency.Fetcher, dep dependency.Dependency, needs sdk.Needs) (*sdk.Layer[dependency.LayerMetadata], error) {
	layer, res, err := dependency.Install(ctx, req, dep.ID, needs, dep, dependency.InstallOptions{Fetcher: fetcher})
	if err != nil {
		return nil, err
	}
	req.Log.Debug("%s", res)
	// Also for a reused layer: one left by an older buildpack version may predate bin/.
	if layer.HasContents() {
		if err := placeProgram(layer.Path, dep.ID); err != nil {
			return nil, err
		}
		if !res.Reused {
			if err := keepOnly(layer.Path, dep.ID); err != nil {
				return nil, err
			}
		}
	}
	return layer, nil
}

// keepOnly removes from dir everything but bin/<name> and the licence files at its top
// (LICENSE*, COPYING*), which must travel with a GPL binary.
func keepOnly(dir, name string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("tidying the %s layer: %w", name, err)
	}
	for _, e := range entries {
		upper := strings.ToUpper(e.Name())
		if e.Type().IsRegular() && (strings.HasPrefix(upper, "LICENSE") || strings.HasPrefix(upper, "COPYING")) {
			continue
		}
		if e.Name() == "bin" && e.IsDir() {
			bins, err := os.ReadDir(filepath.Join(dir, "bin"))
			if err != nil {
				return fmt.Errorf("tidying the %s layer: %w", name, err)
			}
			for _, b := range bins {
				if b.Name() != name {
					if err := os.RemoveAll(filepath.Join(dir, "bin", b.Name())); err != nil {
						return fmt.Errorf("tidying the %s layer: %w", name, err)
					}
				}
			}
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("tidying the %s layer: %w", name, err)
		}
	}
	return nil
}

// placeProgram moves the program name of an extracted artifact to <dir>/bin/name: it may be
// at the root of the extracted tree (the npm tarballs) or already in bin/ (release archives).
// It makes the program executable, as some artifacts (the ffprobe tarballs) lack the bit.
func placeProgram(dir, name string) error {
	bin := filepath.Join(dir, "bin", name)
	if _, err := os.Stat(bin); err != nil {
		root := filepath.Join(dir, name)
		st, statErr := os.Stat(root)
		if statErr != nil || !st.Mode().IsRegular() {
			found, _ := os.ReadDir(dir)
			names := make([]string, 0, len(found))
			for _, e := range found {
				names = append(names, e.Name())
			}
			return sdk.Errorf(fmt.Sprintf("%s is not in the artifact", name),
				"after extraction the layer holds %s, but neither %s nor bin/%s", strings.Join(names, ", "), name, name).
				WithFixes("Set strip-components in the inventory entry so the program lands at the top or in bin/ (docs/buildpacks/ffmpeg.md).")
		}
		if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
			return fmt.Errorf("placing %s: %w", name, err)
		}
		if err := os.Rename(root, bin); err != nil {
			return fmt.Errorf("placing %s: %w", name, err)
		}
	}
	st, err := os.Stat(bin)
	if err != nil {
		return fmt.Errorf("placing %s: %w", name, err)
	}
	if st.Mode().Perm()&0o111 != 0o111 {
		if err := os.Chmod(bin, st.Mode().Perm()|0o755); err != nil {
			return fmt.Errorf("making %s executable: %w", name, err)
		}
	}
	return nil
}

// discard empties a layer whose program failed its smoke check, so that nothing unusable is
// left behind even by a platform that kept the layers directory.
func discard(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		_ = os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}
