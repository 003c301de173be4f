package walkthrough

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/cnbkit/cnbkit/integration/fixtures"
	"github.com/cnbkit/cnbkit/integration/harness"
	"github.com/cnbkit/cnbkit/integration/internal/prereq"
	"github.com/cnbkit/cnbkit/packager"
)

// rebuildPairs is how many unchanged rebuilds of each app one benchmark iteration times.
const rebuildPairs = 5

// BenchmarkRebuildFloor measures how close an unchanged rebuild of the FastAPI app with the
// python-ffmpeg composite comes to the lifecycle's own floor. With the real lifecycle, the
// harness's Debian stack and an export to the harness's registry, it builds a trivial app
// with a buildpack that does nothing (testdata/noop-buildpack) and, in each sub-benchmark,
// the walkthrough's FastAPI app with the composite, then times unchanged rebuilds of the two
// alternately, rebuildPairs pairs per iteration:
//
//   - packaged: the composite packaged as TestWalkthrough packages it (the mirror's
//     inventory, nothing bundled): nothing of CPython is kept for a requirements change,
//     which fetches its artifact from the mirror again;
//   - bundled: packaged with --include-dependencies for CPython (the FastAPI app needs no
//     ffmpeg): the artifact is read from the buildpack, nothing is kept.
//
// Each reports x-floor (median rebuild of the Python app / median rebuild of the no-op
// buildpack), python-rebuild-s and floor-rebuild-s (the lifecycle's run, creator start to
// exit, without the harness's copying before and reading the image after), python-cold-s (a
// cold build: no cache, no previous image) and python-reqchange-s (a rebuild of it after a
// requirements.txt change). The dockerfile sub-benchmark times the walkthrough's Dockerfile
// approximation of the same app: docker-cold-s (docker build --no-cache),
// docker-reqchange-s (after the same requirements change) and docker-rebuild-s (no change).
// The medians of the lifecycle's phase timers and the machine's load are logged. Each Python
// rebuild is checked (not timed) to rebuild no layer and run no pip. Run it (root; dockerd
// from Debian's docker.io):
//
//	cd integration && go test ./... -run '^$' -bench BenchmarkRebuildFloor -benchtime 3x
func BenchmarkRebuildFloor(b *testing.B) {
	prereq.Root(b, "the benchmark runs the lifecycle in namespaces and dockerd, and needs root")
	ctx := b.Context()
	h, err := harness.New(ctx, b, harness.Options{})
	if err != nil {
		b.Fatalf("preparing the harness: %v", err)
	}
	fx, err := fixtures.New(fixtures.Options{})
	if err != nil {
		b.Fatal(err)
	}
	mirror, err := fx.Mirror(ctx)
	if err != nil {
		b.Fatalf("building the fixtures: %v", err)
	}
	b.Cleanup(mirror.Close)
	work := b.TempDir()
	if err := os.Chmod(work, 0o755); err != nil {
		b.Fatal(err)
	}
	noop, err := filepath.Abs(filepath.Join("testdata", "noop-buildpack"))
	if err != nil {
		b.Fatal(err)
	}
	trivialApp := filepath.Join(work, "trivial-app")
	writeFiles(b, trivialApp, map[string]string{"hello.txt": "hello\n"})
	floorFirst := mustBuild(ctx, b, h, harness.BuildOptions{
		App:        trivialApp,
		Buildpacks: []harness.Buildpack{harness.BuildpackDir(noop)},
		LogLevel:   "debug", // for the phase timers
	})

	variants := []struct {
		name  string
		edits []func(*packager.Options)
	}{
		{"packaged", nil},
		{"bundled", []func(*packager.Options){func(o *packager.Options) {
			o.IncludeDependencies, o.DependencyFilter = true, []string{"cpython"}
		}}},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			benchPython(b, h, mirror, floorFirst, packageBuildpacks(ctx, b, b.TempDir(), mirror, v.edits...))
		})
	}
	b.Run("dockerfile", func(b *testing.B) { benchDockerfile(b, h, mirror) })
}

