package harness

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A sandbox is a shell script run as pid 1 of new mount and pid namespaces (util-linux
// unshare). Everything it mounts lives in the private mount namespace and disappears when the
// namespace's last process exits; every process in it is killed when its pid 1 exits. The
// network namespace is the host's, so servers in it are reachable on 127.0.0.1.
type sandbox struct {
	script strings.Builder
}

// shellQuote quotes s for /bin/sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (s *sandbox) line(format string, args ...string) {
	q := make([]any, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	fmt.Fprintf(&s.script, format+"\n", q...)
}

// mountDev gives root a minimal /dev: a tmpfs with the host's harmless character devices
// bind-mounted, the usual links and a /dev/shm.
func (s *sandbox) mountDev(root string) {
	dev := root + "/dev"
	s.line("mkdir -p %s && mount -t tmpfs -o mode=755,nosuid tmpfs %s", dev, dev)
	for _, n := range []string{"null", "zero", "full", "random", "urandom", "tty"} {
		s.line("touch %s && mount --bind %s %s", dev+"/"+n, "/dev/"+n, dev+"/"+n)
	}
	s.line("ln -s /proc/self/fd %s && ln -s /proc/self/fd/0 %s && ln -s /proc/self/fd/1 %s && ln -s /proc/self/fd/2 %s",
		dev+"/fd", dev+"/stdin", dev+"/stdout", dev+"/stderr")
	s.line("mkdir -p %s %s && mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs %s", dev+"/shm", dev+"/pts", dev+"/shm")
}

// overlay mounts an overlayfs at root: lower (one directory, or several joined with ":"),
// upper and work per run. It is volatile: the upper directory is thrown away with the run, so
// the kernel need not sync the file system that holds it when the namespace ends (which took
// tens of milliseconds per run, more with other disk writes on the machine). A kernel without
// volatile overlays (before 5.10) gets a plain one.
func (s *sandbox) overlay(lower, upper, work, root string) {
	s.line("mount -t overlay overlay -o lowerdir=%s,upperdir=%s,workdir=%s,volatile %s 2>/dev/null || "+
		"mount -t overlay overlay -o lowerdir=%s,upperdir=%s,workdir=%s %s", lower, upper, work, root, lower, upper, work, root)
}

func (s *sandbox) bind(src, dst string, readOnly bool) {
	s.line("mkdir -p %s && mount --bind %s %s", dst, src, dst)
	if readOnly {
		s.line("mount -o remount,bind,ro %s", dst)
	}
}

// command returns the unshare command. The caller sets Stdout/Stderr and starts it.
func (s *sandbox) command() *exec.Cmd {
	cmd := exec.Command("unshare", "--mount", "--pid", "--fork", "--kill-child", "--propagation", "private",
		"/bin/sh", "-e", "-c", s.script.String())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	return cmd
}

// stop kills the sandbox's process group (unshare, and with it the namespace's pid 1 and so
// every process inside) and waits for it.
func stop(cmd *exec.Cmd, done <-chan struct{}) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-done:
		return
	case <-time.After(5 * time.Second):
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
}

// mountsUnder lists mount points at or below dir in the caller's mount namespace. The harness
// checks it is empty before deleting a sandbox root, so a leaked bind mount can never make a
// cleanup delete host files.
func mountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var found []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := fields[4]
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			found = append(found, mp)
		}
	}
	return found, sc.Err()
}

// sandboxDir creates a temporary folder for one build, rebase or run (what names it) and
// removes it when the test ends, unless something is still mounted below it.
func sandboxDir(t testing.TB, what string) (string, error) {
	dir, err := os.MkdirTemp("", "cnbkit-"+what+"-")
	if err != nil {
		return "", err
	}
	t.Cleanup(func() {
		if err := removeSandboxDir(dir); err != nil {
			t.Errorf("cleaning up %s: %v", what, err)
		}
	})
	return dir, nil
}

// removeSandboxDir deletes dir unless something is still mounted below it.
func removeSandboxDir(dir string) error {
	mounts, err := mountsUnder(dir)
	if err != nil {
		return fmt.Errorf("checking mounts under %s: %w", dir, err)
	}
	if len(mounts) > 0 {
		return fmt.Errorf("not deleting %s: still mounted there: %s (unmount them by hand)", dir, strings.Join(mounts, ", "))
	}
	return os.RemoveAll(dir)
}
