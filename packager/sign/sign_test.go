package sign_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/internal/registrytest"
	"github.com/cnbkit/cnbkit/internal/signtest"
	"github.com/cnbkit/cnbkit/packager/sign"
)

func newKey(t *testing.T, password string) (*sign.KeySigner, sign.KeyPair) {
	t.Helper()
	kp, err := sign.GenerateKeyPair([]byte(password))
	if err != nil {
		t.Fatalf("GenerateKeyPair: %v", err)
	}
	s, err := sign.LoadPrivateKey(kp.Private, []byte(password))
	if err != nil {
		t.Fatalf("LoadPrivateKey of a fresh key: %v", err)
	}
	return s, kp
}

func TestKeyFiles(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	s, kp := newKey(t, "correct horse")
	g.Expect(string(kp.Private)).To(HavePrefix("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"))
	g.Expect(string(kp.Public)).To(HavePrefix("-----BEGIN PUBLIC KEY-----\n"))

	// The encrypted body is the JSON cosign writes: scrypt parameters and a secretbox nonce.
	block := strings.TrimSpace(string(kp.Private))
	g.Expect(block).To(HaveSuffix("-----END ENCRYPTED SIGSTORE PRIVATE KEY-----"))

	v, err := sign.LoadPublicKey(kp.Public)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v.Name()).To(Equal(s.Verifier().Name()))
	g.Expect(v.Name()).To(MatchRegexp(`^key [0-9a-f]{16}$`))

	tests := []struct {
		name    string
		load    func() error
		message string
	}{
		{"wrong password", func() error { _, err := sign.LoadPrivateKey(kp.Private, []byte("wrong")); return err }, "wrong password (set COSIGN_PASSWORD"},
		{"public key as private", func() error { _, err := sign.LoadPrivateKey(kp.Public, nil); return err }, `the PEM block is "PUBLIC KEY"`},
		{"private key as public", func() error { _, err := sign.LoadPublicKey(kp.Private); return err }, "give the public key (cosign.pub), not the private one"},
		{"not PEM", func() error { _, err := sign.LoadPublicKey([]byte("hello")); return err }, "not a PEM file"},
		{"not PEM private", func() error { _, err := sign.LoadPrivateKey([]byte("hello"), nil); return err }, "not a PEM file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			err := tc.load()
			g.Expect(err).To(HaveOccurred())
			g.Expect(err.Error()).To(ContainSubstring(tc.message))
		})
	}
}

