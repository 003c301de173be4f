package extract_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	. "github.com/onsi/gomega"
	"github.com/ulikunitz/xz"

	"github.com/cnbkit/cnbkit/sdk/dependency/internal/extract"
)

// entry describes one archive member for the helpers below.
type entry struct {
	name, body, link string
	typ              byte
	mode             int64
}

var mtime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func tarOf(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
			if typ == tar.TypeDir {
				mode = 0o755
			}
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Mode: mode, Linkname: e.link, ModTime: mtime, Format: tar.FormatPAX}
		if typ == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("tar header %s: %v", e.name, err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func compress(t testing.TB, format string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	switch format {
	case "gz":
		w := gzip.NewWriter(&buf)
		w.Write(data)
		w.Close()
	case "xz":
		w, err := xz.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
		w.Close()
	case "zst":
		w, err := zstd.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
		w.Close()
	case "bz2":
		if _, err := exec.LookPath("bzip2"); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("bzip2 is needed to build the bzip2 fixture: apt-get install bzip2")
			}
			t.Skip("bzip2 not installed")
		}
		cmd := exec.Command("bzip2", "-c")
		cmd.Stdin = bytes.NewReader(data)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("bzip2: %v", err)
		}
		return out
	case "":
		return data
	default:
		t.Fatalf("unknown format %s", format)
	}
	return buf.Bytes()
}

func extractBytes(t *testing.T, data []byte, opts extract.Options) (string, error) {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "out")
	return dst, extract.Reader(context.Background(), bytes.NewReader(data), dst, opts)
}

var sample = []entry{
	{name: "python/", typ: tar.TypeDir},
	{name: "python/bin/", typ: tar.TypeDir},
	{name: "python/bin/python3.12", body: "#!/bin/sh\necho hi\n", mode: 0o755},
	{name: "python/bin/python3", typ: tar.TypeSymlink, link: "python3.12"},
	{name: "python/lib/libpython.so", body: "ELF", mode: 0o644},
	{name: "python/lib/libpython.so.1", typ: tar.TypeLink, link: "python/lib/libpython.so"},
	{name: "python/lib/up", typ: tar.TypeSymlink, link: "../bin/python3"},
}

func TestExtractTarFormats(t *testing.T) {
	t.Parallel()
	plain := tarOf(t, sample...)
	for _, format := range []string{"", "gz", "xz", "zst", "bz2"} {
		t.Run("tar."+format, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			data := compress(t, format, plain)
			dst, err := extractBytes(t, data, extract.Options{StripComponents: 1})
			g.Expect(err).NotTo(HaveOccurred())

			info, err := os.Stat(filepath.Join(dst, "bin", "python3.12"))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(info.Mode().Perm()).To(Equal(fs.FileMode(0o755)), "exec bit kept")
			g.Expect(info.ModTime().UTC()).To(Equal(mtime), "mtime kept")
			link, err := os.Readlink(filepath.Join(dst, "bin", "python3"))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(link).To(Equal("python3.12"))
			body, err := os.ReadFile(filepath.Join(dst, "lib", "up"))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(string(body)).To(ContainSubstring("echo hi"))
			a, _ := os.Stat(filepath.Join(dst, "lib", "libpython.so"))
			b, err := os.Stat(filepath.Join(dst, "lib", "libpython.so.1"))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(os.SameFile(a, b)).To(BeTrue(), "hard link kept")
			lib, _ := os.Stat(filepath.Join(dst, "lib", "libpython.so"))
			g.Expect(lib.Mode().Perm()).To(Equal(fs.FileMode(0o644)))
		})
	}
}

