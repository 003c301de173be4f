// Package qemu runs Linux executables built for another architecture under QEMU's user-mode
// emulator (Debian's qemu-user-static: qemu-aarch64-static for arm64 on an amd64 machine,
// qemu-x86_64-static the other way round), invoked explicitly. Nothing is registered with the
// kernel (no binfmt_misc), so only the program named runs emulated: when it starts another
// executable of its own architecture, the kernel refuses it (exec format error).
package qemu
