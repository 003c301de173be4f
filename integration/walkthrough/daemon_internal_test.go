package walkthrough

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/internal/prereq"
)

// The vfs fallback starts and stops cleanly; a daemon that cannot start (an unknown storage
// driver) is stopped at once. Either way no process, mount or directory is left behind.
func TestDockerdStartAndStopLeaveNothing(t *testing.T) {
	prereq.Root(t, "the walkthrough runs dockerd and needs root")
	bin := prereq.Tool(t, "dockerd", "docker.io")
	docker := prereq.Tool(t, "docker", "docker.io")
	for _, tt := range []struct {
		driver  string
		wantErr string
	}{
		{driver: "vfs"},
		{driver: "cnbkit-no-such-driver", wantErr: "exited at start"},
	} {
		t.Run(tt.driver, func(t *testing.T) {
			g := NewWithT(t)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			d, err := launchDockerd(ctx, bin, tt.driver)
			g.Expect(d).NotTo(BeNil())
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
			} else {
				g.Expect(err).NotTo(HaveOccurred())
				d.docker = docker
				out, err := d.run(ctx, "info", "--format", "{{.Driver}}")
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(strings.TrimSpace(out)).To(Equal(tt.driver))
				g.Expect(d.stop()).To(Succeed())
			}
			g.Expect(d.done).To(BeClosed(), "the daemon process has exited")
			_, err = os.Stat(d.root)
			g.Expect(os.IsNotExist(err)).To(BeTrue(), "%s is removed (stat: %v)", d.root, err)
			mounts, err := mountsUnder(d.root)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(mounts).To(BeEmpty())
			runningMu.Lock()
			defer runningMu.Unlock()
			g.Expect(running).NotTo(HaveKey(d))
		})
	}
}

func TestUnescapeMount(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"/tmp/plain", "/tmp/plain"},
		{`/tmp/with\040space`, "/tmp/with space"},
		{`/tmp/tab\011and\134backslash`, "/tmp/tab\tand\\backslash"},
		{`/tmp/trailing\`, `/tmp/trailing\`},
	} {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			NewWithT(t).Expect(unescapeMount(tt.in)).To(Equal(tt.want))
		})
	}
}
