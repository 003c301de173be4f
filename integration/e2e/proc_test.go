package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"golang.org/x/sys/unix"
)

// listener describes the process listening on a TCP port, found through the kernel's socket
// table and the processes' open files, the way `ss -ltnp` finds it.
type listener struct {
	// SocketUID is the uid that created the listening socket (the "uid" column of
	// /proc/net/tcp).
	SocketUID int
	// PID is a process holding the socket; UIDs are its real, effective, saved and file
	// system uids (the "Uid:" line of /proc/<pid>/status); Cmdline its arguments.
	PID     int
	UIDs    []int
	Cmdline []string
}

// findListener looks for the socket listening on port in the socket table at tables (e.g.
// /proc/net/tcp and /proc/net/tcp6, or those of /proc/thread-self/net in another network
// namespace), then for the process that holds it.
func findListener(port int, tables ...string) (listener, error) {
	var l listener
	inode := ""
	for _, table := range tables {
		f, err := os.Open(table)
		if err != nil {
			return l, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, ok := strings.Cut(fields[1], ":")
			p, err := strconv.ParseInt(hexPort, 16, 32)
			if !ok || err != nil || int(p) != port {
				continue
			}
			if l.SocketUID, err = strconv.Atoi(fields[7]); err != nil {
				f.Close()
				return l, fmt.Errorf("%s: uid column %q", table, fields[7])
			}
			inode = fields[9]
		}
		f.Close()
		if inode != "" {
			break
		}
	}
	if inode == "" {
		return l, fmt.Errorf("nothing listens on port %d (%v)", port, tables)
	}
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		if target, err := os.Readlink(fd); err != nil || target != "socket:["+inode+"]" {
			continue
		}
		pidDir := filepath.Dir(filepath.Dir(fd))
		l.PID, _ = strconv.Atoi(filepath.Base(pidDir))
		status, err := os.ReadFile(filepath.Join(pidDir, "status"))
		if err != nil {
			return l, err
		}
		for _, line := range strings.Split(string(status), "\n") {
			if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
				for _, u := range strings.Fields(rest) {
					n, _ := strconv.Atoi(u)
					l.UIDs = append(l.UIDs, n)
				}
			}
		}
		cmdline, _ := os.ReadFile(filepath.Join(pidDir, "cmdline"))
		l.Cmdline = strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		return l, nil
	}
	return l, fmt.Errorf("no process holds the socket (inode %s) listening on port %d", inode, port)
}

// inNewNetNS runs fn on an OS thread of its own in a new network namespace with its
// loopback interface up. Processes fn starts (the thread forks them) and sockets it opens
// live in that namespace, so a server there can listen on a fixed port such as 8080 without
// meeting anything else on the machine. The thread is discarded afterwards.
func inNewNetNS(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the goroutine's exit ends the thread and its namespace with it.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare(CLONE_NEWNET): %w", err)
			return
		}
		if err := loopbackUp(); err != nil {
			errc <- err
			return
		}
		errc <- fn()
	}()
	return <-errc
}

func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("reading the flags of lo: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bringing lo up: %w", err)
	}
	return nil
}

// getHere makes a GET request to 127.0.0.1:port from the calling goroutine's thread (so,
// inside inNewNetNS, in that namespace: net/http would dial from another thread), retrying
// until something answers, exited is closed or ctx ends.
func getHere(ctx context.Context, port int, path string, exited <-chan struct{}) (int, []byte, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err == nil {
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(30 * time.Second))
			if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, addr); err != nil {
				return 0, nil, err
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				return 0, nil, err
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			return resp.StatusCode, body, err
		}
		select {
		case <-exited:
			return 0, nil, fmt.Errorf("the process exited before listening on %s", addr)
		case <-ctx.Done():
			return 0, nil, fmt.Errorf("waiting for %s: %w", addr, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// withCommand returns img with its entrypoint replaced by the launcher and cmd as its
// arguments, as `docker run --entrypoint /cnb/lifecycle/launcher img -- cmd...` would: the
// command runs with the environment the buildpacks set for launch (PATH and the rest).
func withCommand(img v1.Image, cmd ...string) (v1.Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Config.Entrypoint = []string{"/cnb/lifecycle/launcher"}
	cf.Config.Cmd = append([]string{"--"}, cmd...)
	return mutate.Config(img, cf.Config)
}
