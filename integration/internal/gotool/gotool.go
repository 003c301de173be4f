package gotool

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/cnbkit/cnbkit/integration/internal/diskcache"
	"github.com/cnbkit/cnbkit/internal/gocmd"
)

// Program is one main package to build and the executable to write.
type Program struct {
	// Package is the import path of a main package of the module required.
	Package string
	// Out is the path of the executable.
	Out string
}

// Module is a throw-away Go module that requires one module version and builds programs
// from it.
type Module struct {
	// Dir is where the module is created; it is removed when Build returns.
	Dir string
	// Path is the module path written in its go.mod, e.g. "cnbkit-pack-build".
	Path string
	// Get is what `go get` fetches: a module or package path with @version.
	Get string
	// Replace are replace directives written into the throw-away go.mod before `go get`,
	// each "module=module@version" (as `go mod edit -replace` takes them), for a dependency
	// version the module proxy does not serve.
	Replace []string
	// LDFlags are passed to go build with -ldflags.
	LDFlags string
}

// Build creates the module m, writes m.Replace into it, runs `go get m.Get` and builds each program with -trimpath and
// m.LDFlags: static (CGO disabled), for linux on the host's architecture, outside any
// workspace, updating the throw-away go.mod as needed. A failing go command's error ends
// with its output.
func Build(ctx context.Context, m Module, progs ...Program) error {
	goBin, err := gocmd.Path()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(m.Dir, 0o755); err != nil {
		return fmt.Errorf("creating the build module: %w", err)
	}
	defer os.RemoveAll(m.Dir)
	if err := os.WriteFile(filepath.Join(m.Dir, "go.mod"), []byte("module "+m.Path+"\n\ngo 1.26\n"), 0o644); err != nil {
		return fmt.Errorf("writing the build module's go.mod: %w", err)
	}
	env := append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	run := func(args ...string) error {
		cmd := exec.CommandContext(ctx, goBin, args...)
		cmd.Dir = m.Dir
		cmd.Env = env
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("running go %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(buf.String()))
		}
		return nil
	}
	for _, r := range m.Replace {
		if err := run("mod", "edit", "-replace", r); err != nil {
			return err
		}
	}
	if err := run("get", m.Get); err != nil {
		return err
	}
	for _, p := range progs {
		if err := run("build", "-trimpath", "-ldflags", m.LDFlags, "-o", p.Out, p.Package); err != nil {
			return err
		}
	}
	return nil
}

// Tool is one program built from a module version and cached on disk.
type Tool struct {
	// Name and Version name the cache entry <cache>/<name>-<version>-<arch>/<name>.
	Name, Version string
	// Module is the throw-away module to build in (its Dir is set by Cached).
	Module Module
	// Package is the main package to build.
	Package string
}

// Cached returns the path of t's executable in cache, building it on first use with Build
// into a diskcache entry, under the entry's file lock shared with other test processes.
func Cached(ctx context.Context, cache string, t Tool) (string, error) {
	dir := filepath.Join(cache, t.Name+"-"+t.Version+"-"+runtime.GOARCH)
	err := diskcache.Entry(ctx, dir, func(tmp string) error {
		m := t.Module
		m.Dir = filepath.Join(tmp, "src")
		return Build(ctx, m, Program{Package: t.Package, Out: filepath.Join(tmp, t.Name)})
	})
	if err != nil {
		return "", fmt.Errorf("building %s %s: %w", t.Name, t.Version, err)
	}
	return filepath.Join(dir, t.Name), nil
}
