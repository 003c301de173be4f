package walkthrough

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cnbkit/cnbkit/integration/internal/prereq"
)

// dockerd is a Docker daemon (Debian's docker.io) started by a test with everything of its
// own under root: socket, data, exec state, pid file, client config. It has no bridge and
// touches no iptables rule, so containers use the host network.
type dockerd struct {
	root   string // private directory of this daemon
	host   string // DOCKER_HOST value, unix://<root>/docker.sock
	driver string // storage driver in use
	docker string // docker CLI
	cmd    *exec.Cmd
	done   chan struct{} // closed when the daemon process has exited
	log    string        // daemon log file

	stopOnce sync.Once
}

// running holds every daemon not yet stopped, so TestMain can stop them whatever happened.
var (
	runningMu sync.Mutex
	running   = map[*dockerd]bool{}
)

func TestMain(m *testing.M) {
	removeStaleDaemonDirs()
	code := m.Run()
	runningMu.Lock()
	var left []*dockerd
	for d := range running {
		left = append(left, d)
	}
	runningMu.Unlock()
	for _, d := range left {
		fmt.Fprintf(os.Stderr, "walkthrough: stopping a daemon left running at %s\n", d.root)
		if err := d.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "walkthrough: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// removeStaleDaemonDirs removes what a killed test process may have left (its daemon got
// SIGTERM through the parent-death signal): daemon and work directories of ours older than
// an hour whose daemon no longer runs, after detaching their mounts.
func removeStaleDaemonDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "cnbkit-dockerd-*"))
	work, _ := filepath.Glob(filepath.Join(os.TempDir(), "cnbkit-walkthrough-*"))
	for _, dir := range append(dirs, work...) {
		fi, err := os.Stat(dir)
		if err != nil || !fi.IsDir() || time.Since(fi.ModTime()) < time.Hour {
			continue
		}
		if pid, err := os.ReadFile(filepath.Join(dir, "docker.pid")); err == nil {
			if cmdline, err := os.ReadFile("/proc/" + strings.TrimSpace(string(pid)) + "/cmdline"); err == nil && bytes.Contains(cmdline, []byte(dir)) {
				continue // still running: not ours to stop
			}
		}
		if err := unmountUnder(dir); err != nil {
			fmt.Fprintf(os.Stderr, "walkthrough: stale daemon directory %s: %v\n", dir, err)
			continue
		}
		fmt.Fprintf(os.Stderr, "walkthrough: removing stale directory %s\n", dir)
		_ = os.RemoveAll(dir)
	}
}

// startDockerd starts a private daemon, overlay2 first and vfs when overlay2 is not usable,
// and stops it (containers, process group, mounts, files) with t.Cleanup.
func startDockerd(ctx context.Context, t testing.TB) *dockerd {
	t.Helper()
	bin := prereq.Tool(t, "dockerd", "docker.io")
	docker := prereq.Tool(t, "docker", "docker.io")
	if _, err := os.Stat("/usr/bin/docker"); err == nil {
		docker = "/usr/bin/docker" // Debian's client, next to Debian's daemon
	}
	prereq.Tool(t, "containerd", "containerd")
	prereq.Tool(t, "runc", "runc")
	var errs []error
	for _, driver := range []string{"overlay2", "vfs"} {
		d, err := launchDockerd(ctx, bin, driver)
		if err != nil { // launchDockerd has stopped it and removed its files
			errs = append(errs, err)
			t.Logf("dockerd with %s: %v", driver, err)
			continue
		}
		d.docker = docker
		t.Cleanup(func() {
			if err := d.stop(); err != nil {
				t.Error(err)
			}
		})
		return d
	}
	t.Fatalf("starting dockerd: %v", errors.Join(errs...))
	return nil
}

