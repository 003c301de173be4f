package source

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Limits of the JSON documents read from a package. The OCI distribution specification
// lets registries refuse manifests over 4 MiB; a buildpackage config carries the two
// labels, which stay far below 16 MiB even for large composites.
const (
	maxManifestSize = 4 << 20
	maxConfigSize   = 16 << 20
)

// DigestError reports a blob whose content does not match the digest (or the size, or the
// diff ID) that the manifest, the index or the config gives for it: the package was altered
// or damaged after it was written.
type DigestError struct {
	// Source is the .cnb file, layout directory or image reference read.
	Source string
	// What names the blob: "manifest", "image index", "config" or "layer".
	What string
	// Digest is the digest the blob is listed under.
	Digest v1.Hash
	// Problem says what did not match.
	Problem string
}

func (e *DigestError) Error() string {
	return fmt.Sprintf("%s: %s %s is not what its digest says (%s): the package was altered or damaged after it was written; get it again from where it was published, or package it again from its sources",
		e.Source, e.What, e.Digest, e.Problem)
}

// verifier streams a blob, hashing it as it is read, and returns a *DigestError instead of
// io.EOF when its size or sha256 differ from the descriptor's. For a layer whose diff ID is
// known, the decompressed stream is hashed too, in a second goroutine fed from the same
// reads, so one pass over the bytes checks both.
type verifier struct {
	r       io.Reader
	c       io.Closer
	err     *DigestError // template for errors
	want    v1.Hash
	size    int64 // -1: unknown
	n       int64
	h       hash.Hash
	diffID  v1.Hash
	diff    *diffHasher
	checked error
}

// verify wraps rc. size < 0 means the size is not known. diffID, when set, is checked
// against the decompressed content (media type mt decides the decompression).
func verify(rc io.ReadCloser, template DigestError, size int64, diffID v1.Hash, mt types.MediaType) io.ReadCloser {
	v := &verifier{r: rc, c: rc, err: &template, want: template.Digest, size: size, h: sha256.New()}
	if size >= 0 {
		v.r = io.LimitReader(rc, size+1) // a longer blob fails at size+1 bytes, not at its end
	}
	if diffID.Hex != "" && diffID != template.Digest {
		v.diffID, v.diff = diffID, newDiffHasher(mt)
	}
	return v
}

func (v *verifier) fail(format string, args ...any) error {
	e := *v.err
	e.Problem = fmt.Sprintf(format, args...)
	return &e
}

func (v *verifier) Read(p []byte) (int, error) {
	if v.checked != nil {
		return 0, v.checked
	}
	n, err := v.r.Read(p)
	if n > 0 {
		v.n += int64(n)
		v.h.Write(p[:n])
		if v.diff != nil {
			v.diff.write(p[:n])
		}
		if v.size >= 0 && v.n > v.size {
			v.checked = v.fail("it is longer than the %d bytes listed", v.size)
			return 0, v.checked
		}
	}
	if errors.Is(err, io.EOF) {
		v.checked = v.finish()
		return n, v.checked
	}
	return n, err
}

func (v *verifier) finish() error {
	if v.want.Algorithm != "sha256" {
		return v.fail("digest algorithm %q is not supported", v.want.Algorithm)
	}
	if v.size >= 0 && v.n != v.size {
		return v.fail("it has %d bytes, %d are listed", v.n, v.size)
	}
	if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want.Hex {
		return v.fail("its %d bytes hash to sha256:%s", v.n, got)
	}
	if v.diff != nil {
		if v.diffID.Algorithm != "sha256" {
			return v.fail("diff ID algorithm %q is not supported", v.diffID.Algorithm)
		}
		diffID, derr := v.diff.finish()
		v.diff = nil
		if derr != nil {
			return v.fail("it does not decompress: %v", derr)
		}
		if diffID != v.diffID.Hex {
			return v.fail("its uncompressed content hashes to sha256:%s, the config lists diff ID %s", diffID, v.diffID)
		}
	}
	return io.EOF
}

