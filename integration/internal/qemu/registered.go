package qemu

import (
	"context"
	"debug/elf"
	"fmt"
	"os/exec"
	"strings"
)

// registerScript runs in the new namespaces: it mounts the user namespace's own binfmt_misc
// instance, writes the registration given as $1 into it and replaces itself with the program.
const registerScript = `set -e
mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || {
	echo "this kernel gives a user namespace no binfmt_misc of its own (Linux 6.7 or later does)" >&2
	exit 125
}
printf '%s' "$1" >/proc/sys/fs/binfmt_misc/register
shift
exec "$@"`

// Registered returns the command that runs program, a Linux executable for GOARCH arch, with
// args in a new user and mount namespace whose own binfmt_misc instance (Linux 6.7 and later
// give each user namespace one) has arch's emulator registered: the program and every
// executable of arch that it starts run emulated, as on a machine where the emulator is
// registered with the kernel, while nothing outside the namespace changes (the host keeps
// refusing such executables). The namespace maps root to the caller, so files keep the
// caller's owner. A dynamically linked program finds its loader and libraries under the root
// that QEMU_LD_PREFIX names in the command's environment, which the caller sets. For the
// host's architecture it is the program itself. Needs unshare (util-linux) on PATH.
func Registered(ctx context.Context, arch, program string, args ...string) (*exec.Cmd, error) {
	if Native(arch) {
		return exec.CommandContext(ctx, program, args...), nil
	}
	reg, err := registration(arch)
	if err != nil {
		return nil, err
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		return nil, fmt.Errorf("running %s executables with a registered emulator needs unshare: apt-get install -y util-linux", arch)
	}
	cmdArgs := []string{"--user", "--map-root-user", "--mount", "--propagation", "private",
		"--", "/bin/sh", "-c", registerScript, "sh", reg, program}
	return exec.CommandContext(ctx, unshare, append(cmdArgs, args...)...), nil
}

// registration is the line written to binfmt_misc's register file for arch's emulator:
// ":name:M::magic:mask:interpreter:F". The magic is the start of a 64-bit little-endian ELF
// header (class, data order, version) with arch's machine; the mask leaves out the OS ABI and
// the low bit of the file type, so that executables (ET_EXEC) and
// position-independent executables (ET_DYN) match. F opens the emulator at registration, so
// that it is found from any root a build changes into.
func registration(arch string) (string, error) {
	name, err := Emulator(arch)
	if err != nil {
		return "", err
	}
	emu, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("running a %s executable needs %s: apt-get install -y --no-install-recommends %s", arch, name, Package)
	}
	m := machines[arch].elf
	magic := []byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT),
		0, 0, 0, 0, 0, 0, 0, 0, 0, byte(elf.ET_EXEC), 0, byte(m), byte(m >> 8)}
	mask := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xfe, 0xff, 0xff, 0xff}
	return fmt.Sprintf(":%s:M::%s:%s:%s:F", name, hexEscape(magic), hexEscape(mask), emu), nil
}

// hexEscape writes b as binfmt_misc reads bytes: \xHH each.
func hexEscape(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		fmt.Fprintf(&s, `\x%02x`, c)
	}
	return s.String()
}
