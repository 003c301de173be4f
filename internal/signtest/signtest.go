package signtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"

	"github.com/cnbkit/cnbkit/packager/sign"
)

// Key returns a signer with a new ECDSA P-256 key.
func Key(t testing.TB) *sign.KeySigner {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.NewKeySigner(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