func (v *verifier) Close() error {
	if v.diff != nil {
		v.diff.abort()
		v.diff = nil
	}
	return v.c.Close()
}

// diffHasher decompresses and hashes a layer in its own goroutine.
type diffHasher struct {
	pw   *io.PipeWriter
	done chan diffResult
	err  error // a write to the pipe failed: the decompressor stopped early
}

type diffResult struct {
	hex string
	err error
}

func newDiffHasher(mt types.MediaType) *diffHasher {
	pr, pw := io.Pipe()
	d := &diffHasher{pw: pw, done: make(chan diffResult, 1)}
	go func() {
		h := sha256.New()
		var err error
		switch mt {
		case types.OCILayerZStd:
			var zr *zstd.Decoder
			if zr, err = zstd.NewReader(pr, zstd.WithDecoderConcurrency(1)); err == nil {
				_, err = io.Copy(h, zr)
				zr.Close()
			}
		case types.OCIUncompressedLayer, types.DockerUncompressedLayer, types.OCIUncompressedRestrictedLayer:
			_, err = io.Copy(h, pr)
		default: // gzip: OCI and Docker layers
			var zr *gzip.Reader
			if zr, err = gzip.NewReader(pr); err == nil {
				_, err = io.Copy(h, zr)
			}
		}
		if err != nil {
			pr.CloseWithError(err)
		} else {
			_, _ = io.Copy(io.Discard, pr) // bytes after the compressed stream
		}
		d.done <- diffResult{hex: hex.EncodeToString(h.Sum(nil)), err: err}
	}()
	return d
}

func (d *diffHasher) write(p []byte) {
	if d.err == nil {
		_, d.err = d.pw.Write(p)
	}
}

func (d *diffHasher) finish() (string, error) {
	d.pw.Close()
	r := <-d.done
	if r.err != nil {
		return "", r.err
	}
	return r.hex, d.err
}

func (d *diffHasher) abort() {
	d.pw.CloseWithError(errors.New("reading stopped"))
	<-d.done
}

// verifiedImage hands out layers that verify their digest and diff ID as they are read,
// whatever the image's source.
type verifiedImage struct {
	v1.Image
	source string
}

func (i verifiedImage) Layers() ([]v1.Layer, error) {
	ls, err := i.Image.Layers()
	if err != nil {
		return nil, err
	}
	out := make([]v1.Layer, len(ls))
	for j, l := range ls {
		out[j] = verifiedLayer{Layer: l, source: i.source}
	}
	return out, nil
}

func (i verifiedImage) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	l, err := i.Image.LayerByDigest(h)
	if err != nil {
		return nil, err
	}
	return verifiedLayer{Layer: l, source: i.source}, nil
}

func (i verifiedImage) LayerByDiffID(h v1.Hash) (v1.Layer, error) {
	l, err := i.Image.LayerByDiffID(h)
	if err != nil {
		return nil, err
	}
	return verifiedLayer{Layer: l, source: i.source}, nil
}

type verifiedLayer struct {
	v1.Layer
	source string
}

func (l verifiedLayer) Compressed() (io.ReadCloser, error) {
	d, err := l.Digest()
	if err != nil {
		return nil, err
	}
	size, err := l.Size()
	if err != nil {
		return nil, err
	}
	diffID, err := l.DiffID()
	if err != nil {
		return nil, err
	}
	mt, err := l.MediaType()
	if err != nil {
		return nil, err
	}
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, fmt.Errorf("%s: reading layer %s: %w", l.source, d, err)
	}
	return verify(rc, DigestError{Source: l.source, What: "layer", Digest: d}, size, diffID, mt), nil
}

func (l verifiedLayer) Uncompressed() (io.ReadCloser, error) {
	diffID, err := l.DiffID()
	if err != nil {
		return nil, err
	}
	rc, err := l.Layer.Uncompressed()
	if err != nil {
		return nil, fmt.Errorf("%s: reading layer %s: %w", l.source, diffID, err)
	}
	return verify(rc, DigestError{Source: l.source, What: "uncompressed layer", Digest: diffID}, -1, v1.Hash{}, ""), nil
}
