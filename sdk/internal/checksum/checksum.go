// Package checksum reads the checksums of dependency inventories with libpak/v2's Checksum
// (RFC 0059: "<algorithm>:<hex>", a bare hex digest meaning sha256), so cnbkit reads the
// algorithm prefix exactly as libpak does.
package checksum

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/paketo-buildpacks/libpak/v2"
)

// Digest is a parsed checksum.
type Digest struct {
	Algorithm string // lower case, e.g. "sha256"
	Hex       string // lower-case hex digits
}

// hexLen is the digest length of the algorithms libpak's Checksum knows.
var hexLen = map[string]int{"sha256": 64, "sha512": 128}

var hexDigits = regexp.MustCompile(`^[0-9a-fA-F]+$`)

// Parse reads s as libpak does and checks that the digest fits the algorithm. Algorithms
// libpak cannot verify are an error naming them.
func Parse(s string) (Digest, error) {
	c := libpak.Checksum(strings.TrimSpace(s))
	algo := strings.ToLower(c.Algorithm())
	if _, err := libpak.Checksum(algo + ":").AlgorithmHash(); err != nil {
		return Digest{}, fmt.Errorf("checksum %q uses %q: use sha256 (or sha512), e.g. \"sha256:<64 hex digits>\"", s, c.Algorithm())
	}
	h := c.Hash()
	if len(h) != hexLen[algo] || !hexDigits.MatchString(h) {
		return Digest{}, fmt.Errorf("checksum %q is not \"%s:<%d hex digits>\"", s, algo, hexLen[algo])
	}
	return Digest{Algorithm: algo, Hex: strings.ToLower(h)}, nil
}

// String is "<algorithm>:<hex>".
func (d Digest) String() string { return d.Algorithm + ":" + d.Hex }
