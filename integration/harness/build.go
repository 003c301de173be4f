package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/cnbkit/cnbkit/internal/fstree"
	"github.com/cnbkit/cnbkit/sdk/spec"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// layoutPath is where the lifecycle's layout mode keeps ref below dir:
// <registry>/<repository>/<tag> (or <algorithm>/<hex> for a digest).
func layoutPath(dir, ref string) (string, error) {
	r, err := name.ParseReference(ref, name.WeakValidation)
	if err != nil {
		return "", fmt.Errorf("parsing image reference %q: %w", ref, err)
	}
	p := filepath.Join(dir, r.Context().RegistryStr(), r.Context().RepositoryStr())
	id := r.Identifier()
	if algo, hex, ok := strings.Cut(id, ":"); ok {
		return filepath.Join(p, algo, hex), nil
	}
	return filepath.Join(p, id), nil
}

// execEnvPlatformAPI is the first platform API with execution environments (CNB_EXEC_ENV).
const execEnvPlatformAPI = "0.15"

// BuildOptions describe one build.
type BuildOptions struct {
	// App is the application source directory. It is copied; the original is never changed.
	App string
	// Buildpacks are installed under /cnb/buildpacks. At least one is required.
	Buildpacks []Buildpack
	// Order is the list of groups the lifecycle tries. Empty means one group with the
	// top-level buildpack of each entry of Buildpacks, in that order, none optional.
	Order [][]BuildpackRef
	// Env is the platform environment, written to /platform/env/<NAME>.
	Env map[string]string
	// Bindings are service bindings, written to /platform/bindings/<name>/.
	Bindings []Binding
	// Image is the repository and tag in the harness registry, e.g. "my-app:latest". Empty
	// means a new name made from the test's name. An image that already exists under the
	// name is the lifecycle's previous image (its layers can be reused), as with pack.
	Image string
	// LogLevel is the lifecycle's -log-level: "info" (default), "debug", "warn" or "error".
	LogLevel string
	// Output, if set, also receives the lifecycle's output as it runs.
	Output io.Writer
	// Layout exports the image to an OCI layout directory (the lifecycle's experimental
	// -layout mode) instead of the registry; Result.LayoutPath tells where. Image then names
	// the image without a registry, e.g. "apps/my-app:latest".
	Layout bool
	// ExecEnv is the execution environment to build for: "production", "test", "development"
	// or another name without '/'. It is the lifecycle's CNB_EXEC_ENV (the lifecycle has no
	// flag for it), as `pack build --exec-env` sets it; empty leaves it unset, which the
	// lifecycle takes as "production". It needs platform API 0.15 (Options.PlatformAPI); the
	// lifecycle records it in the image label io.buildpacks.exec-env (Result.ExecEnv). The
	// launcher of the image reads its own CNB_EXEC_ENV when it starts (default "production"):
	// pass it in RunOptions.Env.
	ExecEnv string
}

// Binding is a service binding (the Kubernetes service binding spec layout).
type Binding struct {
	Name, Type string
	// Entries are files in the binding directory, name to content.
	Entries map[string]string
}

// Build runs the lifecycle's creator for opts: the app is copied to /workspace, buildpacks to
// /cnb/buildpacks, the order to /cnb/order.toml; creator runs inside the unpacked build image
// (an overlay on the cached root file system) as pid 1 of new mount and pid namespaces, as
// root dropping to the stack user, and exports the app image to the harness registry.
//
// The error is for the harness failing (a bad option, a missing tool); a build that the
// lifecycle fails (a failed detect, a buildpack exiting non-zero) gives a [Result] whose
// Success is false, with the logs. Directories are removed with t.Cleanup; the cache dir is
// kept for [Harness.Rebuild] until the test ends.
func (h *Harness) Build(ctx context.Context, t testing.TB, opts BuildOptions) (*Result, error) {
	t.Helper()
	cache, err := os.MkdirTemp("", "cnbkit-cache-")
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = os.RemoveAll(cache) })
	if err := os.Chown(cache, h.Stack.UID, h.Stack.GID); err != nil {
		return nil, err
	}
	if opts.Image == "" {
		// A fresh name per build: the lifecycle takes an existing image of the same name as
		// the previous image, and a first build must start clean.
		opts.Image = fmt.Sprintf("%s:build-%d", imageName(t.Name()), h.builds.Add(1))
	}
	state := lineage{cache: cache}
	if opts.Layout {
		if state.layout, err = h.newLayoutRepo(t); err != nil {
			return nil, err
		}
	}
	return h.build(ctx, t, opts, state, nil)
}

