//go:build unix

package workdir

import (
	"os"
	"syscall"
)

const locking = true

// lock takes an exclusive lock on f, released when f is closed or the process ends.
func lock(f *os.File) error { return tryLock(f) }

// tryLock takes an exclusive lock on f without waiting; it fails while another open file
// holds one.
func tryLock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}