func TestSignaturesAreDeterministic(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	s := signtest.Key(t)
	other := signtest.Key(t)
	a, err := s.Sign(ctx, []byte("payload"))
	g.Expect(err).NotTo(HaveOccurred())
	b, err := s.Sign(ctx, []byte("payload"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(a.Bytes).To(Equal(b.Bytes), "two signatures of the same payload with the same key")
	g.Expect(s.Verifier().Verify(ctx, []byte("payload"), a)).To(Succeed())
	g.Expect(s.Verifier().Verify(ctx, []byte("payloaD"), a)).To(MatchError(ContainSubstring("does not verify with key")))
	g.Expect(other.Verifier().Verify(ctx, []byte("payload"), a)).To(MatchError(ContainSubstring("made with another key")))
}

func TestPAE(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	// The example of the DSSE protocol specification.
	g.Expect(string(sign.PAE("http://example.com/HelloWorld", []byte("hello world")))).
		To(Equal("DSSEv1 29 http://example.com/HelloWorld 11 hello world"))
	g.Expect(string(sign.PAE("", nil))).To(Equal("DSSEv1 0  0 "))
}

func TestSimpleSigningPayload(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	d := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
	raw, err := sign.NewSimpleSigning("registry.example.com/org/bp", d).Marshal()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(raw)).To(Equal(`{"critical":{"identity":{"docker-reference":"registry.example.com/org/bp"},"image":{"docker-manifest-digest":"sha256:` +
		strings.Repeat("ab", 32) + `"},"type":"cosign container image signature"},"optional":null}`))
}

// pushRandom starts an in-process registry and pushes a random image to it.
func pushRandom(t *testing.T) (name.Repository, v1.Hash) {
	t.Helper()
	repo, err := name.NewRepository(registrytest.Start(t) + "/org/bp")
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(repo.Tag("1"), img); err != nil {
		t.Fatalf("pushing: %v", err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return repo, d
}

func TestRegistrySignatures(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	repo, d := pushRandom(t)
	tag := sign.SignatureTag(repo, d)
	g.Expect(tag.TagStr()).To(Equal("sha256-" + d.Hex + ".sig"))

	alice := signtest.Key(t)
	bob := signtest.Key(t)
	mallory := signtest.Key(t)

	_, err := sign.VerifySignatures(ctx, nil, d, tag.String(), alice.Verifier())
	g.Expect(errors.Is(err, sign.ErrNotSigned)).To(BeTrue(), "no layers: %v", err)
	g.Expect(err.Error()).To(ContainSubstring("has no signature at " + tag.String()))

	la, err := sign.SignManifest(ctx, alice, repo.Name(), d)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(sign.Append(ctx, tag, []sign.Layer{la})).To(Succeed())
	lb, err := sign.SignManifest(ctx, bob, repo.Name(), d)
	g.Expect(err).NotTo(HaveOccurred())
	// Bob's signature is added next to Alice's; Alice's again is not duplicated.
	g.Expect(sign.Append(ctx, tag, []sign.Layer{lb, la})).To(Succeed())

	layers, err := sign.Read(ctx, tag)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(layers).To(HaveLen(2))
	g.Expect(layers[0].MediaType).To(Equal(sign.SimpleSigningMediaType))
	g.Expect(layers[0].Annotations).To(HaveKey(sign.SignatureAnnotation))

	for _, s := range []*sign.KeySigner{alice, bob} {
		got, err := sign.VerifySignatures(ctx, layers, d, tag.String(), s.Verifier())
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got).To(HaveLen(1))
		g.Expect(got[0].Payload.Critical.Identity.DockerReference).To(Equal(repo.Name()))
	}
	_, err = sign.VerifySignatures(ctx, layers, d, tag.String(), mallory.Verifier())
	g.Expect(err).To(HaveOccurred())
	g.Expect(errors.Is(err, sign.ErrNotSigned)).To(BeFalse())
	g.Expect(err.Error()).To(ContainSubstring("no signature of " + d.String()))
	g.Expect(err.Error()).To(ContainSubstring("made with another key"))

	// A signature copied to another manifest does not verify for it.
	other := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("0", 64)}
	_, err = sign.VerifySignatures(ctx, layers, other, "copy", alice.Verifier())
	g.Expect(err).To(MatchError(ContainSubstring("signs " + d.String() + ", not this manifest")))

	// Another tag that does not exist reads as no layers.
	none, err := sign.Read(ctx, sign.SignatureTag(repo, other))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(none).To(BeEmpty())
}

func TestAttestations(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	repo, d := pushRandom(t)
	s := signtest.Key(t)
	other := signtest.Key(t)
	st := sign.Statement{
		Subject:       []sign.Subject{{Name: repo.Name(), Digest: map[string]string{"sha256": d.Hex}}},
		PredicateType: "https://example.com/predicate/v1",
		Predicate:     json.RawMessage(`{"hello":"world"}`),
	}
	l, err := sign.Attest(ctx, s, st)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(l.MediaType).To(Equal(sign.DSSEMediaType))
	g.Expect(l.Annotations).To(Equal(map[string]string{sign.SignatureAnnotation: "", sign.PredicateTypeAnnotation: st.PredicateType}))
	var env map[string]any
	g.Expect(json.Unmarshal(l.Payload, &env)).To(Succeed())
	g.Expect(env).To(HaveKeyWithValue("payloadType", "application/vnd.in-toto+json"))

	tag := sign.AttestationTag(repo, d)
	g.Expect(sign.Append(ctx, tag, []sign.Layer{l})).To(Succeed())
	layers, err := sign.Read(ctx, tag)
	g.Expect(err).NotTo(HaveOccurred())
	got, err := sign.VerifyAttestations(ctx, layers, d, tag.String(), s.Verifier())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(HaveLen(1))
	g.Expect(got[0].Type).To(Equal(sign.StatementType))
	g.Expect(string(got[0].Predicate)).To(MatchJSON(`{"hello":"world"}`))

	_, err = sign.VerifyAttestations(ctx, layers, d, tag.String(), other.Verifier())
	g.Expect(err).To(MatchError(ContainSubstring("made with another key")))
	otherDigest := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("1", 64)}
	_, err = sign.VerifyAttestations(ctx, layers, otherDigest, "x", s.Verifier())
	g.Expect(err).To(MatchError(ContainSubstring("does not name this manifest as a subject")))
}

func TestBundle(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	path := sign.SidecarPath(filepath.Join(t.TempDir(), "bp.cnb"))
	g.Expect(path).To(HaveSuffix("bp.cnb.sig.json"))
	b, err := sign.OpenBundle(path)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(b.Manifests).To(BeEmpty())

	s := signtest.Key(t)
	d1 := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("1", 64)}
	d2 := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("2", 64)}
	l1, err := sign.SignManifest(ctx, s, "bp.cnb", d1)
	g.Expect(err).NotTo(HaveOccurred())
	l2, err := sign.SignManifest(ctx, s, "bp.cnb", d2)
	g.Expect(err).NotTo(HaveOccurred())
	b.Add(d2, []sign.Layer{l2}, nil)
	b.Add(d1, []sign.Layer{l1}, nil)
	b.Add(d1, []sign.Layer{l1}, nil)
	g.Expect(b.Write(path)).To(Succeed())

	read, err := sign.ReadBundle(path)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(read.Manifests).To(HaveLen(2))
	g.Expect(read.Manifests[0].Digest).To(Equal(d1.String()), "sorted by digest")
	g.Expect(read.Manifest(d1).Signatures).To(HaveLen(1))
	_, err = sign.VerifySignatures(ctx, read.Manifest(d1).Signatures, d1, path, s.Verifier())
	g.Expect(err).NotTo(HaveOccurred())

	read.Keep([]v1.Hash{d2})
	g.Expect(read.Manifests).To(HaveLen(1))
	g.Expect(read.Manifest(d1).Signatures).To(BeEmpty())
}

func TestOnlyP256(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = sign.NewKeySigner(k)
	g.Expect(err).To(MatchError(ContainSubstring("on curve P-384: cnbkit signs with ECDSA P-256 keys")))
}
