package packager

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/cnbkit/cnbkit/packager/internal/format"
	"github.com/cnbkit/cnbkit/packager/internal/sink"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// Format is how a package is written: the kind of sink, and of each Output it writes.
type Format string

// The formats a package is written in.
const (
	// FormatFile is a .cnb file (FileSink): an uncompressed tar of an OCI image layout.
	FormatFile Format = "file"
	// FormatLayout is an OCI image layout folder (LayoutSink).
	FormatLayout Format = "layout"
	// FormatImage is an image, or an image index, in a registry (RegistrySink).
	FormatImage Format = "image"
	// FormatFolder is the compiled buildpack folder of each target (FolderSink).
	FormatFolder Format = "folder"
)

// Formats returns every Format, in the order help texts list them.
func Formats() []Format { return []Format{FormatFile, FormatLayout, FormatImage, FormatFolder} }

// Sink writes a built package and says what it wrote. FileSink, LayoutSink, RegistrySink
// and FolderSink write the four formats; Signing signs what another sink writes.
type Sink interface {
	Write(ctx context.Context, p *Package) ([]Output, error)
}

// SinkOptions choose the sink NewSink returns.
type SinkOptions struct {
	// Format is the format to write; empty means FormatFile for a name ending in .cnb (any
	// other name needs a Format).
	Format Format
	// MultiArch is FileSink.MultiArch; it needs FormatFile.
	MultiArch bool
	// Registry is RegistrySink.Registry; it is used with FormatImage.
	Registry RegistryOptions
}

