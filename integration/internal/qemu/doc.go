// Package qemu runs Linux executables built for another architecture under QEMU's user-mode
// emulator (Debian's qemu-user-static: qemu-aarch64-static for arm64 on an amd64 machine,
// qemu-x86_64-static the other way round), in one of two ways. Command invokes the emulator
// explicitly: nothing is registered with the kernel, so only the program named runs emulated,
// and when it starts another executable of its own architecture the kernel refuses it (exec
// format error). Registered runs the program in a user namespace whose own binfmt_misc
// instance has the emulator registered (Linux 6.7 and later): every executable of that
// architecture the program starts runs emulated too, as on a machine set up for emulation,
// and the host's registrations stay as they were.
package qemu
