package ctxio

import (
	"context"
	"io"
)

// Reader returns a reader that reads from r until ctx is done, then returns ctx's error.
// It checks before every read, so a copy stops within one buffer of the cancellation; a
// read blocked inside r (a pipe, a socket) is not interrupted, so use it on files and on
// network bodies whose requests carry ctx.
func Reader(ctx context.Context, r io.Reader) io.Reader {
	return &reader{ctx: ctx, r: r}
}

type reader struct {
	ctx context.Context
	r   io.Reader
}

func (c *reader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// bufferSize is the buffer of Copy: large enough for fast file copies, small enough that a
// cancellation is noticed within a millisecond or so.
const bufferSize = 256 << 10

// Copy copies src to dst like io.Copy until ctx is done, then returns ctx's error.
func Copy(ctx context.Context, dst io.Writer, src io.Reader) (int64, error) {
	return io.CopyBuffer(writerOnly{dst}, Reader(ctx, src), make([]byte, bufferSize))
}

// writerOnly hides ReadFrom, which would bypass the buffer and the context checks.
type writerOnly struct{ io.Writer }
