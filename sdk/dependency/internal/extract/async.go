package extract

import (
	"errors"
	"io"
)

// asyncReader decompresses ahead in its own goroutine, so decompression and writing files
// use two cores, as `tar -xzf` does with its gzip child process.
type asyncReader struct {
	full  chan chunk
	free  chan []byte
	stop  chan struct{}
	done  chan struct{}
	cur   []byte
	buf   []byte
	err   error
	close bool
}

type chunk struct {
	buf []byte
	n   int
	err error
}

const (
	asyncChunk   = 256 << 10
	asyncBuffers = 4
)

func newAsyncReader(src io.Reader) *asyncReader {
	a := &asyncReader{
		full: make(chan chunk, asyncBuffers),
		free: make(chan []byte, asyncBuffers),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	for i := 0; i < asyncBuffers; i++ {
		a.free <- make([]byte, asyncChunk)
	}
	go a.fill(src)
	return a
}

func (a *asyncReader) fill(src io.Reader) {
	defer close(a.done)
	for {
		var buf []byte
		select {
		case buf = <-a.free:
		case <-a.stop:
			return
		}
		n, err := io.ReadFull(src, buf)
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = io.EOF
		}
		select {
		case a.full <- chunk{buf: buf, n: n, err: err}:
		case <-a.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

func (a *asyncReader) Read(p []byte) (int, error) {
	for len(a.cur) == 0 {
		if a.err != nil {
			return 0, a.err
		}
		if a.buf != nil {
			a.free <- a.buf
			a.buf = nil
		}
		c := <-a.full
		a.buf, a.cur, a.err = c.buf, c.buf[:c.n], c.err
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// Close stops the goroutine and waits for it; the source may be closed afterwards.
func (a *asyncReader) Close() {
	if a.close {
		return
	}
	a.close = true
	close(a.stop)
	<-a.done
}
