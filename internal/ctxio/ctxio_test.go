package ctxio_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/internal/ctxio"
)

// endless never ends, like /dev/zero.
type endless struct{}

func (endless) Read(p []byte) (int, error) { return len(p), nil }

// cancelAfter cancels its context once n bytes were written.
type cancelAfter struct {
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Write(p []byte) (int, error) {
	c.n -= len(p)
	if c.n <= 0 {
		c.cancel()
	}
	return len(p), nil
}

func TestCopyStopsWhenTheContextIsDone(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n, err := ctxio.Copy(ctx, &cancelAfter{n: 1 << 20, cancel: cancel}, endless{})
	g.Expect(errors.Is(err, context.Canceled)).To(BeTrue(), "Copy returned %v", err)
	g.Expect(n).To(BeNumerically("<=", 1<<20+256<<10), "Copy went on after the cancellation")
}

func TestCopyCopiesEverything(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	data := bytes.Repeat([]byte("cnbkit"), 100_000)
	var out bytes.Buffer
	n, err := ctxio.Copy(context.Background(), &out, bytes.NewReader(data))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(n).To(Equal(int64(len(data))))
	g.Expect(out.Bytes()).To(Equal(data))
	_, err = io.ReadAll(ctxio.Reader(context.Background(), bytes.NewReader(data)))
	g.Expect(err).NotTo(HaveOccurred())
}
