package harness

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// RunOptions describe how to run an image.
type RunOptions struct {
	// Process is the launch process type to run (/cnb/process/<type>); empty runs the image's
	// entrypoint (the default process).
	Process string
	// Args are appended to the entrypoint (user-provided arguments to the process).
	Args []string
	// Env is added to the image's environment, overriding it.
	Env map[string]string
	// Port, if not 0, makes Run wait until something listens on 127.0.0.1:Port (or the
	// process exits, or ctx ends).
	Port int
	// Output, if set, also receives the process's output as it runs.
	Output io.Writer
}

// Container is an image running in its own mount and pid namespaces, sharing the host network.
type Container struct {
	// Port is RunOptions.Port.
	Port int

	logs lockedBuffer
	done chan struct{}
	err  error
	stop func()
	// sandbox is the pid of unshare, whose only child is the namespace's pid 1.
	sandbox int
}

// Run unpacks img (its layers in order, whiteouts applied) into a temporary root and executes
// the entrypoint (or the process opts.Process) with the image's Env and WorkingDir, as the
// image's User, under unshare --mount --pid --fork with /proc and a minimal /dev mounted, and
// chroot. The network is the host's: a server listening on a port is reachable at
// 127.0.0.1:<port>. The process is killed and the root removed with t.Cleanup; Stop does it
// earlier.
func Run(ctx context.Context, t testing.TB, img v1.Image, opts RunOptions) (*Container, error) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading image config: %w", err)
	}
	work, err := sandboxDir(t, "run")
	if err != nil {
		return nil, err
	}
	dirs := map[string]string{}
	for _, d := range []string{"root", "upper", "overlay-work"} {
		dirs[d] = filepath.Join(work, d)
		if err := os.Mkdir(dirs[d], 0o755); err != nil {
			return nil, err
		}
	}
	root := dirs["root"]
	lowers, err := runLowerDirs(ctx, img, cf, work)
	if err != nil {
		return nil, err
	}
	uid, gid, home, err := resolveUser(lowers, cf.Config.User)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, kv := range cf.Config.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	if _, ok := env["HOME"]; !ok {
		env["HOME"] = home
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	argv := cf.Config.Entrypoint
	if opts.Process != "" {
		argv = []string{"/cnb/process/" + opts.Process}
	} else if len(argv) == 0 {
		argv = cf.Config.Cmd
	} else {
		argv = append(append([]string(nil), argv...), cf.Config.Cmd...)
	}
	argv = append(append([]string(nil), argv...), opts.Args...)
	if len(argv) == 0 {
		return nil, errors.New("image has no entrypoint or cmd and RunOptions.Process is empty: say which process to run")
	}
	wd := cf.Config.WorkingDir
	if wd == "" {
		wd = "/"
	}

	var sb sandbox
	sb.overlay(strings.Join(lowers, ":"), dirs["upper"], dirs["overlay-work"], root)
	sb.mountDev(root)
	sb.line("mkdir -p %s && mount -t proc proc %s", root+"/proc", root+"/proc")
	sb.line("mkdir -p %s && chmod 1777 %s", root+"/tmp", root+"/tmp")
	keys := slices.Sorted(maps.Keys(env))
	args := []string{"env", "-i"}
	for _, k := range keys {
		args = append(args, k+"="+env[k])
	}
	args = append(args, "chroot", "--userspec="+strconv.Itoa(uid)+":"+strconv.Itoa(gid), root)
	if hasShell(lowers) {
		// chroot always starts in /: the image's /bin/sh moves to WorkingDir first.
		args = append(args, "/bin/sh", "-c", `cd "$0" && exec "$@"`, wd)
	}
	args = append(args, argv...)
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	sb.script.WriteString("exec " + strings.Join(quoted, " ") + "\n")

	c := &Container{Port: opts.Port, done: make(chan struct{})}
	out := io.Writer(&c.logs)
	if opts.Output != nil {
		out = io.MultiWriter(&c.logs, opts.Output)
	}
	cmd := sb.command()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting unshare (util-linux): %w", err)
	}
	go func() { c.err = cmd.Wait(); close(c.done) }()
	c.stop = func() { stop(cmd, c.done) }
	c.sandbox = cmd.Process.Pid
	t.Cleanup(c.stop)
	if opts.Port != 0 {
		if err := c.WaitForPort(ctx); err != nil {
			return c, err
		}
	}
	return c, nil
}

