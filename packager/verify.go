package packager

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/cnbkit/cnbkit/packager/internal/source"
	"github.com/cnbkit/cnbkit/packager/sign"
)

// VerifyOptions say what Verify trusts and requires.
type VerifyOptions struct {
	// Verifier checks signatures (required), e.g. a *sign.KeyVerifier from a cosign.pub.
	Verifier sign.Verifier
	// RequireAttestations fails verification when the package has no attestation that
	// verifies with Verifier; otherwise a package signed without attestations (cosign sign)
	// passes. Attestations that do not verify with Verifier (another signer's, or changed
	// ones) are ignored and counted in Verification.Unverified.
	RequireAttestations bool
	// Sidecar is the bundle of a .cnb file or layout; empty means <path>.sig.json.
	Sidecar string
	// Registry reaches the registry of an image reference.
	Registry RegistryOptions
}

// Verification is what Verify found.
type Verification struct {
	Source string     `json:"source"`
	Kind   SourceKind `json:"kind"`
	// SignaturesAt is where signatures were read: a sidecar file or a repository.
	SignaturesAt string `json:"signaturesAt"`
	// Manifests are the manifests checked, the required ones first.
	Manifests []VerifiedManifest `json:"manifests"`
	// Attestations are the statements that verified, one per predicate.
	Attestations []Attested `json:"attestations"`
	// Unverified counts attestations of the required manifests that do not verify with the
	// key: another signer's, or changed. They are ignored.
	Unverified int `json:"unverifiedAttestations"`
}

// VerifiedManifest is one manifest of the package and its signature.
type VerifiedManifest struct {
	Digest   string `json:"digest"`
	Platform string `json:"platform,omitempty"`
	// Required manifests must be signed: the top manifest (image or index), or every image
	// of a .cnb file that lists several. Images of a signed index are covered by it.
	Required bool `json:"required"`
	Signed   bool `json:"signed"`
	// Identity is the docker-reference the signature names.
	Identity string `json:"identity,omitempty"`
}

// Attested is a verified statement.
type Attested struct {
	PredicateType string          `json:"predicateType"`
	Subjects      []string        `json:"subjects"`
	Predicate     json.RawMessage `json:"predicate"`
}

// VerifyError is the error of a package that fails verification.
type VerifyError struct {
	Source string
	Err    error
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("verifying %s: %v", e.Source, e.Err)
}

func (e *VerifyError) Unwrap() error { return e.Err }

// Verify checks the signatures and attestations of a .cnb file, an OCI layout directory or
// an image reference (tried in that order) against o.Verifier, and returns the statements
// attested with it. Signatures and attestations
// of an image are read from its registry (<repo>:sha256-<hex>.sig and .att), those of a
// file or layout from its sidecar bundle. Every blob of a file or layout is checked
// against its digest.
func Verify(ctx context.Context, ref string, o VerifyOptions) (*Verification, error) {
	if err := o.Registry.validate(); err != nil {
		return nil, err
	}
	p, err := source.Open(ctx, ref, o.Registry.sink().Options(ctx)...)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	v, err := verifyPackage(ctx, p, o)
	if err != nil {
		return v, &VerifyError{Source: ref, Err: err}
	}
	return v, nil
}

func verifyPackage(ctx context.Context, p *source.Package, o VerifyOptions) (*Verification, error) {
	if o.Verifier == nil {
		return nil, errors.New("no key given to verify with")
	}
	if p.Kind != source.KindRegistry {
		if err := checkBlobs(p); err != nil {
			return nil, err
		}
	}
	store, err := storeFor(p, o)
	if err != nil {
		return nil, err
	}
	res := &Verification{Source: p.Name, Kind: SourceKind(p.Kind), SignaturesAt: store.where()}
	hasTop := p.Digest.Hex != ""
	topIsImage := false
	if hasTop {
		for _, img := range p.Images {
			topIsImage = topIsImage || img.Digest == p.Digest
		}
		if !topIsImage {
			res.Manifests = append(res.Manifests, VerifiedManifest{Digest: p.Digest.String(), Platform: "index", Required: true})
		}
	}
	for _, img := range p.Images {
		res.Manifests = append(res.Manifests, VerifiedManifest{Digest: img.Digest.String(), Platform: source.PlatformString(img.Platform),
			Required: !hasTop || img.Digest == p.Digest})
	}
	seen := map[string]bool{}
	for i := range res.Manifests {
		m := &res.Manifests[i]
		d, _ := v1.NewHash(m.Digest)
		sigs, atts, err := store.read(ctx, d)
		if err != nil {
			return res, err
		}
		vs, err := sign.VerifySignatures(ctx, sigs, d, store.where(), o.Verifier)
		if err != nil {
			if m.Required {
				return res, err
			}
			continue
		}
		m.Signed, m.Identity = true, vs[0].Payload.Critical.Identity.DockerReference
		if !m.Required {
			continue
		}
		sts, err := sign.VerifyAttestations(ctx, atts, d, store.where(), o.Verifier)
		res.Unverified += len(atts) - len(sts)
		if err != nil && o.RequireAttestations {
			if len(atts) == 0 {
				return res, fmt.Errorf("%s is signed but has no attestation at %s: sign it with cnbkit package --sign-key, which attaches an SBOM and provenance", d, store.where())
			}
			return res, err
		}
		for _, st := range sts {
			if seen[st.PredicateType] {
				continue
			}
			seen[st.PredicateType] = true
			a := Attested{PredicateType: st.PredicateType, Predicate: st.Predicate}
			for _, s := range st.Subject {
				for alg, hex := range s.Digest {
					a.Subjects = append(a.Subjects, s.Name+" "+alg+":"+hex)
				}
			}
			res.Attestations = append(res.Attestations, a)
		}
	}
	sort.Slice(res.Attestations, func(i, j int) bool { return res.Attestations[i].PredicateType < res.Attestations[j].PredicateType })
	return res, nil
}

