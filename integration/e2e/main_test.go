package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/fixtures"
	"github.com/cnbkit/cnbkit/integration/harness"
	"github.com/cnbkit/cnbkit/integration/internal/prereq"
	"github.com/cnbkit/cnbkit/integration/internal/sbomcheck"
	"github.com/cnbkit/cnbkit/packager"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// Buildpack ids and the version the repository's buildpacks carry.
const (
	pythonID    = "cnbkit/python"
	ffmpegID    = "cnbkit/ffmpeg"
	compositeID = "cnbkit/python-ffmpeg"
	bpVersion   = "0.1.0"
)

// env is what every test shares: the fixtures served from 127.0.0.1 and the packaged
// buildpacks. It is made once per test binary (see setup).
type env struct {
	mirror *fixtures.Mirror
	// composite is python-ffmpeg.cnb: the composite with cnbkit/python and cnbkit/ffmpeg,
	// their inventories replaced by the mirror's.
	composite string
	// bundled is python-bundled.cnb: cnbkit/python packaged with --include-dependencies for
	// CPython, which its builds read from the buildpack instead of the mirror.
	bundled string
	// tampered is python-tampered.cnb: cnbkit/python whose CPython entry has a wrong sha256,
	// as if the organisation's artifact had been replaced after the inventory was written.
	tampered string
	// indexURL is the wheel index, given to builds as PIP_INDEX_URL.
	indexURL string
}

var shared struct {
	once sync.Once
	env  env
	err  error
	work string
}

// measurements are printed at the end of the run (and logged by the tests that take them).
var measurements struct {
	sync.Mutex
	lines []string
}

func record(t testing.TB, format string, args ...any) {
	t.Helper()
	line := fmt.Sprintf(format, args...)
	t.Log(line)
	measurements.Lock()
	measurements.lines = append(measurements.lines, line)
	measurements.Unlock()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.env.mirror != nil {
		shared.env.mirror.Close()
	}
	if shared.work != "" {
		os.RemoveAll(shared.work)
	}
	if len(measurements.lines) > 0 {
		fmt.Println("e2e measurements:")
		for _, l := range measurements.lines {
			fmt.Println("  " + l)
		}
	}
	os.Exit(code)
}

// TestE2E runs every end-to-end test with one harness (lifecycle, Debian stack, registry on
// 127.0.0.1), one set of fixtures and one packaging of the buildpacks. The builds run one
// after the other: each one uses both cores. Run one part with e.g. -run 'TestE2E/FastAPI'.
func TestE2E(t *testing.T) {
	e := setup(t)
	h := newHarness(t, "bookworm")
	t.Run("FastAPI", func(t *testing.T) { testFastAPI(t, e, h) })
	t.Run("PythonFFmpeg", func(t *testing.T) { testPythonFFmpeg(t, e, h) })
	t.Run("Reproducible", func(t *testing.T) { testReproducible(t, e, h) })
	t.Run("Failures", func(t *testing.T) { testFailures(t, e, h) })
}

// setup builds (or takes from the cache) the fixtures, serves them and packages the
// buildpacks, once for the whole test binary.
func setup(t *testing.T) env {
	t.Helper()
	prereq.Root(t, "the end-to-end tests need root (mount and pid namespaces, chroot)")
	shared.once.Do(func() {
		start := time.Now()
		shared.err = prepare(context.Background())
		if shared.err == nil {
			record(t, "fixtures served and buildpacks packaged: %s", time.Since(start).Round(100*time.Millisecond))
		}
	})
	if shared.err != nil {
		t.Fatalf("preparing the end-to-end environment: %v", shared.err)
	}
	return shared.env
}

func prepare(ctx context.Context) error {
	f, err := fixtures.New(fixtures.Options{})
	if err != nil {
		return err
	}
	m, err := f.Mirror(ctx)
	if err != nil {
		return fmt.Errorf("building the fixtures (integration/scripts/setup.sh installs what they need): %w", err)
	}
	shared.env.mirror = m
	shared.env.indexURL = m.IndexURL
	if shared.work, err = os.MkdirTemp("", "cnbkit-e2e-"); err != nil {
		return err
	}

	// The organisation's inventory: every artifact of its mirror.
	inv := filepath.Join(shared.work, "inventory.toml")
	if err := fixtures.WriteInventoryFile(inv, m.Inventory); err != nil {
		return err
	}
	if shared.env.composite, err = packageBuildpack(ctx, "python-ffmpeg", inv, filepath.Join(shared.work, "python-ffmpeg.cnb")); err != nil {
		return err
	}
	if shared.env.bundled, err = packageBuildpack(ctx, "python", inv, filepath.Join(shared.work, "python-bundled.cnb"), "cpython"); err != nil {
		return err
	}

	// The same CPython entry with one hex digit of its checksum changed.
	var bad []fixtures.Dependency
	for _, d := range m.Inventory {
		if d.ID != "cpython" {
			continue
		}
		sum := strings.TrimPrefix(d.Checksum, "sha256:")
		flip := "0"
		if sum[0] == '0' {
			flip = "1"
		}
		d.Checksum = "sha256:" + flip + sum[1:]
		bad = append(bad, d)
	}
	if len(bad) == 0 {
		return fmt.Errorf("the mirror's inventory has no cpython entry: %v", m.Inventory)
	}
	badInv := filepath.Join(shared.work, "tampered.toml")
	if err := fixtures.WriteInventoryFile(badInv, bad); err != nil {
		return err
	}
	shared.env.tampered, err = packageBuildpack(ctx, "python", badInv, filepath.Join(shared.work, "python-tampered.cnb"))
	return err
}

