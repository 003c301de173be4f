package packagertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cnbkit/cnbkit/integration/harness"
)

// PackVersion is the pack release the tests build and run.
const PackVersion = "0.40.0"

// packBinary returns pack, building it once into the harness cache
// (<cache>/pack-<version>-<arch>/pack) in a temporary module, under a file lock shared
// with other test processes.
func packBinary(ctx context.Context, t *testing.T) string {
	t.Helper()
	cache, err := harness.CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cache, "pack-"+PackVersion+"-"+runtime.GOARCH)
	bin := filepath.Join(dir, "pack")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	unlock := lock(t, dir+".lock")
	defer unlock()
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	tmp, err := os.MkdirTemp(cache, ".pack-build-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	run := func(args ...string) {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = tmp
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("building pack: go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("mod", "init", "cnbkit-pack-build")
	run("get", "github.com/buildpacks/pack@v"+PackVersion)
	out := filepath.Join(tmp, "out")
	run("build", "-trimpath", "-ldflags", "-s -w -X 'github.com/buildpacks/pack/pkg/client.Version="+PackVersion+"'", "-o", filepath.Join(out, "pack"), "github.com/buildpacks/pack")
	if err := os.Rename(out, dir); err != nil {
		t.Fatal(err)
	}
	return bin
}

func lock(t *testing.T, path string) func() {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatal(err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}
}

// packCmd runs pack with its own home (PACK_HOME, DOCKER_CONFIG) so the host's settings do
// not leak in, and returns its combined output.
func packCmd(ctx context.Context, t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.CommandContext(ctx, packBinary(ctx, t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PACK_HOME="+home, "DOCKER_CONFIG="+filepath.Join(home, "docker"), "DOCKER_HOST=unix:///nonexistent/docker.sock", "NO_COLOR=1")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("pack %s: %w\n%s", strings.Join(args, " "), err, buf.String())
	}
	return buf.String(), err
}

// need returns the path of a tool, skipping the test when it is missing outside CI and
// failing it under CI=true.
func need(t *testing.T, tool, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("%s is not installed: apt-get install -y %s", tool, pkg)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("this test needs root")
	}
	t.Skip("this test needs root")
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

var errNotFound = errors.New("not found")
