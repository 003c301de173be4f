package packager

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/cnbkit/cnbkit/packager/internal/attest"
	"github.com/cnbkit/cnbkit/packager/internal/format"
	"github.com/cnbkit/cnbkit/packager/internal/source"
	"github.com/cnbkit/cnbkit/packager/sign"
	"github.com/cnbkit/cnbkit/sdk/dependency"
)

// Predicate types of the attestations Sign attaches.
const (
	SBOMPredicateType       = attest.SBOMPredicateType
	ProvenancePredicateType = attest.ProvenancePredicateType
)

// bundledDep is a dependency bundled into the layer of a buildpack.
type bundledDep struct {
	module string // id@version
	dep    dependency.Dependency
}

// SignOptions say how Signing signs.
type SignOptions struct {
	// Signer signs (required): a *sign.KeySigner, or another sign.Signer.
	Signer sign.Signer
}

// Signed says what Signing attached to an output.
type Signed struct {
	// Location is the output signed; Sidecar the bundle file written next to a .cnb file or
	// layout (empty for images: signatures go to the registry).
	Location string `json:"location"`
	Sidecar  string `json:"sidecar,omitempty"`
	// Manifests are the digests signed and attested: the image, or the index and each image.
	Manifests []string `json:"manifests"`
	// PredicateTypes are those of the attestations attached.
	PredicateTypes []string `json:"predicateTypes"`
}

// signableSink is a sink whose outputs can carry signatures: it says where they go.
type signableSink interface {
	Sink
	signatures(out Output) (signatureStore, error)
}

// signingSink signs what its sink writes.
type signingSink struct {
	sink   signableSink
	signer sign.Signer
}

// Signing returns a sink that writes with s, then signs each output and attaches two
// attestations to it: a CycloneDX SBOM of the package and SLSA provenance v1. s is a
// FileSink, LayoutSink or RegistrySink (or one NewSink returned for them); a folder holds
// no manifest to sign and is refused, as is a missing Signer, with an *OptionError.
//
// For an image the signature goes to the registry at <repo>:sha256-<hex>.sig and the
// attestations to <repo>:sha256-<hex>.att, as cosign keeps them, for the index and each
// image of a multi-arch package; signatures and attestations already there are kept. For a
// .cnb file or a layout they go to the sidecar file <out>.sig.json (see sign.Bundle), which
// keeps the entries of other signers, and for a layout those of the other packages it holds.
// Output.Signature says what was attached.
func Signing(s Sink, o SignOptions) (Sink, error) {
	if o.Signer == nil {
		return nil, &OptionError{Option: "SignOptions.Signer", Reason: "is not set: give the key to sign with"}
	}
	ss, ok := s.(signableSink)
	if !ok {
		what := fmt.Sprintf("a %T", s)
		if _, folder := s.(FolderSink); folder {
			what = "FormatFolder"
		}
		return nil, &OptionError{Option: "SignOptions.Signer", Reason: fmt.Sprintf(
			"cannot sign %s: only FormatFile, FormatLayout and FormatImage outputs hold manifests to sign; a folder is packaged by another tool, which signs what it makes", what)}
	}
	return signingSink{sink: ss, signer: o.Signer}, nil
}

// Write writes with the wrapped sink, then signs each output.
func (s signingSink) Write(ctx context.Context, p *Package) ([]Output, error) {
	outs, err := s.sink.Write(ctx, p)
	if err != nil {
		return outs, err
	}
	for i := range outs {
		st, err := s.sink.signatures(outs[i])
		if err != nil {
			return outs, err
		}
		signed, err := p.sign(ctx, outs[i], st, s.signer)
		if err != nil {
			return outs, err
		}
		outs[i].Signature = &signed
	}
	return outs, nil
}

