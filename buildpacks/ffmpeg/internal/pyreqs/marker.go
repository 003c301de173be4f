package pyreqs

import (
	"strings"
	"unicode"
)

// truth is a three-valued logic result: a marker that names something this package cannot
// know at detect time (python_version, extra, ...) is unknown, and unknown counts as "applies".
type truth int

const (
	unknown truth = iota
	yes
	no
)

// linux holds the PEP 508 environment values of every Linux CPython build image.
var linux = map[string]string{
	"os_name":         "posix",
	"sys_platform":    "linux",
	"platform_system": "Linux",
}

// markerApplies reports whether a requirement with the given PEP 508 marker applies on Linux.
// Markers that cannot be decided (unknown variables, syntax errors) apply.
func markerApplies(marker string) bool {
	marker = strings.TrimSpace(marker)
	if marker == "" {
		return true
	}
	p := &markerParser{toks: tokenize(marker)}
	t, ok := p.or()
	if !ok || p.pos != len(p.toks) {
		return true
	}
	return t != no
}

type token struct {
	text   string
	quoted bool
}

func tokenize(s string) []token {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')':
			toks = append(toks, token{text: string(c)})
			i++
		case c == '\'' || c == '"':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return append(toks, token{text: "\x00"}) // unterminated: a parse error
			}
			toks = append(toks, token{text: s[i+1 : i+1+end], quoted: true})
			i += end + 2
		case strings.ContainsRune("<>=!~", rune(c)):
			j := i
			for j < len(s) && strings.ContainsRune("<>=!~", rune(s[j])) {
				j++
			}
			toks = append(toks, token{text: s[i:j]})
			i = j
		default:
			j := i
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])) || s[j] == '_' || s[j] == '.') {
				j++
			}
			if j == i {
				return append(toks, token{text: "\x00"})
			}
			toks = append(toks, token{text: s[i:j]})
			i = j
		}
	}
	return toks
}

type markerParser struct {
	toks []token
	pos  int
}

func (p *markerParser) peek() (token, bool) {
	if p.pos < len(p.toks) {
		return p.toks[p.pos], true
	}
	return token{}, false
}

func (p *markerParser) keyword(word string) bool {
	if t, ok := p.peek(); ok && !t.quoted && t.text == word {
		p.pos++
		return true
	}
	return false
}

func (p *markerParser) or() (truth, bool) { return p.chain("or", p.and, yes, no) }

func (p *markerParser) and() (truth, bool) { return p.chain("and", p.expr, no, yes) }

// chain parses operands joined by keyword: the result is decisive when any operand is (yes
// for or, no for and), else unknown when any operand is, else the other value.
func (p *markerParser) chain(keyword string, operand func() (truth, bool), decisive, other truth) (truth, bool) {
	left, ok := operand()
	if !ok {
		return unknown, false
	}
	for p.keyword(keyword) {
		right, ok := operand()
		if !ok {
			return unknown, false
		}
		switch {
		case left == decisive || right == decisive:
			left = decisive
		case left == unknown || right == unknown:
			left = unknown
		default:
			left = other
		}
	}
	return left, true
}

func (p *markerParser) expr() (truth, bool) {
	if p.keyword("(") {
		t, ok := p.or()
		if !ok || !p.keyword(")") {
			return unknown, false
		}
		return t, true
	}
	lhs, ok := p.value()
	if !ok {
		return unknown, false
	}
	op, ok := p.op()
	if !ok {
		return unknown, false
	}
	rhs, ok := p.value()
	if !ok {
		return unknown, false
	}
	return compare(lhs, op, rhs), true
}

// operand is a marker value: a quoted literal, or a variable with its value when known.
type operand struct {
	value string
	known bool
}

func (p *markerParser) value() (operand, bool) {
	t, ok := p.peek()
	if !ok || t.text == "(" || t.text == ")" {
		return operand{}, false
	}
	p.pos++
	if t.quoted {
		return operand{value: t.text, known: true}, true
	}
	if t.text == "" || t.text == "\x00" || strings.ContainsAny(t.text[:1], "<>=!~") {
		return operand{}, false
	}
	v, known := linux[t.text]
	return operand{value: v, known: known}, true
}

func (p *markerParser) op() (string, bool) {
	t, ok := p.peek()
	if !ok || t.quoted {
		return "", false
	}
	switch t.text {
	case "==", "!=", "<", "<=", ">", ">=", "~=", "===", "in":
		p.pos++
		return t.text, true
	case "not":
		p.pos++
		if p.keyword("in") {
			return "not in", true
		}
	}
	return "", false
}

func compare(lhs operand, op string, rhs operand) truth {
	if !lhs.known || !rhs.known {
		return unknown
	}
	var r bool
	switch op {
	case "==", "===":
		r = lhs.value == rhs.value
	case "!=":
		r = lhs.value != rhs.value
	case "in":
		r = strings.Contains(rhs.value, lhs.value)
	case "not in":
		r = !strings.Contains(rhs.value, lhs.value)
	default:
		return unknown // version comparisons of platform strings: leave undecided
	}
	if r {
		return yes
	}
	return no
}
