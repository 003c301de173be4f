package sign

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// maxPayload bounds what is read of one signature or attestation layer.
const maxPayload = 32 << 20

// SignatureTag is where cosign keeps the signatures of digest: <repo>:sha256-<hex>.sig.
func SignatureTag(repo name.Repository, digest v1.Hash) name.Tag {
	return repo.Tag(digest.Algorithm + "-" + digest.Hex + ".sig")
}

// AttestationTag is where cosign keeps the attestations of digest: <repo>:sha256-<hex>.att.
func AttestationTag(repo name.Repository, digest v1.Hash) name.Tag {
	return repo.Tag(digest.Algorithm + "-" + digest.Hex + ".att")
}

// Append adds layers to the image at tag (a .sig or .att tag), creating it when absent and
// keeping the layers already there; a layer identical to one there (same payload and
// annotations) is not added twice.
func Append(ctx context.Context, tag name.Tag, layers []Layer, opts ...remote.Option) error {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	base, existing, err := readImage(tag, opts)
	if err != nil {
		return err
	}
	var adds []mutate.Addendum
	for _, l := range layers {
		if contains(existing, l) {
			continue
		}
		adds = append(adds, mutate.Addendum{
			Layer:       static.NewLayer(l.Payload, types.MediaType(l.MediaType)),
			Annotations: l.Annotations,
		})
		existing = append(existing, l)
	}
	if len(adds) == 0 {
		return nil
	}
	img, err := mutate.Append(base, adds...)
	if err != nil {
		return fmt.Errorf("adding to %s: %w", tag, err)
	}
	if err := remote.Write(tag, img, opts...); err != nil {
		return fmt.Errorf("pushing %s: %w", tag, err)
	}
	return nil
}

// emptySignatures is the base of a new .sig or .att image, as cosign makes it.
func emptySignatures() v1.Image {
	return mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
}

func contains(have []Layer, l Layer) bool {
	for _, h := range have {
		if string(h.Payload) == string(l.Payload) && h.MediaType == l.MediaType && equalMaps(h.Annotations, l.Annotations) {
			return true
		}
	}
	return false
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Read returns the layers of the image at tag, or none when the tag does not exist.
func Read(ctx context.Context, tag name.Tag, opts ...remote.Option) ([]Layer, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	_, layers, err := readImage(tag, opts)
	return layers, err
}

func readImage(tag name.Tag, opts []remote.Option) (v1.Image, []Layer, error) {
	img, err := remote.Image(tag, opts...)
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
			return emptySignatures(), nil, nil
		}
		return nil, nil, fmt.Errorf("reading %s: %w", tag, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", tag, err)
	}
	layers := make([]Layer, 0, len(m.Layers))
	for _, d := range m.Layers {
		l, err := img.LayerByDigest(d.Digest)
		if err != nil {
			return nil, nil, fmt.Errorf("reading layer %s of %s: %w", d.Digest, tag, err)
		}
		rc, err := l.Compressed()
		if err != nil {
			return nil, nil, fmt.Errorf("reading layer %s of %s: %w", d.Digest, tag, err)
		}
		payload, err := io.ReadAll(io.LimitReader(rc, maxPayload+1))
		rc.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("reading layer %s of %s: %w", d.Digest, tag, err)
		}
		if len(payload) > maxPayload {
			return nil, nil, fmt.Errorf("layer %s of %s is larger than %d MiB: not a signature", d.Digest, tag, maxPayload>>20)
		}
		layers = append(layers, Layer{MediaType: string(d.MediaType), Payload: payload, Annotations: d.Annotations})
	}
	return img, layers, nil
}