// benchPython times unchanged rebuilds of the FastAPI app built with composite against
// rebuilds of floorFirst, then a cold build and a requirements change.
func benchPython(b *testing.B, h *harness.Harness, mirror *fixtures.Mirror, floorFirst *harness.Result, composite string) {
	ctx := b.Context()
	work := b.TempDir()
	pyApp := filepath.Join(work, "python-app")
	writeFiles(b, pyApp, appFiles)
	python := harness.BuildOptions{
		App:        pyApp,
		Buildpacks: []harness.Buildpack{harness.BuildpackFile(composite)},
		Env:        map[string]string{"PIP_INDEX_URL": mirror.IndexURL},
		LogLevel:   "debug", // for the phase timers
	}
	pyFirst := mustBuild(ctx, b, h, python)

	var pyRuns, floorRuns []*harness.Result
	var cold, change []time.Duration
	var loads []string
	iteration := 0
	for b.Loop() {
		iteration++
		loads = append(loads, loadAverage())
		for range rebuildPairs {
			r := mustRebuild(ctx, b, h, pyFirst, nil)
			checkUnchanged(b, r)
			pyRuns = append(pyRuns, r)
			floorRuns = append(floorRuns, mustRebuild(ctx, b, h, floorFirst, nil))
		}
		// A cold build and a requirements change, in a lineage of their own (a new image
		// name, an empty cache), so the unchanged rebuilds above keep theirs.
		c := mustBuild(ctx, b, h, python)
		cold = append(cold, c.Elapsed)
		changedApp := filepath.Join(work, fmt.Sprintf("python-app-%d", iteration))
		writeFiles(b, changedApp, appFiles)
		writeFiles(b, changedApp, map[string]string{"requirements.txt": changedRequirements(iteration)})
		ch := mustRebuild(ctx, b, h, c, func(o *harness.BuildOptions) { o.App = changedApp })
		if !strings.Contains(ch.Logs, "Successfully installed") {
			b.Fatalf("the requirements change ran no pip:\n%s", ch.Logs)
		}
		change = append(change, ch.Elapsed)
	}
	b.StopTimer()

	pyMedian, floorMedian := median(elapsed(pyRuns)), median(elapsed(floorRuns))
	b.ReportMetric(pyMedian.Seconds()/floorMedian.Seconds(), "x-floor")
	b.ReportMetric(pyMedian.Seconds(), "python-rebuild-s")
	b.ReportMetric(floorMedian.Seconds(), "floor-rebuild-s")
	b.ReportMetric(median(cold).Seconds(), "python-cold-s")
	b.ReportMetric(median(change).Seconds(), "python-reqchange-s")
	b.Logf("%d cores, load average (1, 5, 15 min) at each iteration: %s", runtime.NumCPU(), strings.Join(loads, "; "))
	b.Logf("unchanged rebuild medians over %d runs each (lifecycle phase timers):\n%s", len(pyRuns),
		phaseTable([]string{"FastAPI app, python-ffmpeg composite", "trivial app, no-op buildpack"}, pyRuns, floorRuns))
	b.Logf("python rebuilds, each: %s", durations(elapsed(pyRuns)))
	b.Logf("floor rebuilds, each: %s", durations(elapsed(floorRuns)))
	b.Logf("cold: %s; requirements change: %s", durations(cold), durations(change))
}

// benchDockerfile times the walkthrough's Dockerfile approximation of the FastAPI app: a
// cold build, one after the requirements change of benchPython, one with no change.
func benchDockerfile(b *testing.B, h *harness.Harness, mirror *fixtures.Mirror) {
	ctx := b.Context()
	work := b.TempDir()
	d := startDockerd(ctx, b)
	loadImages(ctx, b, d, work, map[string]v1.Image{runImage: h.Stack.Run})
	seed := dockerfileApp{base: runImage, image: seedImage, cpython: mirror.CPython, indexURL: mirror.IndexURL, files: appFiles, want: wantBody}
	dir := writeDockerfileApp(b, filepath.Join(work, "dockerfile-app"), seed)
	var cold, change, unchanged []time.Duration
	var loads []string
	iteration := 0
	for b.Loop() {
		iteration++
		loads = append(loads, loadAverage())
		// A comment numbered by the iteration keeps docker's build cache from knowing the
		// changed requirements.
		writeFiles(b, dir, map[string]string{"app/requirements.txt": appFiles["requirements.txt"]})
		cold = append(cold, timeDocker(ctx, b, d, dir, seed, "--no-cache"))
		writeFiles(b, dir, map[string]string{"app/requirements.txt": changedRequirements(iteration)})
		change = append(change, timeDocker(ctx, b, d, dir, seed))
		unchanged = append(unchanged, timeDocker(ctx, b, d, dir, seed))
	}
	b.StopTimer()
	b.ReportMetric(median(cold).Seconds(), "docker-cold-s")
	b.ReportMetric(median(change).Seconds(), "docker-reqchange-s")
	b.ReportMetric(median(unchanged).Seconds(), "docker-rebuild-s")
	b.Logf("load average (1, 5, 15 min) at each iteration: %s", strings.Join(loads, "; "))
	b.Logf("docker cold: %s; requirements change: %s; unchanged: %s", durations(cold), durations(change), durations(unchanged))
}

