package terminal_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/creack/pty"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/internal/terminal"
)

func TestFilesAndWritersThatAreNoTerminal(t *testing.T) {
	t.Parallel()
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	var nilFile *os.File
	for name, v := range map[string]any{"regular file": f, "pipe": w, "buffer": &bytes.Buffer{}, "nil file": nilFile, "nil": nil} {
		NewWithT(t).Expect(terminal.Is(v)).To(BeFalse(), "terminal.Is(%s)", name)
	}
}

func TestPseudoTerminalIsATerminal(t *testing.T) {
	t.Parallel()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("opening a pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	NewWithT(t).Expect(terminal.Is(tty)).To(BeTrue(), "terminal.Is(the tty end of a pseudo-terminal)")
}
