//go:build !unix

package workdir

import (
	"errors"
	"os"
)

// Without flock, folders are judged by age only.
const locking = false

func lock(*os.File) error { return nil }

func tryLock(*os.File) error { return errors.New("file locks are not supported here") }
