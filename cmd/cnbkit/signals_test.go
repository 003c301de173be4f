package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cnbkit/cnbkit/internal/gocmd"
	. "github.com/onsi/gomega"
)

func TestWatchSignals(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	sigs := make(chan os.Signal, 2)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var stderr bytes.Buffer
	exited := make(chan int, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		watchSignals(sigs, cancel, &stderr, func(code int) { exited <- code })
	}()

	sigs <- syscall.SIGTERM
	g.Eventually(ctx.Done()).Should(BeClosed(), "the first signal cancels the command")
	var ie *interruptedError
	g.Expect(errors.As(context.Cause(ctx), &ie)).To(BeTrue())
	g.Expect(ie.exitCode()).To(Equal(143))
	g.Consistently(exited, 100*time.Millisecond).ShouldNot(Receive(), "the first signal does not exit")

	sigs <- os.Interrupt
	g.Eventually(exited).Should(Receive(Equal(130)), "the second signal exits at once")
	<-done
	g.Expect(stderr.String()).To(Equal("\nSIGTERM: stopping and cleaning up (press Ctrl-C again to stop at once)\n" +
		"SIGINT again: stopped at once; the next cnbkit package removes the temporary files left\n"))
}

// builtCLI builds cnbkit into dir and returns its path.
func builtCLI(t *testing.T, dir string) string {
	t.Helper()
	goTool, err := gocmd.Path()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "cnbkit")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// run is one cnbkit process with its own TMPDIR.
type run struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan error
}

// deadline bounds every process of these tests: a hang fails the test instead of the suite.
const deadline = 2 * time.Minute

func start(t *testing.T, bin, tmp string, args ...string) *run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	t.Cleanup(cancel)
	r := &run{cmd: exec.CommandContext(ctx, bin, args...), done: make(chan error, 1)}
	r.cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	t.Cleanup(func() { _ = r.cmd.Process.Kill() })
	return r
}

// exitCode waits for the process and returns its exit code (-1 when a signal killed it).
func (r *run) exitCode(t *testing.T) int {
	t.Helper()
	err := <-r.done
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ProcessState.ExitCode()
	}
	t.Fatalf("waiting for cnbkit: %v", err)
	return 0
}

