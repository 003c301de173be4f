package sign_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/cnbkit/cnbkit/packager/sign"
)

// A manifest digest signed and verified with a key pair in cosign's format, and an
// attestation about it. sign.Append and sign.Read put the layers at the .sig and .att tags
// of a registry; a sign.Bundle holds them next to a .cnb file.
func ExampleSignManifest() {
	ctx := context.Background()
	keys, err := sign.GenerateKeyPair([]byte("a long passphrase"))
	if err != nil {
		panic(err)
	}
	signer, err := sign.LoadPrivateKey(keys.Private, []byte("a long passphrase"))
	if err != nil {
		panic(err)
	}
	verifier, err := sign.LoadPublicKey(keys.Public)
	if err != nil {
		panic(err)
	}
	digest := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("0123456789abcdef", 4)}

	sig, err := sign.SignManifest(ctx, signer, "registry.example.com/org/bp", digest)
	if err != nil {
		panic(err)
	}
	fmt.Println(sig.MediaType)
	fmt.Println(string(sig.Payload))
	verified, err := sign.VerifySignatures(ctx, []sign.Layer{sig}, digest, "registry.example.com/org/bp", verifier)
	fmt.Println(len(verified), err)

	att, err := sign.Attest(ctx, signer, sign.Statement{
		Subject:       []sign.Subject{{Name: "registry.example.com/org/bp", Digest: map[string]string{"sha256": digest.Hex}}},
		PredicateType: "https://example.com/reviewed/v1",
		Predicate:     json.RawMessage(`{"reviewer":"alice"}`),
	})
	if err != nil {
		panic(err)
	}
	statements, err := sign.VerifyAttestations(ctx, []sign.Layer{att}, digest, "registry.example.com/org/bp", verifier)
	fmt.Println(att.MediaType, statements[0].PredicateType, string(statements[0].Predicate), err)
	// Output:
	// application/vnd.dev.cosign.simplesigning.v1+json
	// {"critical":{"identity":{"docker-reference":"registry.example.com/org/bp"},"image":{"docker-manifest-digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},"type":"cosign container image signature"},"optional":null}
	// 1 <nil>
	// application/vnd.dsse.envelope.v1+json https://example.com/reviewed/v1 {"reviewer":"alice"} <nil>
}
