package packtool

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"

	"github.com/cnbkit/cnbkit/integration/harness"
	"github.com/cnbkit/cnbkit/integration/internal/diskcache"
	"github.com/cnbkit/cnbkit/integration/internal/gotool"
)

// Version is the pack release the tests build and run.
const Version = "0.40.6"

// Binary returns the path of pack [Version], building it on first use into the harness cache
// (<cache>/pack-<version>-<arch>/pack) in a temporary Go module, under a file lock shared with
// other test processes. It needs the go command on PATH (or in $GOROOT/bin).
func Binary(ctx context.Context) (string, error) {
	cache, err := harness.CacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "pack-"+Version+"-"+runtime.GOARCH)
	err = diskcache.Entry(ctx, dir, func(tmp string) error {
		return gotool.Build(ctx, gotool.Module{
			Dir:     filepath.Join(tmp, "src"),
			Path:    "cnbkit-pack-build",
			Get:     "github.com/buildpacks/pack@v" + Version,
			LDFlags: "-s -w -X 'github.com/buildpacks/pack/pkg/client.Version=" + Version + "'",
		}, gotool.Program{Package: "github.com/buildpacks/pack", Out: filepath.Join(tmp, "pack")})
	})
	if err != nil {
		return "", fmt.Errorf("building pack %s: %w", Version, err)
	}
	return filepath.Join(dir, "pack"), nil
}
