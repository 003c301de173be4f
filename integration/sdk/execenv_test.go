package sdk_test

import (
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/harness"
)

// testExecEnv builds testdata/probe for an execution environment (CNB_EXEC_ENV, Platform API
// 0.15, Buildpack API 0.12) and without one, and runs the processes: the probe declares "web"
// for production, "tests" for test and development and "env" for every environment, and the
// launcher finds a process type only when the CNB_EXEC_ENV it starts with is in its list
// (default "production"). The environment of a build reaches the buildpack and the image's
// label; the launcher goes by its own CNB_EXEC_ENV, as `docker run -e CNB_EXEC_ENV=...`.
func testExecEnv(t *testing.T, h *harness.Harness, probe harness.Buildpack) {
	app := filepath.Join("testdata", "apps", "probe")
	cases := []struct {
		name, execEnv string
		// built is the environment the buildpack and the image label report.
		built string
		// runEnv is the launcher's environment; found and missing are process types it
		// finds and does not find there, with the output of the found ones.
		runEnv  map[string]string
		found   map[string]string
		missing []string
	}{
		{
			name: "default: production", execEnv: "", built: "production",
			runEnv: nil,
			found: map[string]string{
				"web": "web process (production only), built for production\n",
				"env": "env process (every environment), launched with CNB_EXEC_ENV=unset\n",
			},
			missing: []string{"tests"},
		},
		{
			name: "test", execEnv: "test", built: "test",
			runEnv: map[string]string{"CNB_EXEC_ENV": "test"},
			found: map[string]string{
				"tests": "tests process (test and development), built for test\n",
				"env":   "env process (every environment), launched with CNB_EXEC_ENV=test\n",
			},
			missing: []string{"web"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			res := build(t, t, h, harness.BuildOptions{App: app, Buildpacks: []harness.Buildpack{probe}, ExecEnv: tc.execEnv})
			g.Expect(res.Success).To(BeTrue(), "logs:\n%s", res.Logs)
			g.Expect(res.ExecEnv).To(Equal(tc.built), "label %s", harness.LabelExecEnv)
			g.Expect(res.Config.Labels).To(HaveKeyWithValue("org.cnbkit-it.probe.exec-env", tc.built), "CNB_EXEC_ENV of the buildpack")
			g.Expect(res.Logs).To(ContainSubstring("execution environment " + tc.built))
			for typ, env := range map[string][]string{"web": {"production"}, "tests": {"test", "development"}, "env": {"*"}} {
				p, ok := res.Process(typ)
				g.Expect(ok).To(BeTrue(), "process %s in %+v", typ, res.Processes)
				g.Expect(p.ExecEnv).To(Equal(env), "exec-env of process %s", typ)
			}

			for typ, want := range tc.found {
				out, err := runOnce(t, res, harness.RunOptions{Process: typ, Env: tc.runEnv})
				g.Expect(err).NotTo(HaveOccurred(), "process %s, output:\n%s", typ, out)
				g.Expect(out).To(Equal(want), "process %s", typ)
			}
			for _, typ := range tc.missing {
				out, err := runOnce(t, res, harness.RunOptions{Process: typ, Env: tc.runEnv})
				g.Expect(err).To(HaveOccurred(), "the launcher must not find process %s, output:\n%s", typ, out)
				g.Expect(out).To(ContainSubstring("process type " + typ + " was not found"))
			}
		})
	}
}
