package compile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cnbkit/cnbkit/internal/gocmd"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// Candidates are the directories, relative to the buildpack, searched for a main package.
var Candidates = []string{"cmd", "."}

// FindMain returns the package path ("./cmd", "." or "./cmd/<name>") of the buildpack's Go
// main package, or "" when it has none. ./cmd and the root are tried first; otherwise the one
// main package among the folders of ./cmd is used, and several of them are an error.
func FindMain(dir string) (string, error) {
	for _, c := range Candidates {
		ok, err := isMainPackage(filepath.Join(dir, c))
		if err != nil {
			return "", err
		}
		if ok {
			if c == "." {
				return ".", nil
			}
			return "./" + c, nil
		}
	}
	subdirs, err := os.ReadDir(filepath.Join(dir, "cmd"))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("looking for a Go main package: %w", err)
	}
	var found []string
	for _, e := range subdirs {
		if !e.IsDir() {
			continue
		}
		ok, err := isMainPackage(filepath.Join(dir, "cmd", e.Name()))
		if err != nil {
			return "", err
		}
		if ok {
			found = append(found, "./cmd/"+e.Name())
		}
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("several Go main packages under %s: %s; a buildpack has one executable, so keep one main package in ./cmd or ./cmd/<name>",
		filepath.Join(dir, "cmd"), strings.Join(found, ", "))
}

func isMainPackage(dir string) (bool, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return false, err
	}
	sort.Strings(matches)
	for _, m := range matches {
		if strings.HasSuffix(m, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), m, nil, parser.PackageClauseOnly)
		if err != nil {
			return false, fmt.Errorf("reading Go package clause of %s: %w", m, err)
		}
		if f.Name.Name == "main" {
			return true, nil
		}
	}
	return false, nil
}

// Key is what distinguishes two builds of the same sources: os, arch and variant.
func Key(t spec.Target) string {
	return strings.Join([]string{t.OS, t.Arch, t.Variant}, "/")
}

// Env returns the Go environment for a target.
func Env(t spec.Target) ([]string, error) {
	if t.OS == "" || t.Arch == "" {
		return nil, fmt.Errorf("target %s: a Go buildpack needs an os and an arch to be compiled for", t)
	}
	env := []string{"CGO_ENABLED=0", "GOOS=" + t.OS, "GOARCH=" + t.Arch, "GOFLAGS=-buildvcs=false"}
	v := strings.TrimPrefix(t.Variant, "v")
	switch t.Arch {
	case "arm":
		if v != "" {
			env = append(env, "GOARM="+v)
		}
	case "amd64":
		if v != "" {
			env = append(env, "GOAMD64=v"+v)
		}
	case "arm64":
		if v != "" && v != "8" {
			// Go wants v8.N or v9.N; a bare major version means its first revision.
			if !strings.Contains(v, ".") {
				v += ".0"
			}
			env = append(env, "GOARM64=v"+v)
		}
	}
	return env, nil
}

// Build compiles the main package pkg of the buildpack in dir for target t into out. The go
// command keeps its own temporary files in tmp, so a killed build leaves nothing elsewhere.
// When ctx is done, go is interrupted (as Ctrl-C would) and killed if it has not stopped
// half a second later.
func Build(ctx context.Context, dir, pkg string, t spec.Target, out, tmp string) error {
	goBin, err := gocmd.Path()
	if err != nil {
		return fmt.Errorf("compiling a Go buildpack needs the go command: %w", err)
	}
	env, err := Env(t)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-ldflags", "-s -w -buildid=", "-o", out, pkg)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 500 * time.Millisecond
	cmd.Dir = dir
	cmd.Env = append(filteredEnv(), append(env, "GOTMPDIR="+tmp)...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("compiling Go buildpack %s for %s: %w", dir, t, ctx.Err())
		}
		return &Error{Dir: dir, Package: pkg, Target: t.String(), Output: strings.TrimRight(buf.String(), "\n"), Err: err}
	}
	return nil
}

// Error is a Go buildpack that did not compile. Output holds the go command's lines as it
// printed them, for showing one per line; Error() is a one-line summary.
type Error struct {
	Dir, Package, Target string
	Output               string
	Err                  error
}

func (e *Error) Error() string {
	return fmt.Sprintf("compiling Go buildpack %s (%s) for %s: %v: %s", e.Dir, e.Package, e.Target, e.Err, oneLine(e.Output))
}

func (e *Error) Unwrap() error { return e.Err }

// MissingGoSum reports whether the go command stopped because go.sum lacks entries, which
// `go mod tidy` in the buildpack's module adds.
func (e *Error) MissingGoSum() bool {
	return strings.Contains(e.Output, "missing go.sum entry")
}

// filteredEnv drops variables that would change the binary from what the target asks for.
func filteredEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "CGO_ENABLED", "GOOS", "GOARCH", "GOARM", "GOAMD64", "GOARM64", "GOFLAGS", "GOEXPERIMENT", "GOTMPDIR":
			continue
		}
		env = append(env, kv)
	}
	return env
}

func oneLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, " | ")
}