// Rebuild builds again with the cache of prev (the same /cache) and prev's image as the
// previous image, to test layer reuse. change, if not nil, edits a copy of prev's options
// first (the app directory is copied again, so edits made to it since are seen). The Result
// tells which layers the new image reused from prev's image.
func (h *Harness) Rebuild(ctx context.Context, t testing.TB, prev *Result, change func(*BuildOptions)) (*Result, error) {
	t.Helper()
	if prev == nil || prev.lineage.cache == "" {
		return nil, errors.New("rebuild needs the result of a previous Build")
	}
	opts := prev.Options
	opts.Env = cloneMap(prev.Options.Env)
	opts.Buildpacks = append([]Buildpack(nil), prev.Options.Buildpacks...)
	opts.Bindings = append([]Binding(nil), prev.Options.Bindings...)
	if change != nil {
		change(&opts)
	}
	if opts.Layout != (prev.lineage.layout != "") {
		return nil, errors.New("rebuild cannot switch between registry and OCI layout export: start with Build")
	}
	return h.build(ctx, t, opts, prev.lineage, prev)
}

var unsafeName = regexp.MustCompile(`[^a-z0-9]+`)

// imageName turns a test name into a repository name.
func imageName(testName string) string {
	n := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(testName), "-"), "-")
	if n == "" {
		n = "app"
	}
	if len(n) > 100 {
		n = strings.TrimRight(n[:100], "-")
	}
	return "apps/" + n
}

// lineage is what consecutive builds of one app share.
type lineage struct {
	cache  string // the /cache directory
	layout string // the /layout-repo directory, for OCI layout export
}

// layoutRunImage is the run image's reference in layout mode, stored at
// <layout-repo>/index.docker.io/cnbkit/run/latest.
const layoutRunImage = "cnbkit/run:latest"

// newLayoutRepo makes a layout directory holding the run image, owned by the build user.
func (h *Harness) newLayoutRepo(t testing.TB) (string, error) {
	dir, err := os.MkdirTemp("", "cnbkit-layout-")
	if err != nil {
		return "", err
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	p, err := layout.Write(filepath.Join(dir, "index.docker.io", "cnbkit", "run", "latest"), empty.Index)
	if err != nil {
		return "", fmt.Errorf("writing the run image layout: %w", err)
	}
	if err := p.AppendImage(h.Stack.Run); err != nil {
		return "", fmt.Errorf("writing the run image layout: %w", err)
	}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, h.Stack.UID, h.Stack.GID)
	})
	return dir, err
}

