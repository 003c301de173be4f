package dependency_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk"
	"github.com/cnbkit/cnbkit/sdk/cnbtest"
	"github.com/cnbkit/cnbkit/sdk/dependency"
)

// stashBuild opens the stash "cache" and, as the step that uses it would, unpacks it into a
// folder, lets change edit the folder and packs it again; with change nil it only opens it.
func stashBuild(t *testing.T, change func(dir string), found *bool) sdk.BuildFunc[sdk.None, sdk.None] {
	return func(ctx context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		s, err := dependency.OpenStash(req.Layers, "cache")
		if err != nil || change == nil {
			return sdk.BuildResult{}, err
		}
		dir := filepath.Join(t.TempDir(), "work")
		if *found, err = s.Unpack(ctx, dir); err != nil {
			return sdk.BuildResult{}, err
		}
		change(dir)
		return sdk.BuildResult{}, s.Pack(ctx, dir)
	}
}

func TestStashKeepsAFolderInOneFile(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	var found bool
	var seen []string
	first := cnbtest.Build(t, stashBuild(t, func(dir string) {
		g.Expect(os.MkdirAll(filepath.Join(dir, "http", "a"), 0o755)).To(Succeed())
		g.Expect(os.WriteFile(filepath.Join(dir, "http", "a", "wheel"), []byte("bytes"), 0o600)).To(Succeed())
		g.Expect(os.Symlink("a/wheel", filepath.Join(dir, "http", "link"))).To(Succeed())
	}, &found), cnbtest.Options{})
	g.Expect(first).To(cnbtest.HavePassed())
	g.Expect(found).To(BeFalse(), "nothing to unpack on the first build")
	entries, err := os.ReadDir(first.Layers["cache"].Path)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(entries).To(HaveLen(1), "the stash is one file")
	g.Expect(first.Layers["cache"].Types.Cache).To(BeTrue())
	g.Expect(first.Layers["cache"].Types.Launch).To(BeFalse())

	// A build that does not use it keeps it as it is.
	second := cnbtest.Build(t, stashBuild(t, nil, nil), cnbtest.Options{Layers: first.LayersDir})
	g.Expect(second).To(cnbtest.HaveReusedLayer("cache"))

	third := cnbtest.Build(t, stashBuild(t, func(dir string) {
		seen = listTree(t, dir)
	}, &found), cnbtest.Options{Layers: second.LayersDir})
	g.Expect(third).To(cnbtest.HavePassed())
	g.Expect(found).To(BeTrue())
	g.Expect(seen).To(Equal([]string{
		". drwxr-xr-x",
		"http drwxr-xr-x",
		"http/a drwxr-xr-x",
		"http/a/wheel -rw------- bytes",
		"http/link Lrwxrwxrwx",
	}))

	// A build that does not open it drops it.
	fourth := cnbtest.Build(t, func(context.Context, sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
		return sdk.BuildResult{}, nil
	}, cnbtest.Options{Layers: third.LayersDir})
	g.Expect(fourth.Layers).NotTo(HaveKey("cache"))
}
