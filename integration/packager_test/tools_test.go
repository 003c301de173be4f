package packagertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnbkit/cnbkit/integration/internal/packtool"
)

// packBinary returns pack (packtool.Version), built once per machine into the harness cache
// by integration/internal/packtool, which the walkthrough shares.
func packBinary(ctx context.Context, t *testing.T) string {
	t.Helper()
	bin, err := packtool.Binary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return bin
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

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

var errNotFound = errors.New("not found")