func (h *Harness) build(ctx context.Context, t testing.TB, opts BuildOptions, state lineage, prev *Result) (*Result, error) {
	cache := state.cache
	if opts.App == "" {
		return nil, errors.New("build: BuildOptions.App is empty: give the app source directory")
	}
	if len(opts.Buildpacks) == 0 {
		return nil, errors.New("build: BuildOptions.Buildpacks is empty: give at least one buildpack")
	}
	if opts.LogLevel == "" {
		opts.LogLevel = "info"
	}
	if opts.ExecEnv != "" {
		if err := spec.ValidateExecEnv(opts.ExecEnv); err != nil {
			return nil, fmt.Errorf("build: BuildOptions.ExecEnv: %w", err)
		}
		if spec.CompareAPI(h.platformAPI, execEnvPlatformAPI) < 0 {
			return nil, fmt.Errorf("build: BuildOptions.ExecEnv %q needs platform API %s, the harness speaks %s: set Options.PlatformAPI to %q",
				opts.ExecEnv, execEnvPlatformAPI, h.platformAPI, execEnvPlatformAPI)
		}
	}
	work, err := sandboxDir(t, "build")
	if err != nil {
		return nil, err
	}
	uid, gid := h.Stack.UID, h.Stack.GID
	dirs := map[string]string{}
	for _, d := range []string{"cnb", "workspace", "layers", "platform"} {
		dirs[d] = filepath.Join(work, d)
		if err := os.Mkdir(dirs[d], 0o755); err != nil {
			return nil, err
		}
	}
	for _, d := range []string{"workspace", "layers"} {
		if err := os.Chown(dirs[d], uid, gid); err != nil {
			return nil, err
		}
	}
	if err := fstree.Copy(ctx, opts.App, dirs["workspace"], fstree.Options{ReadableByAll: true, Owner: &fstree.Owner{UID: uid, GID: gid}}); err != nil {
		return nil, fmt.Errorf("copying app %s: %w", opts.App, err)
	}
	// Buildpacks, order, run.toml.
	var top []BuildpackRef
	for _, bp := range opts.Buildpacks {
		ref, err := bp.install(ctx, dirs["cnb"])
		if err != nil {
			return nil, fmt.Errorf("installing buildpack %s: %w", bp, err)
		}
		top = append(top, ref)
	}
	order := opts.Order
	if len(order) == 0 {
		order = [][]BuildpackRef{top}
	}
	if err := writeTOML(filepath.Join(dirs["cnb"], "order.toml"), orderTOML(order)); err != nil {
		return nil, err
	}
	runImage := h.RunImage
	if opts.Layout {
		runImage = layoutRunImage
	}
	runTOML := fmt.Sprintf("[[images]]\n  image = %q\n", runImage)
	if err := os.WriteFile(filepath.Join(dirs["cnb"], "run.toml"), []byte(runTOML), 0o644); err != nil {
		return nil, err
	}
	if err := os.Mkdir(filepath.Join(dirs["cnb"], "lifecycle"), 0o755); err != nil {
		return nil, err
	}
	if err := writePlatform(dirs["platform"], opts.Env, opts.Bindings); err != nil {
		return nil, err
	}

	image := h.Registry.Ref(opts.Image)
	mounts := []mount{
		{dirs["cnb"], "/cnb", true},
		{h.Lifecycle.Dir, "/cnb/lifecycle", true},
		{dirs["workspace"], "/workspace", false},
		{dirs["layers"], "/layers", false},
		{dirs["platform"], "/platform", true},
		{cache, "/cache", false},
	}
	var env []string
	if opts.ExecEnv != "" {
		env = append(env, "CNB_EXEC_ENV="+opts.ExecEnv)
	}
	if opts.Layout {
		image = opts.Image
		mounts = append(mounts, mount{state.layout, "/layout-repo", false})
		env = append(env, "CNB_EXPERIMENTAL_MODE=warn")
	}
	args := []string{"/cnb/lifecycle/creator",
		"-app", "/workspace", "-layers", "/layers", "-platform", "/platform",
		"-buildpacks", "/cnb/buildpacks", "-order", "/cnb/order.toml", "-run", "/cnb/run.toml",
		"-cache-dir", "/cache", "-uid", strconv.Itoa(uid), "-gid", strconv.Itoa(gid),
		"-log-level", opts.LogLevel, "-no-color"}
	if opts.Layout {
		args = append(args, "-layout", "-layout-dir", "/layout-repo")
	}
	if prev != nil {
		args = append(args, "-previous-image", prev.Image)
	}
	args = append(args, image)
	start := time.Now()
	run, err := h.runLifecycle(ctx, work, mounts, env, args, opts.Output)
	elapsed := time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("building %s: %w", image, err)
	}
	res := &Result{
		Success:   run.exitCode == 0,
		ExitCode:  run.exitCode,
		Logs:      run.logs,
		Image:     image,
		LayersDir: dirs["layers"],
		Elapsed:   elapsed,
		Options:   opts,
		lineage:   state,
	}
	res.readLogs()
	if opts.Layout {
		res.LayoutPath, err = layoutPath(state.layout, image)
		if err != nil {
			return nil, err
		}
	}
	if !res.Success {
		return res, nil
	}
	if err := res.inspect(ctx, prev); err != nil {
		return nil, err
	}
	return res, nil
}

func orderTOML(order [][]BuildpackRef) spec.OrderTOML {
	var o spec.OrderTOML
	for _, g := range order {
		var group spec.Order
		for _, r := range g {
			group.Group = append(group.Group, spec.GroupEntry{ID: r.ID, Version: r.Version, Optional: r.Optional})
		}
		o.Order = append(o.Order, group)
	}
	return o
}

