package sdk_test

import "testing"

// TestSDKUnderTheLifecycle packages the buildpacks once and shares one harness (lifecycle
// v0.21.11, Debian stack, registry) between the groups, which run in parallel; the subtests
// of a group run in order.
func TestSDKUnderTheLifecycle(t *testing.T) {
	h, motd, probe := setup(t)
	t.Run("motd", func(t *testing.T) {
		t.Parallel()
		testMotd(t, h, motd)
	})
	t.Run("probe", func(t *testing.T) {
		t.Parallel()
		testProbe(t, h, probe)
	})

}
