package packager

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/cnbkit/cnbkit/packager/internal/source"
	"github.com/cnbkit/cnbkit/packager/sign"
)

// signatureStore is where the signatures and attestations of a package are kept: cosign's
// tags in its registry (registryStore), or the sidecar bundle of a .cnb file or a layout
// (sidecarStore). Signing writes them, Verify reads them.
type signatureStore interface {
	// where is the repository or the sidecar file, for messages; sidecar is the file
	// Signed.Sidecar names, empty in a registry.
	where() string
	sidecar() string
	// identity is the docker-reference signatures name; subject the name of the
	// attestation subjects.
	identity() string
	subject() string
	// storesIndex tells whether the top manifest of a multi-target package is an index
	// stored with it (signed too), rather than images listed side by side.
	storesIndex() bool
	// put stores sigs[i], the signature of digests[i], and atts as the attestations of each.
	put(ctx context.Context, digests []v1.Hash, sigs []sign.Layer, atts []sign.Layer) error
	// read returns the signatures and attestations kept for d.
	read(ctx context.Context, d v1.Hash) (sigs, atts []sign.Layer, err error)
}

// storeFor is where the signatures of a package read back are: its registry, or its
// sidecar (o.Sidecar, else <path>.sig.json).
func storeFor(p *source.Package, o VerifyOptions) (signatureStore, error) {
	if p.Kind == source.KindRegistry {
		r, err := name.ParseReference(strings.TrimPrefix(p.Name, "docker://"))
		if err != nil {
			return nil, err
		}
		return registryStore{repo: r.Context(), location: p.Name, opts: o.Registry}, nil
	}
	return sidecarStore{location: p.Name, path: cmp.Or(o.Sidecar, sign.SidecarPath(p.Name))}, nil
}

// sidecarStore keeps signatures in the sidecar bundle of a .cnb file or layout.
type sidecarStore struct {
	location string
	// path is the bundle; empty means sign.SidecarPath(location).
	path string
	// replace drops the entries of manifests the output no longer holds (a replaced file).
	replace bool
	index   bool
}

func (s sidecarStore) where() string     { return cmp.Or(s.path, sign.SidecarPath(s.location)) }
func (s sidecarStore) sidecar() string   { return s.where() }
func (s sidecarStore) identity() string  { return s.location }
func (s sidecarStore) subject() string   { return filepath.Base(filepath.Clean(s.location)) }
func (s sidecarStore) storesIndex() bool { return s.index }

func (s sidecarStore) put(_ context.Context, digests []v1.Hash, sigs []sign.Layer, atts []sign.Layer) error {
	bundle, err := sign.OpenBundle(s.where())
	if err != nil {
		return err
	}
	if s.replace {
		bundle.Keep(digests)
	}
	for i, d := range digests {
		bundle.Add(d, []sign.Layer{sigs[i]}, atts)
	}
	return bundle.Write(s.where())
}

func (s sidecarStore) read(_ context.Context, d v1.Hash) ([]sign.Layer, []sign.Layer, error) {
	bundle, err := sign.OpenBundle(s.where())
	if err != nil {
		return nil, nil, err
	}
	m := bundle.Manifest(d)
	return m.Signatures, m.Attestations, nil
}

// registryStore keeps signatures in the registry, at cosign's tags.
type registryStore struct {
	repo     name.Repository
	location string
	opts     RegistryOptions
}

func (s registryStore) where() string     { return s.repo.Name() }
func (s registryStore) sidecar() string   { return "" }
func (s registryStore) identity() string  { return s.repo.Name() }
func (s registryStore) subject() string   { return s.location }
func (s registryStore) storesIndex() bool { return true }

// put pushes the .sig images (each with its own blobs) and the first .att image
// concurrently; the other .att images hold the same blobs as the first (every manifest
// gets the same attestations), and go after it one by one, since a registry may fail
// concurrent uploads of one blob (Debian's docker-registry does: DIGEST_INVALID).
func (s registryStore) put(ctx context.Context, digests []v1.Hash, sigs []sign.Layer, atts []sign.Layer) error {
	group, gctx := errgroup.WithContext(ctx)
	group.SetLimit(4)
	for i, d := range digests {
		group.Go(func() error {
			return sign.Append(gctx, sign.SignatureTag(s.repo, d), []sign.Layer{sigs[i]}, s.opts.sink().Options(gctx)...)
		})
	}
	attest := func(ctx context.Context, d v1.Hash) error {
		if err := sign.Append(ctx, sign.AttestationTag(s.repo, d), atts, s.opts.sink().Options(ctx)...); err != nil {
			return fmt.Errorf("attesting: %w", err)
		}
		return nil
	}
	group.Go(func() error { return attest(gctx, digests[0]) })
	if err := group.Wait(); err != nil {
		return err
	}
	for _, d := range digests[1:] {
		if err := attest(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

func (s registryStore) read(ctx context.Context, d v1.Hash) ([]sign.Layer, []sign.Layer, error) {
	opts := s.opts.sink().Options(ctx)
	sigs, err := sign.Read(ctx, sign.SignatureTag(s.repo, d), opts...)
	if err != nil {
		return nil, nil, err
	}
	atts, err := sign.Read(ctx, sign.AttestationTag(s.repo, d), opts...)
	return sigs, atts, err
}
