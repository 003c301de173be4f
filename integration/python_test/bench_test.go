package pythontest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnbkit/cnbkit/buildpacks/python"
	"github.com/cnbkit/cnbkit/sdk"
)

// BenchmarkPython compares, on the same fixture CPython and the same wheel index on
// 127.0.0.1, for the FastAPI app (fastapi + uvicorn, 12 distributions):
//
//   - cold-build: the buildpack's build with no previous layers (CPython download and
//     extraction, pip prepared outside the image, venv, pip install, deterministic bytecode);
//   - unchanged-rebuild: the same build given the previous layers (everything reused; the
//     time includes cnbtest copying the previous layers dir, which the lifecycle does not do);
//   - plain-pip: what a Dockerfile does with an already installed Python:
//     python -m venv v && v/bin/pip install -r requirements.txt (empty pip cache each time).
//
// Run: go test ./python_test -run '^$' -bench . -benchtime 3x
func BenchmarkPython(b *testing.B) {
	e := setup(b)

	// spent measures python.Build alone, without cnbtest's own work (copying the app and,
	// for a rebuild, the previous layers, which the lifecycle does differently).
	var spent time.Duration
	timed := func(ctx context.Context, req sdk.BuildRequest[sdk.None, python.Config]) (sdk.BuildResult, error) {
		start := time.Now()
		defer func() { spent += time.Since(start) }()
		return python.Build(ctx, req)
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(spent.Nanoseconds())/float64(b.N), "build-ns/op")
	}

	b.Run("cold-build", func(b *testing.B) {
		spent = 0
		defer report(b)
		for b.Loop() {
			out := buildWith(b, timed, e, fastapiApp, "")
			if out.Err != nil {
				b.Fatal(out.Err, out.Log)
			}
		}
	})

	b.Run("unchanged-rebuild", func(b *testing.B) {
		first := build(b, e, fastapiApp, "")
		if first.Err != nil {
			b.Fatal(first.Err, first.Log)
		}
		spent = 0
		defer report(b)
		for b.Loop() {
			out := buildWith(b, timed, e, fastapiApp, first.LayersDir)
			if out.Err != nil {
				b.Fatal(out.Err, out.Log)
			}
			if !out.Layers["venv"].Restored() || strings.Contains(out.Log, "Successfully installed") {
				b.Fatalf("the rebuild ran pip:\n%s", out.Log)
			}
		}
	})

	b.Run("plain-pip", func(b *testing.B) {
		root := b.TempDir()
		home, err := e.py.Unpack(b.Context(), filepath.Join(root, "cpython"))
		if err != nil {
			b.Fatal(err)
		}
		req := filepath.Join(root, "requirements.txt")
		if err := os.WriteFile(req, []byte(fastapiApp["requirements.txt"]), 0o644); err != nil {
			b.Fatal(err)
		}
		i := 0
		for b.Loop() {
			i++
			venv := filepath.Join(root, "venv", string(rune('a'+i%26))+strings.Repeat("x", i/26))
			cache := filepath.Join(root, "cache", filepath.Base(venv))
			run(b, filepath.Join(home, "bin", "python3"), "-m", "venv", venv)
			run(b, filepath.Join(venv, "bin", "pip"), "install", "--disable-pip-version-check", "--cache-dir", cache,
				"--index-url", e.indexURL, "-r", req)
		}
	})
}

func run(b *testing.B, name string, args ...string) {
	b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "PIP_FIND_LINKS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}
