package prereq

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"github.com/cnbkit/cnbkit/integration/internal/qemu"
)

// underCI reports whether the test runs in CI (CI=true), where a missing prerequisite is a
// failure, not a skip.
func underCI() bool { return os.Getenv("CI") == "true" }

// Root stops t unless the test runs as root: with msg, which says what needs root, as the
// failure under CI=true and as the skip reason elsewhere.
func Root(t testing.TB, msg string) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if underCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Tool returns the path of tool on PATH. When it is missing it stops t (a failure under
// CI=true, a skip elsewhere) with the apt-get command that installs pkg, the Debian package
// that holds the tool.
func Tool(t testing.TB, tool, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("%s is not installed: apt-get install -y --no-install-recommends %s", tool, pkg)
	if underCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Harness stops t unless the machine has what harness.New needs: root and unshare, chroot
// and mmdebstrap on PATH, then the extra tools the test itself runs (checked in order; the
// first one missing is named). Under CI=true a missing one is a failure, elsewhere a skip.
func Harness(t testing.TB, extra ...string) {
	t.Helper()
	var missing string
	if os.Geteuid() != 0 {
		missing = "root"
	} else {
		for _, tool := range append([]string{"unshare", "chroot", "mmdebstrap"}, extra...) {
			if _, err := exec.LookPath(tool); err != nil {
				missing = tool + " (run integration/scripts/setup.sh)"
				break
			}
		}
	}
	if missing == "" {
		return
	}
	if underCI() {
		t.Fatalf("the integration harness needs %s; CI=true, so this is a failure, not a skip", missing)
	}
	t.Skipf("the integration harness needs %s", missing)
}

// Emulated returns the architecture of the project's pair (amd64, arm64) that this machine
// runs only under QEMU's user-mode emulator (qemu.Other) and checks that the emulator is
// installed, like Tool. On a machine of neither architecture there is nothing to emulate and
// t is skipped, also under CI=true.
func Emulated(t testing.TB) string {
	t.Helper()
	other := qemu.Other()
	if other == "" {
		t.Skipf("the project's targets are amd64 and arm64; this machine is %s", runtime.GOARCH)
	}
	emu, err := qemu.Emulator(other)
	if err != nil {
		t.Fatal(err)
	}
	Tool(t, emu, qemu.Package)
	return other
}
