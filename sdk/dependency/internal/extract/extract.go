package extract

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/bzip2"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/cnbkit/cnbkit/sdk/spec"
)

// Options tune an extraction. The zero value is usable.
type Options struct {
	// StripComponents drops that many leading path components of every entry; entries with
	// no components left are skipped.
	StripComponents int
	// Name is the file name for an artifact that is not an archive (a single executable).
	// Empty: "artifact".
	Name string
	// MaxBytes caps the total size written. 0: DefaultMaxBytes.
	MaxBytes int64
	// MaxEntries caps the number of entries. 0: DefaultMaxEntries.
	MaxEntries int
	// MaxRatio caps written bytes divided by compressed bytes read, checked once more than
	// RatioAfter bytes were written. 0: DefaultMaxRatio.
	MaxRatio int64
	// RatioAfter is how much may be written before MaxRatio applies (small files of zeros
	// compress extremely well and are harmless). 0: DefaultRatioAfter.
	RatioAfter int64
	// ArchiveOnly refuses input that is not a tar (plain or compressed) or zip archive,
	// instead of writing it as a single file.
	ArchiveOnly bool
}

// ErrNotArchive is returned, with ArchiveOnly, for input that is not a tar or zip archive.
var ErrNotArchive = errors.New("not a tar or zip archive")

// Defaults of the decompression-bomb guards.
const (
	DefaultMaxBytes   = 16 << 30
	DefaultMaxEntries = 1_000_000
	DefaultMaxRatio   = 1000
	DefaultRatioAfter = 64 << 20
)

// Format is the detected kind of an artifact.
type Format string

// Formats Detect reports.
const (
	Tar    Format = "tar"
	Zip    Format = "zip"
	Gzip   Format = "gzip"
	Xz     Format = "xz"
	Zstd   Format = "zstd"
	Bzip2  Format = "bzip2"
	Single Format = "file"
)

// UnsafeError reports an archive entry that was refused. Nothing is written for it.
type UnsafeError struct {
	Entry  string
	Reason string
}

func (e *UnsafeError) Error() string {
	return fmt.Sprintf("refusing archive entry %q: %s", e.Entry, e.Reason)
}

// ErrTooLarge is wrapped by errors from the decompression-bomb guards.
var ErrTooLarge = errors.New("archive expands beyond the allowed size")

// Detect returns the format of the data starting with head (at least 512 bytes when
// available).
func Detect(head []byte) Format {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return Gzip
	case bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return Xz
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return Zstd
	case bytes.HasPrefix(head, []byte("BZh")):
		return Bzip2
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return Zip
	case isTar(head):
		return Tar
	}
	return Single
}

func isTar(head []byte) bool {
	if len(head) < 512 {
		return false
	}
	if bytes.Equal(head[257:262], []byte("ustar")) {
		return true
	}
	// Old V7 tar: verify the header checksum.
	var sum int64
	for i, b := range head[:512] {
		if i >= 148 && i < 156 {
			b = ' '
		}
		sum += int64(b)
	}
	field := strings.TrimRight(strings.TrimSpace(string(bytes.TrimRight(head[148:156], "\x00"))), "\x00 ")
	var want int64
	if _, err := fmt.Sscanf(field, "%o", &want); err != nil {
		return false
	}
	return want == sum && head[0] != 0
}

// File extracts the artifact at path into dst (created if missing).
func File(ctx context.Context, path, dst string, opts Options) error {
	f, err := spec.Open(path)
	if err != nil {
		return fmt.Errorf("extracting: %w", err)
	}
	defer f.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return fmt.Errorf("extracting %s: %w", path, err)
	}
	if Detect(head[:n]) == Zip {
		info, err := f.Stat()
		if err != nil {
			return fmt.Errorf("extracting %s: %w", path, err)
		}
		return extractZip(ctx, f, info.Size(), dst, opts)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("extracting %s: %w", path, err)
	}
	return Reader(ctx, f, dst, opts)
}

