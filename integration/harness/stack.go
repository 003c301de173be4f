package harness

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/cnbkit/cnbkit/integration/internal/debian"
	"github.com/cnbkit/cnbkit/integration/internal/diskcache"
)

// Stack is a build and run image pair. The build image is unpacked and creator runs inside it;
// the run image is pushed to the harness registry and becomes the base of the app image.
type Stack struct {
	Build, Run v1.Image
	// UID and GID are the build user, from CNB_USER_ID and CNB_GROUP_ID of the build image.
	UID, GID int
}

// DebianStackID is the stack id (io.buildpacks.stack.id, CNB_STACK_ID) of the bookworm stack
// made by [DebianStack]; the stack of another release has io.cnbkit.stacks.<codename>.
const DebianStackID = "io.cnbkit.stacks.bookworm"

// debianRecipe changes whenever the recipe below changes, to invalidate cached images; the
// release's codename is added to it.
const debianRecipe = "1"

// NewStack returns a Stack of the author's own images. UID and GID come from the build
// image's CNB_USER_ID and CNB_GROUP_ID environment variables, which the CNB platform spec
// requires.
func NewStack(build, run v1.Image) (*Stack, error) {
	cf, err := build.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading build image config: %w", err)
	}
	s := &Stack{Build: build, Run: run, UID: -1, GID: -1}
	for _, kv := range cf.Config.Env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "CNB_USER_ID":
			s.UID, err = strconv.Atoi(v)
		case "CNB_GROUP_ID":
			s.GID, err = strconv.Atoi(v)
		}
		if err != nil {
			return nil, fmt.Errorf("build image: %s is not a number: %q", k, v)
		}
	}
	if s.UID < 0 || s.GID < 0 {
		return nil, fmt.Errorf("build image has no CNB_USER_ID or CNB_GROUP_ID in its environment: set both (e.g. 1000) in the image config")
	}
	return s, nil
}

// DebianStack returns the Debian bookworm (12) stack: DebianStackFor(ctx, "bookworm").
func DebianStack(ctx context.Context) (*Stack, error) { return DebianStackFor(ctx, "bookworm") }

// DebianStackFor returns the build and run image pair of a Debian release, "bookworm" (12) or
// "trixie" (13), made on first use with mmdebstrap (variant minbase, plus ca-certificates)
// from the machine's own apt sources (/etc/apt/sources.list.d/debian.sources, its suite names
// rewritten for another release than the host's, in a temporary file: no mirror name is
// written anywhere), with a `cnb` user (uid and gid 1000) owning /home/cnb, /workspace and
// /layers, the CNB labels (io.buildpacks.base.distro.name=debian,
// io.buildpacks.base.distro.version=12 or 13, io.buildpacks.stack.id=io.cnbkit.stacks.<codename>)
// and env (CNB_USER_ID, CNB_GROUP_ID, CNB_STACK_ID), config User 1000:1000 and OCI media types.
// The apt sources are removed from the images. They are cached as an OCI layout in
// [CacheDir], keyed by the recipe, the release and the sources. It needs root and mmdebstrap
// (integration/scripts/setup.sh installs it).
func DebianStackFor(ctx context.Context, codename string) (*Stack, error) {
	release, err := debian.Lookup(codename)
	if err != nil {
		return nil, fmt.Errorf("making a Debian stack: %w", err)
	}
	sources, err := debian.Sources(release)
	if err != nil {
		return nil, err
	}
	cache, err := CacheDir()
	if err != nil {
		return nil, err
	}
	recipe := "debian-" + release.Codename + "-" + debianRecipe
	sum := sha256.Sum256(append([]byte(recipe+runtime.GOARCH), sources...))
	dir := filepath.Join(cache, "stack", recipe+"-"+hex.EncodeToString(sum[:6]))
	if err := diskcache.Entry(ctx, dir, func(tmp string) error { return makeDebianStack(ctx, tmp, release) }); err != nil {
		return nil, fmt.Errorf("making the Debian %s stack: %w", release.Codename, err)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("reading cached stack %s: %w", dir, err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("reading cached stack %s: %w", dir, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading cached stack %s: %w", dir, err)
	}
	images := map[string]v1.Image{}
	for _, d := range m.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("reading cached stack %s: %w", dir, err)
		}
		images[d.Annotations["org.opencontainers.image.ref.name"]] = img
	}
	if images["build"] == nil || images["run"] == nil {
		return nil, fmt.Errorf("cached stack %s lacks a build or run image: delete the directory", dir)
	}
	return NewStack(images["build"], images["run"])
}

