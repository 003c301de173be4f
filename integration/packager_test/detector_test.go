package packagertest

import (
	"archive/tar"
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
	lc, err := harness.Lifecycle(ctx)
	g.Expect(err).NotTo(HaveOccurred())
	root := fixtures(t)
	p := build(t, packager.Options{Path: filepath.Join(root, "comp"), Targets: []spec.Target{hostTarget}})
	g.Expect(p.Images).To(HaveLen(1))

	// A world-readable work tree (t.TempDir is private to root).
	work, err := os.MkdirTemp("", "cnbkit-detector-")
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { os.RemoveAll(work) })
	g.Expect(os.Chmod(work, 0o755)).To(Succeed())
	unpack(t, p.Images[0].Image, filepath.Join(work, "image"))
	for _, d := range []string{"app", "platform", "layers"} {
		g.Expect(os.MkdirAll(filepath.Join(work, d), 0o755)).To(Succeed())
	}
	g.Expect(os.WriteFile(filepath.Join(work, "app", "hello.txt"), []byte("hi"), 0o644)).To(Succeed())
	g.Expect(os.Chown(filepath.Join(work, "layers"), 1000, 1000)).To(Succeed())
	order := "[[order]]\n[[order.group]]\nid = \"it/comp\"\nversion = \"3.0.0\"\n"
	g.Expect(os.WriteFile(filepath.Join(work, "order.toml"), []byte(order), 0o644)).To(Succeed())

	cmd := exec.CommandContext(ctx, setpriv, "--reuid", "1000", "--regid", "1000", "--clear-groups",
		filepath.Join(lc.Dir, "detector"),
		"-app", filepath.Join(work, "app"),
		"-buildpacks", filepath.Join(work, "image", "cnb", "buildpacks"),
		"-order", filepath.Join(work, "order.toml"),
		"-layers", filepath.Join(work, "layers"),
		"-group", filepath.Join(work, "layers", "group.toml"),
		"-plan", filepath.Join(work, "layers", "plan.toml"),
		"-platform", filepath.Join(work, "platform"),
		"-log-level", "debug")
	cmd.Env = append(os.Environ(), "CNB_PLATFORM_API=0.12", "CNB_TARGET_OS=linux", "CNB_TARGET_ARCH="+hostTarget.Arch)
	out, err := cmd.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), "detector failed:\n%s", out)
	g.Expect(string(out)).To(ContainSubstring("it/go detect passes"))
	group, err := os.ReadFile(filepath.Join(work, "layers", "group.toml"))
	g.Expect(err).NotTo(HaveOccurred())
	for _, id := range []string{`id = "it/go"`, `id = "it/bash"`} {
		g.Expect(string(group)).To(ContainSubstring(id), "group.toml:\n%s\ndetector output:\n%s", group, out)
	}
	g.Expect(strings.Count(string(group), "[[group]]")).To(Equal(2))
}