// Reader extracts a streamed artifact into dst. A zip archive is spooled to a temporary
// file first (zip needs random access).
func Reader(ctx context.Context, r io.Reader, dst string, opts Options) error {
	opts = opts.withDefaults()
	counted := &countingReader{r: r}
	br := bufio.NewReaderSize(counted, 1<<20)
	head, _ := br.Peek(512)
	format := Detect(head)
	var content io.Reader = br
	switch format {
	case Zip:
		return spoolZip(ctx, br, dst, opts)
	case Gzip, Xz, Zstd, Bzip2:
		dec, closeFn, err := decompressor(format, br)
		if err != nil {
			return fmt.Errorf("extracting: reading %s stream: %w", format, err)
		}
		defer closeFn()
		async := newAsyncReader(dec)
		defer async.Close() // runs before closeFn: the goroutine stops using dec first
		inner := bufio.NewReaderSize(async, 1<<20)
		head, _ = inner.Peek(512)
		content = inner
		if Detect(head) == Tar {
			format = Tar
		} else {
			// A compressed single file, e.g. ffmpeg.xz: drop the compression suffix.
			opts.Name = trimCompressionSuffix(opts.Name)
			format = Single
		}
	}
	if format == Single && opts.ArchiveOnly {
		return fmt.Errorf("extracting: %w", ErrNotArchive)
	}
	root, err := openRoot(dst)
	if err != nil {
		return err
	}
	defer root.Close()
	w := &writer{ctx: ctx, root: root, opts: opts, compressed: counted}
	if format == Tar {
		return w.tar(content)
	}
	name := opts.Name
	if name == "" {
		name = "artifact"
	}
	return w.file(name, 0o755, time.Time{}, content)
}

func trimCompressionSuffix(name string) string {
	for _, s := range []string{".gz", ".tgz", ".xz", ".txz", ".zst", ".zstd", ".bz2", ".tbz2"} {
		if strings.HasSuffix(name, s) && len(name) > len(s) {
			return strings.TrimSuffix(name, s)
		}
	}
	return name
}

func (o Options) withDefaults() Options {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.MaxRatio <= 0 {
		o.MaxRatio = DefaultMaxRatio
	}
	if o.RatioAfter <= 0 {
		o.RatioAfter = DefaultRatioAfter
	}
	return o
}

func decompressor(f Format, r io.Reader) (io.Reader, func(), error) {
	switch f {
	case Gzip:
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return z, func() { z.Close() }, nil
	case Xz:
		z, err := xz.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return z, func() {}, nil
	case Zstd:
		z, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<30))
		if err != nil {
			return nil, nil, err
		}
		return z, z.Close, nil
	case Bzip2:
		return bzip2.NewReader(r), func() {}, nil
	}
	return r, func() {}, nil
}

func openRoot(dst string) (*os.Root, error) {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return nil, fmt.Errorf("extracting: creating %s: %w", dst, err)
	}
	root, err := os.OpenRoot(dst)
	if err != nil {
		return nil, fmt.Errorf("extracting: %w", err)
	}
	return root, nil
}

// countingReader counts compressed bytes; it may run in the asyncReader's goroutine.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// writer creates entries inside root, enforcing the guards.
type writer struct {
	ctx        context.Context
	root       *os.Root
	opts       Options
	compressed *countingReader
	written    int64
	entries    int
	buf        []byte
	dirTimes   []dirTime
}

type dirTime struct {
	name string
	mod  time.Time
}

// cleanName validates an archive path and applies StripComponents. ok=false: skip the entry.
func (w *writer) cleanName(name string) (string, bool, error) {
	raw := name
	if strings.HasPrefix(name, "/") {
		return "", false, &UnsafeError{Entry: raw, Reason: "absolute path"}
	}
	if strings.ContainsRune(name, 0) {
		return "", false, &UnsafeError{Entry: raw, Reason: "NUL byte in name"}
	}
	var parts []string
	for _, p := range strings.Split(name, "/") {
		switch p {
		case "", ".":
			continue
		case "..":
			return "", false, &UnsafeError{Entry: raw, Reason: "path contains \"..\""}
		}
		parts = append(parts, p)
	}
	if len(parts) <= w.opts.StripComponents {
		return "", false, nil
	}
	return strings.Join(parts[w.opts.StripComponents:], "/"), true, nil
}

func (w *writer) count() error {
	w.entries++
	if w.entries > w.opts.MaxEntries {
		return fmt.Errorf("extracting: more than %d entries: %w", w.opts.MaxEntries, ErrTooLarge)
	}
	if w.entries%64 == 0 {
		if err := w.ctx.Err(); err != nil {
			return fmt.Errorf("extracting: %w", err)
		}
	}
	return nil
}

func (w *writer) tar(r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("extracting: reading tar: %w", err)
		}
		if err := w.count(); err != nil {
			return err
		}
		name, ok, err := w.cleanName(hdr.Name)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		mode := fs.FileMode(hdr.Mode).Perm()
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := w.dir(name, mode, hdr.ModTime); err != nil {
				return err
			}
		case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
			if err := w.file(name, mode, hdr.ModTime, tr); err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := w.symlink(name, hdr.Linkname); err != nil {
				return err
			}
		case tar.TypeLink:
			if err := w.hardlink(name, hdr.Name, hdr.Linkname); err != nil {
				return err
			}
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			return &UnsafeError{Entry: hdr.Name, Reason: "device or fifo entries are not allowed in dependencies"}
		case tar.TypeXGlobalHeader, tar.TypeXHeader, tar.TypeGNULongName, tar.TypeGNULongLink:
			// Metadata, consumed by archive/tar.
		default:
			return &UnsafeError{Entry: hdr.Name, Reason: fmt.Sprintf("unsupported tar entry type %q", hdr.Typeflag)}
		}
	}
	return w.finish()
}

