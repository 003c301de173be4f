package qemu

import (
	"context"
	"debug/elf"
	"fmt"
	"os/exec"
	"runtime"
)

// Package is the Debian package that holds the emulators.
const Package = "qemu-user-static"

// machine is what is known of an architecture: QEMU's name for it and its ELF machine.
type machine struct {
	qemu string
	elf  elf.Machine
}

// machines maps GOARCH names to their machines.
var machines = map[string]machine{
	"amd64": {"x86_64", elf.EM_X86_64},
	"arm64": {"aarch64", elf.EM_AARCH64},
}

// Emulator returns the name of the user-mode emulator for executables of GOARCH arch, e.g.
// qemu-aarch64-static for arm64.
func Emulator(arch string) (string, error) {
	m, ok := machines[arch]
	if !ok {
		return "", fmt.Errorf("no QEMU user-mode emulator known for architecture %q: use amd64 or arm64", arch)
	}
	return "qemu-" + m.qemu + "-static", nil
}

// Other is the architecture of the project's pair, amd64 and arm64, that this machine does not
// run natively: arm64 on amd64 and the other way round; empty on any other machine.
func Other() string {
	return map[string]string{"amd64": "arm64", "arm64": "amd64"}[runtime.GOARCH]
}

// Native reports whether executables for GOARCH arch run on this machine without emulation.
func Native(arch string) bool { return arch == runtime.GOARCH }

// Command returns the command that runs program, a Linux executable for GOARCH arch, with
// args: the program itself when arch is the host's, else the emulator (found on PATH) with
// the program and args. The caller sets Dir, Env and the outputs.
func Command(ctx context.Context, arch, program string, args ...string) (*exec.Cmd, error) {
	return CommandIn(ctx, arch, "", program, args...)
}

// CommandIn is Command for a dynamically linked program of the other architecture: the
// emulator looks the program's dynamic loader and libraries up under root first (qemu's -L
// <root>, e.g. a Debian arm64 C library unpacked there). An empty root, or arch being the
// host's, is Command.
func CommandIn(ctx context.Context, arch, root, program string, args ...string) (*exec.Cmd, error) {
	if Native(arch) {
		return exec.CommandContext(ctx, program, args...), nil
	}
	name, err := Emulator(arch)
	if err != nil {
		return nil, err
	}
	emu, err := exec.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("running a %s executable on %s needs %s: apt-get install -y --no-install-recommends %s", arch, runtime.GOARCH, name, Package)
	}
	var prefix []string
	if root != "" {
		prefix = []string{"-L", root}
	}
	return exec.CommandContext(ctx, emu, append(append(prefix, program), args...)...), nil
}
