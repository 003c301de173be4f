package sdk_test

import (
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/harness"
	"github.com/cnbkit/cnbkit/integration/internal/execenv"
)

// testExecEnv builds testdata/probe for an execution environment (CNB_EXEC_ENV, Platform API
// 0.15, Buildpack API 0.12) and without one, and runs the processes: the probe declares "web"
// for production, "tests" for test and development and "env" for every environment, and the
// launcher finds a process type only when the CNB_EXEC_ENV it starts with is in its list
// (default "production"). The environment of a build reaches the buildpack and the image's
// label; the launcher goes by its own CNB_EXEC_ENV, as `docker run -e CNB_EXEC_ENV=...`.
func testExecEnv(t *testing.T, h *harness.Harness, probe harness.Buildpack) {
	app := filepath.Join("testdata", "apps", "probe")
	for _, tc := range execenv.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			res := build(t, t, h, harness.BuildOptions{App: app, Buildpacks: []harness.Buildpack{probe}, ExecEnv: tc.ExecEnv})
			g.Expect(res.Success).To(BeTrue(), "logs:\n%s", res.Logs)
			g.Expect(res.ExecEnv).To(Equal(tc.Built), "label %s", harness.LabelExecEnv)
			g.Expect(res.Config.Labels).To(HaveKeyWithValue("org.cnbkit-it.probe.exec-env", tc.Built), "CNB_EXEC_ENV of the buildpack")
			g.Expect(res.Logs).To(ContainSubstring("execution environment " + tc.Built))
			for typ, env := range execenv.ProcessExecEnv {
				p, ok := res.Process(typ)
				g.Expect(ok).To(BeTrue(), "process %s in %+v", typ, res.Processes)
				g.Expect(p.ExecEnv).To(Equal(env), "exec-env of process %s", typ)
			}

			var runEnv map[string]string
			if tc.RunEnv != "" {
				runEnv = map[string]string{"CNB_EXEC_ENV": tc.RunEnv}
			}
			for typ, want := range tc.Found {
				out, err := runOnce(t, res, harness.RunOptions{Process: typ, Env: runEnv})
				g.Expect(err).NotTo(HaveOccurred(), "process %s, output:\n%s", typ, out)
				g.Expect(out).To(Equal(want), "process %s", typ)
			}
			for _, typ := range tc.Missing {
				out, err := runOnce(t, res, harness.RunOptions{Process: typ, Env: runEnv})
				g.Expect(err).To(HaveOccurred(), "the launcher must not find process %s, output:\n%s", typ, out)
				g.Expect(out).To(ContainSubstring(execenv.NotFound(typ)))
			}
		})
	}
}
