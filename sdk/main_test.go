package sdk_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk"
)

// TestMain lets the test binary act as a buildpack executable: with SDK_TEST_MAIN set it runs
// sdk.Main, the way bin/detect and bin/build would.
func TestMain(m *testing.M) {
	if os.Getenv("SDK_TEST_MAIN") != "" {
		sdk.Main(mainDetect, mainBuild)
		panic("sdk.Main returned")
	}
	os.Exit(m.Run())
}

func mainDetect(_ context.Context, req sdk.DetectRequest[sdk.None, sdk.None]) (sdk.DetectResult, error) {
	switch os.Getenv("SDK_TEST_MAIN") {
	case "fail":
		return sdk.Fail("told to fail"), nil
	case "error":
		return sdk.Fail("ignored"), errors.New("told to error")
	}
	if req.AppDir == "" || req.Target.OS != "linux" {
		return sdk.DetectResult{}, errors.New("missing inputs")
	}
	return sdk.Pass(sdk.BuildPlan{Provides: []sdk.Provide{{Name: "x"}}, Requires: []sdk.Require{{Name: "x"}}}), nil
}

func mainBuild(_ context.Context, req sdk.BuildRequest[sdk.None, sdk.None]) (sdk.BuildResult, error) {
	if _, err := sdk.OpenLayer(req.Layers, "l", sdk.LayerTypes{Launch: true}, sdk.None{}, nil); err != nil {
		return sdk.BuildResult{}, err
	}
	return sdk.BuildResult{Processes: []sdk.Process{{Type: "web", Command: []string{"true"}}}}, nil
}

// runMain starts the test binary as a buildpack executable named name in w's app directory.
func runMain(t *testing.T, w *world, name, mode string, args ...string) (int, string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(w.root, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(bin, name)
	if _, err := os.Lstat(exe); err != nil {
		if err := os.Symlink(self, exe); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(exe, args...)
	cmd.Dir = w.app
	cmd.Env = []string{"SDK_TEST_MAIN=" + mode, "PATH=" + os.Getenv("PATH")}
	for k, v := range w.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s: %v", exe, err)
	}
	return code, string(out)
}

func TestMainProcess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, program, mode string
		args                []string
		code                int
		out                 string
	}{
		{"detect passes", "detect", "pass", nil, 0, ""},
		{"detect fails with 100", "detect", "fail", nil, 100, "told to fail"},
		{"detect errors with 1", "detect", "error", nil, 1, "ERROR: The buildpack failed unexpectedly\n  told to error"},
		{"build", "build", "pass", nil, 0, "Test BP 1.2.3"},
		{"phase from the argument", "main", "fail", []string{"detect"}, 100, "told to fail"},
		{"unknown program", "generate", "pass", nil, 1, "ERROR: Unknown buildpack phase"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			w := newWorld(t, "0.12", "")
			code, out := runMain(t, w, tt.program, tt.mode, tt.args...)
			g.Expect(code).To(Equal(tt.code), out)
			g.Expect(out).To(ContainSubstring(tt.out))
			g.Expect(out).NotTo(ContainSubstring("\x1b["), "no colour when the output is not a terminal")
			switch tt.name {
			case "detect passes":
				data, err := os.ReadFile(w.plan)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(string(data)).To(ContainSubstring(`name = "x"`))
			case "build":
				g.Expect(filepath.Join(w.layers, "l.toml")).To(BeAnExistingFile())
				g.Expect(filepath.Join(w.layers, "launch.toml")).To(BeAnExistingFile())
			}
			g.Expect(strings.Count(out, "ERROR:")).To(BeNumerically("<=", 1), "an error is rendered once")
		})
	}
}