func writeTOML(path string, v any) error {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(v); err != nil {
		return fmt.Errorf("encoding %s: %w", filepath.Base(path), err)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// writePlatform writes platform/env and platform/bindings.
func writePlatform(dir string, env map[string]string, bindings []Binding) error {
	if err := os.MkdirAll(filepath.Join(dir, "env"), 0o755); err != nil {
		return err
	}
	keys := slices.Sorted(maps.Keys(env))
	for _, k := range keys {
		if !envName.MatchString(k) {
			return fmt.Errorf("platform env: %q is not a valid variable name", k)
		}
		if err := os.WriteFile(filepath.Join(dir, "env", k), []byte(env[k]), 0o644); err != nil {
			return err
		}
	}
	for _, b := range bindings {
		if b.Name == "" || strings.ContainsAny(b.Name, "/\\") || b.Name == "." || b.Name == ".." {
			return fmt.Errorf("binding name %q is not a valid directory name", b.Name)
		}
		bd := filepath.Join(dir, "bindings", b.Name)
		if err := os.MkdirAll(bd, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(bd, "type"), []byte(b.Type), 0o644); err != nil {
			return err
		}
		for k, v := range b.Entries {
			if k == "" || strings.ContainsAny(k, "/\\") || k == "type" {
				return fmt.Errorf("binding %s: entry name %q is not allowed", b.Name, k)
			}
			if err := os.WriteFile(filepath.Join(bd, k), []byte(v), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// cloneMap copies m; the copy is never nil, so a Rebuild change func can set keys.
func cloneMap(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of a command's two streams.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// mount is a bind mount of a host directory into the sandbox root.
type mount struct {
	src, dst string
	readOnly bool
}

type lifecycleRun struct {
	exitCode int
	logs     string
}

// runLifecycle runs a lifecycle command (args[0] is its path inside the build image) as root
// inside the unpacked build image: an overlay of the cached build root file system with an
// upper directory in work, the mounts, /proc and a minimal /dev, in new mount and pid
// namespaces, with the build image's environment plus CNB_PLATFORM_API. A non-zero exit is
// not an error: it is in exitCode.
func (h *Harness) runLifecycle(ctx context.Context, work string, mounts []mount, extraEnv, args []string, output io.Writer) (lifecycleRun, error) {
	dirs := map[string]string{}
	for _, d := range []string{"upper", "overlay-work", "root"} {
		dirs[d] = filepath.Join(work, d)
		if err := os.Mkdir(dirs[d], 0o755); err != nil {
			return lifecycleRun{}, err
		}
	}
	root := dirs["root"]
	var sb sandbox
	sb.overlay(h.buildRoot, dirs["upper"], dirs["overlay-work"], root)
	for _, m := range mounts {
		sb.bind(m.src, root+m.dst, m.readOnly)
	}
	sb.mountDev(root)
	sb.line("mkdir -p %s && mount -t proc proc %s", root+"/proc", root+"/proc")
	sb.line("mkdir -p %s && chmod 1777 %s", root+"/tmp", root+"/tmp")
	env, err := imageEnv(h.Stack.Build)
	if err != nil {
		return lifecycleRun{}, err
	}
	env = append(env, "HOME=/home/cnb", "CNB_PLATFORM_API="+h.platformAPI)
	env = append(env, extraEnv...)
	cmdline := append([]string{"env", "-i"}, env...)
	cmdline = append(cmdline, "chroot", root)
	cmdline = append(cmdline, args...)
	quoted := make([]string, len(cmdline))
	for i, a := range cmdline {
		quoted[i] = shellQuote(a)
	}
	sb.script.WriteString("exec " + strings.Join(quoted, " ") + "\n")

	var logs lockedBuffer
	out := io.Writer(&logs)
	if output != nil {
		out = io.MultiWriter(&logs, output)
	}
	cmd := sb.command()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return lifecycleRun{}, fmt.Errorf("starting unshare (util-linux): %w", err)
	}
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		stop(cmd, done)
		return lifecycleRun{}, fmt.Errorf("%w; logs: %s", ctx.Err(), lastLines(logs.String(), 30))
	}
	var exit *exec.ExitError
	switch {
	case waitErr == nil:
		return lifecycleRun{logs: logs.String()}, nil
	case errors.As(waitErr, &exit):
		return lifecycleRun{exitCode: exit.ExitCode(), logs: logs.String()}, nil
	default:
		return lifecycleRun{}, fmt.Errorf("running %s: %w", filepath.Base(args[0]), waitErr)
	}
}
