package sign

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Media types and annotations of signature and attestation layers, as cosign writes them.
const (
	SimpleSigningMediaType  = "application/vnd.dev.cosign.simplesigning.v1+json"
	DSSEMediaType           = "application/vnd.dsse.envelope.v1+json"
	SignatureAnnotation     = "dev.cosignproject.cosign/signature"
	CertificateAnnotation   = "dev.sigstore.cosign/certificate"
	ChainAnnotation         = "dev.sigstore.cosign/chain"
	PredicateTypeAnnotation = "predicateType"

	// SimpleSigningType is the critical.type of a cosign image signature payload.
	SimpleSigningType = "cosign container image signature"
	// InTotoPayloadType is the DSSE payload type of in-toto statements.
	InTotoPayloadType = "application/vnd.in-toto+json"
	// StatementType is the _type of an in-toto Statement v1.
	StatementType = "https://in-toto.io/Statement/v1"
)

// SimpleSigning is the payload of an image signature: which manifest digest is signed and
// under which repository it was pushed.
type SimpleSigning struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
	Optional map[string]any `json:"optional"`
}

// NewSimpleSigning returns the payload for digest pushed to reference (a repository name,
// as cosign writes it, or a file name for sidecar signatures).
func NewSimpleSigning(reference string, digest v1.Hash) SimpleSigning {
	var s SimpleSigning
	s.Critical.Identity.DockerReference = reference
	s.Critical.Image.DockerManifestDigest = digest.String()
	s.Critical.Type = SimpleSigningType
	return s
}

// Marshal encodes the payload as cosign does.
func (s SimpleSigning) Marshal() ([]byte, error) { return json.Marshal(s) }

// Envelope is a DSSE envelope.
type Envelope struct {
	PayloadType string              `json:"payloadType"`
	Payload     []byte              `json:"payload"`
	Signatures  []EnvelopeSignature `json:"signatures"`
}

// EnvelopeSignature is one signature of an envelope (sig is base64 in JSON).
type EnvelopeSignature struct {
	KeyID string `json:"keyid"`
	Sig   []byte `json:"sig"`
}

// PAE is the DSSE pre-authentication encoding that envelope signatures sign:
// "DSSEv1" SP len(type) SP type SP len(body) SP body.
func PAE(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	b.WriteString("DSSEv1 ")
	b.WriteString(strconv.Itoa(len(payloadType)))
	b.WriteByte(' ')
	b.WriteString(payloadType)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(payload)))
	b.WriteByte(' ')
	b.Write(payload)
	return b.Bytes()
}

// Statement is an in-toto Statement v1.
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// Subject is a subject of a statement: a name and its digests by algorithm.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// Names reports whether digest is one of the statement's subjects.
func (s Statement) Names(digest v1.Hash) bool {
	for _, sub := range s.Subject {
		if sub.Digest[digest.Algorithm] == digest.Hex {
			return true
		}
	}
	return false
}

// Layer is one signature or attestation as stored: a layer of a .sig or .att image, or an
// entry of a sidecar [Bundle].
type Layer struct {
	MediaType   string            `json:"mediaType"`
	Payload     []byte            `json:"payload"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// SignManifest signs digest as pushed under reference and returns the signature layer.
func SignManifest(ctx context.Context, s Signer, reference string, digest v1.Hash) (Layer, error) {
	payload, err := NewSimpleSigning(reference, digest).Marshal()
	if err != nil {
		return Layer{}, err
	}
	sig, err := s.Sign(ctx, payload)
	if err != nil {
		return Layer{}, fmt.Errorf("signing %s: %w", digest, err)
	}
	ann := map[string]string{SignatureAnnotation: encode(sig.Bytes)}
	addCertificates(ann, sig)
	return Layer{MediaType: SimpleSigningMediaType, Payload: payload, Annotations: ann}, nil
}

// Attest signs statement in a DSSE envelope and returns the attestation layer.
func Attest(ctx context.Context, s Signer, statement Statement) (Layer, error) {
	if statement.Type == "" {
		statement.Type = StatementType
	}
	body, err := json.Marshal(statement)
	if err != nil {
		return Layer{}, fmt.Errorf("encoding the %s statement: %w", statement.PredicateType, err)
	}
	sig, err := s.Sign(ctx, PAE(InTotoPayloadType, body))
	if err != nil {
		return Layer{}, fmt.Errorf("signing the %s statement: %w", statement.PredicateType, err)
	}
	env, err := json.Marshal(Envelope{PayloadType: InTotoPayloadType, Payload: body, Signatures: []EnvelopeSignature{{Sig: sig.Bytes}}})
	if err != nil {
		return Layer{}, err
	}
	ann := map[string]string{SignatureAnnotation: "", PredicateTypeAnnotation: statement.PredicateType}
	addCertificates(ann, sig)
	return Layer{MediaType: DSSEMediaType, Payload: env, Annotations: ann}, nil
}

func addCertificates(ann map[string]string, sig Signature) {
	if len(sig.Certificate) > 0 {
		ann[CertificateAnnotation] = string(sig.Certificate)
		ann[ChainAnnotation] = string(sig.Chain)
	}
}

func encode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
