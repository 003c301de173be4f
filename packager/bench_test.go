package packager_test

import (
	"crypto/rand"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cnbkit/cnbkit/internal/registrytest"
	"github.com/cnbkit/cnbkit/internal/signtest"
	"github.com/cnbkit/cnbkit/packager"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// benchBuildpack writes a 16 MiB prebuilt buildpack (half random, half text).
func benchBuildpack(b *testing.B) string {
	dir := b.TempDir()
	random := make([]byte, 8<<20)
	if _, err := rand.Read(random); err != nil {
		b.Fatal(err)
	}
	text := make([]byte, 0, 8<<20)
	for len(text) < 8<<20 {
		text = append(text, "a line of text in a buildpack resource file\n"...)
	}
	files := bashBuildpack("bench/bp", "1.0.0", "")
	files["data/random.bin"] = string(random)
	files["data/text.txt"] = string(text)
	writeTree(b, dir, files)
	return dir
}

// BenchmarkPackageFile packages a 16 MiB prebuilt buildpack (half random, half text) into a
// .cnb file. scripts/bench-package.sh compares the CLI with pack and tar.
func BenchmarkPackageFile(b *testing.B) {
	dir := benchBuildpack(b)
	out := filepath.Join(b.TempDir(), "bp.cnb")
	b.SetBytes(16 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		packageFile(b, dir, out)
	}
}

// packageFile packages the buildpack in dir for linux/amd64 into the .cnb file out.
func packageFile(b *testing.B, dir, out string) {
	p, err := packager.Build(b.Context(), packager.Options{Path: dir, Targets: []spec.Target{{OS: "linux", Arch: "amd64"}}})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	if _, err := (packager.FileSink{Name: out}).Write(b.Context(), p); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkInspectFile inspects the .cnb of that buildpack: reading it verifies every blob,
// the layer's digest and its diff ID (decompressed alongside).
func BenchmarkInspectFile(b *testing.B) {
	dir := benchBuildpack(b)
	out := filepath.Join(b.TempDir(), "bp.cnb")
	packageFile(b, dir, out)
	b.SetBytes(16 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := packager.Inspect(b.Context(), out, packager.RegistryOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublish publishes the reference composite buildpacks/python-ffmpeg (two targets:
// an index and two images) to an in-process registry, unsigned and through Signing (each
// manifest signed and given two attestations): the difference is what signing adds.
// scripts/bench-sign.sh measures the whole `cnbkit package --publish` with and without
// --sign-key, key decryption included.
func BenchmarkPublish(b *testing.B) {
	p, err := packager.Build(b.Context(), packager.Options{Path: filepath.Join("..", "buildpacks", "python-ffmpeg")})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	host, key := registrytest.Start(b), signtest.Key(b)
	sinks := []struct {
		name string
		sink func(ref string) packager.Sink
	}{
		{"unsigned", func(ref string) packager.Sink { return packager.RegistrySink{Ref: ref} }},
		{"signed", func(ref string) packager.Sink { return signedWith(b, packager.RegistrySink{Ref: ref}, key) }},
	}
	for _, s := range sinks {
		b.Run(s.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				ref := fmt.Sprintf("%s/bench/python-ffmpeg-%s-%d:1", host, s.name, i)
				if _, err := s.sink(ref).Write(b.Context(), p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
