package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/cnbkit/cnbkit/packager/sign"
)

func init() { registerCommand(newKeyCmd) }

// keyGenerateOptions are the flags of `cnbkit key generate`.
type keyGenerateOptions struct {
	prefix    string
	force     bool
	passwords passwordSource
}

func newKeyCmd(*globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Manage signing keys",
		Args:  cobra.NoArgs,
	}
	var o keyGenerateOptions
	gen := &cobra.Command{
		Use:   "generate",
		Short: "Generate a signing key pair in cosign's format",
		Long: `Generate an ECDSA P-256 key pair in the files cosign uses: <prefix>.key, the private key
encrypted with a password (scrypt and NaCl secretbox, PEM "ENCRYPTED SIGSTORE PRIVATE KEY"),
and <prefix>.pub, the public key. cosign signs and verifies with these files, and cnbkit
with cosign's.

The password comes from COSIGN_PASSWORD when it is set (an empty value means no password),
else it is asked for on the terminal, else read from standard input.`,
		Example: `  COSIGN_PASSWORD=... cnbkit key generate
  cnbkit package registry.example.com/my-org/my-bp:1.0.0 --publish --sign-key cosign.key
  cnbkit verify registry.example.com/my-org/my-bp:1.0.0 --key cosign.pub`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKeyGenerate(o, cmd.OutOrStdout())
		},
	}
	gen.Flags().StringVar(&o.prefix, "output-key-prefix", "cosign", "write <prefix>.key and <prefix>.pub")
	gen.Flags().BoolVar(&o.force, "force", false, "replace existing key files")
	cmd.AddCommand(gen)
	return cmd
}

func runKeyGenerate(o keyGenerateOptions, w io.Writer) error {
	priv, pub := o.prefix+".key", o.prefix+".pub"
	if !o.force {
		for _, p := range []string{priv, pub} {
			if _, err := os.Stat(p); err == nil {
				return fmt.Errorf("%s exists: keep it, or add --force to replace the key pair", p)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	pw, err := o.passwords.read(true)
	if err != nil {
		return err
	}
	kp, err := sign.GenerateKeyPair(pw)
	if err != nil {
		return err
	}
	if err := os.WriteFile(priv, kp.Private, 0o600); err != nil {
		return fmt.Errorf("writing the private key: %w", err)
	}
	if err := os.WriteFile(pub, kp.Public, 0o644); err != nil {
		return fmt.Errorf("writing the public key: %w", err)
	}
	_, err = fmt.Fprintf(w, "Private key written to %s\nPublic key written to %s\n", priv, pub)
	return err
}
