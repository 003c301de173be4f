package packager_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/internal/registrytest"
	"github.com/cnbkit/cnbkit/internal/signtest"
	"github.com/cnbkit/cnbkit/packager"
	"github.com/cnbkit/cnbkit/packager/sign"
)

// toolBuildpack is a buildpack for two targets that bundles one dependency per target.
func toolBuildpack(t *testing.T) (string, string) {
	t.Helper()
	srv, _ := artifactServer(t, map[string]string{"tool-amd64.tgz": "amd64 bytes", "tool-arm64.tgz": "arm64 bytes"})
	dir := t.TempDir()
	lic := "purl = \"pkg:generic/tool@1.0.0\"\n[[metadata.dependencies.licenses]]\ntype = \"MIT\"\n"
	writeTree(t, dir, bashBuildpack("d/tool", "1.0.0", linuxTargets+"\n[metadata]\n"+
		dep("tool", "1.0.0", srv.URL+"/tool-amd64.tgz", "amd64 bytes", "amd64")+lic+
		dep("tool", "1.0.0", srv.URL+"/tool-arm64.tgz", "arm64 bytes", "arm64")+lic))
	return dir, srv.URL
}

// signedWith is s signing what it writes with key.
func signedWith(t testing.TB, s packager.Sink, key sign.Signer) packager.Sink {
	t.Helper()
	signing, err := packager.Signing(s, packager.SignOptions{Signer: key})
	if err != nil {
		t.Fatal(err)
	}
	return signing
}

func attested(t *testing.T, v *packager.Verification, predicateType string) json.RawMessage {
	t.Helper()
	for _, a := range v.Attestations {
		if a.PredicateType == predicateType {
			return a.Predicate
		}
	}
	t.Fatalf("no %s attestation in %+v", predicateType, v.Attestations)
	return nil
}

