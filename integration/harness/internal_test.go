package harness

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type tarEntry struct {
	name, link, body string
	typ              byte
	mode             int64
}

func tarBytes(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: mode, Size: int64(len(e.body)), Uid: 1000, Gid: 1000}
		if e.typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
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

func TestEntryName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, prefix, want string
		ok                 bool
	}{
		{"./etc/passwd", "", "etc/passwd", true},
		{"/cnb/buildpacks/x", "cnb", "buildpacks/x", true},
		{"/cnb", "cnb", ".", true},
		{"cnbx/y", "cnb", "", false},
		{"../../etc/shadow", "", "etc/shadow", true},
		{"./", "", ".", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, ok := entryName(tt.name, tt.prefix)
			g.Expect(ok).To(Equal(tt.ok), "entryName(%q, %q)", tt.name, tt.prefix)
			g.Expect(got).To(Equal(tt.want), "entryName(%q, %q)", tt.name, tt.prefix)
		})
	}
}

func TestExtractTar(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	data := tarBytes(t,
		tarEntry{name: "/cnb/buildpacks/a/1/bin/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "/cnb/buildpacks/a/1/bin/build", typ: tar.TypeReg, mode: 0o755, body: "#!/bin/sh\n"},
		tarEntry{name: "/cnb/buildpacks/a/1/bin/detect", typ: tar.TypeSymlink, link: "build"},
		tarEntry{name: "/cnb/buildpacks/a/1/copy", typ: tar.TypeLink, link: "/cnb/buildpacks/a/1/bin/build"},
		tarEntry{name: "/other/file", typ: tar.TypeReg, body: "not under the prefix"},
	)
	g.Expect(extractTar(bytes.NewReader(data), dir, "cnb")).To(Succeed())
	fi, err := os.Stat(filepath.Join(dir, "buildpacks/a/1/bin/build"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(fi.Mode().Perm()).To(Equal(os.FileMode(0o755)))
	link, err := os.Readlink(filepath.Join(dir, "buildpacks/a/1/bin/detect"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(link).To(Equal("build"))
	body, err := os.ReadFile(filepath.Join(dir, "buildpacks/a/1/copy"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(body)).To(Equal("#!/bin/sh\n"))
	g.Expect(filepath.Join(dir, "other")).NotTo(BeAnExistingFile())
}

func TestExtractTarStaysInside(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir, outside := t.TempDir(), t.TempDir()
	data := tarBytes(t,
		tarEntry{name: "escape", typ: tar.TypeSymlink, link: outside},
		tarEntry{name: "escape/owned", typ: tar.TypeReg, body: "should not be written"},
	)
	err := extractTar(bytes.NewReader(data), dir, "")
	g.Expect(err).To(HaveOccurred(), "extracting through a symlink that leaves the root must fail")
	g.Expect(filepath.Join(outside, "owned")).NotTo(BeAnExistingFile())
}

// unreadable is a layer whose content cannot be read, like a blob the registry no longer
// serves.
type unreadable struct{ v1.Layer }

func (unreadable) Uncompressed() (io.ReadCloser, error) {
	return nil, errors.New("blob unknown to registry")
}

// A layer that cannot be read is an error, not an image with fewer files (mutate.Extract ends
// its tar stream before it reports the error).
func TestExtractImageReportsUnreadableLayers(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	good := layerOf(t, tarBytes(t, tarEntry{name: "kept", typ: tar.TypeReg, body: "1"}))
	bad := unreadable{layerOf(t, tarBytes(t, tarEntry{name: "cnb/process/web", typ: tar.TypeReg, body: "2"}))}
	img, err := mutate.AppendLayers(empty.Image, good, bad)
	g.Expect(err).NotTo(HaveOccurred())
	err = extractImage(img, t.TempDir())
	g.Expect(err).To(MatchError(ContainSubstring("blob unknown to registry")))
}

func layerOf(t *testing.T, data []byte) v1.Layer {
	t.Helper()
	l, err := tarball.LayerFromReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestExtractOverlayLayers(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 && os.Getenv("CI") != "true" {
		t.Skip("overlay whiteouts (mknod, trusted.* xattrs) need root")
	}
	g := NewWithT(t)
	dir := t.TempDir()
	lower := layerOf(t, tarBytes(t,
		tarEntry{name: "a/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "a/gone", typ: tar.TypeReg, body: "1"},
		tarEntry{name: "a/kept", typ: tar.TypeReg, body: "2"},
		tarEntry{name: "b/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "b/old", typ: tar.TypeReg, body: "3"},
	))
	upper := layerOf(t, tarBytes(t,
		tarEntry{name: "a/.wh.gone", typ: tar.TypeReg},
		tarEntry{name: "b/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "b/new", typ: tar.TypeReg, body: "4"},
		tarEntry{name: "b/.wh..wh..opq", typ: tar.TypeReg},
	))
	g.Expect(extractOverlayLayers([]v1.Layer{lower, upper}, dir)).To(Succeed())

	var st unix.Stat_t
	g.Expect(unix.Lstat(filepath.Join(dir, "a/gone"), &st)).To(Succeed())
	g.Expect(st.Mode&unix.S_IFMT).To(Equal(uint32(unix.S_IFCHR)), "a/gone must be an overlay whiteout")
	g.Expect(st.Rdev).To(BeZero())
	g.Expect(filepath.Join(dir, "a/kept")).To(BeAnExistingFile())
	g.Expect(filepath.Join(dir, "b/old")).NotTo(BeAnExistingFile(), "the opaque marker hides lower entries")
	g.Expect(filepath.Join(dir, "b/new")).To(BeAnExistingFile(), "the opaque marker keeps its own layer's entries")
	buf := make([]byte, 8)
	n, err := unix.Lgetxattr(filepath.Join(dir, "b"), "trusted.overlay.opaque", buf)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(buf[:n])).To(Equal("y"))
}

func TestProcessUnmarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, json string
		want       Process
	}{
		{"list command", `{"type":"web","command":["hello-server","-v"],"args":["x"],"direct":true,"buildpackID":"a/b"}`,
			Process{Type: "web", Command: []string{"hello-server", "-v"}, Args: []string{"x"}, Direct: true, BuildpackID: "a/b"}},
		{"string command", `{"type":"web","command":"bash -c x","args":null,"direct":false,"buildpackID":"a"}`,
			Process{Type: "web", Command: []string{"bash -c x"}, BuildpackID: "a"}},
		{"working dir", `{"type":"w","command":["x"],"working-dir":"/app"}`,
			Process{Type: "w", Command: []string{"x"}, WorkingDir: "/app"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			var got Process
			g.Expect(json.Unmarshal([]byte(tt.json), &got)).To(Succeed())
			g.Expect(got).To(Equal(tt.want))
		})
	}
}

func TestLifecycleMetadataNames(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	var m lifecycleMetadata
	g.Expect(json.Unmarshal([]byte(`{
		"app":[{"sha":"sha256:a0"},{"sha":"sha256:a1"}],
		"config":{"sha":"sha256:c"},"launcher":{"sha":"sha256:l"},"process-types":{"sha":"sha256:p"},
		"sbom":{"sha":"sha256:s"},
		"buildpacks":[{"key":"x/y","layers":{"server":{"sha":"sha256:xs"},"build-only":{}}}],
		"runImage":{"topLayer":"sha256:top"}}`), &m)).To(Succeed())
	g.Expect(m.names()).To(Equal(map[string]string{
		"app": "sha256:a0", "app:1": "sha256:a1", "config": "sha256:c", "launcher": "sha256:l",
		"process-types": "sha256:p", "sbom": "sha256:s", "x/y:server": "sha256:xs",
	}))
}

func TestResolveUser(t *testing.T) {
	t.Parallel()
	lower := t.TempDir()
	g := NewWithT(t)
	g.Expect(os.Mkdir(filepath.Join(lower, "etc"), 0o755)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(lower, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/bash\ncnb:x:1000:1001:cnb:/home/cnb:/bin/bash\n"), 0o644)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(lower, "etc/group"), []byte("root:x:0:\nstaff:x:50:\n"), 0o644)).To(Succeed())
	tests := []struct {
		user          string
		uid, gid      int
		home, wantErr string
	}{
		{user: "", uid: 0, gid: 0, home: "/root"},
		{user: "1000:1000", uid: 1000, gid: 1000, home: "/home/cnb"},
		{user: "cnb", uid: 1000, gid: 1001, home: "/home/cnb"},
		{user: "cnb:staff", uid: 1000, gid: 50, home: "/home/cnb"},
		{user: "2000", uid: 2000, gid: 2000, home: "/"},
		{user: "nobody-here", wantErr: "not in the image's /etc/passwd"},
		{user: "cnb:nogroup", wantErr: "not in the image's /etc/group"},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			g := NewWithT(t)
			uid, gid, home, err := resolveUser([]string{lower}, tt.user)
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect([]any{uid, gid, home}).To(Equal([]any{tt.uid, tt.gid, tt.home}))
		})
	}
}

func TestWritePlatform(t *testing.T) {
	t.Parallel()
	t.Run("env and bindings", func(t *testing.T) {
		g := NewWithT(t)
		dir := t.TempDir()
		g.Expect(writePlatform(dir, map[string]string{"BP_X": "1"}, []Binding{{Name: "db", Type: "postgres", Entries: map[string]string{"url": "u"}}})).To(Succeed())
		for file, want := range map[string]string{"env/BP_X": "1", "bindings/db/type": "postgres", "bindings/db/url": "u"} {
			got, err := os.ReadFile(filepath.Join(dir, file))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(string(got)).To(Equal(want), file)
		}
	})
	bad := []struct {
		name     string
		env      map[string]string
		bindings []Binding
		wantErr  string
	}{
		{name: "bad env name", env: map[string]string{"A/B": "x"}, wantErr: `"A/B" is not a valid variable name`},
		{name: "bad binding name", bindings: []Binding{{Name: "../x", Type: "t"}}, wantErr: "not a valid directory name"},
		{name: "entry named type", bindings: []Binding{{Name: "b", Type: "t", Entries: map[string]string{"type": "x"}}}, wantErr: `entry name "type" is not allowed`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(writePlatform(t.TempDir(), tt.env, tt.bindings)).To(MatchError(ContainSubstring(tt.wantErr)))
		})
	}
}

func TestImageName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"TestBuild/with_PORT": "apps/testbuild-with-port",
		"___":                 "apps/app",
	} {
		g := NewWithT(t)
		g.Expect(imageName(in)).To(Equal(want), "imageName(%q)", in)
	}
}
