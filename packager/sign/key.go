package sign

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
)

// PEM block types of cosign key files.
const (
	PrivateKeyPEMType       = "ENCRYPTED SIGSTORE PRIVATE KEY"
	LegacyPrivateKeyPEMType = "ENCRYPTED COSIGN PRIVATE KEY"
	PublicKeyPEMType        = "PUBLIC KEY"
)

// Signature is one signature of a payload. Certificate and Chain are PEM certificates that
// a keyless signer returns with its signature (cosign stores them in annotations); a key
// signer leaves them empty.
type Signature struct {
	Bytes       []byte
	Certificate []byte
	Chain       []byte
}

// Signer signs payloads: simple-signing payloads of manifests and DSSE pre-authentication
// encodings of attestations. [KeySigner] signs with a private key.
type Signer interface {
	Sign(ctx context.Context, payload []byte) (Signature, error)
}

// Verifier checks a signature of a payload. [KeyVerifier] checks against a public key.
type Verifier interface {
	Verify(ctx context.Context, payload []byte, sig Signature) error
	// Name says what the verifier trusts, for messages ("key 3f2a9c81d04e5b67").
	Name() string
}

// KeyPair is a key pair in cosign's file format: Private is cosign.key, Public cosign.pub.
type KeyPair struct {
	Private []byte
	Public  []byte
}

// GenerateKeyPair makes an ECDSA P-256 key pair, the private key encrypted with password
// as `cosign generate-key-pair` does (PKCS #8, scrypt N=32768 r=8 p=1, NaCl secretbox).
func GenerateKeyPair(password []byte) (KeyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return KeyPair{}, fmt.Errorf("generating a key: %w", err)
	}
	return MarshalKeyPair(key, password)
}

// MarshalKeyPair writes key in cosign's file format, the private key encrypted with password.
func MarshalKeyPair(key *ecdsa.PrivateKey, password []byte) (KeyPair, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return KeyPair{}, fmt.Errorf("encoding the private key: %w", err)
	}
	enc, err := encrypted.Encrypt(der, password)
	if err != nil {
		return KeyPair{}, fmt.Errorf("encrypting the private key: %w", err)
	}
	pub, err := marshalPublicKey(&key.PublicKey)
	if err != nil {
		return KeyPair{}, err
	}
	return KeyPair{Private: pem.EncodeToMemory(&pem.Block{Type: PrivateKeyPEMType, Bytes: enc}), Public: pub}, nil
}

func marshalPublicKey(pub *ecdsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encoding the public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: PublicKeyPEMType, Bytes: der}), nil
}

// KeySigner signs with an ECDSA P-256 private key, deterministically (RFC 6979).
type KeySigner struct {
	key *ecdsa.PrivateKey
}

// NewKeySigner returns a signer for key, which must be on P-256.
func NewKeySigner(key *ecdsa.PrivateKey) (*KeySigner, error) {
	if key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("the key is on curve %s: cnbkit signs with ECDSA P-256 keys, the kind `cosign generate-key-pair` makes", key.Curve.Params().Name)
	}
	return &KeySigner{key: key}, nil
}

// LoadPrivateKey decrypts a cosign private key file (PEM "ENCRYPTED SIGSTORE PRIVATE KEY"
// or the older "ENCRYPTED COSIGN PRIVATE KEY") with password.
func LoadPrivateKey(data, password []byte) (*KeySigner, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("not a PEM file: expected a cosign private key (-----BEGIN " + PrivateKeyPEMType + "-----), as `cnbkit key generate` or `cosign generate-key-pair` write")
	}
	if block.Type != PrivateKeyPEMType && block.Type != LegacyPrivateKeyPEMType {
		return nil, fmt.Errorf("the PEM block is %q, not %q: give the private key that `cnbkit key generate` or `cosign generate-key-pair` wrote (cosign.key)", block.Type, PrivateKeyPEMType)
	}
	der, err := encrypted.Decrypt(block.Bytes, password)
	if err != nil {
		return nil, fmt.Errorf("decrypting the private key: wrong password (set COSIGN_PASSWORD to the password the key was made with) or a damaged key file: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parsing the private key: %w", err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the private key is a %T: cnbkit signs with ECDSA P-256 keys, the kind `cosign generate-key-pair` makes", k)
	}
	return NewKeySigner(ek)
}

// Sign signs the SHA-256 digest of payload; the signature is ASN.1 DER, as cosign writes it.
func (s *KeySigner) Sign(_ context.Context, payload []byte) (Signature, error) {
	digest := sha256.Sum256(payload)
	// A nil random source selects deterministic signatures (RFC 6979).
	sig, err := s.key.Sign(nil, digest[:], crypto.SHA256)
	if err != nil {
		return Signature{}, fmt.Errorf("signing: %w", err)
	}
	return Signature{Bytes: sig}, nil
}

// Verifier returns the verifier of the signer's public key.
func (s *KeySigner) Verifier() *KeyVerifier { return &KeyVerifier{key: &s.key.PublicKey} }

// KeyVerifier checks signatures against an ECDSA public key.
type KeyVerifier struct {
	key *ecdsa.PublicKey
}

// LoadPublicKey reads a PEM public key (cosign.pub).
func LoadPublicKey(data []byte) (*KeyVerifier, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("not a PEM file: expected a public key (-----BEGIN PUBLIC KEY-----), as `cnbkit key generate` or `cosign generate-key-pair` write (cosign.pub)")
	}
	if block.Type != PublicKeyPEMType {
		return nil, fmt.Errorf("the PEM block is %q, not %q: give the public key (cosign.pub), not the private one", block.Type, PublicKeyPEMType)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing the public key: %w", err)
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, fmt.Errorf("the public key is a %T: cnbkit verifies ECDSA P-256 keys, the kind `cosign generate-key-pair` makes", k)
	}
	return &KeyVerifier{key: ek}, nil
}

// PublicKeyPEM returns the public key as a PEM file.
func (v *KeyVerifier) PublicKeyPEM() ([]byte, error) { return marshalPublicKey(v.key) }

// Verify checks an ASN.1 ECDSA signature of the SHA-256 digest of payload.
func (v *KeyVerifier) Verify(_ context.Context, payload []byte, sig Signature) error {
	digest := sha256.Sum256(payload)
	if !ecdsa.VerifyASN1(v.key, digest[:], sig.Bytes) {
		return fmt.Errorf("the signature does not verify with %s: it was made with another key, or what it signs was changed", v.Name())
	}
	return nil
}

// Name is "key <16 hex digits>", the start of the SHA-256 of the DER public key.
func (v *KeyVerifier) Name() string {
	der, err := x509.MarshalPKIXPublicKey(v.key)
	if err != nil {
		return "key ?"
	}
	sum := sha256.Sum256(der)
	return "key " + hex.EncodeToString(sum[:8])
}
