package stix

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The JSON layer. encoding/json accepts what a signed record must not: the
// last of two duplicate keys wins (another reader may take the first), keys
// match case-insensitively, invalid UTF-8 and lone surrogates become U+FFFD,
// and numbers are rounded to float64 on the way in. This parser refuses the
// first three and keeps every number as the literal it was sent, so that a
// value re-serialized here means to every reader what it meant to the sender.

// maxDepth bounds the nesting of arrays and objects, so that hostile input
// cannot exhaust the stack; STIX content nests a dozen levels at most.
const maxDepth = 100

type kind uint8

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kArray
	kObject
)

func (k kind) String() string {
	return [...]string{"null", "a boolean", "a number", "a string", "a list", "an object"}[k]
}

// A node is one JSON value as received. s holds a string's decoded value, a
// number's literal, or "true"/"false".
type node struct {
	k kind
	s string
	a []node
	m []member
}

type member struct {
	key string
	val node
}

// get returns the member named key of an object node.
func (n *node) get(key string) (*node, bool) {
	for i := range n.m {
		if n.m[i].key == key {
			return &n.m[i].val, true
		}
	}
	return nil, false
}

func (n *node) has(key string) bool {
	_, ok := n.get(key)
	return ok
}

// syntaxError is a fault in the JSON itself, at a path inside the document.
type syntaxError struct {
	path   []string
	offset int
	reason string
}

type jsonParser struct {
	b    []byte
	i    int
	path []pathElem // the path to the value being read, for errors
	err  *syntaxError
	// Members and elements are gathered on these stacks and copied out at
	// the end of their object or list, in slices of the exact size: the
	// parse allocates what it keeps, not the doublings of append.
	members  []member
	elements []node
}

// parseJSON reads exactly one JSON value from b.
func parseJSON(b []byte) (node, *syntaxError) {
	p := &jsonParser{b: b}
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return node{}, &syntaxError{offset: 0, reason: "starts with a byte order mark, which JSON forbids"}
	}
	p.ws()
	if p.i == len(b) {
		return node{}, &syntaxError{offset: p.i, reason: "empty input"}
	}
	n := p.value(0)
	if p.err != nil {
		return node{}, p.err
	}
	p.ws()
	if p.i != len(b) {
		return node{}, &syntaxError{offset: p.i, reason: "unexpected data after the JSON value"}
	}
	return n, nil
}

// A pathElem is a member name, or a list index when idx is not negative;
// the path is rendered only for an error.
type pathElem struct {
	key string
	idx int
}

func (p *jsonParser) fail(reason string) {
	if p.err == nil {
		path := make([]string, len(p.path))
		for i, e := range p.path {
			path[i] = e.key
			if e.idx >= 0 {
				path[i] = "[" + strconv.Itoa(e.idx) + "]"
			}
		}
		p.err = &syntaxError{path: path, offset: p.i, reason: reason}
	}
}

func (p *jsonParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) node {
	if depth > maxDepth {
		p.fail("nested deeper than " + strconv.Itoa(maxDepth) + " levels")
		return node{}
	}
	if p.i >= len(p.b) {
		p.fail("it ends too soon")
		return node{}
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, ok := p.str()
		if !ok {
			return node{}
		}
		return node{k: kString, s: s}
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case p.literal("true"):
		return node{k: kBool, s: "true"}
	case p.literal("false"):
		return node{k: kBool, s: "false"}
	case p.literal("null"):
		return node{k: kNull}
	default:
		p.fail("invalid character " + strconv.QuoteRune(rune(c)))
		return node{}
	}
}

func (p *jsonParser) literal(word string) bool {
	if strings.HasPrefix(string(p.b[p.i:min(len(p.b), p.i+len(word))]), word) {
		p.i += len(word)
		return true
	}
	return false
}

