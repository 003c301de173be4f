package ffmpeg_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"debug/elf"
	"io"
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

// npmBuild is a static FFmpeg build published in the npm registry: the tests' stand-in for
// the release archives of the shipped inventory, which they cannot download. Each tarball
// holds package/<program> (John Van Sickle's GPL static builds of FFmpeg git snapshots);
// version is the snapshot date, sha256 that of the tarball (sha256sum after npm pack).
type npmBuild struct {
	id, arch, pkg, npmVersion, version, sha256 string
}

var npmBuilds = []npmBuild{
	{"ffmpeg", "amd64", "@ffmpeg-installer/linux-x64", "4.1.0", "2018.12.10", "b836abe532912ae6c3388dbe713952af293a3d005fc9e4d34d52f14da99dda71"},
	{"ffmpeg", "arm64", "@ffmpeg-installer/linux-arm64", "4.1.4", "2019.6.5", "2dbe7362c21f8d6bec085d6ad5dfd4b883876013d670e0a8ec60fdb51399814a"},
	{"ffprobe", "amd64", "@ffprobe-installer/linux-x64", "5.2.0", "2023.7.21", "8b6b2e34bad5ea7cfbe1914185145f514f620f24203a1a421e8d00a698bf8e61"},
	{"ffprobe", "arm64", "@ffprobe-installer/linux-arm64", "5.2.0", "2023.7.21", "369ec8159c5a347e460fe5e2cc9a7e3ed9c53acecb8f29e2a6491e756103c060"},
}

func (b npmBuild) String() string { return b.pkg + "@" + b.npmVersion }

// npmPack returns the bytes of the npm tarball b, fetching it with `npm pack` when the cache
// does not hold it. The bytes always have b's checksum.
func npmPack(t *testing.T, b npmBuild) []byte {
	t.Helper()
	pkg, version := b.pkg, b.npmVersion
	cached := filepath.Join(npmCacheDir(t), b.sha256+".tgz")
	if data, err := os.ReadFile(cached); err == nil && sha256Hex(data) == b.sha256 {
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
	if got := sha256Hex(data); got != b.sha256 {
		t.Fatalf("npm pack %s@%s gave sha256 %s, the test pins %s", pkg, version, got, b.sha256)
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

// TestRealFFmpeg installs real static ffmpeg and ffprobe builds (fetched with npm pack,
// checked against their pinned sha256, served from 127.0.0.1) with the buildpack's inventory
// replaced by theirs, as an organisation with its own builds replaces it, and transcodes a
// generated tone with them.
func TestRealFFmpeg(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		prerequisite(t, "the shipped binaries are for linux/amd64 and linux/arm64, this is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	g := NewWithT(t)
	target := sdk.Target{OS: "linux", Arch: runtime.GOARCH}
	srv := newFileServer(t, map[string][]byte{})
	var arts []artifact
	for _, b := range npmBuilds {
		if b.arch == runtime.GOARCH {
			arts = append(arts, artifact{id: b.id, version: b.version, arch: b.arch, data: npmPack(t, b)})
		}
	}
	desc := descriptor(t, srv, arts...)
	env := map[string]string{"BP_FFMPEG_ENABLED": "true"}

	det := cnbtest.Detect(t, ffmpeg.Detect, cnbtest.Options{Descriptor: desc, Env: env, Target: target})
	g.Expect(det.Pass).To(BeTrue(), det.Log)
	out := cnbtest.Build(t, ffmpeg.Build, cnbtest.Options{Descriptor: desc, Env: env, Target: target, Plan: det.BuildpackPlan()})
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

// TestNPMBuilds fetches every npm build the tests use (cached between runs), checks its
// sha256, and checks that the program inside is a static ELF executable for its
// architecture: what the smoke check cannot prove for the architecture the tests do not run on.
func TestNPMBuilds(t *testing.T) {
	t.Parallel()
	for _, b := range npmBuilds {
		t.Run(b.String(), func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			data := npmPack(t, b)
			program := programFromTarball(t, data, b.id)
			f, err := elf.NewFile(bytes.NewReader(program))
			g.Expect(err).NotTo(HaveOccurred(), "package/%s is an ELF file", b.id)
			want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[b.arch]
			g.Expect(f.Machine).To(Equal(want), "machine of %s", b)
			g.Expect(f.Class).To(Equal(elf.ELFCLASS64))
			for _, p := range f.Progs {
				g.Expect(p.Type).NotTo(Equal(elf.PT_INTERP), "%s is static: it needs no program loader", b)
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
