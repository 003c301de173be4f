package pyversion

import (
	"fmt"
	"strings"
)

// Specifier is a list of clauses that must all hold, such as ">=3.11,<3.13".
type Specifier struct {
	raw     string
	clauses []clause
}

type clause struct {
	op       string // ==, !=, <, <=, >, >=, ~=
	version  Version
	wildcard bool // "==3.12.*"
}

var operators = []string{"===", "~=", "==", "!=", "<=", ">=", "<", ">"}

// ParseSpecifier reads a PEP 440 specifier list ("~=3.11", ">=3.10,<3.13", "==3.12.*").
// A bare version ("3.12", "3.12.4") means that release series: "3.12" allows every 3.12.x and
// "3.12.4" exactly 3.12.4. "3.12.x" and "3.12.*" mean the same as "3.12".
func ParseSpecifier(s string) (Specifier, error) {
	spec := Specifier{raw: strings.TrimSpace(s)}
	if spec.raw == "" {
		return Specifier{}, fmt.Errorf("empty version specifier")
	}
	for _, part := range strings.Split(spec.raw, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return Specifier{}, fmt.Errorf("version specifier %q has an empty clause", spec.raw)
		}
		c, err := parseClause(part)
		if err != nil {
			return Specifier{}, fmt.Errorf("version specifier %q: %w", spec.raw, err)
		}
		spec.clauses = append(spec.clauses, c)
	}
	return spec, nil
}

func parseClause(s string) (clause, error) {
	op := ""
	for _, o := range operators {
		if strings.HasPrefix(s, o) {
			op = o
			break
		}
	}
	rest := strings.TrimSpace(strings.TrimPrefix(s, op))
	if op == "===" {
		op = "=="
	}
	bare := op == ""
	if bare {
		op = "=="
	}
	c := clause{op: op}
	if strings.HasSuffix(rest, ".*") || (bare && strings.HasSuffix(rest, ".x")) {
		if op != "==" && op != "!=" {
			return clause{}, fmt.Errorf("%q: a .* wildcard only works with == or !=", s)
		}
		rest = rest[:len(rest)-2]
		c.wildcard = true
	}
	v, err := ParseVersion(rest)
	if err != nil {
		return clause{}, fmt.Errorf("%q: %w", s, err)
	}
	c.version = v
	if bare && len(v) < 3 {
		c.wildcard = true
	}
	if op == "~=" && len(v) < 2 {
		return clause{}, fmt.Errorf("%q: ~= needs at least two components, e.g. ~=3.11", s)
	}
	return c, nil
}

// String returns the specifier as written.
func (s Specifier) String() string { return s.raw }

// IsZero reports whether the specifier is empty (allows everything).
func (s Specifier) IsZero() bool { return len(s.clauses) == 0 }

// Allows reports whether v satisfies every clause.
func (s Specifier) Allows(v Version) bool {
	for _, c := range s.clauses {
		if !c.allows(v) {
			return false
		}
	}
	return true
}

func (c clause) allows(v Version) bool {
	switch c.op {
	case "==":
		if c.wildcard {
			return v.hasPrefix(c.version)
		}
		return v.Compare(c.version) == 0
	case "!=":
		if c.wildcard {
			return !v.hasPrefix(c.version)
		}
		return v.Compare(c.version) != 0
	case "<":
		return v.Compare(c.version) < 0
	case "<=":
		return v.Compare(c.version) <= 0
	case ">":
		return v.Compare(c.version) > 0
	case ">=":
		return v.Compare(c.version) >= 0
	case "~=":
		// ~=3.11 means >=3.11,==3.*; ~=3.11.2 means >=3.11.2,==3.11.*
		return v.Compare(c.version) >= 0 && v.hasPrefix(c.version[:len(c.version)-1])
	}
	return false
}

// Newest returns the highest of the candidate versions the specifier allows.
func (s Specifier) Newest(candidates []Version) (Version, bool) {
	var best Version
	for _, v := range candidates {
		if s.Allows(v) && (best == nil || v.Compare(best) > 0) {
			best = v
		}
	}
	return best, best != nil
}

// Minors returns the distinct X.Y series the specifier names in == clauses, e.g. ["3.12"] for
// "3.12" or "==3.12.4". It is empty for range-only specifiers.
func (s Specifier) Minors() []string {
	var out []string
	for _, c := range s.clauses {
		if c.op == "==" && len(c.version) >= 2 {
			out = append(out, c.version.Minor())
		}
	}
	return out
}
