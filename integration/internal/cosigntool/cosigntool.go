package cosigntool

import (
	"context"

	"github.com/cnbkit/cnbkit/integration/harness"
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
	return gotool.Cached(ctx, cache, gotool.Tool{
		Name: "cosign", Version: Version, Package: "github.com/sigstore/cosign/v2/cmd/cosign",
		Module: gotool.Module{
			Path:    "cnbkit-cosign-build",
			Get:     "github.com/sigstore/cosign/v2/cmd/cosign@v" + Version,
			LDFlags: "-s -w -X sigs.k8s.io/release-utils/version.gitVersion=v" + Version,
		},
	})
}