// bigBuildpack writes a buildpack holding a 4 GiB sparse file: packaging it takes seconds,
// long enough to be interrupted in the middle of copying that file into the layer.
func bigBuildpack(t *testing.T, dir string) {
	t.Helper()
	prebuilt(t, dir, "cli/big", "0.0.1", "")
	f, err := os.Create(filepath.Join(dir, "data.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(4 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// waitForLayer waits until the run's temporary folder holds a layer being written.
func waitForLayer(t *testing.T, r *run, tmp string) string {
	t.Helper()
	var work string
	NewWithT(t).Eventually(func() bool {
		select {
		case err := <-r.done:
			r.done <- err
			t.Fatalf("cnbkit ended before it was interrupted: %v\n%s", err, r.stderr.String())
		default:
		}
		m, _ := filepath.Glob(filepath.Join(tmp, "cnbkit-package-*", "layer-*.tar.gz"))
		if len(m) > 0 {
			work = filepath.Dir(m[0])
		}
		return len(m) > 0
	}, deadline, 10*time.Millisecond).Should(BeTrue(), "cnbkit started writing a layer")
	return work
}

func leftInTmp(t *testing.T, tmp string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(tmp, "cnbkit-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestHostileInputsAndSignals runs the built CLI as a user would (issue 13, points 2, 5
// and 7): non-regular inputs are refused by type, signals stop a long copy and clean up,
// and a run killed with SIGKILL leaves a folder that the next run removes.
func TestHostileInputsAndSignals(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	bin := builtCLI(t, root)

	t.Run("non-regular inputs", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		dir := t.TempDir()
		fifo := filepath.Join(dir, "pipe.cnb")
		g.Expect(syscall.Mkfifo(fifo, 0o644)).To(Succeed())
		bp := filepath.Join(dir, "bp")
		writeFiles(t, bp, map[string]string{"bin/build": "#!/bin/sh\n", "bin/detect": "#!/bin/sh\n"})
		g.Expect(syscall.Mkfifo(filepath.Join(bp, "buildpack.toml"), 0o644)).To(Succeed())
		comp := filepath.Join(dir, "comp")
		writeFiles(t, comp, map[string]string{
			"buildpack.toml": "api = \"0.10\"\n[buildpack]\nid = \"cli/comp\"\nversion = \"0.0.1\"\n[[order]]\n[[order.group]]\nid = \"cli/x\"\nversion = \"0.0.1\"\n",
			"package.toml":   "[buildpack]\nuri = \".\"\n[[dependencies]]\nuri = \"../pipe.cnb\"\n",
		})
		ok := filepath.Join(dir, "ok")
		prebuilt(t, ok, "cli/ok", "0.0.1", "")
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"inspect", fifo}, fifo + " is a named pipe (FIFO), not a regular file"},
			{[]string{"package", "--path", bp, filepath.Join(dir, "out.cnb")}, "buildpack.toml is a named pipe (FIFO), not a regular file"},
			{[]string{"package", "--path", comp, filepath.Join(dir, "out.cnb")}, fifo + " is a named pipe (FIFO), not a regular file"},
			{[]string{"package", "--path", ok, fifo}, fifo + " is a named pipe (FIFO), not a regular file"},
			{[]string{"package", "--path", ok, "--format", "file", "/dev/null"}, "the package file /dev/null does not end in .cnb"},
		} {
			r := start(t, bin, t.TempDir(), tc.args...)
			g.Expect(r.exitCode(t)).To(Equal(1), "cnbkit %s: %s", strings.Join(tc.args, " "), r.stderr.String())
			g.Expect(r.stderr.String()).To(ContainSubstring(tc.want), "cnbkit %s", strings.Join(tc.args, " "))
		}
		g.Expect("/dev/null.cnb").NotTo(BeAnExistingFile())
	})

	t.Run("tampered package", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		dir := t.TempDir()
		prebuilt(t, filepath.Join(dir, "bp"), "cli/dep", "0.0.1", "")
		cnb := filepath.Join(dir, "dep.cnb")
		r := start(t, bin, t.TempDir(), "package", "--path", filepath.Join(dir, "bp"), cnb)
		g.Expect(r.exitCode(t)).To(Equal(0), r.stderr.String())
		layer := flipLayerByte(t, cnb)
		writeFiles(t, filepath.Join(dir, "comp"), map[string]string{
			"buildpack.toml": "api = \"0.10\"\n[buildpack]\nid = \"cli/comp\"\nversion = \"0.0.1\"\n[[order]]\n[[order.group]]\nid = \"cli/dep\"\nversion = \"0.0.1\"\n",
			"package.toml":   "[buildpack]\nuri = \".\"\n[[dependencies]]\nuri = \"../dep.cnb\"\n",
		})
		for _, args := range [][]string{
			{"inspect", cnb},
			{"package", "--path", filepath.Join(dir, "comp"), filepath.Join(dir, "comp.cnb")},
		} {
			r := start(t, bin, t.TempDir(), args...)
			g.Expect(r.exitCode(t)).To(Equal(1), "cnbkit %s: %s", strings.Join(args, " "), r.stderr.String())
			g.Expect(r.stderr.String()).To(ContainSubstring(cnb+": layer "+layer+" is not what its digest says"), "cnbkit %s", strings.Join(args, " "))
		}
		g.Expect(filepath.Join(dir, "comp.cnb")).NotTo(BeAnExistingFile())
	})

	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		code int
	}{
		{"SIGINT", syscall.SIGINT, 130},
		{"SIGTERM", syscall.SIGTERM, 143},
	} {
		t.Run(tc.name+" during a large copy", func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			dir, tmp := t.TempDir(), t.TempDir()
			bigBuildpack(t, filepath.Join(dir, "bp"))
			out := filepath.Join(dir, "out", "big.cnb")
			r := start(t, bin, tmp, "package", "--path", filepath.Join(dir, "bp"), out)
			waitForLayer(t, r, tmp)
			sent := time.Now()
			g.Expect(r.cmd.Process.Signal(tc.sig)).To(Succeed())
			g.Expect(r.exitCode(t)).To(Equal(tc.code), "stderr: %s", r.stderr.String())
			t.Logf("%s: cnbkit exited %s after the signal", tc.name, time.Since(sent).Round(time.Millisecond))
			g.Expect(r.stderr.String()).To(ContainSubstring("Interrupted (" + tc.name + "): cnbkit stopped before finishing"))
			g.Expect(leftInTmp(t, tmp)).To(BeEmpty(), "temporary files left")
			g.Expect(filepath.Join(dir, "out")).NotTo(BeAnExistingFile())
		})
	}

	t.Run("SIGKILL leaves a folder the next run removes", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		dir, tmp := t.TempDir(), t.TempDir()
		bigBuildpack(t, filepath.Join(dir, "big"))
		r := start(t, bin, tmp, "package", "--path", filepath.Join(dir, "big"), filepath.Join(dir, "big.cnb"))
		work := waitForLayer(t, r, tmp)
		g.Expect(r.cmd.Process.Signal(syscall.SIGKILL)).To(Succeed())
		g.Expect(r.exitCode(t)).To(Equal(-1))
		g.Expect(work).To(BeADirectory(), "a killed run cannot clean up")

		prebuilt(t, filepath.Join(dir, "small"), "cli/small", "0.0.1", "")
		next := start(t, bin, tmp, "package", "--verbose", "--path", filepath.Join(dir, "small"), filepath.Join(dir, "small.cnb"))
		g.Expect(next.exitCode(t)).To(Equal(0), "stderr: %s", next.stderr.String())
		g.Expect(next.stderr.String()).To(ContainSubstring("removed " + work + ", left by a run that was stopped"))
		g.Expect(leftInTmp(t, tmp)).To(BeEmpty())
	})
}

// flipLayerByte changes one byte in the middle of the layer blob of a .cnb file, in place,
// and returns the blob's digest.
func flipLayerByte(t *testing.T, cnb string) string {
	t.Helper()
	f, err := os.OpenFile(cnb, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("no layer blob in %s: %v", cnb, err)
		}
		head := make([]byte, 2)
		if _, err := io.ReadFull(tr, head); err != nil || head[0] != 0x1f || head[1] != 0x8b {
			continue // not gzip: a manifest, config or index
		}
		pos, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			t.Fatal(err)
		}
		// The tar reader has read the first 2 bytes of the blob through a buffer-free
		// reader, so the blob starts at pos-2.
		at := pos - 2 + h.Size/2
		b := make([]byte, 1)
		if _, err := f.ReadAt(b, at); err != nil {
			t.Fatal(err)
		}
		b[0] ^= 0xff
		if _, err := f.WriteAt(b, at); err != nil {
			t.Fatal(err)
		}
		return "sha256:" + filepath.Base(h.Name)
	}
}
