package qemu_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/internal/prereq"
	"github.com/cnbkit/cnbkit/integration/internal/qemu"
)

func TestEmulatorNames(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	for arch, want := range map[string]string{"arm64": "qemu-aarch64-static", "amd64": "qemu-x86_64-static"} {
		got, err := qemu.Emulator(arch)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got).To(Equal(want))
	}
	_, err := qemu.Emulator("s390x")
	g.Expect(err).To(MatchError(`no QEMU user-mode emulator known for architecture "s390x": use amd64 or arm64`))
	_, err = qemu.Command(t.Context(), "mips", "/bin/true")
	g.Expect(err).To(MatchError(ContainSubstring(`"mips"`)))
}

// archProbe builds, for GOARCH arch, a program that prints its GOOS/GOARCH and, given a
// path, starts that program and prints "child: " and the error of that start.
func archProbe(t *testing.T, arch string) string {
	t.Helper()
	g := NewWithT(t)
	dir := t.TempDir()
	src := `package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
)

func main() {
	fmt.Println(runtime.GOOS + "/" + runtime.GOARCH)
	if len(os.Args) > 1 {
		err := exec.Command(os.Args[1]).Run()
		fmt.Println("child:", err)
	}
}
`
	g.Expect(os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module archprobe\n\ngo 1.26\n"), 0o644)).To(Succeed())
	bin := filepath.Join(dir, "archprobe")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch, "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := build.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), "go build: %s", out)
	return bin
}

// A Go program compiled for the other architecture runs under the emulator and reports that
// architecture. A copy it starts itself runs only if the kernel runs such executables
// natively (a binfmt_misc registration, absent on the project's machines): the emulator does
// not follow exec, which is what the package documentation says.
func TestCommandRunsTheOtherArchitecture(t *testing.T) {
	t.Parallel()
	other := prereq.Emulated(t)
	emu, err := qemu.Emulator(other)
	if err != nil {
		t.Fatal(err)
	}
	g := NewWithT(t)
	bin := archProbe(t, other)

	nativeErr := exec.CommandContext(t.Context(), bin).Run()
	if nativeErr != nil {
		g.Expect(nativeErr).To(MatchError(ContainSubstring("exec format error")))
	} else {
		t.Logf("the kernel runs %s executables itself (binfmt_misc)", other)
	}

	cmd, err := qemu.Command(t.Context(), other, bin, bin)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(filepath.Base(cmd.Path)).To(Equal(emu))
	out, err := cmd.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), "output: %s", out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	g.Expect(lines).To(HaveLen(2), "output: %s", out)
	g.Expect(lines[0]).To(Equal("linux/" + other))
	if nativeErr != nil {
		g.Expect(lines[1]).To(Equal("child: fork/exec "+bin+": exec format error"), "a child of the emulated program is not emulated")
	} else {
		g.Expect(lines[1]).To(Equal("child: <nil>"))
	}
}

// With the emulator registered in the command's own namespace, the program and the copy it
// starts both run, started as the kernel starts any executable; the host still refuses the
// program afterwards (the registration lived in the namespace only).
func TestRegisteredFollowsExec(t *testing.T) {
	t.Parallel()
	other := prereq.Emulated(t)
	prereq.Root(t, "a binfmt_misc registration in a user namespace needs unprivileged user namespaces or root")
	g := NewWithT(t)
	bin := archProbe(t, other)

	cmd, err := qemu.Registered(t.Context(), other, bin, bin)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(filepath.Base(cmd.Path)).To(Equal("unshare"))
	out, err := cmd.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), "output: %s", out)
	g.Expect(strings.Split(strings.TrimSpace(string(out)), "\n")).To(Equal([]string{"linux/" + other, "child: <nil>"}))

	if err := exec.CommandContext(t.Context(), bin).Run(); err != nil {
		g.Expect(err).To(MatchError(ContainSubstring("exec format error")), "outside the namespace")
	} else {
		t.Logf("the kernel runs %s executables itself (binfmt_misc)", other)
	}

	native, err := qemu.Registered(t.Context(), runtime.GOARCH, "/bin/true", "x")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(native.Args).To(Equal([]string{"/bin/true", "x"}), "the host's architecture needs no emulator")
}

func TestCommandNative(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	cmd, err := qemu.Command(t.Context(), runtime.GOARCH, "/bin/true", "x")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cmd.Path).To(Equal("/bin/true"))
	g.Expect(cmd.Args).To(Equal([]string{"/bin/true", "x"}))
}

// CommandIn gives the emulator the root to look a dynamic program's loader and libraries up
// in (fixtures.Sysroot runs the arm64 CPython that way).
func TestCommandInRoot(t *testing.T) {
	t.Parallel()
	other := prereq.Emulated(t)
	g := NewWithT(t)
	cmd, err := qemu.CommandIn(t.Context(), other, "/srv/arm64-root", "/opt/python/bin/python3", "-V")
	g.Expect(err).NotTo(HaveOccurred())
	emu, err := qemu.Emulator(other)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(filepath.Base(cmd.Path)).To(Equal(emu))
	g.Expect(cmd.Args[1:]).To(Equal([]string{"-L", "/srv/arm64-root", "/opt/python/bin/python3", "-V"}))

	native, err := qemu.CommandIn(t.Context(), runtime.GOARCH, "/srv/root", "/bin/true")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(native.Args).To(Equal([]string{"/bin/true"}), "the host's architecture needs no emulator and no root")
}