func (p *jsonParser) object(depth int) node {
	p.i++ // {
	n := node{k: kObject}
	var seen map[string]struct{} // only for large objects; small ones scan
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return n
	}
	base := len(p.members)
	defer func() { p.members = p.members[:base] }()
	for {
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			p.fail("expected a quoted member name")
			return node{}
		}
		keyAt := p.i
		key, ok := p.str()
		if !ok {
			return node{}
		}
		dup := false
		if seen != nil {
			_, dup = seen[key]
		} else {
			for _, m := range p.members[base:] {
				if m.key == key {
					dup = true
					break
				}
			}
		}
		p.path = append(p.path, pathElem{key: key, idx: -1})
		if dup {
			p.i = keyAt
			p.fail("the member " + strconv.Quote(key) + " is given twice")
			return node{}
		}
		if len(p.members)-base == 16 {
			seen = make(map[string]struct{}, 32)
			for _, m := range p.members[base:] {
				seen[m.key] = struct{}{}
			}
		}
		if seen != nil {
			seen[key] = struct{}{}
		}
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			p.fail("expected ':' after a member name")
			return node{}
		}
		p.i++
		p.ws()
		v := p.value(depth + 1)
		if p.err != nil {
			return node{}
		}
		p.path = p.path[:len(p.path)-1]
		p.members = append(p.members, member{key: key, val: v})
		p.ws()
		if p.i >= len(p.b) {
			p.fail("it ends too soon")
			return node{}
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			n.m = append([]member(nil), p.members[base:]...)
			return n
		default:
			p.fail("expected ',' or '}' in an object")
			return node{}
		}
	}
}

func (p *jsonParser) array(depth int) node {
	p.i++ // [
	n := node{k: kArray}
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		n.a = []node{}
		return n
	}
	base := len(p.elements)
	defer func() { p.elements = p.elements[:base] }()
	for {
		p.ws()
		p.path = append(p.path, pathElem{idx: len(p.elements) - base})
		v := p.value(depth + 1)
		if p.err != nil {
			return node{}
		}
		p.path = p.path[:len(p.path)-1]
		p.elements = append(p.elements, v)
		p.ws()
		if p.i >= len(p.b) {
			p.fail("it ends too soon")
			return node{}
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			n.a = append([]node(nil), p.elements[base:]...)
			return n
		default:
			p.fail("expected ',' or ']' in a list")
			return node{}
		}
	}
}

// str reads a string, refusing what readers decode differently: invalid
// UTF-8, unescaped control characters, and \u escapes of lone surrogates.
func (p *jsonParser) str() (string, bool) {
	p.i++ // "
	start := p.i
	// The common case, no escapes: one copy of the bytes.
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c == '"' {
			s := string(p.b[start:p.i])
			p.i++
			return s, true
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			p.fail("a control character in a string must be escaped")
			return "", false
		}
		if c < utf8.RuneSelf {
			p.i++
			continue
		}
		r, size := utf8.DecodeRune(p.b[p.i:])
		if r == utf8.RuneError && size <= 1 {
			p.fail("invalid UTF-8 in a string")
			return "", false
		}
		p.i += size
	}
	var sb strings.Builder
	sb.Write(p.b[start:p.i])
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return sb.String(), true
		case c == '\\':
			if p.i+1 >= len(p.b) {
				p.fail("it ends too soon")
				return "", false
			}
			e := p.b[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				sb.WriteByte(e)
			case 'b':
				sb.WriteByte('\b')
			case 'f':
				sb.WriteByte('\f')
			case 'n':
				sb.WriteByte('\n')
			case 'r':
				sb.WriteByte('\r')
			case 't':
				sb.WriteByte('\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", false
				}
				if utf16.IsSurrogate(r) {
					if r >= 0xDC00 || p.i+1 >= len(p.b) || p.b[p.i] != '\\' || p.b[p.i+1] != 'u' {
						p.fail("a \\u escape of a lone surrogate")
						return "", false
					}
					p.i += 2
					r2, ok := p.hex4()
					if !ok {
						return "", false
					}
					if r2 < 0xDC00 || r2 > 0xDFFF {
						p.fail("a \\u escape of a lone surrogate")
						return "", false
					}
					r = utf16.DecodeRune(r, r2)
				}
				sb.WriteRune(r)
			default:
				p.fail("invalid escape '\\" + string(rune(e)) + "' in a string")
				return "", false
			}
		case c < 0x20:
			p.fail("a control character in a string must be escaped")
			return "", false
		case c < utf8.RuneSelf:
			sb.WriteByte(c)
			p.i++
		default:
			r, size := utf8.DecodeRune(p.b[p.i:])
			if r == utf8.RuneError && size <= 1 {
				p.fail("invalid UTF-8 in a string")
				return "", false
			}
			sb.Write(p.b[p.i : p.i+size])
			p.i += size
		}
	}
	p.fail("it ends too soon: a string is not closed")
	return "", false
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.i+4 > len(p.b) {
		p.fail("it ends too soon")
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.b[p.i:p.i+4]), 16, 16)
	if err != nil {
		p.fail("invalid \\u escape")
		return 0, false
	}
	p.i += 4
	return rune(v), true
}