func TestExtractWithoutStrip(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dst, err := extractBytes(t, compress(t, "gz", tarOf(t, append([]entry{{name: "./", typ: tar.TypeDir}}, sample...)...)), extract.Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(filepath.Join(dst, "python", "bin", "python3.12")).To(BeARegularFile())
}

func TestExtractZip(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, mode fs.FileMode, body string) {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: mtime}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		g.Expect(err).NotTo(HaveOccurred())
		w.Write([]byte(body))
	}
	add("tool-1.0/", fs.ModeDir|0o755, "")
	add("tool-1.0/bin/tool", 0o755, "#!/bin/sh\n")
	add("tool-1.0/README", 0o644, "read me")
	add("tool-1.0/bin/t", fs.ModeSymlink|0o777, "tool")
	g.Expect(zw.Close()).To(Succeed())

	// From a stream (spooled) and from a file (random access).
	dst, err := extractBytes(t, buf.Bytes(), extract.Options{StripComponents: 1})
	g.Expect(err).NotTo(HaveOccurred())
	file := filepath.Join(t.TempDir(), "tool.zip")
	g.Expect(os.WriteFile(file, buf.Bytes(), 0o644)).To(Succeed())
	dst2 := filepath.Join(t.TempDir(), "out")
	g.Expect(extract.File(context.Background(), file, dst2, extract.Options{StripComponents: 1})).To(Succeed())
	for _, d := range []string{dst, dst2} {
		info, err := os.Stat(filepath.Join(d, "bin", "tool"))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(info.Mode().Perm()).To(Equal(fs.FileMode(0o755)))
		link, err := os.Readlink(filepath.Join(d, "bin", "t"))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(link).To(Equal("tool"))
		g.Expect(filepath.Join(d, "README")).To(BeARegularFile())
	}
}

func TestExtractSingleExecutable(t *testing.T) {
	t.Parallel()
	elf := append([]byte("\x7fELF"), bytes.Repeat([]byte{1}, 1000)...)
	for _, c := range []struct{ format, name, want string }{
		{"", "ffmpeg", "ffmpeg"},
		{"gz", "ffmpeg.gz", "ffmpeg"},
		{"xz", "ffprobe.xz", "ffprobe"},
		{"", "", "artifact"},
	} {
		t.Run(c.format+c.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			dst, err := extractBytes(t, compress(t, c.format, elf), extract.Options{Name: c.name})
			g.Expect(err).NotTo(HaveOccurred())
			info, err := os.Stat(filepath.Join(dst, c.want))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(info.Mode().Perm()).To(Equal(fs.FileMode(0o755)))
			body, _ := os.ReadFile(filepath.Join(dst, c.want))
			g.Expect(body).To(Equal(elf))
		})
	}
}

