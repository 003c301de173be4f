package ffmpeg_test

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/buildpacks/ffmpeg"
	"github.com/cnbkit/cnbkit/sdk"
)

// foreignELF returns the header of a static ELF executable for an architecture other than
// the one the tests run on, and that architecture's GOARCH name.
func foreignELF() ([]byte, string) {
	machine, arch := elf.EM_AARCH64, "arm64"
	if runtime.GOARCH == "arm64" {
		machine, arch = elf.EM_X86_64, "amd64"
	}
	hdr := elf.Header64{
		Type: uint16(elf.ET_EXEC), Machine: uint16(machine), Version: uint32(elf.EV_CURRENT),
		Entry: 0x400000, Ehsize: 64, Phentsize: 56, Shentsize: 64,
	}
	copy(hdr.Ident[:], elf.ELFMAG)
	hdr.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	hdr.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	hdr.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	var buf bytes.Buffer
	_ = binary.Write(&buf, binary.LittleEndian, hdr)
	return buf.Bytes(), arch
}

// fakeProgram is a shell script that answers -version like an FFmpeg program.
func fakeProgram(name, versionLine string) []byte {
	return []byte("#!/bin/sh\necho '" + versionLine + "'\necho 'built with a test'\n" +
		"echo 'configuration: --enable-gpl --enable-version3 --enable-static'\n")
}

func writeProgram(t *testing.T, name string, content []byte, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, content, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSmokeCheck(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	program := writeProgram(t, "ffmpeg", fakeProgram("ffmpeg", "ffmpeg version N-1-gabc-static"), 0o755)
	info, err := ffmpeg.SmokeCheck(context.Background(), program, sdk.Target{OS: "linux", Arch: runtime.GOARCH})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.Line).To(Equal("ffmpeg version N-1-gabc-static"))
	g.Expect(info.GPL()).To(BeTrue())
}

func TestSmokeCheckExplainsWhyAProgramCannotRun(t *testing.T) {
	t.Parallel()
	header, foreignArch := foreignELF()
	target := sdk.Target{OS: "linux", Arch: runtime.GOARCH}
	cases := []struct {
		name    string
		content []byte
		mode    os.FileMode
		title   string
		detail  []string
	}{
		{"binary for another architecture", header, 0o755, "ffmpeg cannot run on this build image",
			[]string{"exec format error", "(" + foreignArch + ")"}},
		{"not an executable at all", []byte("just text\n"), 0o755, "ffmpeg cannot run on this build image",
			[]string{"not an ELF executable", "exec format error"}},
		{"no exec permission", fakeProgram("ffmpeg", "ffmpeg version 1"), 0o644, "ffmpeg cannot run on this build image",
			[]string{"is not executable"}},
		{"a failing program", []byte("#!/bin/sh\necho 'illegal instruction' >&2\nexit 132\n"), 0o755, "ffmpeg cannot run on this build image",
			[]string{"exited with code 132", "illegal instruction"}},
		{"a dynamic program whose loader is missing", []byte("#!/nonexistent/ld-linux.so.2\n"), 0o755, "ffmpeg cannot run on this build image",
			[]string{"needs a program loader the build image does not have"}},
		{"a different program", []byte("#!/bin/sh\necho hello\n"), 0o755, "ffmpeg does not look like ffmpeg",
			[]string{`printed "hello"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			program := writeProgram(t, "ffmpeg", c.content, c.mode)
			_, err := ffmpeg.SmokeCheck(context.Background(), program, target)
			var ue *sdk.Error
			g.Expect(errors.As(err, &ue)).To(BeTrue(), "SmokeCheck(%s) = %v, want an *sdk.Error", c.name, err)
			g.Expect(ue.Title).To(Equal(c.title), "detail: %s", ue.Detail)
			for _, d := range c.detail {
				g.Expect(ue.Detail).To(ContainSubstring(d))
			}
			g.Expect(ue.Fixes).NotTo(BeEmpty())
		})
	}
}

func TestSmokeCheckMissingProgram(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	_, err := ffmpeg.SmokeCheck(context.Background(), filepath.Join(t.TempDir(), "ffmpeg"), sdk.Target{OS: "linux", Arch: "amd64"})
	var ue *sdk.Error
	g.Expect(errors.As(err, &ue)).To(BeTrue())
	g.Expect(ue.Title).To(Equal("ffmpeg is missing"))
}