// number reads a number by the JSON grammar and keeps its literal. A number
// beyond float64 is refused: most readers would take it as ±Inf, which JSON
// cannot express, and STIX's float and integer both fit in a float64.
func (p *jsonParser) number() node {
	start := p.i
	if p.b[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.b) && p.b[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		p.fail("invalid number")
		return node{}
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			p.fail("invalid number: no digit after the decimal point")
			return node{}
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			p.fail("invalid number: no digit in the exponent")
			return node{}
		}
	}
	lit := string(p.b[start:p.i])
	if f, _ := strconv.ParseFloat(lit, 64); math.IsInf(f, 0) {
		p.i = start
		p.fail("the number " + lit + " is too large for any reader to hold")
		return node{}
	}
	return node{k: kNumber, s: lit}
}

// encode appends n as compact JSON: members in the order received, numbers as
// their literals, strings escaped only where JSON requires it.
func encode(dst []byte, n *node) []byte {
	switch n.k {
	case kNull:
		return append(dst, "null"...)
	case kBool, kNumber:
		return append(dst, n.s...)
	case kString:
		return appendString(dst, n.s)
	case kArray:
		dst = append(dst, '[')
		for i := range n.a {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = encode(dst, &n.a[i])
		}
		return append(dst, ']')
	default:
		dst = append(dst, '{')
		for i := range n.m {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, n.m[i].key)
			dst = append(dst, ':')
			dst = encode(dst, &n.m[i].val)
		}
		return append(dst, '}')
	}
}

const hexDigits = "0123456789abcdef"

func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// equalNodes compares two values exactly: member order, number literals and
// all. A round trip through this package must preserve that much.
func equalNodes(a, b *node) bool {
	if a.k != b.k || a.s != b.s || len(a.a) != len(b.a) || len(a.m) != len(b.m) {
		return false
	}
	for i := range a.a {
		if !equalNodes(&a.a[i], &b.a[i]) {
			return false
		}
	}
	for i := range a.m {
		if a.m[i].key != b.m[i].key || !equalNodes(&a.m[i].val, &b.m[i].val) {
			return false
		}
	}
	return true
}

// clone copies n deeply, so that a derivative never shares storage with its
// original.
func clone(n *node) node {
	c := node{k: n.k, s: n.s}
	if n.a != nil {
		c.a = make([]node, len(n.a))
		for i := range n.a {
			c.a[i] = clone(&n.a[i])
		}
	}
	if n.m != nil {
		c.m = make([]member, len(n.m))
		for i := range n.m {
			c.m[i] = member{key: n.m[i].key, val: clone(&n.m[i].val)}
		}
	}
	return c
}