// WaitForPort waits until 127.0.0.1:Port accepts connections. It fails when the process exits
// first (with its logs) or ctx ends.
func (c *Container) WaitForPort(ctx context.Context) error {
	if c.Port == 0 {
		return errors.New("waiting for port: RunOptions.Port was 0")
	}
	return WaitForPort(ctx, c.Port, c.done, c.Logs)
}

// WaitForPort polls 127.0.0.1:port until it accepts a connection, ctx ends or exited (may be
// nil) is closed; logs (may be nil) is added to the error.
func WaitForPort(ctx context.Context, port int, exited <-chan struct{}, logs func() string) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return conn.Close()
		}
		tail := ""
		if logs != nil {
			tail = "; output: " + lastLines(logs(), 30)
		}
		select {
		case <-exited:
			return fmt.Errorf("process exited before listening on %s%s", addr, tail)
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w%s", addr, ctx.Err(), tail)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago, for RunOptions.Port
// and the PORT variable of a process.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// URL returns "http://127.0.0.1:<Port>" followed by path.
func (c *Container) URL(path string) string {
	return "http://127.0.0.1:" + strconv.Itoa(c.Port) + path
}

// Get sends GET path to 127.0.0.1:Port and returns the response's status code and body.
func (c *Container) Get(ctx context.Context, path string) (status int, body []byte, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL(path), nil)
	if err != nil {
		return 0, nil, fmt.Errorf("GET %s: %w", path, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, body, fmt.Errorf("GET %s: reading the body: %w", path, err)
	}
	return resp.StatusCode, body, nil
}

// Logs returns the process's output so far.
func (c *Container) Logs() string { return c.logs.String() }

// Done is closed when the process has exited.
func (c *Container) Done() <-chan struct{} { return c.done }

// Wait waits for the process to exit and returns its error (nil for exit 0).
func (c *Container) Wait() error { <-c.done; return c.err }

// Stop kills the process (SIGTERM, then SIGKILL after 5 s) and waits for it. Safe to call
// more than once; t.Cleanup calls it too.
func (c *Container) Stop() { c.stop() }

// Signal sends sig to the container's PID 1, the image's entrypoint process (or whatever it
// exec'd), as `docker kill --signal` and the SIGTERM of `docker stop` or Kubernetes do. As PID
// 1 of its namespace the process receives only the signals it installed a handler for: a
// shell that runs the server as its child ignores SIGTERM. Call it once the process runs (Run
// with a Port returns then); Done tells when it has exited.
func (c *Container) Signal(sig syscall.Signal) error {
	select {
	case <-c.done:
		return errors.New("signalling the container: it has exited")
	default:
	}
	pid, err := childOf(c.sandbox)
	if err != nil {
		return fmt.Errorf("signalling the container: %w", err)
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("signalling the container's pid 1 (host pid %d): %w", pid, err)
	}
	return nil
}

// childOf returns the pid of the one child of process parent.
func childOf(parent int) (int, error) {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return 0, err
	}
	for _, st := range stats {
		data, err := os.ReadFile(st)
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		i := strings.LastIndexByte(string(data), ')')
		fields := strings.Fields(string(data[i+1:]))
		if i < 0 || len(fields) < 2 || fields[1] != strconv.Itoa(parent) {
			continue
		}
		return strconv.Atoi(filepath.Base(filepath.Dir(st)))
	}
	return 0, fmt.Errorf("process %d has no child (the sandbox's pid 1 has exited)", parent)
}

