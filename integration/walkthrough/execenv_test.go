package walkthrough

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// execEnvBuilds builds an app with the probe buildpack through pack, for the test execution
// environment (`pack build --exec-env test`) and for pack's default (production), and runs its
// processes with `docker run --entrypoint /cnb/process/<type>`: the probe declares "web" for
// production, "tests" for test and development and "env" for every environment. The image
// is labelled with the build's environment; the launcher goes by the CNB_EXEC_ENV it starts
// with (default production) and refuses a process type not declared for it.
func execEnvBuilds(ctx context.Context, t *testing.T, p *packCLI, d *dockerd, work string, timings *report) {
	app := filepath.Join(work, "probe-app")
	writeFiles(t, app, map[string]string{"README": "any app\n"})
	cases := []struct {
		name, image string
		flags       []string // extra pack build flags
		built       string   // the environment of the build
		runEnv      []string // docker run flags for the launcher's environment
		found       map[string]string
		missing     []string
	}{
		{
			name: "default (production)", image: "probe-app-production", built: "production",
			found: map[string]string{
				"web": "web process (production only), built for production\n",
				"env": "env process (every environment), launched with CNB_EXEC_ENV=unset\n",
			},
			missing: []string{"tests"},
		},
		{
			name: "--exec-env test", image: "probe-app-test", flags: []string{"--exec-env", "test"}, built: "test",
			runEnv: []string{"-e", "CNB_EXEC_ENV=test"},
			found: map[string]string{
				"tests": "tests process (test and development), built for test\n",
				"env":   "env process (every environment), launched with CNB_EXEC_ENV=test\n",
			},
			missing: []string{"web"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			args := append([]string{"build", tc.image, "--builder", builderImage, "--trust-builder", "--docker-host", "inherit",
				"--pull-policy", "never", "--path", app}, tc.flags...)
			start := time.Now()
			out, err := p.run(ctx, work, args...)
			g.Expect(err).NotTo(HaveOccurred())
			timings.add("pack build of the probe app, "+tc.name, time.Since(start))
			g.Expect(out).To(ContainSubstring("execution environment " + tc.built))
			g.Expect(out).To(ContainSubstring("Successfully built image"))
			label, err := d.run(ctx, "image", "inspect", "-f", `{{index .Config.Labels "io.buildpacks.exec-env"}}|{{index .Config.Labels "org.cnbkit-it.probe.exec-env"}}`, tc.image)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(strings.TrimSpace(label)).To(Equal(tc.built+"|"+tc.built), "the lifecycle's label and the environment the buildpack saw")

			run := func(typ string) (string, error) {
				args := append(append([]string{"run", "--rm", "--network", "none"}, tc.runEnv...), "--entrypoint", "/cnb/process/"+typ, tc.image)
				return d.run(ctx, args...)
			}
			for typ, want := range tc.found {
				out, err := run(typ)
				g.Expect(err).NotTo(HaveOccurred(), "process %s", typ)
				g.Expect(out).To(Equal(want), "process %s", typ)
			}
			for _, typ := range tc.missing {
				_, err := run(typ)
				g.Expect(err).To(MatchError(ContainSubstring("process type "+typ+" was not found")), "the launcher must not find process %s", typ)
			}
		})
	}
}
