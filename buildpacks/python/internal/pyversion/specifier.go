package pyversion

import (
	"fmt"
	"strings"
)

// Specifier is a list of clauses that must all hold, such as ">=3.11,<3.13", or (from a
// Poetry constraint with ||) several such lists of which one must hold.
type Specifier struct {
	raw  string
	alts [][]clause
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
	var clauses []clause
	for _, part := range strings.Split(spec.raw, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return Specifier{}, fmt.Errorf("version specifier %q has an empty clause", spec.raw)
		}
		c, err := parseClause(part)
		if err != nil {
			return Specifier{}, fmt.Errorf("version specifier %q: %w", spec.raw, err)
		}
		clauses = append(clauses, c)
	}
	spec.alts = [][]clause{clauses}
	return spec, nil
}

// ParsePoetryConstraint reads a Poetry version constraint, as written for python in
// [tool.poetry.dependencies]: "^3.11" (>=3.11,<4), "~3.11" (>=3.11,<3.12), "3.11.*",
// ">=3.10 <3.13" or ">=3.10,<3.13", alternatives joined with "||", and every PEP 440 form
// ParseSpecifier reads. "*" allows every version: the result IsZero.
func ParsePoetryConstraint(s string) (Specifier, error) {
	spec := Specifier{raw: strings.TrimSpace(s)}
	if spec.raw == "" {
		return Specifier{}, fmt.Errorf("empty version constraint")
	}
	for _, alt := range strings.Split(spec.raw, "||") {
		var clauses []clause
		for _, part := range poetryClauses(alt) {
			cs, err := parsePoetryClause(part)
			if err != nil {
				return Specifier{}, fmt.Errorf("version constraint %q: %w", spec.raw, err)
			}
			clauses = append(clauses, cs...)
		}
		if len(clauses) == 0 {
			if strings.TrimSpace(alt) != "*" {
				return Specifier{}, fmt.Errorf("version constraint %q has an empty alternative", spec.raw)
			}
			return Specifier{raw: spec.raw}, nil // "*": any version
		}
		spec.alts = append(spec.alts, clauses)
	}
	return spec, nil
}

// poetryClauses splits ">=3.10, <3.13" or ">= 3.10 <3.13" into [">=3.10", "<3.13"].
func poetryClauses(s string) []string {
	var out []string
	pending := ""
	for _, f := range strings.Fields(strings.ReplaceAll(s, ",", " ")) {
		if strings.Trim(f, "<>=!~^") == "" { // an operator written apart from its version
			pending += f
			continue
		}
		out = append(out, pending+f)
		pending = ""
	}
	if pending != "" {
		out = append(out, pending)
	}
	return out
}

func parsePoetryClause(s string) ([]clause, error) {
	switch {
	case s == "*":
		return nil, nil
	case strings.HasPrefix(s, "^"), strings.HasPrefix(s, "~") && !strings.HasPrefix(s, "~="):
		v, err := ParseVersion(s[1:])
		if err != nil {
			return nil, fmt.Errorf("%q: %w", s, err)
		}
		var upper Version
		if s[0] == '^' {
			// ^3.11 and ^3.11.2 allow everything below the next major release (3 -> 4).
			i := 0
			for i < len(v)-1 && v[i] == 0 {
				i++
			}
			upper = append(append(Version{}, v[:i]...), v[i]+1)
		} else {
			// ~3.11 and ~3.11.2 allow the 3.11 series; ~3 the 3 series.
			n := min(len(v), 2) - 1
			upper = append(append(Version{}, v[:n]...), v[n]+1)
		}
		return []clause{{op: ">=", version: v}, {op: "<", version: upper}}, nil
	}
	c, err := parseClause(s)
	if err != nil {
		return nil, err
	}
	return []clause{c}, nil
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
func (s Specifier) IsZero() bool { return len(s.alts) == 0 }

// IsRange reports whether the specifier is a constraint such as ">= 3.10" rather than a
// version or a release series ("3.12", "3.12.4", "==3.12.*").
func (s Specifier) IsRange() bool {
	for _, alt := range s.alts {
		for _, c := range alt {
			if c.op != "==" {
				return true
			}
		}
	}
	return len(s.alts) > 1
}

// Allows reports whether v satisfies every clause (of one alternative).
func (s Specifier) Allows(v Version) bool {
	if s.IsZero() {
		return true
	}
	for _, alt := range s.alts {
		ok := true
		for _, c := range alt {
			if !c.allows(v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
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
	for _, alt := range s.alts {
		for _, c := range alt {
			if c.op == "==" && len(c.version) >= 2 {
				out = append(out, c.version.Minor())
			}
		}
	}
	return out
}
