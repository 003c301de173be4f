package harness

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/cnbkit/cnbkit/integration/internal/diskcache"
	"github.com/cnbkit/cnbkit/integration/internal/gotool"
)

// LifecycleVersion is the version of github.com/buildpacks/lifecycle that [Lifecycle] builds.
const LifecycleVersion = "0.21.11"

// lifecyclePhases are the names the lifecycle binary answers to, as symlinks next to it.
var lifecyclePhases = []string{"detector", "analyzer", "restorer", "builder", "exporter", "rebaser", "creator", "extender"}

// lifecycle API lists written into lifecycle.toml; they match what v0.21.11 accepts.
const (
	lifecycleBuildpackAPIs = `["0.7", "0.8", "0.9", "0.10", "0.11", "0.12"]`
	lifecyclePlatformAPIs  = `["0.7", "0.8", "0.9", "0.10", "0.11", "0.12", "0.13", "0.14", "0.15"]`
)

// LifecycleBinaries are the lifecycle executables built by [Lifecycle].
type LifecycleBinaries struct {
	// Version is the lifecycle version, e.g. "0.21.11".
	Version string
	// Dir holds lifecycle, launcher, lifecycle.toml and the phase symlinks (creator, ...).
	// It is the directory the harness mounts as /cnb/lifecycle.
	Dir string
	// Lifecycle and Launcher are the two binaries in Dir.
	Lifecycle, Launcher string
	// Tarball is a .tgz with lifecycle.toml and lifecycle/{lifecycle,launcher,<phases>}, the
	// layout `pack builder create` accepts as `[lifecycle] uri`.
	Tarball string
}

// Lifecycle returns the lifecycle binaries for [LifecycleVersion], building them on first use
// (CGO disabled, static, for the host's architecture) in a temporary Go module from the Go
// module proxy, so the lifecycle never enters the caller's module graph. The result is cached
// in [CacheDir]; concurrent callers in other processes wait for the first build. It needs the
// go command on PATH (or in $GOROOT/bin).
func Lifecycle(ctx context.Context) (*LifecycleBinaries, error) {
	cache, err := CacheDir()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(cache, "lifecycle", LifecycleVersion+"-"+runtime.GOARCH)
	if err := diskcache.Entry(ctx, dir, func(tmp string) error { return buildLifecycle(ctx, tmp) }); err != nil {
		return nil, fmt.Errorf("building lifecycle %s: %w", LifecycleVersion, err)
	}
	return &LifecycleBinaries{
		Version:   LifecycleVersion,
		Dir:       filepath.Join(dir, "lifecycle"),
		Lifecycle: filepath.Join(dir, "lifecycle", "lifecycle"),
		Launcher:  filepath.Join(dir, "lifecycle", "launcher"),
		Tarball:   filepath.Join(dir, "lifecycle-v"+LifecycleVersion+"+linux."+runtime.GOARCH+".tgz"),
	}, nil
}

// buildLifecycle fills out with lifecycle/ (binaries, symlinks, lifecycle.toml) and the tgz.
func buildLifecycle(ctx context.Context, out string) error {
	bin := filepath.Join(out, "lifecycle")
	var progs []gotool.Program
	for _, name := range []string{"lifecycle", "launcher"} {
		progs = append(progs, gotool.Program{Package: "github.com/buildpacks/lifecycle/cmd/" + name, Out: filepath.Join(bin, name)})
	}
	if err := gotool.Build(ctx, gotool.Module{
		Dir:     filepath.Join(out, "src"),
		Path:    "cnbkit-lifecycle-build",
		Get:     "github.com/buildpacks/lifecycle/cmd/lifecycle@v" + LifecycleVersion,
		LDFlags: "-s -w -X github.com/buildpacks/lifecycle/cmd.Version=" + LifecycleVersion,
	}, progs...); err != nil {
		return err
	}
	for _, p := range lifecyclePhases {
		if err := os.Symlink("lifecycle", filepath.Join(bin, p)); err != nil {
			return fmt.Errorf("linking phase %s: %w", p, err)
		}
	}
	descriptor := fmt.Sprintf(`[apis]
[apis.buildpack]
  deprecated = []
  supported = %s
[apis.platform]
  deprecated = []
  supported = %s

[api]
  platform = "0.7"
  buildpack = "0.7"

[lifecycle]
  version = %q
  sbom-formats = ["application/vnd.cyclonedx+json", "application/spdx+json", "application/vnd.syft+json"]
`, lifecycleBuildpackAPIs, lifecyclePlatformAPIs, LifecycleVersion)
	if err := os.WriteFile(filepath.Join(bin, "lifecycle.toml"), []byte(descriptor), 0o644); err != nil {
		return err
	}
	return writeLifecycleTarball(filepath.Join(out, "lifecycle-v"+LifecycleVersion+"+linux."+runtime.GOARCH+".tgz"), bin, []byte(descriptor))
}

// writeLifecycleTarball writes lifecycle.toml and lifecycle/... with normalised headers.
func writeLifecycleTarball(path, bin string, descriptor []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	mtime := time.Date(1980, 1, 1, 0, 0, 1, 0, time.UTC)
	hdr := func(name string, mode int64, typ byte, size int64, link string) *tar.Header {
		return &tar.Header{Name: name, Mode: mode, Typeflag: typ, Size: size, Linkname: link, ModTime: mtime, Format: tar.FormatPAX}
	}
	if err := tw.WriteHeader(hdr("lifecycle.toml", 0o644, tar.TypeReg, int64(len(descriptor)), "")); err != nil {
		return err
	}
	if _, err := tw.Write(descriptor); err != nil {
		return err
	}
	if err := tw.WriteHeader(hdr("lifecycle/", 0o755, tar.TypeDir, 0, "")); err != nil {
		return err
	}
	for _, name := range []string{"launcher", "lifecycle"} {
		data, err := os.ReadFile(filepath.Join(bin, name))
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(hdr("lifecycle/"+name, 0o755, tar.TypeReg, int64(len(data)), "")); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	for _, p := range lifecyclePhases {
		if err := tw.WriteHeader(hdr("lifecycle/"+p, 0o777, tar.TypeSymlink, 0, "lifecycle")); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// lastLines keeps the tail of a command's output for an error message, on one line.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
