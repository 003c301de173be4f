package terminal

import (
	"os"

	"github.com/mattn/go-isatty"
)

// Is reports whether v is a file connected to a terminal. Anything that is not an *os.File
// (a buffer, a pipe wrapped in a writer) is not.
func Is(v any) bool {
	f, ok := v.(*os.File)
	if !ok || f == nil {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}