// sign signs out and attaches the attestations where st keeps them.
func (p *Package) sign(ctx context.Context, out Output, st signatureStore, signer sign.Signer) (Signed, error) {
	digests, subjects, err := p.signedManifests(out, st)
	if err != nil {
		return Signed{}, err
	}
	atts, types, err := p.attestations(ctx, signer, st.identity(), subjects)
	if err != nil {
		return Signed{}, err
	}
	signed := Signed{Location: out.Location, PredicateTypes: types}
	var sigs []sign.Layer
	for _, d := range digests {
		sig, err := sign.SignManifest(ctx, signer, st.identity(), d)
		if err != nil {
			return Signed{}, err
		}
		sigs = append(sigs, sig)
		signed.Manifests = append(signed.Manifests, d.String())
	}
	if err := st.put(ctx, digests, sigs, atts); err != nil {
		return Signed{}, fmt.Errorf("signing %s: %w", out.Location, err)
	}
	signed.Sidecar = st.sidecar()
	return signed, nil
}

// signedManifests returns the digests signed for out and the attestation subjects: the
// image of one target; else the index, when st stores one, and each image.
func (p *Package) signedManifests(out Output, st signatureStore) ([]v1.Hash, []sign.Subject, error) {
	top, err := v1.NewHash(out.Digest)
	if err != nil {
		return nil, nil, fmt.Errorf("signing %s: digest %q: %w", out.Location, out.Digest, err)
	}
	subjectName := st.subject()
	var digests []v1.Hash
	var subjects []sign.Subject
	add := func(d v1.Hash, name string) {
		digests = append(digests, d)
		subjects = append(subjects, sign.Subject{Name: name, Digest: map[string]string{d.Algorithm: d.Hex}})
	}
	var images []v1.Hash
	for _, img := range p.Images {
		d, err := img.Image.Digest()
		if err != nil {
			return nil, nil, err
		}
		if d == top {
			add(d, subjectName)
			return digests, subjects, nil
		}
		images = append(images, d)
	}
	if st.storesIndex() {
		add(top, subjectName)
	}
	for i, img := range p.Images {
		add(images[i], subjectName+"#"+img.Target.String())
	}
	return digests, subjects, nil
}

// attestations signs the SBOM and provenance statements once; every signed manifest gets
// the same two layers (each statement names all of them).
func (p *Package) attestations(ctx context.Context, s sign.Signer, identity string, subjects []sign.Subject) ([]sign.Layer, []string, error) {
	a, err := p.describe(ctx)
	if err != nil {
		return nil, nil, err
	}
	sbom, err := attest.SBOM(a)
	if err != nil {
		return nil, nil, err
	}
	prov, err := attest.Provenance(a)
	if err != nil {
		return nil, nil, err
	}
	var layers []sign.Layer
	var types []string
	for _, st := range []sign.Statement{
		{Subject: subjects, PredicateType: attest.SBOMPredicateType, Predicate: sbom},
		{Subject: subjects, PredicateType: attest.ProvenancePredicateType, Predicate: prov},
	} {
		l, err := sign.Attest(ctx, s, st)
		if err != nil {
			return nil, nil, fmt.Errorf("attesting %s: %w", identity, err)
		}
		layers = append(layers, l)
		types = append(types, st.PredicateType)
	}
	return layers, types, nil
}

