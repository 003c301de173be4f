package packtool

import (
	"context"

	"github.com/cnbkit/cnbkit/integration/harness"
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
	return gotool.Cached(ctx, cache, gotool.Tool{
		Name: "pack", Version: Version, Package: "github.com/buildpacks/pack",
		Module: gotool.Module{
			Path:    "cnbkit-pack-build",
			Get:     "github.com/buildpacks/pack@v" + Version,
			LDFlags: "-s -w -X 'github.com/buildpacks/pack/pkg/client.Version=" + Version + "'",
		},
	})
}