func TestSignPublishedMultiArchPackage(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir, artifacts := toolBuildpack(t)
	p, err := packager.Build(ctx(t), packager.Options{Path: dir, IncludeDependencies: true})
	g.Expect(err).NotTo(HaveOccurred())
	defer p.Close()
	ref := registrytest.Start(t) + "/org/tool:1.0.0"
	key, other := signtest.Key(t), signtest.Key(t)
	out, err := one(signedWith(t, packager.RegistrySink{Ref: ref}, key).Write(ctx(t), p))
	g.Expect(err).NotTo(HaveOccurred())
	signed := out.Signature
	g.Expect(signed.Sidecar).To(BeEmpty())
	g.Expect(signed.Manifests).To(HaveLen(3), "the index and both images")
	g.Expect(signed.Manifests[0]).To(Equal(out.Digest))
	g.Expect(signed.PredicateTypes).To(Equal([]string{packager.SBOMPredicateType, packager.ProvenancePredicateType}))

	// cosign's layout: one .sig and one .att tag per manifest.
	repo, _ := name.NewRepository(strings.TrimSuffix(ref, ":1.0.0"))
	tags, err := remote.List(repo)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tags).To(HaveLen(7), "1.0.0 plus a .sig and an .att tag for each of 3 manifests: %v", tags)

	v, err := packager.Verify(ctx(t), ref, packager.VerifyOptions{Verifier: key.Verifier(), RequireAttestations: true})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v.Manifests).To(HaveLen(3))
	for _, m := range v.Manifests {
		g.Expect(m.Signed).To(BeTrue(), "%s signed", m.Digest)
		g.Expect(m.Identity).To(Equal(repo.Name()))
	}
	g.Expect(v.Manifests[0].Required).To(BeTrue())

	var bom cdx.BOM
	g.Expect(cdx.NewBOMDecoder(strings.NewReader(string(attested(t, v, packager.SBOMPredicateType))), cdx.BOMFileFormatJSON).Decode(&bom)).To(Succeed())
	g.Expect(bom.SpecVersion).To(Equal(cdx.SpecVersion1_6))
	var bp, amd64 *cdx.Component
	for i, c := range *bom.Components {
		switch {
		case c.Name == "d/tool" && c.Type == cdx.ComponentTypeApplication:
			bp = &(*bom.Components)[i]
		case c.Name == "tool" && (*c.Properties)[0].Value == "linux/amd64":
			amd64 = &(*bom.Components)[i]
		}
	}
	g.Expect(bp).NotTo(BeNil(), "the buildpack is listed")
	g.Expect(bp.Version).To(Equal("1.0.0"))
	g.Expect(*bp.Components).To(HaveLen(2), "one layer per target")
	diffIDs := map[string]bool{}
	for _, img := range p.Images {
		layers, _ := img.Image.Layers()
		d, _ := layers[0].DiffID()
		diffIDs[d.Hex] = true
	}
	for _, l := range *bp.Components {
		g.Expect(diffIDs).To(HaveKey((*l.Hashes)[0].Value), "layer hash is a diff ID of the images")
	}
	g.Expect(amd64).NotTo(BeNil(), "the amd64 artifact is listed")
	g.Expect(amd64.PackageURL).To(Equal("pkg:generic/tool@1.0.0"))
	g.Expect((*amd64.Hashes)[0].Value).To(Equal(sum("amd64 bytes")))
	g.Expect((*amd64.Licenses)[0].License.ID).To(Equal("MIT"))

	var prov struct {
		BuildDefinition struct {
			ResolvedDependencies []struct {
				Name   string
				URI    string
				Digest map[string]string
			}
		}
		RunDetails struct{ Builder struct{ ID string } }
	}
	g.Expect(json.Unmarshal(attested(t, v, packager.ProvenancePredicateType), &prov)).To(Succeed())
	g.Expect(prov.RunDetails.Builder.ID).To(HavePrefix("https://github.com/cnbkit/cnbkit/cmd/cnbkit@"))
	var uris []string
	for _, d := range prov.BuildDefinition.ResolvedDependencies {
		uris = append(uris, d.URI)
		g.Expect(d.Digest).To(HaveKey("sha256"))
	}
	g.Expect(uris).To(ContainElements(artifacts+"/tool-amd64.tgz", artifacts+"/tool-arm64.tgz"))

	// Publishing signed again adds nothing (same signatures), and another key's signature is
	// kept.
	for _, k := range []*sign.KeySigner{key, other} {
		_, err = signedWith(t, packager.RegistrySink{Ref: ref}, k).Write(ctx(t), p)
		g.Expect(err).NotTo(HaveOccurred())
	}
	layers, err := sign.Read(ctx(t), sign.SignatureTag(repo, mustHash(t, out.Digest)))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(layers).To(HaveLen(2))
	for _, k := range []*sign.KeySigner{key, other} {
		_, err := packager.Verify(ctx(t), ref, packager.VerifyOptions{Verifier: k.Verifier(), RequireAttestations: true})
		g.Expect(err).NotTo(HaveOccurred())
	}
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	p := builtBash(t, t.TempDir(), "d/one", "1.0.0")
	host := registrytest.Start(t)
	key := signtest.Key(t)

	unsigned := host + "/org/unsigned:1"
	_, err := one(packager.RegistrySink{Ref: unsigned}.Write(ctx(t), p))
	g.Expect(err).NotTo(HaveOccurred())
	_, err = packager.Verify(ctx(t), unsigned, packager.VerifyOptions{Verifier: key.Verifier()})
	g.Expect(errors.Is(err, sign.ErrNotSigned)).To(BeTrue(), "unsigned: %v", err)
	g.Expect(err.Error()).To(ContainSubstring("has no signature at " + host + "/org/unsigned"))

	signedRef := host + "/org/bp:1"
	out, err := one(signedWith(t, packager.RegistrySink{Ref: signedRef}, key).Write(ctx(t), p))
	g.Expect(err).NotTo(HaveOccurred())

	_, err = packager.Verify(ctx(t), signedRef, packager.VerifyOptions{Verifier: signtest.Key(t).Verifier()})
	g.Expect(err).To(MatchError(ContainSubstring("made with another key")), "wrong key")

	// The tag is moved to other content: its digest has no signature.
	img, err := random.Image(100, 1)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(remote.Write(mustTag(t, signedRef), img)).To(Succeed())
	_, err = packager.Verify(ctx(t), signedRef, packager.VerifyOptions{Verifier: key.Verifier()})
	g.Expect(errors.Is(err, sign.ErrNotSigned)).To(BeTrue(), "tampered manifest: %v", err)

	// The old signature copied to the new digest names the old digest.
	repo := mustTag(t, signedRef).Context()
	old, err := sign.Read(ctx(t), sign.SignatureTag(repo, mustHash(t, out.Digest)))
	g.Expect(err).NotTo(HaveOccurred())
	d, _ := img.Digest()
	g.Expect(sign.Append(ctx(t), sign.SignatureTag(repo, d), old)).To(Succeed())
	_, err = packager.Verify(ctx(t), signedRef, packager.VerifyOptions{Verifier: key.Verifier()})
	g.Expect(err).To(MatchError(ContainSubstring("signs " + out.Digest + ", not this manifest")))
}

