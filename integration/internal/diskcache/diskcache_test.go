package diskcache_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/internal/diskcache"
)

func TestEntryCreatesOnce(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := filepath.Join(t.TempDir(), "entry")
	var calls atomic.Int32
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			errs[i] = diskcache.Entry(context.Background(), dir, func(tmp string) error {
				calls.Add(1)
				return os.WriteFile(filepath.Join(tmp, "done"), []byte("ok"), 0o644)
			})
		})
	}
	wg.Wait()
	for _, err := range errs {
		g.Expect(err).NotTo(HaveOccurred())
	}
	g.Expect(calls.Load()).To(Equal(int32(1)))
	g.Expect(filepath.Join(dir, "done")).To(BeAnExistingFile())
}

func TestEntryLeavesNothingOnFailure(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	parent := t.TempDir()
	err := diskcache.Entry(context.Background(), filepath.Join(parent, "entry"), func(tmp string) error {
		return os.ErrPermission
	})
	g.Expect(err).To(MatchError(os.ErrPermission))
	g.Expect(names(t, parent)).To(Equal([]string{"entry.lock"}), "only the lock file may remain")
}

func TestEntryRemovesTheTemporaryDirectoriesOfADeadBuild(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	parent := t.TempDir()
	// What a process killed in the middle of building "entry" leaves behind, and a
	// neighbour's temporary directory, which is not this entry's to remove.
	g.Expect(os.MkdirAll(filepath.Join(parent, ".entry.tmp-123", "half"), 0o755)).To(Succeed())
	g.Expect(os.MkdirAll(filepath.Join(parent, ".other.tmp-456"), 0o755)).To(Succeed())
	err := diskcache.Entry(context.Background(), filepath.Join(parent, "entry"), func(tmp string) error { return nil })
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(names(t, parent)).To(Equal([]string{".other.tmp-456", "entry", "entry.lock"}))
}

func TestLockWaitHonoursContext(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	path := filepath.Join(t.TempDir(), "x.lock")
	unlock, err := diskcache.Lock(context.Background(), path)
	g.Expect(err).NotTo(HaveOccurred())
	defer unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = diskcache.Lock(ctx, path)
	g.Expect(err).To(MatchError(ContainSubstring("waiting for lock " + path)))
	g.Expect(errors.Is(err, context.Canceled)).To(BeTrue(), "error %v wraps context.Canceled", err)
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}