// changedRequirements is the app's requirements plus one package, and a comment that makes
// each iteration's change new to docker's build cache.
func changedRequirements(iteration int) string {
	return appFiles["requirements.txt"] + fmt.Sprintf("itsdangerous\n# change %d\n", iteration)
}

func mustBuild(ctx context.Context, b *testing.B, h *harness.Harness, opts harness.BuildOptions) *harness.Result {
	b.Helper()
	res, err := h.Build(ctx, b, opts)
	if err != nil {
		b.Fatalf("harness build: %v", err)
	}
	if !res.Success {
		b.Fatalf("build failed (exit %d):\n%s", res.ExitCode, res.Logs)
	}
	return res
}

func mustRebuild(ctx context.Context, b *testing.B, h *harness.Harness, prev *harness.Result, change func(*harness.BuildOptions)) *harness.Result {
	b.Helper()
	res, err := h.Rebuild(ctx, b, prev, change)
	if err != nil {
		b.Fatalf("harness rebuild: %v", err)
	}
	if !res.Success {
		b.Fatalf("rebuild failed (exit %d):\n%s", res.ExitCode, res.Logs)
	}
	return res
}

// checkUnchanged stops the benchmark when an unchanged rebuild of the Python app did more
// than reuse: a layer rebuilt or pip run would make the numbers meaningless.
func checkUnchanged(b *testing.B, r *harness.Result) {
	b.Helper()
	if len(r.Rebuilt) > 0 || strings.Contains(r.Logs, "Successfully installed") {
		b.Fatalf("an unchanged rebuild rebuilt layers %v or ran pip:\n%s", r.Rebuilt, r.Logs)
	}
}

func timeDocker(ctx context.Context, b *testing.B, d *dockerd, dir string, app dockerfileApp, flags ...string) time.Duration {
	b.Helper()
	start := time.Now()
	if _, err := dockerfileBuild(ctx, d, dir, app, flags...); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

func elapsed(runs []*harness.Result) []time.Duration {
	out := make([]time.Duration, len(runs))
	for i, r := range runs {
		out[i] = r.Elapsed
	}
	return out
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func durations(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%.2fs", d.Seconds())
	}
	return strings.Join(parts, " ")
}

// phaseTable renders the table: the median whole rebuild and the medians of the
// restorer, the exporter plus the cache step, and the builder; then the analyzer and the
// detector.
func phaseTable(names []string, runs ...[]*harness.Result) string {
	var sb strings.Builder
	sb.WriteString("| unchanged rebuild | whole | restoring | exporting + cache | building | analyzing | detecting |\n|---|---|---|---|---|---|---|\n")
	for i, rs := range runs {
		phase := func(names ...string) time.Duration {
			var ds []time.Duration
			for _, r := range rs {
				var sum time.Duration
				for _, n := range names {
					sum += r.Phases[n]
				}
				ds = append(ds, sum)
			}
			return median(ds)
		}
		fmt.Fprintf(&sb, "| %s | %.3f s | %.3f s | %.3f s | %.3f s | %.3f s | %.3f s |\n", names[i], median(elapsed(rs)).Seconds(),
			phase("Restorer").Seconds(), phase("Exporter", "Cache").Seconds(), phase("Builder").Seconds(),
			phase("Analyzer").Seconds(), phase("Detector").Seconds())
	}
	return sb.String()
}

// loadAverage is the first three fields of /proc/loadavg.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