// runLowerDirs returns the overlay lower directories (top first) that make img's file system:
// a base unpacked once in the cache — the longest already cached prefix of the image's layers
// (e.g. the stack's run image, shared with the build image), else the run image's layers
// found through the lifecycle metadata's runImage.topLayer — under the remaining layers
// unpacked into work/app with overlay whiteouts. Images without that metadata, or whose upper
// layers cannot be stacked that way, are unpacked whole into work/full.
func runLowerDirs(ctx context.Context, img v1.Image, cf *v1.ConfigFile, work string) ([]string, error) {
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("reading image layers: %w", err)
	}
	n, base, err := cachedPrefix(layers)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		var lm lifecycleMetadata
		if json.Unmarshal([]byte(cf.Config.Labels[LabelLifecycleMetadata]), &lm) == nil && lm.RunImage.TopLayer != "" {
			for i, l := range layers {
				if id, err := l.DiffID(); err == nil && id.String() == lm.RunImage.TopLayer {
					n = i + 1
					break
				}
			}
		}
		if n > 0 {
			if base, err = layersRootFS(ctx, layers[:n]); err != nil {
				return nil, err
			}
		}
	}
	if n > 0 {
		app := filepath.Join(work, "app")
		if err := os.Mkdir(app, 0o755); err != nil {
			return nil, err
		}
		if err := extractOverlayLayers(layers[n:], app); err == nil {
			return []string{app, base}, nil
		}
		if err := os.RemoveAll(app); err != nil {
			return nil, err
		}
	}
	full := filepath.Join(work, "full")
	if err := os.Mkdir(full, 0o755); err != nil {
		return nil, err
	}
	if err := extractImage(img, full); err != nil {
		return nil, err
	}
	return []string{full}, nil
}

// lookup returns the path of name in the first lower directory that has it.
func lookup(lowers []string, name string) string {
	for _, l := range lowers {
		p := filepath.Join(l, name)
		if _, err := os.Lstat(p); err == nil {
			return p
		}
	}
	return ""
}

// hasShell reports whether the image has /bin/sh (through the merged-usr link too).
func hasShell(lowers []string) bool {
	return lookup(lowers, "bin/sh") != "" || lookup(lowers, "usr/bin/sh") != ""
}

// resolveUser turns an image User ("1000:1000", "cnb", "1000", "") into ids and a home.
func resolveUser(lowers []string, user string) (uid, gid int, home string, err error) {
	if user == "" {
		return 0, 0, "/root", nil
	}
	u, g, hasGroup := strings.Cut(user, ":")
	passwd := readColonFile(lookup(lowers, "etc/passwd"))
	uid, gid, home = -1, -1, "/"
	for _, f := range passwd {
		if len(f) >= 6 && (f[0] == u || f[2] == u) {
			uid, _ = strconv.Atoi(f[2])
			gid, _ = strconv.Atoi(f[3])
			home = f[5]
			break
		}
	}
	if uid < 0 {
		if uid, err = strconv.Atoi(u); err != nil {
			return 0, 0, "", fmt.Errorf("image user %q is not in the image's /etc/passwd and not a number", user)
		}
		gid = uid
	}
	if hasGroup {
		gid = -1
		for _, f := range readColonFile(lookup(lowers, "etc/group")) {
			if len(f) >= 3 && (f[0] == g || f[2] == g) {
				gid, _ = strconv.Atoi(f[2])
				break
			}
		}
		if gid < 0 {
			if gid, err = strconv.Atoi(g); err != nil {
				return 0, 0, "", fmt.Errorf("image group %q is not in the image's /etc/group and not a number", g)
			}
		}
	}
	return uid, gid, home, nil
}

func readColonFile(path string) [][]string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, strings.Split(sc.Text(), ":"))
	}
	return out
}
