package harness

import (
	"fmt"
	"os"
	"path/filepath"
)

// CacheEnv names the environment variable that overrides [CacheDir].
const CacheEnv = "CNBKIT_IT_CACHE"

// CacheDir is where the harness keeps what it builds once for many tests: lifecycle binaries,
// base images and unpacked root file systems. It is $CNBKIT_IT_CACHE when set, otherwise
// cnbkit-it under the user's cache directory. Entries are keyed by version or digest, so
// deleting the directory is always safe.
func CacheDir() (string, error) {
	if d := os.Getenv(CacheEnv); d != "" {
		return filepath.Abs(d)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the cache directory (set %s): %w", CacheEnv, err)
	}
	return filepath.Join(base, "cnbkit-it"), nil
}
