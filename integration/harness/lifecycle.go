package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/cnbkit/cnbkit/integration/internal/diskcache"
	"github.com/cnbkit/cnbkit/integration/internal/gotool"
	"github.com/cnbkit/cnbkit/integration/internal/tgz"
)

// Lifecycle releases of github.com/buildpacks/lifecycle the harness knows.
const (
	// DefaultLifecycleVersion is the release [Lifecycle] builds unless $CNBKIT_IT_LIFECYCLE
	// names another: the newest the Go module proxy serves.
	DefaultLifecycleVersion = "0.21.17"
	// OldestLifecycleVersion is the oldest release that runs Buildpack API 0.12 (the newest
	// API of the cnbkit SDK, which implements 0.10 to 0.12) and Platform API 0.15: v0.21.0
	// added both. cnbkit's CI runs part of its end-to-end tests on it.
	OldestLifecycleVersion = "0.21.0"
)

// LifecycleEnv names the environment variable that selects the lifecycle release for every
// harness of the process: a version such as 0.21.11, or "oldest" for [OldestLifecycleVersion].
const LifecycleEnv = "CNBKIT_IT_LIFECYCLE"

// LifecycleVersion is the lifecycle release [Lifecycle] builds: $CNBKIT_IT_LIFECYCLE when set
// ("oldest" meaning [OldestLifecycleVersion], a leading v dropped), otherwise
// [DefaultLifecycleVersion].
func LifecycleVersion() string {
	switch v := strings.TrimPrefix(strings.TrimSpace(os.Getenv(LifecycleEnv)), "v"); v {
	case "":
		return DefaultLifecycleVersion
	case "oldest":
		return OldestLifecycleVersion
	default:
		return v
	}
}

// lifecycleReplaces are replace directives for lifecycle releases that require a dependency
// version the Go module proxy does not serve. v0.21.17 requires kaniko v1.28.3, which the
// proxy refuses (403, "not available"); v1.27.5, the version v0.21.11 requires, compiles with
// it. kaniko serves only the extender phase (image extensions, Dockerfiles), which the
// harness does not run.
var lifecycleReplaces = map[string][]string{
	"0.21.17": {"github.com/osscontainertools/kaniko=github.com/osscontainertools/kaniko@v1.27.5"},
}

// lifecyclePhases are the names the lifecycle binary answers to, as symlinks next to it.
var lifecyclePhases = []string{"detector", "analyzer", "restorer", "builder", "exporter", "rebaser", "creator", "extender"}

// lifecycleDescriptorTemplate is the lifecycle.toml template given to the lifecycle's own
// release packager (tools/packager), which fills in the version and the API lists of the
// lifecycle it is built with, as a lifecycle release tarball has them.
const lifecycleDescriptorTemplate = `[apis]
[apis.buildpack]
  deprecated = {{.apis_buildpack_deprecated}}
  supported = {{.apis_buildpack_supported}}
[apis.platform]
  deprecated = {{.apis_platform_deprecated}}
  supported = {{.apis_platform_supported}}

[api]
  platform = "0.7"
  buildpack = "0.7"

[lifecycle]
  version = "{{.lifecycle_version}}"
  sbom-formats = {{.sbom_formats}}
`

// LifecycleBinaries are the lifecycle executables built by [Lifecycle].
type LifecycleBinaries struct {
	// Version is the lifecycle version, e.g. "0.21.17".
	Version string
	// Dir holds lifecycle, launcher and the phase symlinks (creator, ...). It is the
	// directory the harness mounts as /cnb/lifecycle.
	Dir string
	// Lifecycle and Launcher are the two binaries in Dir.
	Lifecycle, Launcher string
	// Tarball is a .tgz with lifecycle.toml and lifecycle/{lifecycle,launcher,<phases>}, the
	// layout of a lifecycle release that `pack builder create` accepts as `[lifecycle] uri`.
	Tarball string
	// BuildpackAPIs and PlatformAPIs are the API versions this lifecycle supports, from
	// its lifecycle.toml.
	BuildpackAPIs, PlatformAPIs []string
}

var releaseVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)

// Lifecycle returns the lifecycle binaries for [LifecycleVersion]; see [LifecycleAt].
func Lifecycle(ctx context.Context) (*LifecycleBinaries, error) {
	return LifecycleAt(ctx, LifecycleVersion())
}