// finish sets directory times last (creating files inside changes them).
func (w *writer) finish() error {
	for i := len(w.dirTimes) - 1; i >= 0; i-- {
		d := w.dirTimes[i]
		_ = w.root.Chtimes(d.name, d.mod, d.mod)
	}
	return nil
}

func (w *writer) mkdirAll(name string) error {
	if name == "." || name == "" {
		return nil
	}
	if err := w.root.MkdirAll(name, 0o755); err != nil {
		return fmt.Errorf("extracting: creating directory %s: %w", name, err)
	}
	return nil
}

func (w *writer) dir(name string, mode fs.FileMode, mod time.Time) error {
	if info, err := w.root.Lstat(name); err == nil && !info.IsDir() {
		if err := w.root.Remove(name); err != nil {
			return fmt.Errorf("extracting: replacing %s with a directory: %w", name, err)
		}
	}
	if err := w.mkdirAll(name); err != nil {
		return err
	}
	// Keep directories usable by the owner whatever the archive says.
	if err := w.root.Chmod(name, mode|0o700); err != nil {
		return fmt.Errorf("extracting: %w", err)
	}
	if !mod.IsZero() {
		w.dirTimes = append(w.dirTimes, dirTime{name, mod})
	}
	return nil
}

// prepare makes the parent of name and removes a previous non-directory entry at name.
func (w *writer) prepare(name string) error {
	if err := w.mkdirAll(path.Dir(name)); err != nil {
		return err
	}
	info, err := w.root.Lstat(name)
	switch {
	case err == nil && info.IsDir():
		return &UnsafeError{Entry: name, Reason: "would replace a directory"}
	case err == nil:
		if err := w.root.Remove(name); err != nil {
			return fmt.Errorf("extracting: replacing %s: %w", name, err)
		}
	}
	return nil
}

func (w *writer) file(name string, mode fs.FileMode, mod time.Time, r io.Reader) error {
	if err := w.prepare(name); err != nil {
		return err
	}
	f, err := w.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("extracting: creating %s: %w", name, err)
	}
	if w.buf == nil {
		w.buf = make([]byte, 256<<10)
	}
	_, err = io.CopyBuffer(f, &guardedReader{r: r, w: w}, w.buf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = w.root.Remove(name)
		if errors.Is(err, ErrTooLarge) {
			return err
		}
		return fmt.Errorf("extracting %s: %w", name, err)
	}
	if err := w.root.Chmod(name, mode); err != nil {
		return fmt.Errorf("extracting: %w", err)
	}
	if !mod.IsZero() {
		if err := w.root.Chtimes(name, mod, mod); err != nil {
			return fmt.Errorf("extracting: %w", err)
		}
	}
	return nil
}

// guardedReader enforces the size and ratio limits as bytes flow.
type guardedReader struct {
	r io.Reader
	w *writer
}

func (g *guardedReader) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	w := g.w
	before := w.written
	w.written += int64(n)
	if before>>23 != w.written>>23 { // every 8 MiB
		if cerr := w.ctx.Err(); cerr != nil {
			return n, cerr
		}
	}
	if w.written > w.opts.MaxBytes {
		return n, fmt.Errorf("extracting: more than %d bytes: %w", w.opts.MaxBytes, ErrTooLarge)
	}
	if w.written > w.opts.RatioAfter && w.compressed != nil {
		if c := w.compressed.n.Load(); c > 0 && w.written/c > w.opts.MaxRatio {
			return n, fmt.Errorf("extracting: %d bytes from %d compressed bytes exceeds the ratio %d: %w",
				w.written, c, w.opts.MaxRatio, ErrTooLarge)
		}
	}
	return n, err
}

// symlink creates name -> target when target stays inside the root. The rule is sound
// without looking at the file system: the link's parent must be a real directory (no
// symlink on the way) and the target may only climb ("..") before it descends, by no more
// than the link's depth; every link it passes through obeys the same rule.
func (w *writer) symlink(name, target string) error {
	if err := checkLinkTarget(name, target); err != nil {
		return err
	}
	if err := w.realParents(name); err != nil {
		return err
	}
	if err := w.prepare(name); err != nil {
		return err
	}
	if err := w.root.Symlink(target, name); err != nil {
		return fmt.Errorf("extracting: creating symlink %s: %w", name, err)
	}
	return nil
}

