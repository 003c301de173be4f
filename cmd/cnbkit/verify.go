package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cnbkit/cnbkit/packager"
)

func init() { registerCommand(newVerifyCmd) }

// verifyOptions are the flags of `cnbkit verify`.
type verifyOptions struct {
	ref                 string
	key                 string
	sidecar             string
	requireAttestations bool
	json                bool
	retries             int
}

func newVerifyCmd(*globalOptions) *cobra.Command {
	var o verifyOptions
	cmd := &cobra.Command{
		Use:   "verify <file.cnb|layout-dir|image-ref> --key <cosign.pub>",
		Short: "Check the signature and attestations of a buildpackage",
		Long: `Check that a buildpackage is signed with the key, and print what its attestations say.

For an image reference the signatures and attestations are read from the registry, where
cosign keeps them (<repo>:sha256-<hex>.sig and .att); for a .cnb file or an OCI layout from
its sidecar file <path>.sig.json, and every blob is checked against its digest.

The top manifest must carry a signature that verifies with the key: the image, or the index
of a multi-arch package (its images are covered by it), or every image of a .cnb file that
lists several. Attestations signed with the key are printed; those that do not verify with
it (another signer's) are ignored and counted. --require-attestations fails a package that
has no attestation signed with the key. The exit status is 1 when verification fails.`,
		Example: `  cnbkit verify registry.example.com/my-org/my-bp:1.0.0 --key cosign.pub
  cnbkit verify out/my-bp.cnb --key cosign.pub --require-attestations
  cnbkit verify out/layout --key cosign.pub --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ref = args[0]
			return runVerify(cmd.Context(), o, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.key, "key", "", "public key to verify with (cosign.pub)")
	f.StringVar(&o.sidecar, "sidecar", "", "signature bundle of a .cnb file or layout (default: <path>.sig.json)")
	f.BoolVar(&o.requireAttestations, "require-attestations", false, "fail when the package has no attestation signed with the key")
	f.BoolVar(&o.json, "json", false, "print the result as JSON")
	f.IntVar(&o.retries, "retries", packager.DefaultRetries, "how many times a failed registry request is retried (0: never)")
	_ = cmd.MarkFlagRequired("key")
	_ = cmd.MarkFlagFilename("key", "pub", "pem")
	return cmd
}

func runVerify(ctx context.Context, o verifyOptions, w io.Writer) error {
	v, err := loadVerifier(o.key)
	if err != nil {
		return err
	}
	res, err := packager.Verify(ctx, o.ref, packager.VerifyOptions{Verifier: v, RequireAttestations: o.requireAttestations,
		Sidecar: o.sidecar, Registry: packager.RegistryOptions{Retry: packager.Retries(o.retries)}})
	if err != nil {
		return err
	}
	if o.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Verified %s (%s) with %s\n", res.Source, res.Kind, v.Name())
	fmt.Fprintf(&b, "Signatures from %s:\n", res.SignaturesAt)
	for _, m := range res.Manifests {
		state := "signed"
		switch {
		case m.Signed && m.Identity != "":
			state += " for " + m.Identity
		case !m.Signed:
			state = "not signed by this key (covered by the index signature)"
		}
		fmt.Fprintf(&b, "  %s  %-12s %s\n", m.Digest, m.Platform, state)
	}
	if len(res.Attestations) == 0 {
		b.WriteString("No attestations signed with this key.\n")
	}
	if res.Unverified > 0 {
		fmt.Fprintf(&b, "%d attestation(s) not signed with this key were ignored.\n", res.Unverified)
	}
	for _, a := range res.Attestations {
		fmt.Fprintf(&b, "Attestation %s:\n", a.PredicateType)
		for _, line := range a.Summary() {
			fmt.Fprintf(&b, "  %s\n", line)
		}
	}
	_, err = io.WriteString(w, b.String())
	return err
}