// launchDockerd starts dockerd and waits until it answers. When it fails after the process
// started, the daemon has been stopped and its directory removed; the returned value then
// only tells what was used.
func launchDockerd(ctx context.Context, bin, driver string) (*dockerd, error) {
	// A short path: the daemon's and containerd's unix sockets live under it (108-byte limit).
	root, err := os.MkdirTemp("", "cnbkit-dockerd-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(root, 0o755); err != nil {
		return nil, err
	}
	d := &dockerd{root: root, host: "unix://" + filepath.Join(root, "docker.sock"), driver: driver, done: make(chan struct{}), log: filepath.Join(root, "dockerd.log")}
	logFile, err := os.Create(d.log)
	if err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	defer logFile.Close()
	d.cmd = exec.Command(bin,
		"--iptables=false", "--ip6tables=false", "--ip-masq=false", "--bridge=none",
		"--storage-driver="+driver,
		"-H", d.host,
		"--data-root", filepath.Join(root, "data"),
		"--exec-root", filepath.Join(root, "exec"),
		"--pidfile", filepath.Join(root, "docker.pid"),
		"--config-file", filepath.Join(root, "daemon.json"),
	)
	if err := os.WriteFile(filepath.Join(root, "daemon.json"), []byte("{}\n"), 0o644); err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	d.cmd.Stdout, d.cmd.Stderr = logFile, logFile
	// Its own process group (so containerd and shims can be killed with it) and SIGTERM if
	// the test process dies without cleaning up.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	// The parent-death signal follows the OS thread that forked, not the process: fork from
	// a thread locked to a goroutine that lives as long as the daemon, so no other goroutine
	// (one that ends locked, like getJSONInNetNS's) can take that thread and end it.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := d.cmd.Start(); err != nil {
			started <- err
			return
		}
		runningMu.Lock()
		running[d] = true
		runningMu.Unlock()
		started <- nil
		_ = d.cmd.Wait()
		close(d.done)
	}()
	if err := <-started; err != nil {
		os.RemoveAll(root)
		return nil, fmt.Errorf("running %s: %w", bin, err)
	}

	// Ready when /_ping answers on the socket.
	client := d.httpClient()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case <-d.done:
			logs, _ := os.ReadFile(d.log)
			err := fmt.Errorf("dockerd (%s) exited at start: %s", driver, tail(string(logs), 15))
			if serr := d.stop(); serr != nil {
				err = errors.Join(err, serr)
			}
			return d, err
		case <-ctx.Done():
			return d, errors.Join(ctx.Err(), d.stop())
		case <-time.After(200 * time.Millisecond):
		}
		resp, err := client.Get("http://docker/_ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return d, nil
			}
		}
		if time.Now().After(deadline) {
			logs, _ := os.ReadFile(d.log)
			return d, errors.Join(fmt.Errorf("dockerd (%s) did not answer on %s within 2 minutes: %s", driver, d.host, tail(string(logs), 15)), d.stop())
		}
	}
}

func (d *dockerd) httpClient() *http.Client {
	sock := strings.TrimPrefix(d.host, "unix://")
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var dl net.Dialer
			return dl.DialContext(ctx, "unix", sock)
		},
	}}
}

// env is the environment for the docker CLI and pack: this daemon and a private client
// config.
func (d *dockerd) env() []string {
	return append(os.Environ(),
		"DOCKER_HOST="+d.host,
		"DOCKER_CONFIG="+filepath.Join(d.root, "client"),
		"NO_COLOR=1",
	)
}

// run runs the docker CLI against this daemon and returns its stdout; stderr goes into the
// error.
func (d *dockerd) run(ctx context.Context, args ...string) (string, error) {
	return d.runEnv(ctx, nil, args...)
}

func (d *dockerd) runEnv(ctx context.Context, extra []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, d.docker, args...)
	cmd.Env = append(d.env(), extra...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("docker %s: %w: %s%s", strings.Join(args, " "), err, tail(stdout.String(), 30), tail(stderr.String(), 30))
	}
	return stdout.String(), nil
}

// stop removes every container, stops the daemon by its pid (SIGTERM, then SIGKILL to its
// process group), unmounts whatever is left under its root and deletes the root.
func (d *dockerd) stop() error {
	var errs []error
	d.stopOnce.Do(func() {
		defer func() {
			runningMu.Lock()
			delete(running, d)
			runningMu.Unlock()
		}()
		alive := true
		select {
		case <-d.done:
			alive = false
		default:
		}
		if alive && d.docker != "" {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if ids, err := d.run(ctx, "ps", "-aq"); err == nil && strings.TrimSpace(ids) != "" {
				if _, err := d.run(ctx, append([]string{"rm", "-f"}, strings.Fields(ids)...)...); err != nil {
					errs = append(errs, fmt.Errorf("removing containers: %w", err))
				}
			}
			cancel()
		}
		if alive {
			_ = d.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-d.done:
			case <-time.After(45 * time.Second):
				errs = append(errs, fmt.Errorf("dockerd (pid %d) did not stop within 45s of SIGTERM: killed", d.cmd.Process.Pid))
			}
		}
		// Whatever is left of its process group (containerd, shims): gone.
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.done
		if err := unmountUnder(d.root); err != nil {
			errs = append(errs, err)
		}
		if err := os.RemoveAll(d.root); err != nil {
			errs = append(errs, fmt.Errorf("removing %s: %w", d.root, err))
		}
	})
	if len(errs) > 0 {
		return fmt.Errorf("stopping dockerd at %s: %w", d.root, errors.Join(errs...))
	}
	return nil
}

// unmountUnder detaches every mount point under dir, deepest first.
func unmountUnder(dir string) error {
	mounts, err := mountsUnder(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range mounts {
		if err := unix.Unmount(m, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("unmounting %s: %w", m, err))
		}
	}
	if left, err := mountsUnder(dir); err == nil && len(left) > 0 {
		errs = append(errs, fmt.Errorf("still mounted after unmounting: %s", strings.Join(left, ", ")))
	}
	return errors.Join(errs...)
}

// mountsUnder lists the mount points at or below dir, deepest first.
func mountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("reading mounts: %w", err)
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<16), 1<<20)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 5 {
			continue
		}
		p := unescapeMount(fields[4])
		if p == dir || strings.HasPrefix(p, dir+"/") {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out, s.Err()
}

// unescapeMount decodes the octal escapes (\040 for a space) of /proc/self/mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var c byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &c); err == nil {
				b.WriteByte(c)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
