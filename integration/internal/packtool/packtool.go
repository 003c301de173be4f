package packtool

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/cnbkit/cnbkit/integration/harness"
)

// Version is the pack release the tests build and run.
const Version = "0.40.0"

// Binary returns the path of pack [Version], building it on first use into the harness cache
// (<cache>/pack-<version>-<arch>/pack) in a temporary Go module, under a file lock shared with
// other test processes. It needs the go command on PATH.
func Binary(ctx context.Context) (string, error) {
	cache, err := harness.CacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "pack-"+Version+"-"+runtime.GOARCH)
	bin := filepath.Join(dir, "pack")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", fmt.Errorf("creating the cache directory: %w", err)
	}
	unlock, err := lock(dir + ".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // built by another process while we waited
	}
	tmp, err := os.MkdirTemp(cache, ".pack-build-")
	if err != nil {
		return "", fmt.Errorf("creating a build directory for pack: %w", err)
	}
	defer os.RemoveAll(tmp)
	run := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = tmp
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building pack: go %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
		}
		return nil
	}
	out := filepath.Join(tmp, "out")
	for _, args := range [][]string{
		{"mod", "init", "cnbkit-pack-build"},
		{"get", "github.com/buildpacks/pack@v" + Version},
		{"build", "-trimpath", "-ldflags", "-s -w -X 'github.com/buildpacks/pack/pkg/client.Version=" + Version + "'", "-o", filepath.Join(out, "pack"), "github.com/buildpacks/pack"},
	} {
		if err := run(args...); err != nil {
			return "", err
		}
	}
	if err := os.Rename(out, dir); err != nil {
		return "", fmt.Errorf("publishing pack in the cache: %w", err)
	}
	return bin, nil
}

func lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