// describe gathers what the attestations say about the package.
func (p *Package) describe(ctx context.Context) (attest.Package, error) {
	a := attest.Package{ID: p.ID, Version: p.Version, BuilderVersion: builderVersion(), GoVersion: runtime.Version()}
	byKey := map[string]*attest.Buildpack{}
	var keys []string
	for _, img := range p.Images {
		target := img.Target.String()
		a.Targets = append(a.Targets, target)
		cfg, err := img.Image.ConfigFile()
		if err != nil {
			return a, fmt.Errorf("reading the image config for %s: %w", target, err)
		}
		meta, labels, err := format.Labels(cfg)
		if err != nil {
			return a, err
		}
		if a.Name == "" {
			a.Name = meta.Name
		}
		m, err := img.Image.Manifest()
		if err != nil {
			return a, err
		}
		blobs := map[string]string{}
		for i, d := range cfg.RootFS.DiffIDs {
			if i < len(m.Layers) {
				blobs[d.String()] = m.Layers[i].Digest.String()
			}
		}
		for id, versions := range labels {
			for v, info := range versions {
				k := id + "@" + v
				b, ok := byKey[k]
				if !ok {
					b = &attest.Buildpack{ID: id, Version: v, Name: info.Name, API: info.API, Homepage: info.Homepage}
					byKey[k] = b
					keys = append(keys, k)
				}
				b.Targets = append(b.Targets, target)
				b.Layers = append(b.Layers, attest.Layer{Target: target, DiffID: info.LayerDiffID, Digest: blobs[info.LayerDiffID]})
			}
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		a.Buildpacks = append(a.Buildpacks, *byKey[k])
	}
	for _, b := range p.bundled {
		d := b.dep
		ad := attest.Dependency{Buildpack: b.module, Target: d.Target.String(), ID: d.ID, Name: d.Name, Version: d.Version,
			PURL: d.PURL, URI: d.URI, SHA256: d.SHA256, CPEs: d.CPEs}
		for _, l := range d.Licenses {
			ad.Licenses = append(ad.Licenses, attest.License{Type: l.Type, URI: l.URI})
		}
		a.Dependencies = append(a.Dependencies, ad)
	}
	sort.SliceStable(a.Dependencies, func(i, j int) bool {
		x, y := a.Dependencies[i], a.Dependencies[j]
		if x.Buildpack != y.Buildpack {
			return x.Buildpack < y.Buildpack
		}
		if x.ID != y.ID {
			return x.ID < y.ID
		}
		return x.SHA256 < y.SHA256
	})
	inputs, err := p.inputs(ctx)
	if err != nil {
		return a, err
	}
	a.Inputs = inputs
	a.Parameters = p.parameters()
	return a, nil
}

// inputs are the resolved dependencies of the provenance: each buildpack folder (a digest
// of the files packaged, and the git commit when the folder is a clean git checkout), each
// package.toml, each component package and each bundled artifact.
func (p *Package) inputs(ctx context.Context) ([]attest.Input, error) {
	var out []attest.Input
	seenPkg := map[*source.Package]bool{}
	for _, m := range p.modules {
		switch {
		case m.dir != "":
			in, err := sourceInput(ctx, m)
			if err != nil {
				return nil, err
			}
			out = append(out, in)
			if m.config != "" {
				data, err := os.ReadFile(m.config)
				if err != nil {
					return nil, fmt.Errorf("reading %s: %w", m.config, err)
				}
				sum := sha256.Sum256(data)
				out = append(out, attest.Input{Name: "package.toml of " + m.key(), Digest: map[string]string{"sha256": hex.EncodeToString(sum[:])},
					Annotations: map[string]any{"path": filepath.ToSlash(relPath(m.config))}})
			}
		case m.pkg != nil && !seenPkg[m.pkg]:
			seenPkg[m.pkg] = true
			in, err := packageInput(m.pkg)
			if err != nil {
				return nil, err
			}
			out = append(out, in)
		}
	}
	seen := map[string]bool{}
	for _, b := range p.bundled {
		k := b.dep.SHA256 + b.dep.URI
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, attest.Input{Name: b.dep.ID + "@" + b.dep.Version + " (" + b.dep.Target.String() + ")", URI: b.dep.URI,
			Digest: map[string]string{"sha256": b.dep.SHA256}})
	}
	return out, nil
}

// sourceInput describes a buildpack folder: the sha256 of a listing of the packaged files
// ("<sha256 of content or link target>  <mode>  <path>" lines, sorted by path) and, for a
// clean git checkout, the commit.
func sourceInput(ctx context.Context, m *module) (attest.Input, error) {
	h := sha256.New()
	files := append([]sourceFile(nil), filesOf(m)...)
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	for _, f := range files {
		sum, err := f.sum()
		if err != nil {
			return attest.Input{}, fmt.Errorf("hashing %s of %s: %w", f.path, m.key(), err)
		}
		fmt.Fprintf(h, "%s  %s  %s\n", sum, f.kind, f.path)
	}
	in := attest.Input{Name: "source of " + m.key(), Digest: map[string]string{"sha256": hex.EncodeToString(h.Sum(nil))},
		Annotations: map[string]any{"path": filepath.ToSlash(relPath(m.dir))}}
	if commit, remote, dirty, ok := gitState(ctx, m.dir); ok {
		in.Digest["gitCommit"] = commit
		in.Annotations["dirty"] = dirty
		if remote != "" {
			in.URI = "git+" + remote + "@" + commit
		}
	}
	return in, nil
}

