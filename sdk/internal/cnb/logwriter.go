package cnb

import (
	"io"
	"sync"

	"github.com/paketo-buildpacks/libpak/v2/log"
)

// IndentWriter returns libpak's log writer over w: every line written through it starts with
// indent levels of two spaces, also when a line arrives in several writes, and a leading
// carriage return (a progress line) stays in front. mu, when not nil, is held for each write
// so that the lines do not interleave with other output to w.
func IndentWriter(w io.Writer, indent int, mu *sync.Mutex) io.Writer {
	return &lockedWriter{w: log.NewWriter(w, log.WithIndent(indent)), mu: mu}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	if l.mu != nil {
		l.mu.Lock()
		defer l.mu.Unlock()
	}
	return l.w.Write(p)
}