// LifecycleAt returns the binaries of lifecycle release version (e.g. "0.21.17"), building
// them on first use (CGO disabled, static, for the host's architecture) in a temporary Go
// module from the Go module proxy, so the lifecycle never enters the caller's module graph;
// lifecycle.toml and the tarball are written by the lifecycle's own release packager. The
// result is cached in [CacheDir]; concurrent callers in other processes wait for the first
// build. It needs the go command on PATH (or in $GOROOT/bin).
func LifecycleAt(ctx context.Context, version string) (*LifecycleBinaries, error) {
	if !releaseVersion.MatchString(version) {
		return nil, fmt.Errorf("lifecycle version %q is not a release version such as %s: fix %s or the version asked for", version, DefaultLifecycleVersion, LifecycleEnv)
	}
	cache, err := CacheDir()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(cache, "lifecycle", version+"-"+runtime.GOARCH+"-r2")
	if err := diskcache.Entry(ctx, dir, func(tmp string) error { return buildLifecycle(ctx, tmp, version) }); err != nil {
		return nil, fmt.Errorf("building lifecycle %s: %w", version, err)
	}
	lc := &LifecycleBinaries{
		Version:   version,
		Dir:       filepath.Join(dir, "lifecycle"),
		Lifecycle: filepath.Join(dir, "lifecycle", "lifecycle"),
		Launcher:  filepath.Join(dir, "lifecycle", "launcher"),
		Tarball:   filepath.Join(dir, lifecycleTarballName(version)),
	}
	var desc lifecycleDescriptor
	if _, err := toml.DecodeFile(filepath.Join(dir, "lifecycle.toml"), &desc); err != nil {
		return nil, fmt.Errorf("reading the descriptor of lifecycle %s: %w", version, err)
	}
	lc.BuildpackAPIs, lc.PlatformAPIs = desc.APIs.Buildpack.Supported, desc.APIs.Platform.Supported
	return lc, nil
}

// lifecycleDescriptor is the part of lifecycle.toml the harness reads.
type lifecycleDescriptor struct {
	APIs struct {
		Buildpack, Platform struct {
			Supported []string `toml:"supported"`
		}
	} `toml:"apis"`
}

func lifecycleTarballName(version string) string {
	return "lifecycle-v" + version + "+linux." + runtime.GOARCH + ".tgz"
}

// buildLifecycle fills out with lifecycle/ (binaries, symlinks), the release tarball and its
// lifecycle.toml.
func buildLifecycle(ctx context.Context, out, version string) error {
	bin := filepath.Join(out, "lifecycle")
	tools := filepath.Join(out, "tools")
	defer os.RemoveAll(tools)
	var progs []gotool.Program
	for _, name := range []string{"lifecycle", "launcher"} {
		progs = append(progs, gotool.Program{Package: "github.com/buildpacks/lifecycle/cmd/" + name, Out: filepath.Join(bin, name)})
	}
	packager := filepath.Join(tools, "packager")
	progs = append(progs, gotool.Program{Package: "github.com/buildpacks/lifecycle/tools/packager", Out: packager})
	if err := gotool.Build(ctx, gotool.Module{
		Dir:     filepath.Join(out, "src"),
		Path:    "cnbkit-lifecycle-build",
		Get:     "github.com/buildpacks/lifecycle/cmd/lifecycle@v" + version,
		Replace: lifecycleReplaces[version],
		LDFlags: "-s -w -X github.com/buildpacks/lifecycle/cmd.Version=" + version,
	}, progs...); err != nil {
		return err
	}
	for _, p := range lifecyclePhases {
		if err := os.Symlink("lifecycle", filepath.Join(bin, p)); err != nil {
			return fmt.Errorf("linking phase %s: %w", p, err)
		}
	}
	template := filepath.Join(tools, "lifecycle.toml")
	if err := os.WriteFile(template, []byte(lifecycleDescriptorTemplate), 0o644); err != nil {
		return err
	}
	tarball := filepath.Join(out, lifecycleTarballName(version))
	cmd := exec.CommandContext(ctx, packager, "-archivePath", tarball, "-descriptorPath", template, "-inputDir", bin, "-version", version)
	cmd.Dir = tools
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("running the lifecycle's packager: %w: %s", err, strings.TrimSpace(string(msg)))
	}
	_ = os.Remove(tarball + ".sha256")
	descriptor, err := tgz.ReadFile(tarball, "lifecycle.toml")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "lifecycle.toml"), descriptor, 0o644)
}

// supportsPlatform reports whether the lifecycle accepts platform API version v.
func (lc *LifecycleBinaries) supportsPlatform(v string) bool {
	return slices.Contains(lc.PlatformAPIs, v)
}

// lastLines keeps the tail of a command's output for an error message, on one line.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