func TestExtractRefusesUnsafeEntries(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		entries []entry
		strip   int
		reason  string
	}{
		"absolute path":         {[]entry{{name: "/etc/passwd", body: "x"}}, 0, "absolute path"},
		"dot dot":               {[]entry{{name: "a/../../x", body: "x"}}, 0, `".."`},
		"dot dot after strip":   {[]entry{{name: "top/../x", body: "x"}}, 1, `".."`},
		"absolute symlink":      {[]entry{{name: "l", typ: tar.TypeSymlink, link: "/etc"}}, 0, "absolute path"},
		"escaping symlink":      {[]entry{{name: "a/l", typ: tar.TypeSymlink, link: "../../x"}}, 0, "escapes"},
		"up after down":         {[]entry{{name: "d", typ: tar.TypeSymlink, link: "."}, {name: "l", typ: tar.TypeSymlink, link: "d/.."}}, 0, "goes up after going down"},
		"link through symlink":  {[]entry{{name: "d", typ: tar.TypeSymlink, link: "."}, {name: "d/l", typ: tar.TypeSymlink, link: ".."}}, 0, `parent "d" is a symlink`},
		"escaping hard link":    {[]entry{{name: "h", typ: tar.TypeLink, link: "../outside"}}, 0, `".."`},
		"absolute hard link":    {[]entry{{name: "h", typ: tar.TypeLink, link: "/etc/passwd"}}, 0, "absolute path"},
		"hard link to nothing":  {[]entry{{name: "h", typ: tar.TypeLink, link: "missing"}}, 0, "not in the archive"},
		"hard link to symlink":  {[]entry{{name: "s", typ: tar.TypeSymlink, link: "x"}, {name: "h", typ: tar.TypeLink, link: "s"}}, 0, "not a regular file"},
		"char device":           {[]entry{{name: "null", typ: tar.TypeChar}}, 0, "device"},
		"block device":          {[]entry{{name: "sda", typ: tar.TypeBlock}}, 0, "device"},
		"fifo":                  {[]entry{{name: "p", typ: tar.TypeFifo}}, 0, "fifo"},
		"file replaces dir":     {[]entry{{name: "d/", typ: tar.TypeDir}, {name: "d/f", body: "x"}, {name: "d", body: "x"}}, 0, "replace a directory"},
		"empty symlink target":  {[]entry{{name: "l", typ: tar.TypeSymlink, link: ""}}, 0, "empty target"},
		"symlink escapes later": {[]entry{{name: "a/b/l", typ: tar.TypeSymlink, link: "../../../etc"}}, 0, "escapes"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			base := t.TempDir()
			dst := filepath.Join(base, "out")
			err := extract.Reader(context.Background(), bytes.NewReader(tarOf(t, c.entries...)), dst, extract.Options{StripComponents: c.strip})
			g.Expect(err).To(HaveOccurred())
			var ue *extract.UnsafeError
			g.Expect(errors.As(err, &ue)).To(BeTrue(), "want *UnsafeError, got %T: %v", err, err)
			g.Expect(err.Error()).To(ContainSubstring(c.reason))
			assertConfined(t, base, dst)
		})
	}
}

func TestExtractAllowsLinksThatStayInside(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dst, err := extractBytes(t, tarOf(t,
		entry{name: "a/b/f", body: "x"},
		entry{name: "a/b/l1", typ: tar.TypeSymlink, link: "../../a/b/f"},
		entry{name: "a/l2", typ: tar.TypeSymlink, link: "./b/./f"},
		entry{name: "top", typ: tar.TypeSymlink, link: "a/b"},
		entry{name: "dangling", typ: tar.TypeSymlink, link: "nowhere"},
	), extract.Options{})
	g.Expect(err).NotTo(HaveOccurred())
	for _, l := range []string{"a/b/l1", "a/l2", "top/f"} {
		body, err := os.ReadFile(filepath.Join(dst, l))
		g.Expect(err).NotTo(HaveOccurred(), l)
		g.Expect(string(body)).To(Equal("x"))
	}
}

