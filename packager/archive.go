package packager

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/cnbkit/cnbkit/sdk/dependency"
)

// isBuildpackArchive reports whether a dependency path names a buildpack tarball
// (what `pack buildpack package` also accepts): .tgz or .tar.gz.
func isBuildpackArchive(p string) bool {
	return strings.HasSuffix(p, ".tgz") || strings.HasSuffix(p, ".tar.gz")
}

// extractArchive unpacks a buildpack tarball into a new directory under parent with the
// extractor dependencies use (dependency.ExtractArchive): every write goes through an
// os.Root of that directory, links that leave it and entries under a link are refused, so
// nothing is written outside it. On failure the directory is removed.
func extractArchive(ctx context.Context, archive, parent string) (string, error) {
	dir, err := os.MkdirTemp(parent, "archive-")
	if err != nil {
		return "", err
	}
	if err := dependency.ExtractArchive(ctx, archive, dir); err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("%w: a buildpack tarball must hold the buildpack's files, with links that stay inside it", err)
	}
	return dir, nil
}