// packageBuildpack runs what `cnbkit package <out> --path buildpacks/<name> --dependencies
// <inventory> --dependencies-mode replace --target linux/<host arch>` runs: Go buildpacks
// are compiled, the inventory replaced, and the package written as a .cnb file. With bundle
// ids it adds --include-dependencies --dependency-filter <id>... (the artifacts go into the
// package).
func packageBuildpack(ctx context.Context, name, inventory, out string, bundle ...string) (string, error) {
	src, err := filepath.Abs(filepath.Join("..", "..", "buildpacks", name))
	if err != nil {
		return "", err
	}
	pkg, err := packager.Build(ctx, packager.Options{
		Path:                src,
		Targets:             []spec.Target{{OS: "linux", Arch: runtime.GOARCH}},
		Inventory:           inventory,
		InventoryMode:       "replace",
		IncludeDependencies: len(bundle) > 0,
		DependencyFilter:    bundle,
	})
	if err != nil {
		return "", fmt.Errorf("packaging %s: %w", src, err)
	}
	defer pkg.Close()
	outs, err := packager.FileSink{Name: out}.Write(ctx, pkg)
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", out, err)
	}
	return outs[0].Location, nil
}

// newHarness returns a harness (lifecycle, the Debian stack of release, registry) for one
// top-level test.
func newHarness(t *testing.T, release string) *harness.Harness {
	t.Helper()
	start := time.Now()
	stack, err := harness.DebianStackFor(t.Context(), release)
	if err != nil {
		t.Fatalf("making the Debian %s stack (integration/scripts/setup.sh installs what it needs): %v", release, err)
	}
	h, err := harness.New(t.Context(), t, harness.Options{Stack: stack})
	if err != nil {
		t.Fatalf("preparing the harness (integration/scripts/setup.sh installs what it needs): %v", err)
	}
	t.Logf("harness on Debian %s ready in %s", release, time.Since(start).Round(100*time.Millisecond))
	return h
}

// build runs a build and fails the test when the harness itself fails (not when the build
// does: the Result says that).
func build(t *testing.T, h *harness.Harness, opts harness.BuildOptions) (*harness.Result, time.Duration) {
	t.Helper()
	start := time.Now()
	res, err := h.Build(t.Context(), t, opts)
	if err != nil {
		t.Fatalf("harness build: %v", err)
	}
	return res, time.Since(start)
}

func rebuild(t *testing.T, h *harness.Harness, prev *harness.Result, change func(*harness.BuildOptions)) (*harness.Result, time.Duration) {
	t.Helper()
	start := time.Now()
	res, err := h.Rebuild(t.Context(), t, prev, change)
	if err != nil {
		t.Fatalf("harness rebuild: %v", err)
	}
	return res, time.Since(start)
}

// serve runs the image's default process with PORT set to a free port and returns once the
// process listens on it.
func serve(t *testing.T, img v1.Image) *harness.Container {
	t.Helper()
	port, err := harness.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c, err := harness.Run(t.Context(), t, img, harness.RunOptions{Env: map[string]string{"PORT": strconv.Itoa(port)}, Port: port})
	if err != nil {
		t.Fatalf("running the image's default process on port %d: %v", port, err)
	}
	return c
}

// writeApp writes files (slash paths to contents) into a new directory.
func writeApp(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// expectSuccess fails with the build's logs when it did not pass.
func expectSuccess(g Gomega, res *harness.Result) {
	g.ExpectWithOffset(1, res.Success).To(BeTrue(), "build failed (exit %d):\n%s", res.ExitCode, res.Logs)
}

// imageSize is the sum of the compressed layer sizes of the image (what a registry stores
// and a pull downloads), and of the run image's layers alone.
func imageSize(res *harness.Result) (total, base int64) {
	for _, l := range res.Layers {
		total += l.Size
		if l.Name == "base" {
			base += l.Size
		}
	}
	return total, base
}

func layerNames(res *harness.Result) []string {
	var names []string
	for _, l := range res.Layers {
		if l.Name != "base" {
			names = append(names, l.Name)
		}
	}
	sort.Strings(names)
	return names
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// expectValidSBOMs validates every SBOM document of the image against the official schemas
// (CycloneDX) and the SPDX 2.3 rules, and that there is at least one.
func expectValidSBOMs(t *testing.T, res *harness.Result) {
	t.Helper()
	g := NewWithT(t)
	v, err := sbomcheck.Default(t.Context())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.SBOM).NotTo(BeEmpty())
	validated, err := v.Files(res.SBOM)
	g.Expect(err).NotTo(HaveOccurred(), "SBOM documents of the image")
	g.Expect(validated).NotTo(BeEmpty())
}
