package packager

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/cnbkit/cnbkit/packager/internal/format"
	"github.com/cnbkit/cnbkit/packager/internal/sink"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// Output describes one thing written.
type Output struct {
	// Kind is "file", "layout", "image" or "folder".
	Kind string `json:"kind"`
	// Location is the path or image reference written.
	Location string `json:"location"`
	// Digest is the digest of the image or image index written.
	Digest string `json:"digest"`
	// Targets are the targets it holds.
	Targets []string `json:"targets"`
	// Signature says what Sign attached, when the output was signed.
	Signature *Signed `json:"signature,omitempty"`
}

// Index returns the package as an OCI image index with one manifest per target.
func (p *Package) Index() v1.ImageIndex {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	adds := make([]mutate.IndexAddendum, len(p.Images))
	for i, img := range p.Images {
		pl := format.Platform(img.Target)
		adds[i] = mutate.IndexAddendum{Add: img.Image, Descriptor: v1.Descriptor{Platform: &pl}}
	}
	return mutate.AppendManifests(idx, adds...)
}

// top is what a layout or registry gets: the image itself for one target, an index otherwise.
func (p *Package) top() (sink.Manifest, []string) {
	var targets []string
	for _, img := range p.Images {
		targets = append(targets, img.Target.String())
	}
	if len(p.Images) == 1 {
		return p.Images[0].Image, targets
	}
	return p.Index(), targets
}

// FileOptions tune WriteFiles.
type FileOptions struct {
	// MultiArch writes every target into the one file named, as images listed side by side
	// in index.json (pack reads the first), instead of one file per target.
	MultiArch bool
}

// FileName is the name of the .cnb file of target t when a package is written for several
// targets: <base>-<os>-<arch>[-<variant>][-<distro>-<version>].cnb.
func FileName(name string, t spec.Target) string {
	base := strings.TrimSuffix(name, ".cnb")
	parts := []string{base, t.OS, t.Arch}
	if t.Variant != "" {
		parts = append(parts, t.Variant)
	}
	for _, d := range t.Distros {
		parts = append(parts, d.Name)
		if d.Version != "" {
			parts = append(parts, d.Version)
		}
	}
	return strings.Join(parts, "-") + ".cnb"
}

// WriteFiles writes the package as .cnb files: name itself for one target (or with
// MultiArch), else one file per target named by FileName. Each file is written atomically.
// name must end in .cnb; every file written must be a new name or a regular file (a folder,
// a device or a pipe is refused), checked for all of them before anything is written.
func (p *Package) WriteFiles(ctx context.Context, name string, o FileOptions) ([]Output, error) {
	if !strings.HasSuffix(name, ".cnb") {
		return nil, fmt.Errorf("the package file %s does not end in .cnb: name it %s.cnb (pack reads buildpackage files by that extension)", name, filepath.Base(name))
	}
	names := []string{name}
	if len(p.Images) > 1 && !o.MultiArch {
		names = names[:0]
		for _, img := range p.Images {
			names = append(names, FileName(name, img.Target))
		}
	}
	for _, n := range names {
		if err := sink.CheckFile(n); err != nil {
			return nil, err
		}
	}
	if len(p.Images) == 1 || o.MultiArch {
		var entries []sink.Entry
		var targets []string
		for _, img := range p.Images {
			pl := format.Platform(img.Target)
			entries = append(entries, sink.Entry{Manifest: img.Image, Platform: &pl})
			targets = append(targets, img.Target.String())
		}
		if err := sink.WriteFile(ctx, name, entries); err != nil {
			return nil, err
		}
		d, err := p.digest()
		if err != nil {
			return nil, err
		}
		return []Output{{Kind: "file", Location: name, Digest: d, Targets: targets}}, nil
	}
	seen := map[string]bool{}
	for _, img := range p.Images {
		n := FileName(name, img.Target)
		if seen[n] {
			return nil, fmt.Errorf("two targets would be written to %s: give them different variants or distros", n)
		}
		seen[n] = true
	}
	var outs []Output
	for _, img := range p.Images {
		n := FileName(name, img.Target)
		pl := format.Platform(img.Target)
		if err := sink.WriteFile(ctx, n, []sink.Entry{{Manifest: img.Image, Platform: &pl}}); err != nil {
			return outs, err
		}
		d, err := img.Image.Digest()
		if err != nil {
			return outs, err
		}
		outs = append(outs, Output{Kind: "file", Location: n, Digest: d.String(), Targets: []string{img.Target.String()}})
	}
	return outs, nil
}

func (p *Package) digest() (string, error) {
	m, _ := p.top()
	var (
		d   v1.Hash
		err error
	)
	switch x := m.(type) {
	case v1.Image:
		d, err = x.Digest()
	case v1.ImageIndex:
		d, err = x.Digest()
	}
	return d.String(), err
}

// WriteLayout writes the package into an OCI image layout folder: its index.json entry is
// the image for one target, or an image index with one image per target, named
// org.opencontainers.image.ref.name = <id>:<version>. A new or empty folder becomes a
// layout (a new one appears at once, by a rename). A folder holding a layout is added to:
// missing blobs are written, and the entry replaces an earlier one of the same name while
// other entries stay; nothing in it is deleted. Any other folder is refused.
func (p *Package) WriteLayout(ctx context.Context, dir string) (Output, error) {
	m, targets := p.top()
	var pl *v1.Platform
	if len(p.Images) == 1 {
		x := format.Platform(p.Images[0].Target)
		pl = &x
	}
	entry := sink.Entry{Manifest: m, Platform: pl, RefName: p.ID + ":" + p.Version}
	if err := sink.WriteLayout(ctx, filepath.Clean(dir), []sink.Entry{entry}); err != nil {
		return Output{}, fmt.Errorf("writing layout %s: %w", dir, err)
	}
	d, err := p.digest()
	if err != nil {
		return Output{}, err
	}
	return Output{Kind: "layout", Location: dir, Digest: d, Targets: targets}, nil
}

// Publish pushes the package to the registry as ref: an image for one target, an image
// index otherwise. The tag is written last, after every blob and manifest.
func (p *Package) Publish(ctx context.Context, ref string, o RegistryOptions) (Output, error) {
	m, targets := p.top()
	so := o.sink()
	var stop, done chan struct{}
	if o.Log != nil {
		updates := make(chan v1.Update, 16)
		so.Progress = updates
		stop, done = make(chan struct{}), make(chan struct{})
		go reportProgress(o.Log, ref, updates, stop, done)
	}
	d, err := sink.Push(ctx, ref, m, so)
	if done != nil {
		close(stop)
		<-done
	}
	if err != nil {
		return Output{}, err
	}
	return Output{Kind: "image", Location: ref, Digest: d.String(), Targets: targets}, nil
}

// reportProgress prints a line each time another tenth of the bytes is uploaded, until
// the registry client closes updates or the push returns (stop); updates already sent when
// the push returns are still reported.
func reportProgress(w io.Writer, ref string, updates <-chan v1.Update, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	last := int64(-1)
	report := func(u v1.Update) {
		if u.Total <= 0 {
			return
		}
		if tenth := u.Complete * 10 / u.Total; tenth != last {
			last = tenth
			fmt.Fprintf(w, "pushing %s: %d%% of %.1f MiB\n", ref, tenth*10, float64(u.Total)/(1<<20))
		}
	}
	for {
		select {
		case u, ok := <-updates:
			if !ok {
				return
			}
			report(u)
		case <-stop:
			for {
				select {
				case u, ok := <-updates:
					if !ok {
						return
					}
					report(u)
				default:
					return
				}
			}
		}
	}
}
