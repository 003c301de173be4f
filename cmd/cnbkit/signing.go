package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cnbkit/cnbkit/packager"
	"github.com/cnbkit/cnbkit/packager/sign"
)

// keys loads --sign-key (returned) and --verify-key (set on opts) before anything is built,
// so a wrong password or a bad key file stops the command before it writes.
func (o packageOptions) keys(opts *packager.Options) (sign.Signer, error) {
	var errs []error
	var signer sign.Signer
	if o.signKey != "" {
		s, err := loadSigner(o.signKey, o.passwords)
		if err != nil {
			errs = append(errs, err)
		} else {
			signer = s
		}
	}
	if o.verifyKey != "" {
		v, err := loadVerifier(o.verifyKey)
		if err != nil {
			errs = append(errs, err)
		} else {
			opts.Verifier = v
		}
	}
	return signer, errors.Join(errs...)
}

// printSigned prints what signing attached to an output, if it was signed.
func printSigned(w io.Writer, s *packager.Signed) error {
	if s == nil {
		return nil
	}
	where := "in the registry"
	if s.Sidecar != "" {
		where = "in " + s.Sidecar
	}
	_, err := fmt.Fprintf(w, "signed %d manifest(s) with attestations %s %s\n", len(s.Manifests), strings.Join(s.PredicateTypes, ", "), where)
	return err
}