// checkBlobs reads every layer of a file or layout: source verifies the index and manifests
// against their digests when it opens them, and layers as they stream, so a signed digest
// covers every byte read.
func checkBlobs(p *source.Package) error {
	for _, img := range p.Images {
		if err := validate.Image(img.Image); err != nil {
			return fmt.Errorf("image %s (%s) does not match its digests: the package was changed: %w", img.Digest, source.PlatformString(img.Platform), err)
		}
	}
	return nil
}

// Summary renders what a statement attests as lines for people: the buildpacks, their
// layers and bundled dependencies of an SBOM; the builder and inputs of provenance.
func (a Attested) Summary() []string {
	switch a.PredicateType {
	case SBOMPredicateType:
		return sbomSummary(a.Predicate)
	case ProvenancePredicateType:
		return provenanceSummary(a.Predicate)
	}
	return []string{fmt.Sprintf("%d bytes of %s", len(a.Predicate), a.PredicateType)}
}

func sbomSummary(raw []byte) []string {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(raw), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return []string{"unreadable CycloneDX document: " + err.Error()}
	}
	var out []string
	if bom.Components == nil {
		return out
	}
	for _, c := range *bom.Components {
		switch c.Type {
		case cdx.ComponentTypeApplication:
			out = append(out, fmt.Sprintf("buildpack %s@%s", c.Name, c.Version))
			if c.Components != nil {
				for _, l := range *c.Components {
					out = append(out, fmt.Sprintf("  %s layer %s", property(l, "cnbkit:target"), property(l, "cnbkit:layer:diffID")))
				}
			}
		default:
			line := fmt.Sprintf("dependency %s %s", c.Name, c.Version)
			if c.PackageURL != "" {
				line += " " + c.PackageURL
			}
			if c.Licenses != nil {
				var ls []string
				for _, l := range *c.Licenses {
					switch {
					case l.Expression != "":
						ls = append(ls, l.Expression)
					case l.License != nil && l.License.ID != "":
						ls = append(ls, l.License.ID)
					case l.License != nil:
						ls = append(ls, l.License.Name)
					}
				}
				line += " (" + strings.Join(ls, ", ") + ")"
			}
			if c.Hashes != nil && len(*c.Hashes) > 0 {
				line += " sha256:" + (*c.Hashes)[0].Value
			}
			out = append(out, line)
		}
	}
	return out
}

func property(c cdx.Component, name string) string {
	if c.Properties == nil {
		return ""
	}
	for _, p := range *c.Properties {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

func provenanceSummary(raw []byte) []string {
	var pr struct {
		BuildDefinition struct {
			BuildType            string `json:"buildType"`
			ResolvedDependencies []struct {
				Name   string            `json:"name"`
				URI    string            `json:"uri"`
				Digest map[string]string `json:"digest"`
			} `json:"resolvedDependencies"`
		} `json:"buildDefinition"`
		RunDetails struct {
			Builder struct {
				ID string `json:"id"`
			} `json:"builder"`
		} `json:"runDetails"`
	}
	if err := json.Unmarshal(raw, &pr); err != nil {
		return []string{"unreadable provenance: " + err.Error()}
	}
	out := []string{"builder " + pr.RunDetails.Builder.ID}
	for _, d := range pr.BuildDefinition.ResolvedDependencies {
		var ds []string
		for alg, v := range d.Digest {
			ds = append(ds, alg+":"+v)
		}
		sort.Strings(ds)
		line := "input " + d.Name
		if d.URI != "" {
			line += " " + d.URI
		}
		out = append(out, line+" "+strings.Join(ds, " "))
	}
	return out
}
