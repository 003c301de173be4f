package ffmpeg_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"debug/elf"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/buildpacks/ffmpeg"
	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/cnbtest"
	"github.com/cnbkit/cnbkit/sdk/dependency"
)

// prerequisite skips the test when something it needs cannot exist here, except under
// CI=true, where a missing prerequisite is a failure.
func prerequisite(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("prerequisite missing under CI=true: "+format, args...)
	}
	t.Skipf("skipping: "+format, args...)
}

// npmCacheDir is where npm tarballs are kept between test runs.
func npmCacheDir(t *testing.T) string {
	t.Helper()
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "cnbkit-test", "npm")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("creating npm tarball cache: %v", err)
	}
	return dir
}

// npmPack returns the bytes of the npm tarball behind dep (its uri names the package, its
// checksum the exact file), fetching it with `npm pack` when the cache does not hold it. The
// bytes always have the inventory's checksum.
func npmPack(t *testing.T, dep dependency.Dependency) []byte {
	t.Helper()
	u, err := url.Parse(dep.URI)
	if err != nil {
		t.Fatalf("parsing %s: %v", dep.URI, err)
	}
	// /@scope/name/-/name-version.tgz -> @scope/name@version
	parts := strings.Split(strings.TrimPrefix(u.Path, "/"), "/-/")
	if len(parts) != 2 {
		t.Fatalf("uri %s is not an npm tarball path", dep.URI)
	}
	pkg := parts[0]
	file := strings.TrimSuffix(parts[1], ".tgz")
	version := file[strings.LastIndex(file, "-")+1:]
	cached := filepath.Join(npmCacheDir(t), dep.SHA256+".tgz")
	if data, err := os.ReadFile(cached); err == nil && sha256Hex(data) == dep.SHA256 {
		return data
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		prerequisite(t, "npm is not installed: %v", err)
	}
	work := t.TempDir()
	cmd := exec.CommandContext(context.Background(), npm, "pack", pkg+"@"+version, "--pack-destination", work, "--silent")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "npm_config_cache="+filepath.Join(work, "npm-cache"), "npm_config_update_notifier=false")
	out, err := cmd.CombinedOutput()
	if err != nil {
		prerequisite(t, "npm pack %s@%s failed (no access to the npm registry?): %v\n%s", pkg, version, err, out)
	}
	name := strings.TrimSpace(string(out))
	if i := strings.LastIndex(name, "\n"); i >= 0 {
		name = name[i+1:]
	}
	data, err := os.ReadFile(filepath.Join(work, name))
	if err != nil {
		t.Fatalf("reading the packed tarball %q: %v", name, err)
	}
	if got := sha256Hex(data); got != dep.SHA256 {
		t.Fatalf("npm pack %s@%s gave sha256 %s, buildpack.toml says %s", pkg, version, got, dep.SHA256)
	}
	// Write the cache entry atomically: parallel tests may pack the same tarball at once.
	if tmp, err := os.CreateTemp(filepath.Dir(cached), ".pack-*"); err == nil {
		_, werr := tmp.Write(data)
		cerr := tmp.Close()
		if werr == nil && cerr == nil {
			_ = os.Rename(tmp.Name(), cached)
		}
		_ = os.Remove(tmp.Name())
	}
	return data
}

