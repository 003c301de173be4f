package python

import (
	"bytes"
	"io"
	"sync"

	"github.com/cnbkit/cnbkit/sdk"
)

// detailWriter returns a writer that logs each complete line it gets as a Detail line.
func detailWriter(log *sdk.Logger) io.Writer { return &lineWriter{log: log} }

type lineWriter struct {
	mu  sync.Mutex
	log *sdk.Logger
	buf []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := string(bytes.TrimRight(w.buf[:i], "\r"))
		w.buf = w.buf[i+1:]
		if line != "" {
			w.log.Detail("  %s", line)
		}
	}
	return len(p), nil
}
