package dependency

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"

	"github.com/cnbkit/cnbkit/sdk/spec"
)

// BundleDirName is the directory of a buildpack that holds bundled dependencies.
const BundleDirName = "dependencies"

// BundleDir is the offline layout directory of the buildpack in buildpackDir.
func BundleDir(buildpackDir string) string { return filepath.Join(buildpackDir, BundleDirName) }

// BundlePath returns where dep's artifact lives in the offline layout of buildpackDir:
// <buildpackDir>/dependencies/<sha256 hex>/<file name of its uri>.
func BundlePath(buildpackDir string, dep Dependency) string {
	return filepath.Join(BundleDir(buildpackDir), dep.SHA256, artifactName(dep))
}

// Bundle puts dep's artifact into the offline layout of the buildpack in buildpackDir (see
// the package documentation), fetching it with f (nil: a zero Fetcher) and verifying its
// sha256. It returns the artifact's path. An entry already present is verified and kept.
// `cnbkit package --include-dependencies` calls it for every dependency it bundles; at build
// time, Fetch finds the artifact there before trying the network.
func Bundle(ctx context.Context, buildpackDir string, dep Dependency, f *Fetcher) (string, error) {
	if f == nil {
		f = &Fetcher{}
	}
	root := BundleDir(buildpackDir)
	g := *f
	g.CacheDir = root
	art, err := g.Fetch(ctx, dep)
	if err != nil {
		return "", fmt.Errorf("bundling %s: %w", dep, err)
	}
	if art.Origin == FromCache || art.Origin == FromDownload {
		if filepath.Dir(filepath.Dir(art.Path)) == filepath.Clean(root) && filepath.Base(art.Path) == artifactName(dep) {
			return art.Path, nil
		}
	}
	// From a file:// uri, another bundle directory, or under another name: copy it in.
	unlock := lockEntry(root, dep.SHA256)
	defer unlock()
	src, err := spec.Open(art.Path)
	if err != nil {
		return "", fmt.Errorf("bundling %s: %w", dep, err)
	}
	defer src.Close()
	stored, err := store(ctx, root, dep, artifactName(dep), src, art.Path)
	if err != nil {
		return "", fmt.Errorf("bundling %s: %w", dep, err)
	}
	return stored.Path, nil
}

// lookupLayout finds the complete entry for a checksum: <root>/<hex>.toml exists and
// <root>/<hex>/ holds exactly one regular file.
func lookupLayout(root, sum string) (string, bool) {
	if root == "" {
		return "", false
	}
	if info, err := os.Stat(filepath.Join(root, sum+".toml")); err != nil || !info.Mode().IsRegular() {
		return "", false
	}
	entries, err := os.ReadDir(filepath.Join(root, sum))
	if err != nil {
		return "", false
	}
	var found string
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if found != "" {
			return "", false
		}
		found = filepath.Join(root, sum, e.Name())
	}
	return found, found != ""
}

func removeLayoutEntry(root, sum string) {
	os.Remove(filepath.Join(root, sum+".toml"))
	os.RemoveAll(filepath.Join(root, sum))
}

// entryTOML renders the single entry of inv as top-level keys, the <hex>.toml file of the
// offline layout (the same keys as an inventory entry).
func (inv Inventory) entryTOML() ([]byte, error) {
	if len(inv) != 1 {
		return nil, errors.New("entryTOML needs exactly one dependency")
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(inv[0].entry()); err != nil {
		return nil, fmt.Errorf("encoding %s: %w", inv[0], err)
	}
	return buf.Bytes(), nil
}
