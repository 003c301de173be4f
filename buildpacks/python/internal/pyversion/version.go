package pyversion

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a CPython release number such as 3.12.4. Pre-releases are not represented: the
// buildpack only installs final releases.
type Version []int

// ParseVersion reads a dotted release number, e.g. "3", "3.12" or "3.12.4".
func ParseVersion(s string) (Version, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("empty version")
	}
	parts := strings.Split(s, ".")
	v := make(Version, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p == "" || (len(p) > 1 && p[0] == '+') {
			return nil, fmt.Errorf("version %q: %q is not a number", s, p)
		}
		v[i] = n
	}
	return v, nil
}

// String renders the version with dots.
func (v Version) String() string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ".")
}

// Compare returns -1, 0 or 1. Missing components count as zero (3.12 == 3.12.0).
func (v Version) Compare(o Version) int {
	n := max(len(v), len(o))
	for i := 0; i < n; i++ {
		a, b := v.at(i), o.at(i)
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
	}
	return 0
}

func (v Version) at(i int) int {
	if i < len(v) {
		return v[i]
	}
	return 0
}

// Minor returns the "3.12" part of the version.
func (v Version) Minor() string {
	return fmt.Sprintf("%d.%d", v.at(0), v.at(1))
}

// hasPrefix reports whether v starts with the components of p (3.12.4 has prefix 3.12).
func (v Version) hasPrefix(p Version) bool {
	for i := range p {
		if v.at(i) != p[i] {
			return false
		}
	}
	return true
}
