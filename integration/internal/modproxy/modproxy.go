package modproxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// Module is the module path of cnbkit.
const Module = "github.com/cnbkit/cnbkit"

// Proxy is a module proxy folder that serves one version of cnbkit.
type Proxy struct {
	// Dir is the proxy folder (GOPROXY=file://<Dir>).
	Dir string
	// Version is the version it serves, v0.0.0-test.<12 hex digits of the content's sha256>:
	// a prerelease, listed in @v/list, so `@latest` resolves to it; the same content always
	// gets the same version and other content another one, so the module cache never holds
	// stale code under it.
	Version string
}

// Build writes a proxy serving the module in checkout (the files git tracks plus new ones it
// does not ignore, as they are in the working tree, without nested modules such as
// integration/) into dir.
func Build(ctx context.Context, checkout, dir string) (*Proxy, error) {
	files, err := moduleFiles(ctx, checkout)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	for _, f := range files {
		data, err := os.ReadFile(f.abs)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(h, "%s %d\n", f.rel, len(data))
		h.Write(data)
	}
	version := "v0.0.0-test." + hex.EncodeToString(h.Sum(nil))[:12]
	mv := module.Version{Path: Module, Version: version}
	vdir := filepath.Join(dir, filepath.FromSlash(Module), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return nil, err
	}
	zf, err := os.Create(filepath.Join(vdir, version+".zip"))
	if err != nil {
		return nil, err
	}
	zfiles := make([]modzip.File, len(files))
	for i, f := range files {
		zfiles[i] = f
	}
	if err := modzip.Create(zf, mv, zfiles); err != nil {
		zf.Close()
		return nil, fmt.Errorf("zipping %s: %w", checkout, err)
	}
	if err := zf.Close(); err != nil {
		return nil, err
	}
	gomod, err := os.ReadFile(filepath.Join(checkout, "go.mod"))
	if err != nil {
		return nil, err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		return nil, err
	}
	for name, data := range map[string][]byte{version + ".mod": gomod, version + ".info": info, "list": []byte(version + "\n")} {
		if err := os.WriteFile(filepath.Join(vdir, name), data, 0o644); err != nil {
			return nil, err
		}
	}
	return &Proxy{Dir: dir, Version: version}, nil
}

// Env returns base with the variables that make the go command use the proxy first and the
// configured GOPROXY for every other module: no checksum database for cnbkit (the test
// version is not published), no workspace, the local toolchain.
func (p *Proxy) Env(ctx context.Context, base []string) ([]string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOPROXY").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOPROXY: %w", err)
	}
	upstream := strings.TrimSpace(string(out))
	if upstream == "" || upstream == "off" {
		upstream = "https://proxy.golang.org,direct"
	}
	env := make([]string, 0, len(base)+5)
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GOPROXY", "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GOWORK", "GOTOOLCHAIN", "GOFLAGS":
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"GOPROXY=file://"+filepath.ToSlash(p.Dir)+","+upstream,
		"GONOSUMDB="+Module,
		"GOWORK=off",
		"GOTOOLCHAIN=local",
		"GOFLAGS=-mod=mod",
	), nil
}

// file is one file of the module zip.
type file struct {
	rel, abs string
}

func (f file) Path() string                 { return f.rel }
func (f file) Lstat() (fs.FileInfo, error)  { return os.Lstat(f.abs) }
func (f file) Open() (io.ReadCloser, error) { return os.Open(f.abs) }
func (f file) String() string               { return f.rel }

// moduleFiles lists what the module zip holds: regular files git knows of (tracked, or new
// and not ignored) that exist in the working tree, outside nested modules.
func moduleFiles(ctx context.Context, checkout string) ([]file, error) {
	cmd := exec.CommandContext(ctx, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = checkout
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files in %s: %w: %s", checkout, err, stderr.String())
	}
	var names []string
	nested := map[string]bool{}
	for _, n := range strings.Split(string(out), "\x00") {
		if n == "" {
			continue
		}
		names = append(names, n)
		if path.Base(n) == "go.mod" && path.Dir(n) != "." {
			nested[path.Dir(n)+"/"] = true
		}
	}
	var files []file
	seen := map[string]bool{}
	for _, n := range names {
		inNested := false
		for d := range nested {
			if strings.HasPrefix(n, d) {
				inNested = true
			}
		}
		if inNested {
			continue // another module, such as integration/
		}
		abs := filepath.Join(checkout, filepath.FromSlash(n))
		st, err := os.Lstat(abs)
		if err != nil || !st.Mode().IsRegular() || seen[n] {
			continue // deleted in the working tree, a link, listed twice
		}
		seen[n] = true
		files = append(files, file{rel: n, abs: abs})
	}
	return files, nil
}

// Export copies the files the module zip holds (see Build) from checkout into dir, as a
// user's clone of the repository has them, for tests that run commands from a clone.
func Export(ctx context.Context, checkout, dir string) error {
	files, err := moduleFiles(ctx, checkout)
	if err != nil {
		return err
	}
	for _, f := range files {
		st, err := os.Stat(f.abs)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(f.abs)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(f.rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, data, st.Mode().Perm()); err != nil {
			return err
		}
	}
	return nil
}
