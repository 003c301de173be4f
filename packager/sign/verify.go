package sign

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ErrNotSigned is wrapped by errors for a manifest that has no signature at all.
var ErrNotSigned = errors.New("not signed")

// VerificationError says why no signature or attestation of a manifest verified.
type VerificationError struct {
	// Digest is the manifest checked; Where is where its signatures were read.
	Digest v1.Hash
	Where  string
	// What is "signature" or "attestation".
	What string
	// Verifier names the key (or identity) that was trusted.
	Verifier string
	// Reasons has one entry per layer that was rejected.
	Reasons []string
}

func (e *VerificationError) Error() string {
	if len(e.Reasons) == 0 {
		return fmt.Sprintf("%s has no %s at %s: sign it (cnbkit package --sign-key, or cosign) or check the reference", e.Digest, e.What, e.Where)
	}
	return fmt.Sprintf("no %s of %s at %s verifies with %s (%s)", e.What, e.Digest, e.Where, e.Verifier, strings.Join(e.Reasons, "; "))
}

// Unwrap returns ErrNotSigned when nothing was found.
func (e *VerificationError) Unwrap() error {
	if len(e.Reasons) == 0 {
		return ErrNotSigned
	}
	return nil
}

// VerifiedSignature is a signature layer that verified.
type VerifiedSignature struct {
	Payload SimpleSigning
	Layer   Layer
}

// VerifySignatures checks the signature layers of digest (read from where) and returns those
// that verify with v and sign digest. It fails with a *VerificationError when none does.
func VerifySignatures(ctx context.Context, layers []Layer, digest v1.Hash, where string, v Verifier) ([]VerifiedSignature, error) {
	verr := &VerificationError{Digest: digest, Where: where, What: "signature", Verifier: v.Name()}
	var out []VerifiedSignature
	for i, l := range layers {
		if l.MediaType != SimpleSigningMediaType {
			verr.Reasons = append(verr.Reasons, fmt.Sprintf("layer %d has media type %q, not %s", i+1, l.MediaType, SimpleSigningMediaType))
			continue
		}
		sig, err := signatureOf(l)
		if err != nil {
			verr.Reasons = append(verr.Reasons, fmt.Sprintf("signature %d: %v", i+1, err))
			continue
		}
		if err := v.Verify(ctx, l.Payload, sig); err != nil {
			verr.Reasons = append(verr.Reasons, fmt.Sprintf("signature %d: %v", i+1, err))
			continue
		}
		var p SimpleSigning
		if err := json.Unmarshal(l.Payload, &p); err != nil {
			verr.Reasons = append(verr.Reasons, fmt.Sprintf("signature %d: its payload is not a simple-signing document: %v", i+1, err))
			continue
		}
		if got := p.Critical.Image.DockerManifestDigest; got != digest.String() {
			verr.Reasons = append(verr.Reasons, fmt.Sprintf("signature %d signs %s, not this manifest: the manifest was changed after signing, or the signature was copied from another one", i+1, got))
			continue
		}
		if p.Critical.Type != SimpleSigningType {
			verr.Reasons = append(verr.Reasons, fmt.Sprintf("signature %d has type %q, not %q", i+1, p.Critical.Type, SimpleSigningType))
			continue
		}
		out = append(out, VerifiedSignature{Payload: p, Layer: l})
	}
	if len(out) == 0 {
		return nil, verr
	}
	return out, nil
}

func signatureOf(l Layer) (Signature, error) {
	b64, ok := l.Annotations[SignatureAnnotation]
	if !ok {
		return Signature{}, fmt.Errorf("no %s annotation", SignatureAnnotation)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return Signature{}, fmt.Errorf("the %s annotation is not base64: %w", SignatureAnnotation, err)
	}
	return Signature{Bytes: raw, Certificate: []byte(l.Annotations[CertificateAnnotation]), Chain: []byte(l.Annotations[ChainAnnotation])}, nil
}

// VerifyAttestations checks the attestation layers of digest and returns the statements
// whose envelope verifies with v and that name digest as a subject. It fails with a
// *VerificationError when none does.
func VerifyAttestations(ctx context.Context, layers []Layer, digest v1.Hash, where string, v Verifier) ([]Statement, error) {
	verr := &VerificationError{Digest: digest, Where: where, What: "attestation", Verifier: v.Name()}
	var out []Statement
	for i, l := range layers {
		st, err := verifyAttestation(ctx, l, digest, v)
		if err != nil {
			verr.Reasons = append(verr.Reasons, fmt.Sprintf("attestation %d: %v", i+1, err))
			continue
		}
		out = append(out, st)
	}
	if len(out) == 0 {
		return nil, verr
	}
	return out, nil
}

func verifyAttestation(ctx context.Context, l Layer, digest v1.Hash, v Verifier) (Statement, error) {
	if l.MediaType != DSSEMediaType {
		return Statement{}, fmt.Errorf("media type %q, not %s", l.MediaType, DSSEMediaType)
	}
	var env Envelope
	if err := json.Unmarshal(l.Payload, &env); err != nil {
		return Statement{}, fmt.Errorf("not a DSSE envelope: %w", err)
	}
	if env.PayloadType != InTotoPayloadType {
		return Statement{}, fmt.Errorf("payload type %q, not %s", env.PayloadType, InTotoPayloadType)
	}
	pae := PAE(env.PayloadType, env.Payload)
	var errs []string
	ok := false
	for _, s := range env.Signatures {
		if err := v.Verify(ctx, pae, Signature{Bytes: s.Sig, Certificate: []byte(l.Annotations[CertificateAnnotation]), Chain: []byte(l.Annotations[ChainAnnotation])}); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		ok = true
		break
	}
	if !ok {
		if len(errs) == 0 {
			return Statement{}, errors.New("the envelope has no signature")
		}
		return Statement{}, errors.New(strings.Join(errs, "; "))
	}
	var st Statement
	if err := json.Unmarshal(env.Payload, &st); err != nil {
		return Statement{}, fmt.Errorf("the payload is not an in-toto statement: %w", err)
	}
	if !st.Names(digest) {
		return Statement{}, fmt.Errorf("its statement (%s) does not name this manifest as a subject: it was made for another one", st.PredicateType)
	}
	return st, nil
}