func TestSignFilesAndLayouts(t *testing.T) {
	t.Parallel()
	dir, _ := toolBuildpack(t)
	p, err := packager.Build(ctx(t), packager.Options{Path: dir, IncludeDependencies: true})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { p.Close() })
	key := signtest.Key(t)
	tests := []struct {
		name string
		sink func(out string) packager.Sink
		// outputs is how many outputs are written, signed how many manifests each has signed.
		outputs, signed int
	}{
		{"file per target", func(out string) packager.Sink { return packager.FileSink{Name: filepath.Join(out, "tool.cnb")} }, 2, 1},
		{"multi-arch file", func(out string) packager.Sink {
			return packager.FileSink{Name: filepath.Join(out, "tool.cnb"), MultiArch: true}
		}, 1, 2},
		{"layout", func(out string) packager.Sink { return packager.LayoutSink{Dir: filepath.Join(out, "layout")} }, 1, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			s := signedWith(t, tc.sink(t.TempDir()), key)
			outs, err := s.Write(ctx(t), p)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(outs).To(HaveLen(tc.outputs))
			firsts := map[string][]byte{}
			for _, out := range outs {
				signed := out.Signature
				g.Expect(signed).NotTo(BeNil())
				g.Expect(signed.Sidecar).To(Equal(filepath.Clean(out.Location) + ".sig.json"))
				g.Expect(signed.Manifests).To(HaveLen(tc.signed))
				firsts[signed.Sidecar], err = os.ReadFile(signed.Sidecar)
				g.Expect(err).NotTo(HaveOccurred())
			}
			// Deterministic: writing and signing again gives the same bundle bytes.
			_, err = s.Write(ctx(t), p)
			g.Expect(err).NotTo(HaveOccurred())
			for _, out := range outs {
				signed := out.Signature
				again, _ := os.ReadFile(signed.Sidecar)
				g.Expect(again).To(Equal(firsts[signed.Sidecar]))

				v, err := packager.Verify(ctx(t), out.Location, packager.VerifyOptions{Verifier: key.Verifier(), RequireAttestations: true})
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(v.SignaturesAt).To(Equal(signed.Sidecar))
				g.Expect(v.Attestations).To(HaveLen(2))

				_, err = packager.Verify(ctx(t), out.Location, packager.VerifyOptions{Verifier: signtest.Key(t).Verifier()})
				g.Expect(err).To(MatchError(ContainSubstring("made with another key")))
			}
		})
	}
}

func TestVerifyDetectsAChangedFile(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	p := builtBash(t, t.TempDir(), "d/one", "1.0.0")
	key := signtest.Key(t)
	out := t.TempDir()
	layout := filepath.Join(out, "layout")
	_, err := signedWith(t, packager.LayoutSink{Dir: layout}, key).Write(ctx(t), p)
	g.Expect(err).NotTo(HaveOccurred())

	// Change a byte of the layer blob.
	img := p.Images[0].Image
	layers, _ := img.Layers()
	d, _ := layers[0].Digest()
	blob := filepath.Join(layout, "blobs", "sha256", d.Hex)
	data, err := os.ReadFile(blob)
	g.Expect(err).NotTo(HaveOccurred())
	data[len(data)/2] ^= 0xff
	g.Expect(os.WriteFile(blob, data, 0o644)).To(Succeed())
	_, err = packager.Verify(ctx(t), layout, packager.VerifyOptions{Verifier: key.Verifier()})
	g.Expect(err).To(MatchError(ContainSubstring("does not match its digests: the package was changed")))

	// No sidecar: not signed.
	g.Expect(os.Remove(layout + ".sig.json")).To(Succeed())
	o, err := one(packager.LayoutSink{Dir: layout}.Write(ctx(t), p))
	g.Expect(err).NotTo(HaveOccurred())
	_, err = packager.Verify(ctx(t), o.Location, packager.VerifyOptions{Verifier: key.Verifier()})
	g.Expect(errors.Is(err, sign.ErrNotSigned)).To(BeTrue(), "%v", err)
}

