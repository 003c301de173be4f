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

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// Module is the module path of cnbkit.
const Module = "github.com/cnbkit/cnbkit"

// HarnessModule is the module path of the integration harness, the nested module in
// integration/.
const HarnessModule = Module + "/integration"

// Proxy is a module proxy folder that serves one version of cnbkit and of its harness module.
type Proxy struct {
	// Dir is the proxy folder (GOPROXY=file://<Dir>).
	Dir string
	// Version is the version it serves, v0.0.0-test.<12 hex digits of the content's sha256>:
	// a prerelease, listed in @v/list, so `@latest` resolves to it; the same content always
	// gets the same version and other content another one, so the module cache never holds
	// stale code under it.
	Version string
}

// Build writes a proxy serving the modules in checkout (the files git tracks plus new ones it
// does not ignore, as they are in the working tree) into dir: cnbkit (without nested modules
// such as integration/) and the harness module of integration/, both at one version. The
// harness module's go.mod requires cnbkit at that version and has no replace directive, as
// the go.mod of a release of it must (see docs/releasing.md).
func Build(ctx context.Context, checkout, dir string) (*Proxy, error) {
	files, err := repoFiles(ctx, checkout, "", false)
	if err != nil {
		return nil, err
	}
	harnessFiles, err := repoFiles(ctx, checkout, "integration", false)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	for _, f := range append(files[:len(files):len(files)], harnessFiles...) {
		data, err := os.ReadFile(f.abs)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(h, "%s %d\n", f.abs[len(checkout):], len(data))
		h.Write(data)
	}
	version := "v0.0.0-test." + hex.EncodeToString(h.Sum(nil))[:12]
	gomod, err := os.ReadFile(filepath.Join(checkout, "go.mod"))
	if err != nil {
		return nil, err
	}
	if err := serve(dir, Module, version, files, gomod); err != nil {
		return nil, err
	}
	harnessMod, err := releaseGoMod(filepath.Join(checkout, "integration", "go.mod"), version)
	if err != nil {
		return nil, err
	}
	if err := serve(dir, HarnessModule, version, harnessFiles, harnessMod); err != nil {
		return nil, err
	}
	return &Proxy{Dir: dir, Version: version}, nil
}

// serve writes the proxy files of module path at version: the zip of files (with gomod as
// its go.mod), the .mod, the .info and the list.
func serve(dir, path, version string, files []file, gomod []byte) error {
	mv := module.Version{Path: path, Version: version}
	vdir := filepath.Join(dir, filepath.FromSlash(path), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return err
	}
	zf, err := os.Create(filepath.Join(vdir, version+".zip"))
	if err != nil {
		return err
	}
	zfiles := make([]modzip.File, 0, len(files))
	for _, f := range files {
		if f.rel == "go.mod" {
			f.data = gomod
		}
		zfiles = append(zfiles, f)
	}
	if err := modzip.Create(zf, mv, zfiles); err != nil {
		zf.Close()
		return fmt.Errorf("zipping %s: %w", path, err)
	}
	if err := zf.Close(); err != nil {
		return err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{version + ".mod": gomod, version + ".info": info, "list": []byte(version + "\n")} {
		if err := os.WriteFile(filepath.Join(vdir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// releaseGoMod returns the go.mod at path as a release of the harness module has it: it
// requires cnbkit at version, and the replace directive that points the checkout at ../ is
// gone (the go command ignores it in a dependency anyway).
func releaseGoMod(path, version string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := modfile.Parse(path, data, nil)
	if err != nil {
		return nil, err
	}
	if err := f.AddRequire(Module, version); err != nil {
		return nil, err
	}
	for _, r := range f.Replace {
		if r.Old.Path == Module {
			if err := f.DropReplace(r.Old.Path, r.Old.Version); err != nil {
				return nil, err
			}
		}
	}
	return f.Format()
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

// file is one file of the module zip: the file abs, or data when it is set.
type file struct {
	rel, abs string
	data     []byte
}

func (f file) Path() string { return f.rel }
func (f file) Lstat() (fs.FileInfo, error) {
	st, err := os.Lstat(f.abs)
	if err != nil || f.data == nil {
		return st, err
	}
	return sizedInfo{st, int64(len(f.data))}, nil
}
func (f file) Open() (io.ReadCloser, error) {
	if f.data != nil {
		return io.NopCloser(bytes.NewReader(f.data)), nil
	}
	return os.Open(f.abs)
}
func (f file) String() string { return f.rel }

// sizedInfo is a file's information with another size.
type sizedInfo struct {
	fs.FileInfo
	size int64
}

func (i sizedInfo) Size() int64 { return i.size }

// repoFiles lists the regular files git knows of (tracked, or new and not ignored) that exist
// in the working tree under folder sub of checkout ("" for the root), with paths relative to
// sub: with nested false, only those of the module in sub (what its zip holds), leaving out
// modules nested in it.
func repoFiles(ctx context.Context, checkout, sub string, nested bool) ([]file, error) {
	cmd := exec.CommandContext(ctx, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = checkout
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files in %s: %w: %s", checkout, err, stderr.String())
	}
	prefix := ""
	if sub != "" {
		prefix = sub + "/"
	}
	var names []string
	modules := map[string]bool{} // folders of nested modules
	for _, n := range strings.Split(string(out), "\x00") {
		rel, ok := strings.CutPrefix(n, prefix)
		if n == "" || !ok {
			continue
		}
		names = append(names, rel)
		if path.Base(rel) == "go.mod" && path.Dir(rel) != "." && !nested {
			modules[path.Dir(rel)+"/"] = true
		}
	}
	var files []file
	seen := map[string]bool{}
	for _, n := range names {
		inNested := false
		for d := range modules {
			if strings.HasPrefix(n, d) {
				inNested = true
			}
		}
		if inNested {
			continue // another module, such as integration/
		}
		abs := filepath.Join(checkout, filepath.FromSlash(prefix+n))
		st, err := os.Lstat(abs)
		if err != nil || !st.Mode().IsRegular() || seen[n] {
			continue // deleted in the working tree, a link, listed twice
		}
		seen[n] = true
		files = append(files, file{rel: n, abs: abs})
	}
	return files, nil
}

// Export copies the files of the repository in checkout (tracked, or new and not ignored, as
// the working tree has them, nested modules included) into dir, as a user's clone of the
// repository has them, for tests that run commands from a clone.
func Export(ctx context.Context, checkout, dir string) error {
	files, err := repoFiles(ctx, checkout, "", true)
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
