// Package sign signs and verifies buildpackages in the format cosign reads and writes.
//
// A signature is a simple-signing payload (the manifest digest and the repository it was
// pushed to) signed with ECDSA P-256 over SHA-256. Attestations are in-toto statements in
// DSSE envelopes. In a registry both live next to the signed manifest, as cosign keeps
// them: signatures in the layers of the image tagged sha256-<hex>.sig, attestations in
// the image tagged sha256-<hex>.att. A .cnb file or an OCI layout carries them in a
// sidecar [Bundle] file, <path>.sig.json, that holds the same layers.
//
// Keys are the files `cosign generate-key-pair` writes: an encrypted PEM private key
// ("ENCRYPTED SIGSTORE PRIVATE KEY", scrypt and NaCl secretbox) and a PEM public key.
// [GenerateKeyPair] writes the same format, so cosign uses keys made here and the other
// way round. [KeySigner] signs deterministically (RFC 6979): the same key and payload give
// the same signature bytes.
//
// [Signer] and [Verifier] are the extension points: a keyless signer (a short-lived
// certificate from a Fulcio instance, recorded in a transparency log) would return its
// certificate with each [Signature]; the key-based pair is what this package implements.
package sign
