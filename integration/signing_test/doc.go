// Package signingtest checks cnbkit's signatures and attestations with the real cosign CLI
// (v2.6.5, built from the Go module proxy): cosign verify and cosign verify-attestation
// --type cyclonedx / slsaprovenance1 accept what `cnbkit package --publish --sign-key`
// pushes to Debian's docker-registry on 127.0.0.1, for the multi-arch reference composite
// buildpacks/python-ffmpeg; both tools reject a wrong key, a missing signature and a changed
// manifest; keys made by either tool work with the other; and signatures added by either
// tool keep the other's. No transparency log is reachable: cosign runs with
// --insecure-ignore-tlog=true and --tlog-upload=false.
//
// Needs: the go command, Debian's docker-registry (scripts/setup.sh installs it).
package signingtest
