package python_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/buildpacks/python"
	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/cnbtest"
)

// server.py serves HTTP on the port given as its argument (or $PORT) and writes its process
// id to server.pid; Python's default SIGTERM action ends it.
const serverPy = `import http.server, os, sys
port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ["PORT"])
srv = http.server.HTTPServer(("127.0.0.1", port), http.server.SimpleHTTPRequestHandler)
with open("server.pid", "w") as f:
    f.write(str(os.getpid()))
srv.serve_forever()
`

// The processes the buildpack writes stop when asked: the web command of launch.toml runs
// the way the launcher runs a direct process (it execs the command's first entry, sh, with
// the rest as arguments, in the app folder), SIGTERM goes to that top process, and the
// server must be gone. Before exec was added to Procfile and BP_PYTHON_ENTRYPOINT commands,
// sh took the signal and the server kept running.
func TestProcessesStopOnSIGTERM(t *testing.T) {
	t.Parallel()
	bp := buildpackDir(t)
	tests := []struct {
		name  string
		files map[string]string
		env   map[string]string
		want  string // the web script
	}{
		{name: "Procfile with shell features", files: map[string]string{"Procfile": "web: test -n \"${PORT:-}\" && python server.py ${PORT:-8080}\n"},
			want: `test -n "${PORT:-}" && exec python server.py ${PORT:-8080}`},
		{name: "Procfile simple command", files: map[string]string{"Procfile": "web: python server.py\n"},
			want: "exec python server.py"},
		{name: "BP_PYTHON_ENTRYPOINT", env: map[string]string{"BP_PYTHON_ENTRYPOINT": "cd . ; python server.py \"${PORT:-8080}\""},
			want: `cd . ; exec python server.py "${PORT:-8080}"`},
		{name: "derived script", files: map[string]string{"main.py": serverPy}, want: "exec python main.py"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			files := merge(map[string]string{"server.py": serverPy}, tt.files)
			out := cnbtest.Build(t, python.Build, cnbtest.Options{App: app(t, files), BuildpackDir: bp, Env: tt.env})
			g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
			g.Expect(out.Processes).To(HaveLen(1))
			web := out.Processes[0]
			g.Expect(web).To(Equal(sdk.Process{Type: "web", Default: true, Command: []string{"sh", "-c", tt.want}}))
			g.Expect(out.Log).NotTo(ContainSubstring("will not stop on SIGTERM"))
			stopsOnSIGTERM(t, out.AppDir, web.Command)
		})
	}
	t.Run("a pipeline is kept and the log says it will not stop", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		out := cnbtest.Build(t, python.Build, cnbtest.Options{App: app(t, map[string]string{"server.py": serverPy, "Procfile": "web: python server.py | cat\n"}), BuildpackDir: bp})
		g.Expect(out.Err).NotTo(HaveOccurred(), out.Log)
		g.Expect(out.Processes[0].Command).To(Equal([]string{"sh", "-c", "python server.py | cat"}))
		g.Expect(out.Log).To(ContainSubstring("WARNING: The web process will not stop on SIGTERM: it ends with a pipeline"))
	})
}

// stopsOnSIGTERM runs command in dir with python on PATH and PORT set, waits until the server
// answers, sends SIGTERM to the top process and checks that the server exits.
func stopsOnSIGTERM(t *testing.T, dir string, command []string) {
	t.Helper()
	g := NewWithT(t)
	py, err := hostPython()
	g.Expect(err).NotTo(HaveOccurred())
	bin := t.TempDir()
	g.Expect(os.Symlink(py, filepath.Join(bin, "python"))).To(Succeed())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(HaveOccurred())
	port := l.Addr().(*net.TCPAddr).Port
	g.Expect(l.Close()).To(Succeed())

	sh, err := exec.LookPath(command[0]) // as the launcher does for a direct process
	g.Expect(err).NotTo(HaveOccurred())
	cmd := exec.Command(sh, command[1:]...)
	cmd.Args[0] = command[0]
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "PORT=" + strconv.Itoa(port), "HOME=" + dir}
	// A file, not a pipe: Wait must not wait for a server that outlives sh to close its output.
	logFile := filepath.Join(t.TempDir(), "output")
	f, err := os.Create(logFile)
	g.Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	out := func() string { data, _ := os.ReadFile(logFile); return string(data) }
	g.Expect(cmd.Start()).To(Succeed())
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	serverPID := 0
	t.Cleanup(func() {
		if serverPID > 0 {
			_ = syscall.Kill(serverPID, syscall.SIGKILL) // never leave a server behind when the test fails
		}
		_ = cmd.Process.Kill()
	})
	g.Eventually(func() error {
		data, err := os.ReadFile(filepath.Join(dir, "server.pid"))
		if err != nil {
			return err
		}
		if serverPID, err = strconv.Atoi(strings.TrimSpace(string(data))); err != nil {
			return err
		}
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/server.pid", port))
		if err != nil {
			return err
		}
		return resp.Body.Close()
	}).WithTimeout(30*time.Second).WithPolling(50*time.Millisecond).Should(Succeed(), "the server never answered: %s", out())

	sent := time.Now()
	g.Expect(cmd.Process.Signal(syscall.SIGTERM)).To(Succeed())
	g.Eventually(waited).WithTimeout(30 * time.Second).Should(Receive())
	t.Logf("%v ended %v after SIGTERM", command, time.Since(sent).Round(time.Millisecond)) // reported, never asserted
	g.Eventually(func() error { return syscall.Kill(serverPID, 0) }).WithTimeout(30*time.Second).WithPolling(50*time.Millisecond).
		Should(MatchError(syscall.ESRCH), "the server (pid %d) still runs after SIGTERM to the process (pid %d) that %v started", serverPID, cmd.Process.Pid, command)
	g.Expect(serverPID).To(Equal(cmd.Process.Pid), "the server replaced sh: it is the process the launcher started")
}
