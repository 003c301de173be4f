package ffmpeg

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/cnbkit/cnbkit/sdk"
)

// elfMachines maps GOARCH names to the ELF machine of binaries that run there.
var elfMachines = map[string]elf.Machine{
	"amd64":   elf.EM_X86_64,
	"arm64":   elf.EM_AARCH64,
	"386":     elf.EM_386,
	"arm":     elf.EM_ARM,
	"ppc64le": elf.EM_PPC64,
	"s390x":   elf.EM_S390,
	"riscv64": elf.EM_RISCV,
}

// VersionInfo is what `<program> -version` says about a build of FFmpeg.
type VersionInfo struct {
	// Line is the first line, e.g. "ffmpeg version N-47683-g0e8eb07980-static ...".
	Line string
	// Configuration is the ./configure line, e.g. "--enable-gpl --enable-version3 ...".
	Configuration string
}

// GPL reports whether the build enables GPL-licensed parts (--enable-gpl).
func (v VersionInfo) GPL() bool { return strings.Contains(v.Configuration, "--enable-gpl") }

// SmokeCheck runs `<program> -version` and returns what it reports. When the program cannot
// run on this machine (an executable for another architecture, a dynamic executable whose
// loader is missing, not an executable at all) the error is an *sdk.Error that says why and
// what to do; target names the build target for the message.
func SmokeCheck(ctx context.Context, program string, target sdk.Target) (VersionInfo, error) {
	name := filepath.Base(program)
	var stdout, stderr bytes.Buffer
	var err error
	for attempt := 0; ; attempt++ {
		stdout.Reset()
		stderr.Reset()
		cmd := exec.CommandContext(ctx, program, "-hide_banner", "-version")
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.Env = []string{"PATH=" + filepath.Dir(program)} // nothing from the build's env changes the answer
		err = cmd.Run()
		// A file just written may still be open for writing in a process forked meanwhile
		// (ETXTBSY, golang.org/issue/22315): that passes in moments, so try again.
		if !errors.Is(err, syscall.ETXTBSY) || attempt == 20 {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return VersionInfo{}, fmt.Errorf("running %s -version: %w", name, ctx.Err())
		}
		return VersionInfo{}, cannotRun(program, target, err, stderr.String())
	}
	out := strings.TrimSpace(stdout.String())
	first, _, _ := strings.Cut(out, "\n")
	if !strings.Contains(first, "version") {
		return VersionInfo{}, sdk.Errorf(fmt.Sprintf("%s does not look like %s", name, name),
			"%s -version printed %q", program, clip(first, 200)).
			WithFixes(fmt.Sprintf("Check that the %s artifact in buildpack.toml (or your mirror) holds the %s program.", name, name))
	}
	info := VersionInfo{Line: strings.TrimSpace(first)}
	for _, l := range strings.Split(out, "\n") {
		if c, ok := strings.CutPrefix(strings.TrimSpace(l), "configuration:"); ok {
			info.Configuration = strings.TrimSpace(c)
		}
	}
	return info, nil
}

// cannotRun explains why program did not run.
func cannotRun(program string, target sdk.Target, err error, stderr string) error {
	name := filepath.Base(program)
	title := fmt.Sprintf("%s cannot run on this build image", name)
	fixes := []string{
		fmt.Sprintf("Make sure the %s entry of [[metadata.dependencies]] for %s points at a static Linux build for that architecture.", name, target),
		"If you use a mirror or a replaced inventory, check that it serves the artifact the checksum names.",
	}
	var exitErr *exec.ExitError
	switch {
	case errors.Is(err, syscall.ENOEXEC):
		return sdk.Errorf(title, "%s (%s): %s", program, describeExecutable(program), err).
			WithFixes(fixes...).WithCause(err)
	case errors.Is(err, syscall.ENOENT) || errors.Is(err, os.ErrNotExist):
		if _, statErr := os.Stat(program); statErr == nil {
			return sdk.Errorf(title, "%s exists but the system cannot start it (%s): it needs a program loader the build image does not have, so it is not a static executable", program, describeExecutable(program)).
				WithFixes(fixes...).WithCause(err)
		}
		return sdk.Errorf(fmt.Sprintf("%s is missing", name), "%s was not found after the install", program).
			WithFixes(fmt.Sprintf("Check that the %s artifact holds a file named %s (after strip-components).", name, name)).WithCause(err)
	case errors.Is(err, syscall.EACCES):
		return sdk.Errorf(title, "%s is not executable (%s)", program, err).WithFixes(fixes...).WithCause(err)
	case errors.As(err, &exitErr):
		return sdk.Errorf(title, "%s -version exited with code %d: %s", program, exitErr.ExitCode(), clip(strings.TrimSpace(stderr), 400)).
			WithFixes(fixes...).WithCause(err)
	}
	return sdk.Errorf(title, "running %s -version: %v", program, err).WithFixes(fixes...).WithCause(err)
}

// describeExecutable says what kind of executable path is, for error messages.
func describeExecutable(path string) string {
	f, err := elf.Open(path)
	if err != nil {
		return "not an ELF executable"
	}
	defer f.Close()
	s := fmt.Sprintf("an ELF executable for %s", strings.TrimPrefix(f.Machine.String(), "EM_"))
	for arch, m := range elfMachines {
		if m == f.Machine && (f.Machine != elf.EM_PPC64 || f.Data == elf.ELFDATA2LSB) {
			s += fmt.Sprintf(" (%s)", arch)
		}
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			s += ", dynamically linked"
			break
		}
	}
	return s
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