func TestVerifierRequiresSignedComponents(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	root := t.TempDir()
	key := signtest.Key(t)
	host := registrytest.Start(t)
	writeTree(t, filepath.Join(root, "one"), bashBuildpack("d/one", "1.0.0", ""))
	writeTree(t, filepath.Join(root, "two"), bashBuildpack("d/two", "1.0.0", ""))
	build := func(dir string) *packager.Package {
		p, err := packager.Build(ctx(t), packager.Options{Path: dir})
		g.Expect(err).NotTo(HaveOccurred())
		t.Cleanup(func() { p.Close() })
		return p
	}
	outs, err := packager.FileSink{Name: filepath.Join(root, "one.cnb")}.Write(ctx(t), build(filepath.Join(root, "one")))
	g.Expect(err).NotTo(HaveOccurred())
	two := build(filepath.Join(root, "two"))
	twoOut, err := one(packager.RegistrySink{Ref: host + "/org/two:1"}.Write(ctx(t), two))
	g.Expect(err).NotTo(HaveOccurred())

	writeTree(t, filepath.Join(root, "meta"), map[string]string{
		"buildpack.toml": "api = \"0.10\"\n[buildpack]\nid = \"d/meta\"\nversion = \"1.0.0\"\n[[order]]\n[[order.group]]\nid = \"d/one\"\nversion = \"1.0.0\"\n[[order.group]]\nid = \"d/two\"\nversion = \"1.0.0\"\n",
		"package.toml":   "[buildpack]\nuri = \".\"\n[[dependencies]]\nuri = \"../one.cnb\"\n[[dependencies]]\nuri = \"docker://" + host + "/org/two:1\"\n",
	})
	opts := packager.Options{Path: filepath.Join(root, "meta"), Verifier: key.Verifier()}
	_, err = packager.Build(ctx(t), opts)
	var verr *packager.ValidationError
	g.Expect(errors.As(err, &verr)).To(BeTrue(), "unsigned components: %v", err)
	g.Expect(verr.Problems).To(HaveLen(2))
	g.Expect(verr.Problems[0].Error()).To(ContainSubstring(`dependency "../one.cnb"`))
	g.Expect(verr.Problems[0].Error()).To(ContainSubstring("has no signature at " + filepath.Join(root, "one.cnb.sig.json")))

	_, err = signedWith(t, packager.FileSink{Name: outs[0].Location}, key).Write(ctx(t), build(filepath.Join(root, "one")))
	g.Expect(err).NotTo(HaveOccurred())
	_, err = signedWith(t, packager.RegistrySink{Ref: twoOut.Location}, key).Write(ctx(t), two)
	g.Expect(err).NotTo(HaveOccurred())
	p, err := packager.Build(ctx(t), opts)
	g.Expect(err).NotTo(HaveOccurred())
	p.Close()

	opts.Verifier = signtest.Key(t).Verifier()
	_, err = packager.Build(ctx(t), opts)
	g.Expect(err).To(MatchError(ContainSubstring("made with another key")))
}

