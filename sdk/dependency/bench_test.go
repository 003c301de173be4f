package dependency_test

import (
	"archive/tar"
	"context"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/cnbkit/cnbkit/sdk/dependency"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// largeArchive writes a tar.gz resembling a runtime distribution: ~2,000 files in nested
// folders, half text-like (compressible), half binary-like (random), about 120 MiB unpacked.
func largeArchive(b *testing.B) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "runtime.tgz")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	gz, _ := gzip.NewWriterLevel(f, gzip.DefaultCompression)
	tw := tar.NewWriter(gz)
	rng := rand.New(rand.NewPCG(1, 2))
	words := []byte("import os\nimport sys\ndef main():\n    return 0\nclass Thing(object):\n    pass\n")
	tw.WriteHeader(&tar.Header{Name: "python/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Unix(1700000000, 0)})
	for i := 0; i < 2000; i++ {
		dir := "python/lib/pkg" + strconv.Itoa(i%40) + "/"
		if i%50 == 0 {
			tw.WriteHeader(&tar.Header{Name: dir, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Unix(1700000000, 0)})
		}
		size := 4<<10 + rng.IntN(120<<10)
		body := make([]byte, size)
		if i%2 == 0 {
			for j := range body {
				body[j] = words[(j+i)%len(words)]
			}
		} else {
			for j := 0; j < size; j += 8 {
				v := rng.Uint64()
				for k := 0; k < 8 && j+k < size; k++ {
					body[j+k] = byte(v >> (8 * k))
				}
			}
		}
		mode := int64(0o644)
		if i%10 == 0 {
			mode = 0o755
		}
		tw.WriteHeader(&tar.Header{Name: dir + "f" + strconv.Itoa(i), Typeflag: tar.TypeReg, Mode: mode, Size: int64(size), ModTime: time.Unix(1700000000, 0)})
		tw.Write(body)
	}
	tw.Close()
	gz.Close()
	f.Close()
	return path
}

// BenchmarkInstallVersusTar measures resolve + verify + extract of a large tar.gz through
// the package (from the download cache, so the sha256 is checked on every run) against
// `tar -xzf` of the same file, in the same run. It reports both wall times, their ratio,
// and the ratio of CPU times (tar's includes its gzip child).
func BenchmarkInstallVersusTar(b *testing.B) {
	if _, err := exec.LookPath("tar"); err != nil {
		b.Skip("tar not installed")
	}
	archive := largeArchive(b)
	data, err := os.ReadFile(archive)
	if err != nil {
		b.Fatal(err)
	}
	sum := sha(data)
	inv := dependency.Inventory{{ID: "runtime", Version: "1.0.0", SHA256: sum, StripComponents: 1,
		URI: (&url.URL{Scheme: "file", Path: archive}).String(), Target: spec.Target{OS: "linux", Arch: "amd64"}}}
	target := spec.Target{OS: "linux", Arch: "amd64"}
	f := &dependency.Fetcher{CacheDir: filepath.Join(b.TempDir(), "cache")}
	work := b.TempDir()
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	var ours, theirs, oursCPU, theirsCPU time.Duration
	for i := 0; i < b.N; i++ {
		dst := filepath.Join(work, "ours-"+strconv.Itoa(i))
		cpu0 := processCPU()
		start := time.Now()
		dep, err := inv.Resolve("runtime", "1", target)
		if err != nil {
			b.Fatal(err)
		}
		art, err := f.Fetch(ctx, dep) // file:// uri: verified in place
		if err != nil {
			b.Fatal(err)
		}
		if err := dependency.Extract(ctx, art, dep, dst); err != nil {
			b.Fatal(err)
		}
		ours += time.Since(start)
		oursCPU += processCPU() - cpu0

		tdst := filepath.Join(work, "tar-"+strconv.Itoa(i))
		os.MkdirAll(tdst, 0o755)
		start = time.Now()
		cmd := exec.Command("tar", "-xzf", archive, "-C", tdst, "--strip-components=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("tar: %v: %s", err, out)
		}
		theirs += time.Since(start)
		theirsCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()

		b.StopTimer()
		os.RemoveAll(dst)
		os.RemoveAll(tdst)
		b.StartTimer()
	}
	b.ReportMetric(float64(ours.Milliseconds())/float64(b.N), "cnbkit-ms/op")
	b.ReportMetric(float64(theirs.Milliseconds())/float64(b.N), "tar-ms/op")
	b.ReportMetric(float64(ours)/float64(theirs), "ratio")
	// CPU time is steadier than wall time on a busy machine.
	b.ReportMetric(float64(oursCPU)/float64(theirsCPU), "cpu-ratio")
}

// processCPU is the user+system time this process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
