package sdk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cnbkit/cnbkit/integration/harness"
	"github.com/cnbkit/cnbkit/integration/internal/prereq"
	"github.com/cnbkit/cnbkit/packager"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// hostTarget is the only target the harness can run: the host's architecture.
var hostTarget = spec.Target{OS: "linux", Arch: runtime.GOARCH}

// packageFile runs what `cnbkit package <out> --path <dir> --target linux/<host arch>` runs and
// returns the .cnb file written.
func packageFile(ctx context.Context, dir, out string) (string, error) {
	pkg, err := packager.Build(ctx, packager.Options{Path: dir, Targets: []spec.Target{hostTarget}})
	if err != nil {
		return "", fmt.Errorf("packaging %s: %w", dir, err)
	}
	defer pkg.Close()
	outs, err := packager.FileSink{Name: out}.Write(ctx, pkg)
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", out, err)
	}
	if len(outs) != 1 {
		return "", fmt.Errorf("packaging %s: wrote %d files, want 1", dir, len(outs))
	}
	return outs[0].Location, nil
}

// packageMotd packages sdk/examples/motd. Its main package is cmd/motd, where the packager does
// not look for one (it compiles ./cmd or the buildpack root), so the executable is compiled
// here as the packager would compile it (static, trimmed, for the target) into a buildpack
// directory with buildpack.toml, bin/build and bin/detect -> build; the packager packages that
// directory as a prebuilt buildpack.
func packageMotd(ctx context.Context, work string) (string, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return "", err
	}
	src := filepath.Join(root, "sdk", "examples", "motd")
	dir := filepath.Join(work, "motd")
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		return "", err
	}
	desc, err := os.ReadFile(filepath.Join(src, "buildpack.toml"))
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "buildpack.toml"), desc, 0o644); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w -buildid=",
		"-o", filepath.Join(dir, "bin", "build"), "./sdk/examples/motd/cmd/motd")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+hostTarget.OS, "GOARCH="+hostTarget.Arch, "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("compiling the motd example: %w\n%s", err, out)
	}
	if err := os.Symlink("build", filepath.Join(dir, "bin", "detect")); err != nil {
		return "", err
	}
	return packageFile(ctx, dir, filepath.Join(work, "motd.cnb"))
}

// setup packages both buildpacks and prepares one harness for the subtests of t.
func setup(t *testing.T) (h *harness.Harness, motd, probe harness.Buildpack) {
	t.Helper()
	prereq.Harness(t, "go")
	ctx := t.Context()
	start := time.Now()
	work := t.TempDir()
	motdFile, err := packageMotd(ctx, work)
	if err != nil {
		t.Fatal(err)
	}
	probeDir, err := filepath.Abs(filepath.Join("testdata", "probe"))
	if err != nil {
		t.Fatal(err)
	}
	probeFile, err := packageFile(ctx, probeDir, filepath.Join(work, "probe.cnb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("buildpacks packaged in %s", time.Since(start).Round(100*time.Millisecond))
	start = time.Now()
	// Platform API 0.15, as pack v0.40 speaks to lifecycle v0.21: the launcher then picks
	// processes by execution environment.
	h, err = harness.New(ctx, t, harness.Options{PlatformAPI: "0.15"})
	if err != nil {
		t.Fatalf("preparing the harness (integration/scripts/setup.sh installs what it needs): %v", err)
	}
	t.Logf("harness ready in %s", time.Since(start).Round(100*time.Millisecond))
	return h, harness.BuildpackFile(motdFile), harness.BuildpackFile(probeFile)
}

// build runs a build and fails t when the harness itself fails (not when the build does: the
// Result says that). The build's directories, cache and context belong to owner (the
// top-level test), so that later subtests can rebuild from the result and run its image: the
// Result reads the image's layers from the registry with the build's context.
func build(t *testing.T, owner testing.TB, h *harness.Harness, opts harness.BuildOptions) *harness.Result {
	t.Helper()
	start := time.Now()
	res, err := h.Build(owner.Context(), owner, opts)
	if err != nil {
		t.Fatalf("harness build: %v", err)
	}
	t.Logf("build: %s", time.Since(start).Round(10*time.Millisecond))
	return res
}

// rebuild is build for Harness.Rebuild.
func rebuild(t *testing.T, owner testing.TB, h *harness.Harness, prev *harness.Result, change func(*harness.BuildOptions)) *harness.Result {
	t.Helper()
	start := time.Now()
	res, err := h.Rebuild(owner.Context(), owner, prev, change)
	if err != nil {
		t.Fatalf("harness rebuild: %v", err)
	}
	t.Logf("rebuild: %s", time.Since(start).Round(10*time.Millisecond))
	return res
}

// runOnce runs a process of the image to its end and returns its output.
func runOnce(t *testing.T, res *harness.Result, opts harness.RunOptions) (string, error) {
	t.Helper()
	c, err := harness.Run(t.Context(), t, res.OCIImage(), opts)
	if err != nil {
		t.Fatalf("harness run: %v", err)
	}
	err = c.Wait()
	return c.Logs(), err
}

// bpMetadata is a buildpack's entry in the image's io.buildpacks.lifecycle.metadata label.
type bpMetadata struct {
	Key    string `json:"key"`
	Layers map[string]struct {
		Build  bool           `json:"build"`
		Launch bool           `json:"launch"`
		Cache  bool           `json:"cache"`
		Data   map[string]any `json:"data"`
	} `json:"layers"`
	Store *struct {
		Metadata map[string]any `json:"metadata"`
	} `json:"store"`
}

// lifecycleMetadata returns the buildpack's entry of the lifecycle's metadata label.
func lifecycleMetadata(res *harness.Result, id string) (bpMetadata, error) {
	var md struct {
		Buildpacks []bpMetadata `json:"buildpacks"`
	}
	if err := json.Unmarshal([]byte(res.Config.Labels[harness.LabelLifecycleMetadata]), &md); err != nil {
		return bpMetadata{}, fmt.Errorf("decoding %s: %w", harness.LabelLifecycleMetadata, err)
	}
	for _, b := range md.Buildpacks {
		if b.Key == id {
			return b, nil
		}
	}
	return bpMetadata{}, fmt.Errorf("%s has no buildpack %s", harness.LabelLifecycleMetadata, id)
}

// buildpackLayers returns the names in names that are buildpack layers ("<id>:<layer>").
func buildpackLayers(names []string) []string {
	out := []string{}
	for _, n := range names {
		if strings.Contains(n, ":") && !strings.HasPrefix(n, "app:") {
			out = append(out, n)
		}
	}
	return out
}
