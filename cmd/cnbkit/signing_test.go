package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cnbkit/cnbkit/internal/registrytest"
	"github.com/cnbkit/cnbkit/internal/signtest"
	. "github.com/onsi/gomega"
)

func password(pw string) passwordSource {
	return passwordSource{lookupEnv: func(k string) (string, bool) {
		if k == "COSIGN_PASSWORD" {
			return pw, true
		}
		return "", false
	}}
}

var (
	keyOnce sync.Once
	keyDir  string
)

// sharedKey generates one key pair (password "pw") for the tests of this file: scrypt is slow.
func sharedKey(t *testing.T) (priv, pub string) {
	t.Helper()
	keyOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cnbkit-keys-")
		if err != nil {
			t.Fatal(err)
		}
		keyDir = dir
		if err := runKeyGenerate(keyGenerateOptions{prefix: filepath.Join(dir, "cosign"), passwords: password("pw")}, io.Discard); err != nil {
			t.Fatal(err)
		}
	})
	return filepath.Join(keyDir, "cosign.key"), filepath.Join(keyDir, "cosign.pub")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if keyDir != "" {
		os.RemoveAll(keyDir)
	}
	os.Exit(code)
}

func TestKeyGenerate(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	prefix := filepath.Join(t.TempDir(), "release")
	var out bytes.Buffer
	g.Expect(runKeyGenerate(keyGenerateOptions{prefix: prefix, passwords: password("")}, &out)).To(Succeed())
	g.Expect(out.String()).To(Equal("Private key written to " + prefix + ".key\nPublic key written to " + prefix + ".pub\n"))
	info, err := os.Stat(prefix + ".key")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))

	err = runKeyGenerate(keyGenerateOptions{prefix: prefix, passwords: password("")}, io.Discard)
	g.Expect(err).To(MatchError(prefix + ".key exists: keep it, or add --force to replace the key pair"))

	_, err = loadSigner(prefix+".key", password(""))
	g.Expect(err).NotTo(HaveOccurred(), "an empty password is a password")
	_, err = loadSigner(prefix+".key", passwordSource{lookupEnv: func(string) (string, bool) { return "", false }, stdin: strings.NewReader("nope")})
	g.Expect(err).To(MatchError(ContainSubstring("wrong password (set COSIGN_PASSWORD")), "the password is read from a non-terminal standard input")
	_, err = loadVerifier(prefix + ".key")
	g.Expect(err).To(MatchError(ContainSubstring("give the public key (cosign.pub), not the private one")))
}

