package sign_test

import (
	"testing"

	"github.com/cnbkit/cnbkit/packager/sign"
)

// BenchmarkLoadPrivateKey measures decrypting a cosign key file (scrypt N=32768, r=8, p=1),
// which `cnbkit package --sign-key` does once per run, as cosign does.
func BenchmarkLoadPrivateKey(b *testing.B) {
	kp, err := sign.GenerateKeyPair([]byte("password"))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := sign.LoadPrivateKey(kp.Private, []byte("password")); err != nil {
			b.Fatal(err)
		}
	}
}
