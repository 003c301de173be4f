package workdir_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/packager/internal/workdir"
)

func TestRemoveAbandonedKeepsFoldersInUse(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	parent := t.TempDir()
	inUse, err := workdir.New(parent, "cnbkit-package-*")
	g.Expect(err).NotTo(HaveOccurred())
	defer inUse.Remove()
	old := filepath.Join(parent, "cnbkit-package-old")
	young := filepath.Join(parent, "cnbkit-package-young")
	g.Expect(os.Mkdir(old, 0o755)).To(Succeed())
	g.Expect(os.Mkdir(young, 0o755)).To(Succeed())
	long := time.Now().Add(-48 * time.Hour)
	g.Expect(os.Chtimes(old, long, long)).To(Succeed())
	other := filepath.Join(parent, "mine")
	g.Expect(os.Mkdir(other, 0o755)).To(Succeed())

	g.Expect(workdir.RemoveAbandoned(parent, "cnbkit-package-*")).To(ConsistOf(old))
	g.Expect(inUse.Path).To(BeADirectory(), "a folder held by this process stays")
	g.Expect(young).To(BeADirectory(), "a recent folder without a lock file may be in creation")
	g.Expect(other).To(BeADirectory())
	g.Expect(inUse.Remove()).To(Succeed())
	g.Expect(inUse.Path).NotTo(BeAnExistingFile())
}

// TestMain lets the test binary act as the process that holds a folder.
func TestMain(m *testing.M) {
	if parent := os.Getenv("WORKDIR_TEST_HOLD"); parent != "" {
		d, err := workdir.New(parent, "cnbkit-package-*")
		if err != nil {
			os.Exit(2)
		}
		os.Stdout.WriteString(d.Path + "\n")
		time.Sleep(10 * time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestRemoveAbandonedRemovesTheFolderOfAKilledProcess creates a folder in a child process
// (flock locks belong to open files, so another process is the honest test), kills it
// with SIGKILL and removes the folder it left.
func TestRemoveAbandonedRemovesTheFolderOfAKilledProcess(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	parent := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "WORKDIR_TEST_HOLD="+parent)
	out, err := child.StdoutPipe()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(child.Start()).To(Succeed())
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	g.Expect(err).NotTo(HaveOccurred())
	dir := strings.TrimSpace(line)

	g.Expect(workdir.RemoveAbandoned(parent, "cnbkit-package-*")).To(BeEmpty(), "the child holds its folder")
	g.Expect(dir).To(BeADirectory())
	g.Expect(child.Process.Signal(syscall.SIGKILL)).To(Succeed())
	_ = child.Wait()
	g.Expect(workdir.RemoveAbandoned(parent, "cnbkit-package-*")).To(ConsistOf(dir))
	g.Expect(dir).NotTo(BeAnExistingFile())
}

// TestConcurrentRunsKeepEachOthersFolders is many builds of one process starting at once:
// none may remove a folder another has just created.
func TestConcurrentRunsKeepEachOthersFolders(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan string, 400)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				d, err := workdir.New(parent, "cnbkit-package-*")
				if err != nil {
					errs <- err.Error()
					return
				}
				workdir.RemoveAbandoned(parent, "cnbkit-package-*")
				if _, err := os.Stat(d.Path); err != nil {
					errs <- "a folder in use was removed: " + d.Path
				}
				d.Remove()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
