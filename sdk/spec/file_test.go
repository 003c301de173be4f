package spec_test

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/sdk/spec"
)

func TestReadFileRefusesWhatIsNotARegularFile(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "buildpack.toml")
	g.Expect(syscall.Mkfifo(fifo, 0o644)).To(Succeed())
	big := filepath.Join(dir, "big.toml")
	g.Expect(os.WriteFile(big, make([]byte, spec.MaxFileSize+1), 0o644)).To(Succeed())
	link := filepath.Join(dir, "link.toml")
	g.Expect(os.Symlink(fifo, link)).To(Succeed())

	for _, tc := range []struct{ path, want string }{
		{fifo, fifo + " is a named pipe (FIFO), not a regular file: give the path of a file"},
		{link, link + " is a named pipe (FIFO)"},
		{dir, dir + " is a directory, not a regular file"},
		{"/dev/null", "/dev/null is a character device, not a regular file"},
	} {
		_, err := spec.ReadFile(tc.path) // returns at once: a pipe is never opened
		var nre *spec.NotRegularError
		g.Expect(errors.As(err, &nre)).To(BeTrue(), "ReadFile(%s) returned %v", tc.path, err)
		g.Expect(err).To(MatchError(ContainSubstring(tc.want)))
	}
	_, err := spec.ReadBuildpack(fifo)
	g.Expect(err).To(MatchError(ContainSubstring("is a named pipe (FIFO)")))
	_, err = spec.ReadFile(big)
	g.Expect(errors.Is(err, spec.ErrTooLarge)).To(BeTrue(), "ReadFile of %d bytes returned %v", spec.MaxFileSize+1, err)
}