type sourceFile struct {
	path, kind, source, link string
}

func (f sourceFile) sum() (string, error) {
	if f.kind == "link" {
		s := sha256.Sum256([]byte(f.link))
		return hex.EncodeToString(s[:]), nil
	}
	r, err := os.Open(f.source)
	if err != nil {
		return "", err
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func filesOf(m *module) []sourceFile {
	var out []sourceFile
	for _, e := range m.files {
		switch {
		case e.Mode.IsDir():
			continue
		case e.Link != "":
			out = append(out, sourceFile{path: e.Path, kind: "link", link: e.Link})
		case e.Mode&0o111 != 0:
			out = append(out, sourceFile{path: e.Path, kind: "exec", source: e.Source})
		default:
			out = append(out, sourceFile{path: e.Path, kind: "file", source: e.Source})
		}
	}
	return out
}

// gitState returns the HEAD commit of the git checkout holding dir, its origin URL
// without credentials, and whether dir has uncommitted changes. ok is false when dir is
// not in a git checkout or git is not installed.
func gitState(ctx context.Context, dir string) (commit, remote string, dirty, ok bool) {
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
		var out bytes.Buffer
		cmd.Stdout = &out
		err := cmd.Run()
		return strings.TrimSpace(out.String()), err
	}
	commit, err := run("rev-parse", "--verify", "HEAD")
	if err != nil || commit == "" {
		return "", "", false, false
	}
	status, err := run("status", "--porcelain", "--", ".")
	if err != nil {
		return "", "", false, false
	}
	if u, err := run("remote", "get-url", "origin"); err == nil && u != "" {
		remote = stripCredentials(u)
	}
	return commit, remote, status != "", true
}

// stripCredentials drops user:password@ from a URL.
func stripCredentials(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 && at < strings.IndexAny(rest+"/", "/") {
		rest = rest[at+1:]
	}
	return scheme + "://" + rest
}

// packageInput describes a component package: its manifest digest, or for a .cnb file the
// sha256 of the file.
func packageInput(sp *source.Package) (attest.Input, error) {
	in := attest.Input{Name: "component " + sp.Name, Digest: map[string]string{}}
	if sp.Kind == source.KindRegistry {
		in.URI = "docker://" + strings.TrimPrefix(sp.Name, "docker://")
	} else {
		in.Annotations = map[string]any{"path": filepath.ToSlash(relPath(sp.Name))}
	}
	if sp.Kind == source.KindFile {
		f, err := os.Open(sp.Name)
		if err != nil {
			return in, err
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return in, fmt.Errorf("hashing %s: %w", sp.Name, err)
		}
		in.Digest["sha256"] = hex.EncodeToString(h.Sum(nil))
		return in, nil
	}
	if sp.Digest.Hex != "" {
		in.Digest[sp.Digest.Algorithm] = sp.Digest.Hex
		return in, nil
	}
	for _, img := range sp.Images {
		in.Digest["sha256:"+source.PlatformString(img.Platform)] = img.Digest.Hex
	}
	return in, nil
}

// parameters are the options that shaped the package.
func (p *Package) parameters() map[string]any {
	o := p.opts
	params := map[string]any{"buildpack": p.ID + "@" + p.Version}
	var targets []string
	for _, img := range p.Images {
		targets = append(targets, img.Target.String())
	}
	params["targets"] = targets
	if o.IncludeDependencies {
		params["includeDependencies"] = true
	}
	if len(o.DependencyFilter) > 0 {
		params["dependencyFilter"] = o.DependencyFilter
	}
	if o.Inventory != "" {
		params["dependencies"] = filepath.ToSlash(relPath(o.Inventory))
		params["dependenciesMode"] = string(o.inventoryMode())
	}
	if len(o.Exclude) > 0 {
		params["exclude"] = o.Exclude
	}
	if len(o.Include) > 0 {
		params["include"] = o.Include
	}
	return params
}

// builderVersion is the version of the cnbkit module in the running program's build info.
func builderVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	const mod = "github.com/cnbkit/cnbkit"
	version := ""
	if bi.Main.Path == mod {
		version = bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == mod {
			version = d.Version
		}
	}
	if version == "" || version == "(devel)" {
		return "devel"
	}
	return version
}
