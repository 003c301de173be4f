package walkthrough

import (
	"context"
	"os"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// A daemon that cannot start (an unknown storage driver) leaves no process, no mount and no
// directory behind.
func TestDockerdStartFailureLeavesNothing(t *testing.T) {
	needRoot(t)
	bin := need(t, "dockerd", "docker.io")
	g := NewWithT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	d, err := launchDockerd(ctx, bin, "cnbkit-no-such-driver")
	g.Expect(err).To(MatchError(ContainSubstring("exited at start")))
	g.Expect(d).NotTo(BeNil())
	g.Expect(d.done).To(BeClosed(), "the daemon process has exited")
	_, err = os.Stat(d.root)
	g.Expect(os.IsNotExist(err)).To(BeTrue(), "%s is removed (stat: %v)", d.root, err)
	mounts, err := mountsUnder(d.root)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(mounts).To(BeEmpty())
	runningMu.Lock()
	defer runningMu.Unlock()
	g.Expect(running).NotTo(HaveKey(d))
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