// NewSink returns the sink that writes a package in o.Format to name: a file name, a
// layout folder, an image reference or a folder name. Options that do not fit together are
// refused as a *ValidationError of *OptionError problems, before anything is built.
func NewSink(name string, o SinkOptions) (Sink, error) {
	var problems []error
	f := o.Format
	if f == "" && strings.HasSuffix(name, ".cnb") {
		f = FormatFile
	}
	var s Sink
	switch f {
	case FormatFile:
		s = FileSink{Name: name, MultiArch: o.MultiArch}
	case FormatLayout:
		s = LayoutSink{Dir: name}
	case FormatImage:
		s = RegistrySink{Ref: name, Registry: o.Registry}
	case FormatFolder:
		s = FolderSink{Name: name}
	case "":
		problems = append(problems, &OptionError{Option: "SinkOptions.Format", Reason: fmt.Sprintf(
			"is not given, and %q does not end in .cnb: name a .cnb file, or choose FormatLayout for an OCI layout folder, FormatFolder for a ready-to-package buildpack folder or FormatImage for a registry image", name)})
	default:
		problems = append(problems, &OptionError{Option: "SinkOptions.Format", Reason: fmt.Sprintf("%q is not known: use one of %s", o.Format, formatList())})
	}
	if o.MultiArch && f != FormatFile {
		problems = append(problems, &OptionError{Option: "SinkOptions.MultiArch", Reason: "writes one .cnb file: it needs FormatFile"})
	}
	if c, ok := s.(interface{ check() error }); ok {
		if err := c.check(); err != nil {
			problems = append(problems, err)
		}
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	return s, nil
}

func formatList() string {
	var names []string
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

// FileSink writes .cnb files.
type FileSink struct {
	// Name is the file: it must end in .cnb. With several targets, and without MultiArch,
	// each target gets its own file named by FileName.
	Name string
	// MultiArch writes every target into the one file named, as images listed side by side
	// in index.json (pack reads the first), instead of one file per target.
	MultiArch bool
}

func (s FileSink) check() error {
	if !strings.HasSuffix(s.Name, ".cnb") {
		return fmt.Errorf("the package file %s does not end in .cnb: name it %s.cnb (pack reads buildpackage files by that extension)", s.Name, filepath.Base(s.Name))
	}
	return nil
}

// Write writes the package as .cnb files: Name itself for one target (or with MultiArch),
// else one file per target named by FileName. Each file is written atomically. Every file
// written must be a new name or a regular file (a folder, a device or a pipe is refused),
// checked for all of them before anything is written.
func (s FileSink) Write(ctx context.Context, p *Package) ([]Output, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	type file struct {
		name    string
		images  []Image
		digest  func() (string, error)
		targets []string
	}
	var files []file
	if len(p.Images) == 1 || s.MultiArch {
		files = append(files, file{name: s.Name, images: p.Images, digest: p.digest, targets: p.targets()})
	} else {
		seen := map[string]bool{}
		for _, img := range p.Images {
			n := FileName(s.Name, img.Target)
			if seen[n] {
				return nil, fmt.Errorf("two targets would be written to %s: give them different variants or distros", n)
			}
			seen[n] = true
			files = append(files, file{name: n, images: []Image{img}, digest: img.digest, targets: []string{img.Target.String()}})
		}
	}
	for _, f := range files {
		if err := sink.CheckFile(f.name); err != nil {
			return nil, err
		}
	}
	var outs []Output
	for _, f := range files {
		var entries []sink.Entry
		for _, img := range f.images {
			pl := format.Platform(img.Target)
			entries = append(entries, sink.Entry{Manifest: img.Image, Platform: &pl})
		}
		if err := sink.WriteFile(ctx, f.name, entries); err != nil {
			return outs, err
		}
		d, err := f.digest()
		if err != nil {
			return outs, err
		}
		outs = append(outs, Output{Kind: FormatFile, Location: f.name, Digest: d, Targets: f.targets})
	}
	return outs, nil
}

// signatures keep a .cnb file's signatures in its sidecar bundle. The file was replaced, so
// entries of its earlier content go; its images are listed side by side, with no index to
// sign.
func (s FileSink) signatures(out Output) (signatureStore, error) {
	return sidecarStore{location: out.Location, replace: true}, nil
}

// LayoutSink writes an OCI image layout folder.
type LayoutSink struct {
	// Dir is the layout folder.
	Dir string
}

// Write writes the package into the layout folder: its index.json entry is the image for
// one target, or an image index with one image per target, named
// org.opencontainers.image.ref.name = <id>:<version>. A new or empty folder becomes a
// layout (a new one appears at once, by a rename). A folder holding a layout is added to:
// missing blobs are written, and the entry replaces an earlier one of the same name while
// other entries stay; nothing in it is deleted. Any other folder is refused.
func (s LayoutSink) Write(ctx context.Context, p *Package) ([]Output, error) {
	m := p.top()
	var pl *v1.Platform
	if len(p.Images) == 1 {
		x := format.Platform(p.Images[0].Target)
		pl = &x
	}
	entry := sink.Entry{Manifest: m, Platform: pl, RefName: p.ID + ":" + p.Version}
	if err := sink.WriteLayout(ctx, filepath.Clean(s.Dir), []sink.Entry{entry}); err != nil {
		return nil, fmt.Errorf("writing layout %s: %w", s.Dir, err)
	}
	d, err := p.digest()
	if err != nil {
		return nil, err
	}
	return []Output{{Kind: FormatLayout, Location: s.Dir, Digest: d, Targets: p.targets()}}, nil
}

// signatures keep a layout's signatures in its sidecar bundle, with those of the other
// packages the layout holds.
func (s LayoutSink) signatures(out Output) (signatureStore, error) {
	return sidecarStore{location: out.Location, index: true}, nil
}

// RegistrySink pushes to a registry.
type RegistrySink struct {
	// Ref is the image reference to push to: host[:port]/repository[:tag].
	Ref string
	// Registry reaches the registry.
	Registry RegistryOptions
}

func (s RegistrySink) check() error {
	return s.Registry.validate()
}

// Write pushes the package as Ref: an image for one target, an image index otherwise. The
// tag is written last, after every blob and manifest.
func (s RegistrySink) Write(ctx context.Context, p *Package) ([]Output, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	so := s.Registry.sink()
	var stop, done chan struct{}
	if s.Registry.Log != nil {
		updates := make(chan v1.Update, 16)
		so.Progress = updates
		stop, done = make(chan struct{}), make(chan struct{})
		go reportProgress(s.Registry.Log, s.Ref, updates, stop, done)
	}
	d, err := sink.Push(ctx, s.Ref, p.top(), so)
	if done != nil {
		close(stop)
		<-done
	}
	if err != nil {
		return nil, err
	}
	return []Output{{Kind: FormatImage, Location: s.Ref, Digest: d.String(), Targets: p.targets()}}, nil
}

// signatures go to the registry, at cosign's tags beside the image.
func (s RegistrySink) signatures(out Output) (signatureStore, error) {
	r, err := name.ParseReference(out.Location)
	if err != nil {
		return nil, fmt.Errorf("parsing image reference %q: %w", out.Location, err)
	}
	return registryStore{repo: r.Context(), location: out.Location, opts: s.Registry}, nil
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