func TestExtractWritesThroughSymlinksOnlyInside(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	base := t.TempDir()
	dst := filepath.Join(base, "out")
	// "d" is a symlink inside; a later file under d/ lands inside via the root.
	err := extract.Reader(context.Background(), bytes.NewReader(tarOf(t,
		entry{name: "real/", typ: tar.TypeDir},
		entry{name: "d", typ: tar.TypeSymlink, link: "real"},
		entry{name: "d/f", body: "x"},
	)), dst, extract.Options{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(filepath.Join(dst, "real", "f")).To(BeARegularFile())
	assertConfined(t, base, dst)
}

func TestExtractGuardsAgainstBombs(t *testing.T) {
	t.Parallel()
	t.Run("max bytes", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		_, err := extractBytes(t, compress(t, "gz", tarOf(t, entry{name: "big", body: strings.Repeat("0", 10_000)})), extract.Options{MaxBytes: 1000})
		g.Expect(errors.Is(err, extract.ErrTooLarge)).To(BeTrue(), "got %v", err)
	})
	t.Run("max entries", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		_, err := extractBytes(t, tarOf(t, entry{name: "a"}, entry{name: "b"}, entry{name: "c"}), extract.Options{MaxEntries: 2})
		g.Expect(errors.Is(err, extract.ErrTooLarge)).To(BeTrue(), "got %v", err)
	})
	t.Run("ratio", func(t *testing.T) {
		t.Parallel()
		g := NewWithT(t)
		// 8 MiB of zeros compresses to a few hundred bytes with zstd.
		var raw bytes.Buffer
		tw := tar.NewWriter(&raw)
		size := int64(8 << 20)
		tw.WriteHeader(&tar.Header{Name: "zeros", Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
		io.CopyN(tw, zeroReader{}, size)
		tw.Close()
		base := t.TempDir()
		dst := filepath.Join(base, "out")
		err := extract.Reader(context.Background(), bytes.NewReader(compress(t, "zst", raw.Bytes())), dst, extract.Options{RatioAfter: 1 << 20})
		g.Expect(errors.Is(err, extract.ErrTooLarge)).To(BeTrue(), "got %v", err)
		g.Expect(err.Error()).To(ContainSubstring("exceeds the ratio"))
		_, statErr := os.Stat(filepath.Join(dst, "zeros"))
		g.Expect(os.IsNotExist(statErr)).To(BeTrue(), "the partial file is removed")

		// Below the threshold, the same file is fine.
		ok := filepath.Join(base, "ok")
		g.Expect(extract.Reader(context.Background(), bytes.NewReader(compress(t, "zst", raw.Bytes())), ok, extract.Options{})).To(Succeed())
		g.Expect(filepath.Join(ok, "zeros")).To(BeARegularFile())
	})
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestExtractHonoursContext(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var entries []entry
	for i := 0; i < 200; i++ {
		entries = append(entries, entry{name: "f" + strings.Repeat("x", i%50) + string(rune('a'+i%26)) + "/" + string(rune('a'+i/26)), body: "x"})
	}
	err := extract.Reader(ctx, bytes.NewReader(tarOf(t, entries...)), filepath.Join(t.TempDir(), "o"), extract.Options{})
	g.Expect(errors.Is(err, context.Canceled)).To(BeTrue(), "got %v", err)
}

func TestDetect(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	g.Expect(extract.Detect(tarOf(t, entry{name: "a", body: "b"}))).To(Equal(extract.Tar))
	g.Expect(extract.Detect(compress(t, "gz", []byte("x")))).To(Equal(extract.Gzip))
	g.Expect(extract.Detect(compress(t, "xz", []byte("x")))).To(Equal(extract.Xz))
	g.Expect(extract.Detect(compress(t, "zst", []byte("x")))).To(Equal(extract.Zstd))
	g.Expect(extract.Detect([]byte("BZh91AY"))).To(Equal(extract.Bzip2))
	g.Expect(extract.Detect([]byte("PK\x03\x04rest"))).To(Equal(extract.Zip))
	g.Expect(extract.Detect([]byte("\x7fELF"))).To(Equal(extract.Single))
	g.Expect(extract.Detect(make([]byte, 512))).To(Equal(extract.Single))
}

// assertConfined checks that nothing but dst was created in base and that every symlink in
// dst that resolves, resolves inside dst.
func assertConfined(t *testing.T, base, dst string) {
	t.Helper()
	entries, err := os.ReadDir(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != filepath.Base(dst) {
			t.Fatalf("extraction created %s outside the destination", e.Name())
		}
	}
	realDst, err := filepath.EvalSymlinks(dst)
	if err != nil {
		return // nothing extracted
	}
	filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		resolved, err := filepath.EvalSymlinks(p)
		if err != nil {
			return nil // dangling or a loop: harmless
		}
		if resolved != realDst && !strings.HasPrefix(resolved, realDst+string(filepath.Separator)) {
			t.Fatalf("symlink %s resolves to %s, outside %s", p, resolved, realDst)
		}
		return nil
	})
}

// FuzzExtractTar builds a tar from a line-based description ("<type> <name> [-> <link>]")
// and checks that extraction never writes outside the destination nor leaves a symlink that
// resolves outside it, whatever the entries and strip count.
func FuzzExtractTar(f *testing.F) {
	f.Add("f a/b\nl a/c -> b\nl d -> ../x\nh e -> a/b\n", uint8(0))
	f.Add("d x\nl x/y -> ../../..\nf x/y/z\n", uint8(1))
	f.Add("l d -> .\nl d/l -> ..\nf d/l/escape\n", uint8(0))
	f.Add("l d -> .\nl l -> d/..\nf l/escape\n", uint8(0))
	f.Add("f /abs\nf ../up\nh h -> ../../etc/passwd\n", uint8(2))
	f.Add("d a\nl a/b -> ../a\nf a/b/b/b/c\nl s -> a/b/b/../../..\n", uint8(0))
	f.Fuzz(func(t *testing.T, script string, strip uint8) {
		var entries []entry
		for _, line := range strings.Split(script, "\n") {
			if len(line) < 3 || line[1] != ' ' {
				continue
			}
			rest := line[2:]
			name, link, _ := strings.Cut(rest, " -> ")
			if name == "" || len(name) > 200 || len(link) > 200 {
				continue
			}
			e := entry{name: name, link: link}
			switch line[0] {
			case 'f':
				e.body = "data"
			case 'd':
				e.typ = tar.TypeDir
			case 'l':
				e.typ = tar.TypeSymlink
			case 'h':
				e.typ = tar.TypeLink
			default:
				continue
			}
			entries = append(entries, e)
			if len(entries) > 30 {
				break
			}
		}
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, e := range entries {
			typ := e.typ
			if typ == 0 {
				typ = tar.TypeReg
			}
			hdr := &tar.Header{Name: e.name, Typeflag: typ, Mode: 0o755, Linkname: e.link, Size: int64(len(e.body)), Format: tar.FormatPAX}
			if tw.WriteHeader(hdr) != nil {
				return
			}
			tw.Write([]byte(e.body))
		}
		tw.Close()
		base := t.TempDir()
		dst := filepath.Join(base, "out")
		_ = extract.Reader(context.Background(), bytes.NewReader(buf.Bytes()), dst, extract.Options{StripComponents: int(strip % 4)})
		assertConfined(t, base, dst)
	})
}

// FuzzExtractZip is FuzzExtractTar for zip archives ("f", "d" and "l" lines).
func FuzzExtractZip(f *testing.F) {
	f.Add("f a/b\nl a/c -> b\nl d -> ../x\n", uint8(0))
	f.Add("l d -> .\nl d/l -> ..\nf d/l/escape\n", uint8(0))
	f.Add("f /abs\nf ../up\nf a\\..\\..\\x\n", uint8(1))
	f.Fuzz(func(t *testing.T, script string, strip uint8) {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		n := 0
		for _, line := range strings.Split(script, "\n") {
			if len(line) < 3 || line[1] != ' ' || n > 30 {
				continue
			}
			name, link, _ := strings.Cut(line[2:], " -> ")
			if name == "" || len(name) > 200 || len(link) > 200 {
				continue
			}
			h := &zip.FileHeader{Name: name}
			body := "data"
			switch line[0] {
			case 'f':
				h.SetMode(0o644)
			case 'd':
				h.Name += "/"
				h.SetMode(fs.ModeDir | 0o755)
				body = ""
			case 'l':
				h.SetMode(fs.ModeSymlink | 0o777)
				body = link
			default:
				continue
			}
			w, err := zw.CreateHeader(h)
			if err != nil {
				return
			}
			w.Write([]byte(body))
			n++
		}
		if zw.Close() != nil {
			return
		}
		base := t.TempDir()
		dst := filepath.Join(base, "out")
		_ = extract.Reader(context.Background(), bytes.NewReader(buf.Bytes()), dst, extract.Options{StripComponents: int(strip % 4)})
		assertConfined(t, base, dst)
	})
}
