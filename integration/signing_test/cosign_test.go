package signingtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/internal/cosigntool"
	"github.com/cnbkit/cnbkit/integration/internal/distribution"
	"github.com/cnbkit/cnbkit/integration/internal/sbomcheck"
	"github.com/cnbkit/cnbkit/internal/gocmd"
)

// tools are the binaries and the environment the commands run with.
type tools struct {
	t      *testing.T
	ctx    context.Context
	cosign string
	cnbkit string
	env    []string
	root   string // the cnbkit repository
	// trustedRoot is an empty sigstore trusted root: given to cosign verify, it stops cosign
	// from fetching the public-good one over the network (there is none here).
	trustedRoot string
}

func setup(t *testing.T) *tools {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	t.Cleanup(cancel)
	cosign, err := cosigntool.Binary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	goBin, err := gocmd.Path()
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	// Built in the cnbkit module, whose go.mod has the CLI's dependencies.
	bin := filepath.Join(t.TempDir(), "cnbkit")
	build := exec.CommandContext(ctx, goBin, "build", "-o", bin, "./cmd/cnbkit")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building cnbkit: %v\n%s", err, out)
	}
	// A home of the test's own for cosign and the Docker configuration; the Go caches stay the
	// machine's, or every `cnbkit package` would compile the buildpacks from nothing.
	caches, err := exec.CommandContext(ctx, goBin, "env", "GOCACHE", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	goCache, goModCache, _ := strings.Cut(strings.TrimSpace(string(caches)), "\n")
	home := t.TempDir()
	env := append(os.Environ(), "HOME="+home, "DOCKER_CONFIG="+filepath.Join(home, "docker"), "COSIGN_PASSWORD=s3cret", "NO_COLOR=1",
		"GOCACHE="+goCache, "GOMODCACHE="+goModCache)
	trustedRoot := filepath.Join(home, "trusted_root.json")
	if err := os.WriteFile(trustedRoot, []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return &tools{t: t, ctx: ctx, cosign: cosign, cnbkit: bin, env: env, root: root, trustedRoot: trustedRoot}
}

// run runs a command in dir and returns its standard output and error; it logs the command
// line and what it printed, which the closing note of the feature quotes.
func (x *tools) run(dir, bin string, args ...string) (string, string, error) {
	x.t.Helper()
	cmd := exec.CommandContext(x.ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = x.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	x.t.Logf("$ %s %s\n%s%s(exit: %v)", filepath.Base(bin), strings.Join(args, " "), stdout.String(), stderr.String(), err)
	return stdout.String(), stderr.String(), err
}

func (x *tools) mustRun(dir, bin string, args ...string) string {
	x.t.Helper()
	out, errOut, err := x.run(dir, bin, args...)
	if err != nil {
		x.t.Fatalf("%s %s: %v\n%s%s", filepath.Base(bin), strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func (x *tools) cosignVerify(dir, key, ref string) (string, string, error) {
	return x.run(dir, x.cosign, "verify", "--key", key, "--insecure-ignore-tlog=true", "--allow-http-registry=true", "--trusted-root", x.trustedRoot, ref)
}

func (x *tools) cosignVerifyAttestation(dir, key, typ, ref string) (string, string, error) {
	return x.run(dir, x.cosign, "verify-attestation", "--key", key, "--type", typ, "--insecure-ignore-tlog=true", "--allow-http-registry=true", "--trusted-root", x.trustedRoot, ref)
}

// statement decodes the in-toto statement of the first DSSE envelope cosign printed.
func statement(t *testing.T, out string) map[string]any {
	t.Helper()
	line, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	var env struct{ PayloadType, Payload string }
	if err := json.Unmarshal([]byte(line), &env); err != nil {
		t.Fatalf("cosign verify-attestation printed no envelope: %v\n%s", err, out)
	}
	raw, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestCosignAcceptsWhatCnbkitPublishes(t *testing.T) {
	g := NewWithT(t)
	x := setup(t)
	host := distribution.Start(t, false)
	work := t.TempDir()

	// A key pair made by cnbkit, in cosign's format.
	x.mustRun(work, x.cnbkit, "key", "generate")
	g.Expect(filepath.Join(work, "cosign.key")).To(BeAnExistingFile())

	// The reference composite, for two targets: an image index and two images.
	ref := host + "/buildpacks/python-ffmpeg:1.0.0"
	out := x.mustRun(work, x.cnbkit, "package", ref, "--publish", "--path", filepath.Join(x.root, "buildpacks", "python-ffmpeg"), "--sign-key", "cosign.key")
	g.Expect(out).To(ContainSubstring("signed 3 manifest(s) with attestations https://cyclonedx.org/bom, https://slsa.dev/provenance/v1 in the registry"))
	index, err := crane.Digest(ref, crane.Insecure)
	g.Expect(err).NotTo(HaveOccurred())
	manifest, err := crane.Manifest(ref, crane.Insecure)
	g.Expect(err).NotTo(HaveOccurred())
	var idx struct{ Manifests []struct{ Digest string } }
	g.Expect(json.Unmarshal(manifest, &idx)).To(Succeed())
	g.Expect(idx.Manifests).To(HaveLen(2))

	t.Run("cosign verify", func(t *testing.T) {
		g := NewWithT(t)
		for _, r := range []string{ref, host + "/buildpacks/python-ffmpeg@" + idx.Manifests[0].Digest, host + "/buildpacks/python-ffmpeg@" + idx.Manifests[1].Digest} {
			out, errOut, err := x.cosignVerify(work, "cosign.pub", r)
			g.Expect(err).NotTo(HaveOccurred(), "cosign verify %s: %s", r, errOut)
			g.Expect(errOut).To(ContainSubstring("The signatures were verified against the specified public key"))
			var payloads []struct {
				Critical struct {
					Identity struct {
						DockerReference string `json:"docker-reference"`
					}
					Image struct {
						DockerManifestDigest string `json:"docker-manifest-digest"`
					}
				}
			}
			g.Expect(json.Unmarshal([]byte(out), &payloads)).To(Succeed())
			g.Expect(payloads).To(HaveLen(1))
			g.Expect(payloads[0].Critical.Identity.DockerReference).To(Equal(host + "/buildpacks/python-ffmpeg"))
			if r == ref {
				g.Expect(payloads[0].Critical.Image.DockerManifestDigest).To(Equal(index))
			}
		}
	})

	t.Run("cosign verify-attestation", func(t *testing.T) {
		g := NewWithT(t)
		out, errOut, err := x.cosignVerifyAttestation(work, "cosign.pub", "cyclonedx", ref)
		g.Expect(err).NotTo(HaveOccurred(), errOut)
		st := statement(t, out)
		g.Expect(st).To(HaveKeyWithValue("predicateType", "https://cyclonedx.org/bom"))
		bom := st["predicate"].(map[string]any)
		g.Expect(bom).To(HaveKeyWithValue("bomFormat", "CycloneDX"))
		// The attested SBOM is valid against the official CycloneDX schema.
		v, err := sbomcheck.Default(x.ctx)
		g.Expect(err).NotTo(HaveOccurred())
		raw, err := json.Marshal(bom)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(v.CycloneDX(raw)).To(Succeed())
		var names []string
		for _, c := range bom["components"].([]any) {
			names = append(names, c.(map[string]any)["name"].(string))
		}
		g.Expect(names).To(ContainElements("cnbkit/python", "cnbkit/ffmpeg", "cnbkit/python-ffmpeg"))

		out, errOut, err = x.cosignVerifyAttestation(work, "cosign.pub", "slsaprovenance1", ref)
		g.Expect(err).NotTo(HaveOccurred(), errOut)
		st = statement(t, out)
		g.Expect(st).To(HaveKeyWithValue("predicateType", "https://slsa.dev/provenance/v1"))
		g.Expect(st["subject"]).To(HaveLen(3), "the index and both images")
		run := st["predicate"].(map[string]any)["runDetails"].(map[string]any)
		g.Expect(run["builder"].(map[string]any)["id"]).To(HavePrefix("https://github.com/cnbkit/cnbkit/cmd/cnbkit@"))

		// Per image too.
		_, errOut, err = x.cosignVerifyAttestation(work, "cosign.pub", "cyclonedx", host+"/buildpacks/python-ffmpeg@"+idx.Manifests[1].Digest)
		g.Expect(err).NotTo(HaveOccurred(), errOut)
	})

	t.Run("cnbkit verify", func(t *testing.T) {
		g := NewWithT(t)
		out := x.mustRun(work, x.cnbkit, "verify", ref, "--key", "cosign.pub", "--require-attestations")
		g.Expect(out).To(ContainSubstring("Verified " + ref + " (registry)"))
		g.Expect(out).To(ContainSubstring("buildpack cnbkit/python-ffmpeg@"))
	})

	// A key cosign made: it does not verify cnbkit's signature, and cnbkit signs with it.
	other := t.TempDir()
	x.mustRun(other, x.cosign, "generate-key-pair")

	t.Run("wrong key", func(t *testing.T) {
		g := NewWithT(t)
		_, errOut, err := x.cosignVerify(other, "cosign.pub", ref)
		g.Expect(err).To(HaveOccurred())
		g.Expect(errOut).To(ContainSubstring("no matching signatures"))
		_, errOut, err = x.cosignVerifyAttestation(other, "cosign.pub", "cyclonedx", ref)
		g.Expect(err).To(HaveOccurred())
		g.Expect(errOut).To(ContainSubstring("no matching attestations"))
		_, errOut, err = x.run(other, x.cnbkit, "verify", ref, "--key", "cosign.pub")
		g.Expect(err).To(HaveOccurred())
		g.Expect(errOut).To(ContainSubstring("made with another key"))
	})

	t.Run("missing signature", func(t *testing.T) {
		g := NewWithT(t)
		unsigned := host + "/buildpacks/unsigned:1.0.0"
		x.mustRun(work, x.cnbkit, "package", unsigned, "--publish", "--path", filepath.Join(x.root, "buildpacks", "python-ffmpeg"))
		_, errOut, err := x.cosignVerify(work, "cosign.pub", unsigned)
		g.Expect(err).To(HaveOccurred())
		g.Expect(errOut).To(ContainSubstring("no signatures found"))
		_, errOut, err = x.run(work, x.cnbkit, "verify", unsigned, "--key", "cosign.pub")
		g.Expect(err).To(HaveOccurred())
		g.Expect(errOut).To(ContainSubstring("has no signature at " + host + "/buildpacks/unsigned"))
	})

	t.Run("tampered manifest", func(t *testing.T) {
		g := NewWithT(t)
		tampered := host + "/buildpacks/tampered:1.0.0"
		x.mustRun(work, x.cnbkit, "package", tampered, "--publish", "--path", filepath.Join(x.root, "buildpacks", "python-ffmpeg"), "--sign-key", "cosign.key")
		// Change the index (an annotation) and push it to the same tag.
		r, err := name.ParseReference(tampered, name.Insecure)
		g.Expect(err).NotTo(HaveOccurred())
		idx, err := remote.Index(r)
		g.Expect(err).NotTo(HaveOccurred())
		changed := mutate.Annotations(idx, map[string]string{"changed": "yes"}).(v1.ImageIndex)
		g.Expect(remote.WriteIndex(r, changed)).To(Succeed())
		_, errOut, err := x.cosignVerify(work, "cosign.pub", tampered)
		g.Expect(err).To(HaveOccurred())
		g.Expect(errOut).To(ContainSubstring("no signatures found"))
		_, errOut, err = x.run(work, x.cnbkit, "verify", tampered, "--key", "cosign.pub")
		g.Expect(err).To(HaveOccurred())
		g.Expect(errOut).To(ContainSubstring("has no signature"))
	})

	t.Run("cosign key signs with cnbkit, and both signatures are kept", func(t *testing.T) {
		g := NewWithT(t)
		both := host + "/buildpacks/both:1.0.0"
		x.mustRun(other, x.cnbkit, "package", both, "--publish", "--path", filepath.Join(x.root, "buildpacks", "python-ffmpeg"), "--target", "linux/amd64", "--sign-key", "cosign.key")
		_, errOut, err := x.cosignVerify(other, "cosign.pub", both)
		g.Expect(err).NotTo(HaveOccurred(), errOut)
		// cosign adds a signature with cnbkit's key next to cnbkit's with cosign's key.
		x.mustRun(work, x.cosign, "sign", "--key", "cosign.key", "--tlog-upload=false", "--allow-http-registry=true", "--yes", both)
		for _, dir := range []string{work, other} {
			_, errOut, err := x.cosignVerify(dir, "cosign.pub", both)
			g.Expect(err).NotTo(HaveOccurred(), errOut)
			x.mustRun(dir, x.cnbkit, "verify", both, "--key", "cosign.pub")
		}
		// The attestations were made with cosign's key only.
		out := x.mustRun(work, x.cnbkit, "verify", both, "--key", "cosign.pub")
		g.Expect(out).To(ContainSubstring("No attestations signed with this key.\n2 attestation(s) not signed with this key were ignored.\n"))
		_, errOut, err = x.run(work, x.cnbkit, "verify", both, "--key", "cosign.pub", "--require-attestations")
		g.Expect(err).To(HaveOccurred())
		g.Expect(errOut).To(ContainSubstring("no attestation of "))
		// cnbkit signing again keeps cosign's signature.
		x.mustRun(other, x.cnbkit, "package", both, "--publish", "--path", filepath.Join(x.root, "buildpacks", "python-ffmpeg"), "--target", "linux/amd64", "--sign-key", "cosign.key")
		_, errOut, err = x.cosignVerify(work, "cosign.pub", both)
		g.Expect(err).NotTo(HaveOccurred(), errOut)
	})
}
