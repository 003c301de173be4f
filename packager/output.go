package packager

import (
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/cnbkit/cnbkit/packager/internal/format"
	"github.com/cnbkit/cnbkit/packager/internal/sink"
)

// Output describes one thing a Sink wrote.
type Output struct {
	// Kind is the format written.
	Kind Format `json:"kind"`
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
func (p *Package) top() sink.Manifest {
	if len(p.Images) == 1 {
		return p.Images[0].Image
	}
	return p.Index()
}

// targets are the package's targets, as strings.
func (p *Package) targets() []string {
	var targets []string
	for _, img := range p.Images {
		targets = append(targets, img.Target.String())
	}
	return targets
}

// digest is the digest of the top manifest.
func (p *Package) digest() (string, error) {
	if len(p.Images) == 1 {
		return p.Images[0].digest()
	}
	d, err := p.Index().Digest()
	return d.String(), err
}

func (img Image) digest() (string, error) {
	d, err := img.Image.Digest()
	return d.String(), err
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
			for len(updates) > 0 {
				report(<-updates)
			}
			return
		}
	}
}