func makeDebianStack(ctx context.Context, out string, release debian.Release) error {
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		return fmt.Errorf("mmdebstrap is not installed: run integration/scripts/setup.sh (apt-get install mmdebstrap)")
	}
	work, err := os.MkdirTemp(filepath.Dir(out), ".mmdebstrap-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	sources, err := debian.WriteSources(work, release)
	if err != nil {
		return err
	}
	rootfs := filepath.Join(work, "rootfs.tar")
	cmd := exec.CommandContext(ctx, "mmdebstrap",
		"--variant=minbase", "--mode=root", "--include=ca-certificates", "--quiet",
		`--customize-hook=rm -f "$1"/etc/apt/sources.list.d/* "$1"/etc/apt/sources.list; rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin`,
		release.Codename, rootfs, sources)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("running mmdebstrap: %w: %s", err, lastLines(logs.String(), 20))
	}
	base, err := tarball.LayerFromFile(rootfs, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return fmt.Errorf("reading mmdebstrap output: %w", err)
	}
	files, err := readFiles(rootfs, "etc/passwd", "etc/group")
	if err != nil {
		return err
	}
	user, err := userLayer(files["etc/passwd"], files["etc/group"])
	if err != nil {
		return err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.AppendLayers(img, base, user)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Created = v1.Time{Time: time.Date(1980, 1, 1, 0, 0, 1, 0, time.UTC)}
	cf.Config.User = "1000:1000"
	cf.Config.WorkingDir = "/"
	stackID := "io.cnbkit.stacks." + release.Codename
	cf.Config.Env = []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"CNB_USER_ID=1000", "CNB_GROUP_ID=1000", "CNB_STACK_ID=" + stackID,
	}
	cf.Config.Labels = map[string]string{
		"io.buildpacks.base.distro.name":    "debian",
		"io.buildpacks.base.distro.version": release.Version,
		"io.buildpacks.stack.id":            stackID,
	}
	p, err := layout.Write(out, empty.Index)
	if err != nil {
		return err
	}
	for _, kind := range []string{"build", "run"} {
		c := cf.DeepCopy()
		c.Config.Labels["io.cnbkit.stack.image"] = kind
		i, err := mutate.ConfigFile(img, c)
		if err != nil {
			return err
		}
		if err := p.AppendImage(i, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": kind})); err != nil {
			return fmt.Errorf("writing %s image: %w", kind, err)
		}
	}
	return nil
}

// readFiles returns the contents of the named entries of a tar file.
func readFiles(tarPath string, names ...string) (map[string][]byte, error) {
	f, err := os.Open(tarPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	found := map[string][]byte{}
	tr := tar.NewReader(bufio.NewReader(f))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", tarPath, err)
		}
		n, _ := entryName(hdr.Name, "")
		for _, want := range names {
			if n == want && hdr.Typeflag == tar.TypeReg {
				if found[n], err = io.ReadAll(tr); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, want := range names {
		if found[want] == nil {
			return nil, fmt.Errorf("base file system %s has no %s", tarPath, want)
		}
	}
	return found, nil
}

// userLayer adds the cnb user and group (1000), its home, /workspace, /layers and /etc/hosts.
func userLayer(passwd, group []byte) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Date(1980, 1, 1, 0, 0, 1, 0, time.UTC)
	file := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: mtime, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	dir := func(name string, uid int) error {
		return tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Uid: uid, Gid: uid, ModTime: mtime, Typeflag: tar.TypeDir})
	}
	for _, err := range []error{
		file("etc/passwd", append(bytes.TrimRight(passwd, "\n"), []byte("\ncnb:x:1000:1000:cnb:/home/cnb:/bin/bash\n")...)),
		file("etc/group", append(bytes.TrimRight(group, "\n"), []byte("\ncnb:x:1000:\n")...)),
		file("etc/hosts", []byte("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")),
		dir("home/", 0), dir("home/cnb/", 1000), dir("workspace/", 1000), dir("layers/", 1000),
		tw.Close(),
	} {
		if err != nil {
			return nil, fmt.Errorf("writing user layer: %w", err)
		}
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

// buildRootFS returns the build image unpacked in the cache. It is only ever used as the
// read-only lower directory of an overlay mount.
func buildRootFS(ctx context.Context, img v1.Image) (string, error) {
	layers, err := img.Layers()
	if err != nil {
		return "", fmt.Errorf("reading build image layers: %w", err)
	}
	return layersRootFS(ctx, layers)
}

// layersRootFS returns the file system of layers (bottom first) unpacked in the cache, keyed
// by their diffIDs, so a build and a run image with the same layers share one directory.
func layersRootFS(ctx context.Context, layers []v1.Layer) (string, error) {
	keys, err := chainKeys(layers)
	if err != nil {
		return "", err
	}
	dir, err := rootFSDir(keys[len(keys)-1])
	if err != nil {
		return "", err
	}
	err = diskcache.Entry(ctx, dir, func(tmp string) error {
		img, err := mutate.AppendLayers(empty.Image, layers...)
		if err != nil {
			return err
		}
		return extractImage(img, tmp)
	})
	if err != nil {
		return "", fmt.Errorf("unpacking base layers: %w", err)
	}
	return dir, nil
}

// cachedPrefix returns the longest prefix of layers (at least one layer) whose unpacked file
// system is already in the cache, and its directory; n is 0 when there is none.
func cachedPrefix(layers []v1.Layer) (n int, dir string, err error) {
	keys, err := chainKeys(layers)
	if err != nil {
		return 0, "", err
	}
	for i := len(keys) - 1; i >= 0; i-- {
		d, err := rootFSDir(keys[i])
		if err != nil {
			return 0, "", err
		}
		if _, err := os.Stat(d); err == nil {
			return i + 1, d, nil
		}
	}
	return 0, "", nil
}

// chainKeys returns, for each i, a key naming layers[:i+1].
func chainKeys(layers []v1.Layer) ([]string, error) {
	h := sha256.New()
	keys := make([]string, len(layers))
	for i, l := range layers {
		id, err := l.DiffID()
		if err != nil {
			return nil, fmt.Errorf("reading layer diffID: %w", err)
		}
		fmt.Fprintln(h, id.String())
		keys[i] = hex.EncodeToString(h.Sum(nil))[:32]
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("image has no layers")
	}
	return keys, nil
}

func rootFSDir(key string) (string, error) {
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "rootfs", key), nil
}

// imageEnv returns the Env of an image's config.
func imageEnv(img v1.Image) ([]string, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading image config: %w", err)
	}
	return append([]string(nil), cf.Config.Env...), nil
}
