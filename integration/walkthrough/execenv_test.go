package walkthrough

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/internal/execenv"
)

// execEnvBuilds builds an app with the probe buildpack through pack, for pack's default
// execution environment (production) and with `pack build --exec-env test`, and runs its
// processes with `docker run --entrypoint /cnb/process/<type>`: the probe declares "web" for
// production, "tests" for test and development and "env" for every environment. The image
// is labelled with the build's environment; the launcher goes by the CNB_EXEC_ENV it starts
// with (default production) and refuses a process type not declared for it.
func execEnvBuilds(ctx context.Context, t *testing.T, p *packCLI, d *dockerd, work string, timings *report) {
	app := filepath.Join(work, "probe-app")
	writeFiles(t, app, map[string]string{"README": "any app\n"})
	for _, tc := range execenv.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			g := NewWithT(t)
			image := "probe-app-" + tc.Built
			args := []string{"build", image, "--builder", builderImage, "--trust-builder", "--docker-host", "inherit",
				"--pull-policy", "never", "--path", app}
			if tc.ExecEnv != "" {
				args = append(args, "--exec-env", tc.ExecEnv)
			}
			start := time.Now()
			out, err := p.run(ctx, work, args...)
			g.Expect(err).NotTo(HaveOccurred())
			timings.add("pack build of the probe app, "+tc.Name, time.Since(start))
			g.Expect(out).To(ContainSubstring("execution environment " + tc.Built))
			g.Expect(out).To(ContainSubstring("Successfully built image"))
			label, err := d.run(ctx, "image", "inspect", "-f", `{{index .Config.Labels "io.buildpacks.exec-env"}}|{{index .Config.Labels "org.cnbkit-it.probe.exec-env"}}`, image)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(strings.TrimSpace(label)).To(Equal(tc.Built+"|"+tc.Built), "the lifecycle's label and the environment the buildpack saw")

			run := func(typ string) (string, error) {
				args := []string{"run", "--rm", "--network", "none"}
				if tc.RunEnv != "" {
					args = append(args, "-e", "CNB_EXEC_ENV="+tc.RunEnv)
				}
				return d.run(ctx, append(args, "--entrypoint", "/cnb/process/"+typ, image)...)
			}
			for typ, want := range tc.Found {
				out, err := run(typ)
				g.Expect(err).NotTo(HaveOccurred(), "process %s", typ)
				g.Expect(out).To(Equal(want), "process %s", typ)
			}
			for _, typ := range tc.Missing {
				_, err := run(typ)
				g.Expect(err).To(MatchError(ContainSubstring(execenv.NotFound(typ))), "the launcher must not find process %s", typ)
			}
		})
	}
}
