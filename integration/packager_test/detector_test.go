package packagertest

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/harness"
	"github.com/cnbkit/cnbkit/integration/internal/prereq"
	"github.com/cnbkit/cnbkit/packager"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// unpack extracts the layers of img into root, as a builder would put them in its image.
func unpack(t *testing.T, img v1.Image, root string) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		if err := extract(rc, root); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
}

func extract(r io.Reader, root string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean("/" + h.Name)
		p := filepath.Join(root, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, os.FileMode(h.Mode)); err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.Symlink(h.Linkname, p); err != nil {
				return err
			}
		case tar.TypeReg:
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode))
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, tr); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unexpected entry %s of type %c", h.Name, h.Typeflag)
		}
	}
}

// TestLifecycleDetectorFindsOurBuildpacks runs the real lifecycle's detector (as uid 1000,
// as it requires) on the buildpacks of an unpacked composite package.
func TestLifecycleDetectorFindsOurBuildpacks(t *testing.T) {
	prereq.Root(t, "this test needs root")
	setpriv := prereq.Tool(t, "setpriv", "util-linux")
	t.Parallel()
	g := NewWithT(t)
	ctx := testContext(t)
	root := fixtures(t)
	p := build(t, packager.Options{Path: filepath.Join(root, "comp"), Targets: []spec.Target{hostTarget}})
	g.Expect(p.Images).To(HaveLen(1))

	group, out := detect(ctx, t, setpriv, p.Images[0].Image, map[string]string{"hello.txt": "hi"}, "it/comp", "3.0.0", "-log-level", "debug")
	g.Expect(out).To(ContainSubstring("it/go detect passes"))
	for _, id := range []string{`id = "it/go"`, `id = "it/bash"`} {
		g.Expect(group).To(ContainSubstring(id), "group.toml:\n%s\ndetector output:\n%s", group, out)
	}
	g.Expect(strings.Count(group, "[[group]]")).To(Equal(2))
}

// detect runs the real lifecycle's detector as uid 1000 (as it requires, through setpriv) on
// the buildpacks of img, unpacked as a builder holds them, for an app made of files (names
// to contents) and an order with the one group id@version, and returns group.toml and the
// detector's output. extra are more detector flags. It fails t when the detector fails.
func detect(ctx context.Context, t *testing.T, setpriv string, img v1.Image, files map[string]string, id, version string, extra ...string) (group, out string) {
	t.Helper()
	g := NewWithT(t)
	lc, err := harness.Lifecycle(ctx)
	g.Expect(err).NotTo(HaveOccurred())

	// A world-readable work tree (t.TempDir is private to root).
	work, err := os.MkdirTemp("", "cnbkit-detector-")
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { os.RemoveAll(work) })
	g.Expect(os.Chmod(work, 0o755)).To(Succeed())
	unpack(t, img, filepath.Join(work, "image"))
	for _, d := range []string{"app", "platform", "layers"} {
		g.Expect(os.MkdirAll(filepath.Join(work, d), 0o755)).To(Succeed())
	}
	writeTree(t, filepath.Join(work, "app"), files)
	g.Expect(os.Chown(filepath.Join(work, "layers"), 1000, 1000)).To(Succeed())
	order := "[[order]]\n[[order.group]]\nid = \"" + id + "\"\nversion = \"" + version + "\"\n"
	g.Expect(os.WriteFile(filepath.Join(work, "order.toml"), []byte(order), 0o644)).To(Succeed())

	args := append([]string{"--reuid", "1000", "--regid", "1000", "--clear-groups",
		filepath.Join(lc.Dir, "detector"),
		"-app", filepath.Join(work, "app"),
		"-buildpacks", filepath.Join(work, "image", "cnb", "buildpacks"),
		"-order", filepath.Join(work, "order.toml"),
		"-layers", filepath.Join(work, "layers"),
		"-group", filepath.Join(work, "layers", "group.toml"),
		"-plan", filepath.Join(work, "layers", "plan.toml"),
		"-platform", filepath.Join(work, "platform"),
	}, extra...)
	cmd := exec.CommandContext(ctx, setpriv, args...)
	cmd.Env = append(os.Environ(), "CNB_PLATFORM_API=0.12", "CNB_TARGET_OS=linux", "CNB_TARGET_ARCH="+hostTarget.Arch)
	logs, err := cmd.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), "detector failed:\n%s", logs)
	data, err := os.ReadFile(filepath.Join(work, "layers", "group.toml"))
	g.Expect(err).NotTo(HaveOccurred())
	return string(data), string(logs)
}