// TestRealFFmpeg installs the static ffmpeg and ffprobe of the shipped inventory (fetched with
// npm pack, checked against buildpack.toml, served from 127.0.0.1 through the documented
// mirror variable) and transcodes a generated tone with them.
func TestRealFFmpeg(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		prerequisite(t, "the shipped binaries are for linux/amd64 and linux/arm64, this is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	g := NewWithT(t)
	inv, err := dependency.Load(".")
	g.Expect(err).NotTo(HaveOccurred())
	target := sdk.Target{OS: "linux", Arch: runtime.GOARCH}
	files := map[string][]byte{}
	for _, id := range []string{ffmpeg.FFmpeg, ffmpeg.FFprobe} {
		dep, err := inv.Resolve(id, "", target.Spec())
		g.Expect(err).NotTo(HaveOccurred())
		u, _ := url.Parse(dep.URI)
		g.Expect(u.Host).To(Equal("npm.invalid"), "the shipped inventory uses the placeholder host")
		files[u.Path] = npmPack(t, dep)
	}
	srv := newFileServer(t, files)
	env := map[string]string{"BP_FFMPEG_ENABLED": "true", "BP_DEPENDENCY_MIRROR_NPM_INVALID": srv.URL}

	det := cnbtest.Detect(t, ffmpeg.Detect, cnbtest.Options{BuildpackDir: ".", Env: env, Target: target})
	g.Expect(det.Pass).To(BeTrue(), det.Log)
	out := cnbtest.Build(t, ffmpeg.Build, cnbtest.Options{BuildpackDir: ".", Env: env, Target: target, Plan: det.BuildpackPlan()})
	g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
	g.Expect(out.Log).To(ContainSubstring("Smoke check passed: ffmpeg version N-"))
	g.Expect(out.Log).To(ContainSubstring("GPL-3.0-or-later"))
	g.Expect(out.Log).To(ContainSubstring("GPL build"))
	g.Expect(srv.Total()).To(Equal(2), "one download per artifact")

	t.Logf("build log:\n%s", out.Log)
	bin := filepath.Join(out.Layers["ffmpeg"].Path, "bin", "ffmpeg")
	probe := filepath.Join(out.Layers["ffprobe"].Path, "bin", "ffprobe")
	dir := t.TempDir()
	for _, name := range []string{"tone.wav", "tone.mp3"} {
		dst := filepath.Join(dir, name)
		cmd := exec.Command(bin, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=1", "-ac", "1", "-t", "1", dst)
		cmdOut, err := cmd.CombinedOutput()
		g.Expect(err).NotTo(HaveOccurred(), "ffmpeg %s: %s", name, cmdOut)
		st, err := os.Stat(dst)
		g.Expect(err).NotTo(HaveOccurred())
		if name == "tone.wav" {
			// 1 s of 16-bit mono at 44.1 kHz is 88200 bytes of samples plus a small header.
			g.Expect(st.Size()).To(BeNumerically("~", 88200+100, 200))
		} else {
			g.Expect(st.Size()).To(BeNumerically(">", 4000), "an mp3 of one second")
			g.Expect(st.Size()).To(BeNumerically("<", 64000), "an mp3 of one second")
		}
		probeOut, err := exec.Command(probe, "-v", "error", "-show_entries", "format=duration:stream=codec_name,sample_rate",
			"-of", "default=noprint_wrappers=1", dst).CombinedOutput()
		g.Expect(err).NotTo(HaveOccurred(), "ffprobe %s: %s", name, probeOut)
		fields := map[string]string{}
		for _, l := range strings.Split(strings.TrimSpace(string(probeOut)), "\n") {
			k, v, _ := strings.Cut(l, "=")
			fields[k] = v
		}
		g.Expect(fields).To(HaveKeyWithValue("sample_rate", "44100"))
		want := map[string]string{"tone.wav": "pcm_s16le", "tone.mp3": "mp3"}[name]
		g.Expect(fields).To(HaveKeyWithValue("codec_name", want))
		d, err := strconv.ParseFloat(fields["duration"], 64)
		g.Expect(err).NotTo(HaveOccurred(), "duration in %v", fields)
		g.Expect(d).To(BeNumerically("~", 1.0, 0.1))
	}
}

// TestShippedArtifacts fetches every artifact of the shipped inventory with npm pack (cached
// between runs), checks its sha256 against buildpack.toml, and checks that the program inside
// is a static ELF executable for the entry's architecture: what the smoke check cannot prove
// for the architecture the tests do not run on.
func TestShippedArtifacts(t *testing.T) {
	t.Parallel()
	inv, err := dependency.Load(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range inv {
		t.Run(dep.String(), func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			data := npmPack(t, dep)
			program := programFromTarball(t, data, dep.ID)
			f, err := elf.NewFile(bytes.NewReader(program))
			g.Expect(err).NotTo(HaveOccurred(), "package/%s is an ELF file", dep.ID)
			want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[dep.Target.Arch]
			g.Expect(f.Machine).To(Equal(want), "machine of %s", dep)
			g.Expect(f.Class).To(Equal(elf.ELFCLASS64))
			for _, p := range f.Progs {
				g.Expect(p.Type).NotTo(Equal(elf.PT_INTERP), "%s is static: it needs no program loader", dep)
			}
		})
	}
}

// programFromTarball returns package/<name> of an npm tarball.
func programFromTarball(t *testing.T, data []byte, name string) []byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("package/%s not found in the tarball: %v", name, err)
		}
		if h.Name == "package/"+name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}
