package cosigntool

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"

	"github.com/cnbkit/cnbkit/integration/harness"
	"github.com/cnbkit/cnbkit/integration/internal/diskcache"
	"github.com/cnbkit/cnbkit/integration/internal/gotool"
)

// Version is the cosign release the tests build and run.
const Version = "2.6.5"

// Binary returns the path of cosign [Version], building it on first use into the harness
// cache (<cache>/cosign-<version>-<arch>/cosign). The build takes a few minutes cold.
func Binary(ctx context.Context) (string, error) {
	cache, err := harness.CacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "cosign-"+Version+"-"+runtime.GOARCH)
	err = diskcache.Entry(ctx, dir, func(tmp string) error {
		return gotool.Build(ctx, gotool.Module{
			Dir:     filepath.Join(tmp, "src"),
			Path:    "cnbkit-cosign-build",
			Get:     "github.com/sigstore/cosign/v2/cmd/cosign@v" + Version,
			LDFlags: "-s -w -X sigs.k8s.io/release-utils/version.gitVersion=v" + Version,
		}, gotool.Program{Package: "github.com/sigstore/cosign/v2/cmd/cosign", Out: filepath.Join(tmp, "cosign")})
	})
	if err != nil {
		return "", fmt.Errorf("building cosign %s: %w", Version, err)
	}
	return filepath.Join(dir, "cosign"), nil
}