func checkLinkTarget(name, target string) error {
	if target == "" {
		return &UnsafeError{Entry: name, Reason: "symlink with an empty target"}
	}
	if strings.HasPrefix(target, "/") {
		return &UnsafeError{Entry: name, Reason: fmt.Sprintf("symlink to absolute path %q", target)}
	}
	if strings.ContainsRune(target, 0) {
		return &UnsafeError{Entry: name, Reason: "NUL byte in symlink target"}
	}
	depth := strings.Count(name, "/") // directories above the link inside the root
	climbing := true
	for _, p := range strings.Split(target, "/") {
		switch p {
		case "", ".":
		case "..":
			if !climbing {
				return &UnsafeError{Entry: name, Reason: fmt.Sprintf("symlink target %q goes up after going down", target)}
			}
			depth--
			if depth < 0 {
				return &UnsafeError{Entry: name, Reason: fmt.Sprintf("symlink to %q escapes the destination", target)}
			}
		default:
			climbing = false
		}
	}
	return nil
}

// realParents refuses a link whose parent directories include a symlink. Parents that do
// not exist yet are created as real directories.
func (w *writer) realParents(name string) error {
	dir := path.Dir(name)
	if dir == "." {
		return nil
	}
	parts := strings.Split(dir, "/")
	for i := range parts {
		p := strings.Join(parts[:i+1], "/")
		info, err := w.root.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("extracting: %w", err)
		}
		if !info.IsDir() {
			return &UnsafeError{Entry: name, Reason: fmt.Sprintf("parent %q is a symlink", p)}
		}
	}
	return nil
}

func (w *writer) hardlink(name, rawName, linkname string) error {
	old, ok, err := w.cleanName(linkname)
	if err != nil {
		return &UnsafeError{Entry: rawName, Reason: fmt.Sprintf("hard link to %q: %v", linkname, err.(*UnsafeError).Reason)}
	}
	if !ok {
		return &UnsafeError{Entry: rawName, Reason: fmt.Sprintf("hard link to %q, which strip-components removes", linkname)}
	}
	info, err := w.root.Lstat(old)
	if err != nil {
		return &UnsafeError{Entry: rawName, Reason: fmt.Sprintf("hard link to %q, which is not in the archive before it", linkname)}
	}
	if !info.Mode().IsRegular() {
		return &UnsafeError{Entry: rawName, Reason: fmt.Sprintf("hard link to %q, which is not a regular file", linkname)}
	}
	if err := w.prepare(name); err != nil {
		return err
	}
	if err := w.root.Link(old, name); err != nil {
		return fmt.Errorf("extracting: creating hard link %s: %w", name, err)
	}
	return nil
}

func spoolZip(ctx context.Context, r io.Reader, dst string, opts Options) error {
	tmp, err := os.CreateTemp("", "cnbkit-zip-*")
	if err != nil {
		return fmt.Errorf("extracting: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	n, err := io.Copy(tmp, r)
	if err != nil {
		return fmt.Errorf("extracting: spooling zip: %w", err)
	}
	return extractZip(ctx, tmp, n, dst, opts)
}

func extractZip(ctx context.Context, ra io.ReaderAt, size int64, dst string, opts Options) error {
	opts = opts.withDefaults()
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return fmt.Errorf("extracting: reading zip: %w", err)
	}
	root, err := openRoot(dst)
	if err != nil {
		return err
	}
	defer root.Close()
	compressed := &countingReader{}
	compressed.n.Store(size)
	w := &writer{ctx: ctx, root: root, opts: opts, compressed: compressed}
	for _, f := range zr.File {
		if err := w.count(); err != nil {
			return err
		}
		if strings.Contains(f.Name, `\`) {
			return &UnsafeError{Entry: f.Name, Reason: "backslash in a zip path"}
		}
		name, ok, err := w.cleanName(f.Name)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		mode := f.Mode()
		switch {
		case mode.IsDir():
			if err := w.dir(name, mode.Perm(), f.Modified); err != nil {
				return err
			}
		case mode&fs.ModeSymlink != 0:
			target, err := readZipEntry(f, 4096)
			if err != nil {
				return fmt.Errorf("extracting %s: %w", f.Name, err)
			}
			if err := w.symlink(name, target); err != nil {
				return err
			}
		case mode.IsRegular():
			rc, err := f.Open()
			if err != nil {
				return fmt.Errorf("extracting %s: %w", f.Name, err)
			}
			perm := mode.Perm()
			if perm == 0 {
				perm = 0o644
			}
			err = w.file(name, perm, f.Modified, rc)
			rc.Close()
			if err != nil {
				return err
			}
		default:
			return &UnsafeError{Entry: f.Name, Reason: "device, fifo or socket entries are not allowed in dependencies"}
		}
	}
	return w.finish()
}

func readZipEntry(f *zip.File, limit int64) (string, error) {
	rc, err := f.Open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return "", err
	}
	if int64(len(b)) > limit {
		return "", fmt.Errorf("symlink target longer than %d bytes", limit)
	}
	return string(b), nil
}