func mustHash(t *testing.T, s string) v1Hash {
	t.Helper()
	h, err := parseHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func mustTag(t *testing.T, ref string) name.Tag {
	t.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

type v1Hash = v1.Hash

var parseHash = v1.NewHash

func TestProvenanceRecordsTheGitCommit(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := t.TempDir()
	writeTree(t, dir, bashBuildpack("d/git", "1.0.0", ""))
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		out, err := cmd.CombinedOutput()
		g.Expect(err).NotTo(HaveOccurred(), "git %v: %s", args, out)
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "bp")
	git("remote", "add", "origin", "https://user:token@git.example.com/org/bp.git")
	commit := git("rev-parse", "HEAD")
	key := signtest.Key(t)

	provenanceSource := func() map[string]any {
		p, err := packager.Build(ctx(t), packager.Options{Path: dir})
		g.Expect(err).NotTo(HaveOccurred())
		defer p.Close()
		out := filepath.Join(t.TempDir(), "bp.cnb")
		_, err = signedWith(t, packager.FileSink{Name: out}, key).Write(ctx(t), p)
		g.Expect(err).NotTo(HaveOccurred())
		v, err := packager.Verify(ctx(t), out, packager.VerifyOptions{Verifier: key.Verifier()})
		g.Expect(err).NotTo(HaveOccurred())
		var prov struct {
			BuildDefinition struct{ ResolvedDependencies []map[string]any }
		}
		g.Expect(json.Unmarshal(attested(t, v, packager.ProvenancePredicateType), &prov)).To(Succeed())
		for _, d := range prov.BuildDefinition.ResolvedDependencies {
			if d["name"] == "source of d/git@1.0.0" {
				return d
			}
		}
		t.Fatalf("no source input in %v", prov.BuildDefinition.ResolvedDependencies)
		return nil
	}
	src := provenanceSource()
	g.Expect(src["uri"]).To(Equal("git+https://git.example.com/org/bp.git@"+commit), "credentials are dropped")
	g.Expect(src["digest"]).To(HaveKeyWithValue("gitCommit", commit))
	g.Expect(src["annotations"]).To(HaveKeyWithValue("dirty", false))

	writeTree(t, dir, map[string]string{"README.md": "changed\n"})
	src = provenanceSource()
	g.Expect(src["annotations"]).To(HaveKeyWithValue("dirty", true))
}

func TestChangedAttestationsAreIgnoredUnlessRequired(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	p := builtBash(t, t.TempDir(), "d/att", "1.0.0")
	key := signtest.Key(t)
	outs, err := signedWith(t, packager.FileSink{Name: filepath.Join(t.TempDir(), "att.cnb")}, key).Write(ctx(t), p)
	g.Expect(err).NotTo(HaveOccurred())
	signed := outs[0].Signature

	// Rewrite the SBOM statement inside its envelope, keeping the signature.
	b, err := sign.ReadBundle(signed.Sidecar)
	g.Expect(err).NotTo(HaveOccurred())
	att := &b.Manifests[0].Attestations[0]
	var env sign.Envelope
	g.Expect(json.Unmarshal(att.Payload, &env)).To(Succeed())
	env.Payload = []byte(strings.Replace(string(env.Payload), "d/att", "d/evil", 1))
	att.Payload, err = json.Marshal(env)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(b.Write(signed.Sidecar)).To(Succeed())

	v, err := packager.Verify(ctx(t), outs[0].Location, packager.VerifyOptions{Verifier: key.Verifier()})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v.Unverified).To(Equal(1))
	g.Expect(v.Attestations).To(HaveLen(1))
	g.Expect(v.Attestations[0].PredicateType).To(Equal(packager.ProvenancePredicateType))

	// Remove the provenance too: nothing attested with the key is left.
	b.Manifests[0].Attestations = b.Manifests[0].Attestations[:1]
	g.Expect(b.Write(signed.Sidecar)).To(Succeed())
	_, err = packager.Verify(ctx(t), outs[0].Location, packager.VerifyOptions{Verifier: key.Verifier(), RequireAttestations: true})
	g.Expect(err).To(MatchError(ContainSubstring("no attestation of " + outs[0].Digest)))
	g.Expect(err).To(MatchError(ContainSubstring("attestation 1: the signature does not verify with key")))
}

func TestSignTwoPackagesInOneLayout(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	key := signtest.Key(t)
	layout := filepath.Join(t.TempDir(), "layout")
	for _, id := range []string{"d/one", "d/two"} {
		p := builtBash(t, t.TempDir(), id, "1.0.0")
		_, err := signedWith(t, packager.LayoutSink{Dir: layout}, key).Write(ctx(t), p)
		g.Expect(err).NotTo(HaveOccurred())
	}
	b, err := sign.ReadBundle(layout + ".sig.json")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(b.Manifests).To(HaveLen(2), "both packages' entries are kept")
	v, err := packager.Verify(ctx(t), layout, packager.VerifyOptions{Verifier: key.Verifier(), RequireAttestations: true})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v.Manifests).To(HaveLen(2))
	for _, m := range v.Manifests {
		g.Expect(m.Required && m.Signed).To(BeTrue(), "%+v", m)
	}
}
