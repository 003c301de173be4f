package sign

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// BundleMediaType identifies a sidecar bundle file.
const BundleMediaType = "application/vnd.cnbkit.signatures.v1+json"

// Bundle is the sidecar file of a .cnb file or an OCI layout directory: for each signed
// manifest, the signature and attestation layers a registry would keep at its .sig and
// .att tags, with the same media types, payloads and annotations.
type Bundle struct {
	MediaType string           `json:"mediaType"`
	Manifests []BundleManifest `json:"manifests"`
}

// BundleManifest holds what signs one manifest.
type BundleManifest struct {
	Digest       string  `json:"digest"`
	Signatures   []Layer `json:"signatures,omitempty"`
	Attestations []Layer `json:"attestations,omitempty"`
}

// SidecarPath is the sidecar bundle of a .cnb file or layout directory: <path>.sig.json.
func SidecarPath(path string) string { return filepath.Clean(path) + ".sig.json" }

// ReadBundle reads a sidecar bundle. A missing file gives an empty bundle and an error
// wrapping fs.ErrNotExist.
func ReadBundle(path string) (*Bundle, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return &Bundle{MediaType: BundleMediaType}, err
	}
	var b Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if b.MediaType != BundleMediaType {
		return nil, fmt.Errorf("reading %s: media type %q, not %s", path, b.MediaType, BundleMediaType)
	}
	return &b, nil
}

// Manifest returns the entry of digest, if any.
func (b *Bundle) Manifest(digest v1.Hash) BundleManifest {
	for _, m := range b.Manifests {
		if m.Digest == digest.String() {
			return m
		}
	}
	return BundleManifest{Digest: digest.String()}
}

// Add adds signature and attestation layers for digest, skipping layers already there.
func (b *Bundle) Add(digest v1.Hash, sigs, atts []Layer) {
	i := -1
	for j, m := range b.Manifests {
		if m.Digest == digest.String() {
			i = j
		}
	}
	if i < 0 {
		b.Manifests = append(b.Manifests, BundleManifest{Digest: digest.String()})
		i = len(b.Manifests) - 1
	}
	m := &b.Manifests[i]
	for _, l := range sigs {
		if !contains(m.Signatures, l) {
			m.Signatures = append(m.Signatures, l)
		}
	}
	for _, l := range atts {
		if !contains(m.Attestations, l) {
			m.Attestations = append(m.Attestations, l)
		}
	}
	sort.Slice(b.Manifests, func(i, j int) bool { return b.Manifests[i].Digest < b.Manifests[j].Digest })
}

// Keep drops the entries of manifests not in digests (those of content that was replaced).
func (b *Bundle) Keep(digests []v1.Hash) {
	keep := map[string]bool{}
	for _, d := range digests {
		keep[d.String()] = true
	}
	out := b.Manifests[:0]
	for _, m := range b.Manifests {
		if keep[m.Digest] {
			out = append(out, m)
		}
	}
	b.Manifests = out
}

// Write writes the bundle to path atomically (a temporary file renamed into place).
func (b *Bundle) Write(path string) error {
	b.MediaType = BundleMediaType
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("moving %s into place: %w", path, err)
	}
	return nil
}

// OpenBundle reads the bundle at path, or returns an empty one when there is none.
func OpenBundle(path string) (*Bundle, error) {
	b, err := ReadBundle(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Bundle{MediaType: BundleMediaType}, nil
	}
	return b, err
}
