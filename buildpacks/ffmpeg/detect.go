package ffmpeg

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/cnbkit/cnbkit/buildpacks/ffmpeg/internal/pyreqs"
	"github.com/cnbkit/cnbkit/sdk"
)

// PlanName is the build plan name this buildpack provides and requires.
const PlanName = "ffmpeg"

// VersionFile is the project file that opts an app in and may pin a version constraint.
const VersionFile = ".ffmpeg-version"

// Metadata is the [metadata] table of buildpack.toml.
type Metadata struct {
	// PythonPackages lists the Python distributions (any spelling; compared after PEP 503
	// normalisation) whose presence in the app's requirements opts the app in.
	PythonPackages []string `toml:"python-packages"`
}

// Config is the buildpack's configuration, from BP_* variables and the defaults declared in
// buildpack.toml [[metadata.configurations]].
type Config struct {
	// Version constrains the ffmpeg version; setting it opts the app in.
	Version sdk.VersionConstraint `env:"BP_FFMPEG_VERSION"`
	// Enabled is "auto" (detect from the app), "true" (always) or "false" (never).
	Enabled string `env:"BP_FFMPEG_ENABLED" oneof:"auto|true|false"`
	// FFprobe installs ffprobe as well.
	FFprobe bool `env:"BP_FFMPEG_FFPROBE"`
}

// RequireMetadata is the metadata of the "ffmpeg" plan entry this buildpack requires.
type RequireMetadata struct {
	Version       string `toml:"version,omitempty"`
	VersionSource string `toml:"version-source,omitempty"`
	Build         bool   `toml:"build"`
	Launch        bool   `toml:"launch"`
}

// Detect passes when the app asks for ffmpeg and fails with a reason otherwise.
func Detect(ctx context.Context, req sdk.DetectRequest[Metadata, Config]) (sdk.DetectResult, error) {
	if req.Config.Enabled == "false" {
		return sdk.Fail("ffmpeg is switched off with BP_FFMPEG_ENABLED=false"), nil
	}
	var reasons []string
	// The app needs ffmpeg when it runs. Nothing this buildpack knows of needs it while the
	// app is built (pip installs wheels without running them): asking for build = true would
	// make the layers cache layers, restored file by file on every build.
	want := RequireMetadata{Launch: true}
	if req.Config.Enabled == "true" {
		reasons = append(reasons, "BP_FFMPEG_ENABLED=true")
	}
	if !req.Config.Version.IsZero() {
		reasons = append(reasons, "BP_FFMPEG_VERSION="+req.Config.Version.String())
		want.Version, want.VersionSource = req.Config.Version.String(), "BP_FFMPEG_VERSION"
	}
	fileVersion, found, err := ReadVersionFile(req.App)
	if err != nil {
		return sdk.DetectResult{}, err
	}
	if found {
		if fileVersion == "" {
			reasons = append(reasons, VersionFile)
		} else {
			reasons = append(reasons, fmt.Sprintf("%s asks for %s", VersionFile, fileVersion))
			if want.Version == "" {
				want.Version, want.VersionSource = fileVersion, VersionFile
			}
		}
	}
	uses, err := pythonUses(req.App, req.Metadata.PythonPackages)
	if err != nil {
		req.Log.Warn("Some Python requirement files could not be read, so they were not checked for ffmpeg users: %v", err)
	}
	reasons = append(reasons, uses...)
	if len(reasons) == 0 {
		return sdk.Fail("the app does not ask for ffmpeg: set BP_FFMPEG_ENABLED=true or BP_FFMPEG_VERSION, add a %s file, "+
			"or require one of %s", VersionFile, strings.Join(req.Metadata.PythonPackages, ", ")), nil
	}
	req.Log.Detail("ffmpeg requested by %s", strings.Join(reasons, "; "))
	return sdk.Pass(sdk.BuildPlan{
		Provides: []sdk.Provide{{Name: PlanName}},
		Requires: []sdk.Require{sdk.NewRequire(PlanName, want)},
	}), nil
}

// ReadVersionFile reads .ffmpeg-version from the app root: found reports whether the file
// exists; constraint is its first line that is neither blank nor a "#" comment, "" when the
// file has none (the file alone opts the app in). An invalid constraint is an *sdk.Error.
func ReadVersionFile(app fs.FS) (constraint string, found bool, err error) {
	data, err := fs.ReadFile(app, VersionFile)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading %s: %w", VersionFile, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "#"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		if _, err := sdk.ParseVersionConstraint(line); err != nil {
			return "", true, sdk.Errorf("Invalid ffmpeg version in "+VersionFile,
				"%s says %q, which is not a version constraint", VersionFile, line).
				WithFixes(
					"Write one constraint on the first line, e.g. 7.1 or >=7, or leave the file empty for the newest version.",
					"The versions this buildpack offers are listed in docs/buildpacks/ffmpeg.md.").
				WithCause(err)
		}
		return line, true, nil
	}
	if err := sc.Err(); err != nil {
		return "", true, fmt.Errorf("reading %s: %w", VersionFile, err)
	}
	return "", true, nil
}

// pythonUses returns a reason for every requirement naming one of packages.
func pythonUses(app fs.FS, packages []string) ([]string, error) {
	if len(packages) == 0 {
		return nil, nil
	}
	wanted := map[string]bool{}
	for _, p := range packages {
		wanted[pyreqs.Normalize(p)] = true
	}
	reqs, err := pyreqs.Scan(app)
	var out []string
	seen := map[string]bool{}
	for _, r := range reqs {
		if wanted[r.Name] && !seen[r.Name+r.Source] {
			seen[r.Name+r.Source] = true
			out = append(out, fmt.Sprintf("%s requires %s", r.Source, r.Name))
		}
	}
	return out, err
}