func TestPackageSignsAndVerifies(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	priv, pub := sharedKey(t)
	dir := t.TempDir()
	prebuilt(t, filepath.Join(dir, "bp"), "cli/signed", "0.0.1", "")
	out := filepath.Join(dir, "out", "signed.cnb")

	// A wrong password stops the command before anything is written.
	o := packageOptions{name: out, path: filepath.Join(dir, "bp"), signKey: priv, passwords: password("wrong")}
	err := runPackage(context.Background(), o, io.Discard, io.Discard, false)
	g.Expect(err).To(MatchError(ContainSubstring("signing key " + priv + ": decrypting the private key: wrong password")))
	g.Expect(filepath.Join(dir, "out")).NotTo(BeADirectory())

	// A folder holds no manifest to sign: refused before anything is built.
	folder := packageOptions{name: filepath.Join(dir, "out", "folder"), format: "folder", path: filepath.Join(dir, "bp"), signKey: priv, passwords: password("pw")}
	err = runPackage(context.Background(), folder, io.Discard, io.Discard, false)
	g.Expect(renderError(err)).To(ContainSubstring("--sign-key cannot sign --format folder: only --format file, --format layout and --publish outputs hold manifests to sign"))
	g.Expect(filepath.Join(dir, "out")).NotTo(BeADirectory())

	var stdout bytes.Buffer
	o.passwords = password("pw")
	g.Expect(runPackage(context.Background(), o, &stdout, io.Discard, false)).To(Succeed())
	g.Expect(stdout.String()).To(ContainSubstring("signed 1 manifest(s) with attestations https://cyclonedx.org/bom, https://slsa.dev/provenance/v1 in " + out + ".sig.json\n"))

	stdout.Reset()
	g.Expect(runVerify(context.Background(), verifyOptions{ref: out, key: pub, requireAttestations: true}, &stdout)).To(Succeed())
	g.Expect(stdout.String()).To(HavePrefix("Verified " + out + " (file) with key "))
	g.Expect(stdout.String()).To(ContainSubstring("Attestation https://cyclonedx.org/bom:\n  buildpack cli/signed@0.0.1\n    linux/amd64 layer sha256:"))
	g.Expect(stdout.String()).To(ContainSubstring("Attestation https://slsa.dev/provenance/v1:\n  builder https://github.com/cnbkit/cnbkit/cmd/cnbkit@"))
	g.Expect(stdout.String()).To(ContainSubstring("  input source of cli/signed@0.0.1 sha256:"))

	// Another key does not verify it.
	other := filepath.Join(t.TempDir(), "other")
	otherPEM, err := signtest.Key(t).Verifier().PublicKeyPEM()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(os.WriteFile(other+".pub", otherPEM, 0o644)).To(Succeed())
	err = runVerify(context.Background(), verifyOptions{ref: out, key: other + ".pub"}, io.Discard)
	g.Expect(err).To(MatchError(ContainSubstring("verifying " + out + ": no signature of sha256:")))
	g.Expect(renderError(err)).To(ContainSubstring("made with another key"))

	// A composite may require its .cnb component to be signed.
	writeFiles(t, filepath.Join(dir, "meta"), map[string]string{
		"buildpack.toml": "api = \"0.10\"\n[buildpack]\nid = \"cli/meta\"\nversion = \"0.0.1\"\n[[order]]\n[[order.group]]\nid = \"cli/signed\"\nversion = \"0.0.1\"\n",
		"package.toml":   "[buildpack]\nuri = \".\"\n[[dependencies]]\nuri = \"../out/signed.cnb\"\n",
	})
	meta := packageOptions{name: filepath.Join(dir, "meta.cnb"), path: filepath.Join(dir, "meta"), verifyKey: pub}
	g.Expect(runPackage(context.Background(), meta, io.Discard, io.Discard, false)).To(Succeed())
	meta.verifyKey = other + ".pub"
	err = runPackage(context.Background(), meta, io.Discard, io.Discard, false)
	g.Expect(err).To(MatchError(ContainSubstring(`dependency "../out/signed.cnb"`)))
	g.Expect(err).To(MatchError(ContainSubstring("must be signed by key")))
}

func TestPublishSigned(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	priv, pub := sharedKey(t)
	dir := t.TempDir()
	prebuilt(t, dir, "cli/pub", "0.0.1", "")
	ref := registrytest.Start(t) + "/cli/pub:0.0.1"
	var stdout bytes.Buffer
	o := packageOptions{name: ref, publish: true, path: dir, targets: []string{"linux/amd64", "linux/arm64"},
		signKey: priv, passwords: password("pw"), json: true}
	g.Expect(runPackage(context.Background(), o, &stdout, io.Discard, false)).To(Succeed())
	var res struct {
		Outputs []struct {
			Digest    string
			Signature struct{ Manifests []string }
		}
	}
	g.Expect(json.Unmarshal(stdout.Bytes(), &res)).To(Succeed())
	g.Expect(res.Outputs[0].Signature.Manifests).To(HaveLen(3))

	stdout.Reset()
	g.Expect(runVerify(context.Background(), verifyOptions{ref: ref, key: pub, json: true}, &stdout)).To(Succeed())
	var v struct {
		Manifests []struct {
			Digest, Platform string
			Signed           bool
		}
		Attestations []struct{ PredicateType string }
	}
	g.Expect(json.Unmarshal(stdout.Bytes(), &v)).To(Succeed())
	g.Expect(v.Manifests).To(HaveLen(3))
	g.Expect(v.Manifests[0].Digest).To(Equal(res.Outputs[0].Digest))
	g.Expect(v.Manifests[0].Platform).To(Equal("index"))
	g.Expect(v.Attestations).To(HaveLen(2))

	err := runVerify(context.Background(), verifyOptions{ref: strings.TrimSuffix(ref, "0.0.1") + "nope", key: pub}, io.Discard)
	g.Expect(err).To(HaveOccurred())
}
