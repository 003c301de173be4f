package pip_test

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/buildpacks/python/internal/pip"
	"github.com/cnbkit/cnbkit/buildpacks/python/internal/sitepackages"
)

// hostPython returns the host's python3, or skips: these tests need a real interpreter with
// venv and ensurepip. Under CI=true a missing interpreter is a failure.
func hostPython(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err == nil {
		err = exec.Command(py, "-c", "import venv, ensurepip").Run()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 with venv and ensurepip is required (apt-get install python3-venv): %v", err)
		}
		t.Skipf("no usable python3: %v", err)
	}
	return py
}

// writeWheel writes a pure-Python wheel of a one-module distribution into dir.
func writeWheel(t *testing.T, dir, name, version string, requires ...string) {
	t.Helper()
	mod := strings.ReplaceAll(name, "-", "_")
	path := filepath.Join(dir, fmt.Sprintf("%s-%s-py3-none-any.whl", mod, version))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	info := fmt.Sprintf("%s-%s.dist-info", mod, version)
	meta := fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: test\nLicense-Expression: MIT\n", name, version)
	for _, r := range requires {
		meta += "Requires-Dist: " + r + "\n"
	}
	files := map[string]string{
		mod + "/__init__.py":    fmt.Sprintf("VERSION = %q\n", version),
		info + "/METADATA":      meta,
		info + "/WHEEL":         "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
		info + "/top_level.txt": mod + "\n",
	}
	var record strings.Builder
	for _, n := range []string{mod + "/__init__.py", info + "/METADATA", info + "/WHEEL", info + "/top_level.txt"} {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(files[n])); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&record, "%s,,\n", n)
	}
	record.WriteString(info + "/RECORD,,\n")
	w, err := zw.Create(info + "/RECORD")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(record.String())); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func treeSum(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.Type()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			fmt.Fprintf(h, "L %s %s\n", rel, target)
			return nil
		}
		if d.IsDir() {
			fmt.Fprintf(h, "D %s\n", rel)
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := sha256.Sum256(data)
		fmt.Fprintf(h, "F %s %s\n", rel, hex.EncodeToString(s[:]))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestInstallerOffline(t *testing.T) {
	t.Parallel()
	py := hostPython(t)
	g := NewWithT(t)
	ctx := context.Background()
	root := t.TempDir()
	app := filepath.Join(root, "app")
	g.Expect(os.MkdirAll(filepath.Join(app, "wheels"), 0o755)).To(Succeed())
	writeWheel(t, filepath.Join(app, "wheels"), "hello-dep", "1.0")
	writeWheel(t, filepath.Join(app, "wheels"), "hello-app", "2.0", "hello-dep>=1")
	g.Expect(os.WriteFile(filepath.Join(app, "requirements.txt"), []byte("hello-app==2.0\n"), 0o644)).To(Succeed())

	plan, err := pip.NewPlan(os.DirFS(app), pip.Settings{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(plan.WheelDir).To(Equal("wheels"))

	// No index is reachable: PIP_INDEX_URL points at a closed port, so only the wheels work.
	inst := pip.Installer{Python: py, Env: pip.Environ(os.Environ(), map[string]string{"PIP_INDEX_URL": "http://127.0.0.1:9/simple"}, nil)}
	pipDir := filepath.Join(root, "pip")
	version, err := inst.PreparePip(ctx, pipDir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(version).To(MatchRegexp(`^\d+\.\d+`))

	venv := filepath.Join(root, "venv")
	install := func() string {
		g.Expect(os.RemoveAll(venv)).To(Succeed())
		g.Expect(inst.MakeVenv(ctx, venv)).To(Succeed())
		g.Expect(inst.Install(ctx, pipDir, venv, app, filepath.Join(root, "cache"), plan)).To(Succeed())
		g.Expect(inst.Compile(ctx, venv)).To(Succeed())
		return treeSum(t, venv)
	}
	first := install()

	site, err := pip.SitePackages(venv)
	g.Expect(err).NotTo(HaveOccurred())
	dists, err := sitepackages.Read(site)
	g.Expect(err).NotTo(HaveOccurred())
	var names []string
	for _, d := range dists {
		names = append(names, d.NormalizedName()+"=="+d.Version)
	}
	g.Expect(names).To(Equal([]string{"hello-app==2.0", "hello-dep==1.0"}), "the environment holds exactly the app's distributions, no pip")
	g.Expect(dists[0].License).To(Equal("MIT"))
	g.Expect(dists[0].PURL()).To(Equal("pkg:pypi/hello-app@2.0"))

	out, err := exec.Command(filepath.Join(venv, "bin", "python"), "-c", "import hello_app; print(hello_app.VERSION)").CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(out))
	g.Expect(strings.TrimSpace(string(out))).To(Equal("2.0"))

	g.Expect(install()).To(Equal(first), "installing the same inputs twice must give identical files")
}

func TestInstallerFailure(t *testing.T) {
	t.Parallel()
	py := hostPython(t)
	g := NewWithT(t)
	ctx := context.Background()
	root := t.TempDir()
	app := filepath.Join(root, "app")
	g.Expect(os.MkdirAll(filepath.Join(app, "wheels"), 0o755)).To(Succeed())
	writeWheel(t, filepath.Join(app, "wheels"), "hello-dep", "1.0")
	g.Expect(os.WriteFile(filepath.Join(app, "requirements.txt"), []byte("no-such-distribution==9\n"), 0o644)).To(Succeed())
	plan, err := pip.NewPlan(os.DirFS(app), pip.Settings{})
	g.Expect(err).NotTo(HaveOccurred())
	inst := pip.Installer{Python: py, Env: pip.Environ(os.Environ(), nil, nil)}
	g.Expect(inst.MakeVenv(ctx, filepath.Join(root, "venv"))).To(Succeed())
	_, err = inst.PreparePip(ctx, filepath.Join(root, "pip"))
	g.Expect(err).NotTo(HaveOccurred())
	err = inst.Install(ctx, filepath.Join(root, "pip"), filepath.Join(root, "venv"), app, filepath.Join(root, "cache"), plan)
	var ce *pip.CommandError
	g.Expect(errors.As(err, &ce)).To(BeTrue(), "Install returned %v", err)
	g.Expect(ce.Output).To(ContainSubstring("no-such-distribution"))
}
