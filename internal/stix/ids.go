package stix

import (
	"strings"
	"time"
)

// parseID splits an identifier into its type and UUID, checking the form
// STIX requires: a type name, "--", and an RFC 4122 UUID (version 1 to 5, the
// RFC's variant), in lowercase or uppercase hexadecimal as the OASIS schema
// allows.
func parseID(id string) (typ, uuid string, ok bool) {
	i := strings.Index(id, "--")
	if i < 0 {
		return "", "", false
	}
	typ, uuid = id[:i], id[i+2:]
	if !validTypeName(typ) || !validUUID(uuid) {
		return "", "", false
	}
	return typ, uuid, true
}

func validUUID(u string) bool {
	if len(u) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := u[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
			continue
		}
		if !isHex(c) {
			return false
		}
	}
	return u[14] >= '1' && u[14] <= '5' && strings.IndexByte("89abAB", u[19]) >= 0
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// validTypeName: lowercase ASCII letters, digits and single hyphens, starting
// with a letter, 3 to 250 characters (STIX 2.1 section 3.1 and the schema's
// pattern).
func validTypeName(t string) bool {
	if len(t) < 3 || len(t) > 250 || t[0] < 'a' || t[0] > 'z' || t[len(t)-1] == '-' {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && t[i-1] != '-':
		default:
			return false
		}
	}
	return true
}

// validPropertyName: what STIX 2.1 section 3.1 allows a property name, and
// what the OASIS schemas accept as a key: a lowercase letter, then lowercase
// letters, digits and underscores, 3 to 250 characters.
func validPropertyName(p string) bool {
	if len(p) < 3 || len(p) > 250 || p[0] < 'a' || p[0] > 'z' {
		return false
	}
	for i := 1; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// A Timestamp is a STIX timestamp: the instant, and the text it was sent as,
// which is what the package re-serializes (so that "…27.000Z" keeps its
// three digits).
type Timestamp struct {
	t    time.Time
	frac string // the fractional digits as sent, without trailing zeros
	text string
}

// ParseTimestamp reads a STIX timestamp: RFC 3339 in UTC, "Z" and no offset,
// YYYY-MM-DDTHH:mm:ss with an optional fraction of any number of digits.
// Leap seconds (:60) are refused, since readers disagree on their instant.
func ParseTimestamp(s string) (Timestamp, error) {
	fail := func(why string) (Timestamp, error) {
		return Timestamp{}, &Error{Index: -1, Reason: why, Err: ErrTimestamp}
	}
	if len(s) < 20 || s[len(s)-1] != 'Z' {
		return fail("not a timestamp in UTC ending in Z: " + quote(s))
	}
	digits := func(from, n int) (int, bool) {
		v := 0
		for i := from; i < from+n; i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, false
			}
			v = v*10 + int(s[i]-'0')
		}
		return v, true
	}
	y, ok1 := digits(0, 4)
	mo, ok2 := digits(5, 2)
	d, ok3 := digits(8, 2)
	h, ok4 := digits(11, 2)
	mi, ok5 := digits(14, 2)
	sec, ok6 := digits(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return fail("not of the form YYYY-MM-DDTHH:mm:ss[.s+]Z: " + quote(s))
	}
	rest := s[19 : len(s)-1]
	frac := ""
	if rest != "" {
		if rest[0] != '.' || len(rest) == 1 {
			return fail("not of the form YYYY-MM-DDTHH:mm:ss[.s+]Z: " + quote(s))
		}
		frac = rest[1:]
		for i := 0; i < len(frac); i++ {
			if frac[i] < '0' || frac[i] > '9' {
				return fail("not of the form YYYY-MM-DDTHH:mm:ss[.s+]Z: " + quote(s))
			}
		}
	}
	if sec == 60 {
		return fail("a leap second: readers disagree on which instant it is: " + quote(s))
	}
	if mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 {
		return fail("no such date or time: " + quote(s))
	}
	ns := 0
	for i := 0; i < 9; i++ {
		ns *= 10
		if i < len(frac) {
			ns += int(frac[i] - '0')
		}
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC)
	if t.Day() != d || int(t.Month()) != mo {
		return fail("no such date: " + quote(s))
	}
	return Timestamp{t: t, frac: strings.TrimRight(frac, "0"), text: s}, nil
}

// Time is the instant, truncated to nanoseconds.
func (t Timestamp) Time() time.Time { return t.t }

// String is the timestamp as it was sent.
func (t Timestamp) String() string { return t.text }

// IsZero reports whether the timestamp is absent.
func (t Timestamp) IsZero() bool { return t.text == "" }

// millis reports whether the timestamp has at least millisecond precision,
// which STIX requires of created and modified.
func (t Timestamp) millis() bool {
	i := strings.IndexByte(t.text, '.')
	return i >= 0 && len(t.text)-i-2 >= 3
}

// Compare orders two timestamps exactly, digits beyond the nanosecond
// included; an absent timestamp comes before any other.
func (t Timestamp) Compare(u Timestamp) int {
	switch {
	case t.IsZero() && u.IsZero():
		return 0
	case t.IsZero():
		return -1
	case u.IsZero():
		return 1
	}
	// Whole seconds first, then the fraction as a decimal string.
	if c := t.t.Truncate(time.Second).Compare(u.t.Truncate(time.Second)); c != 0 {
		return c
	}
	a, b := t.frac, u.frac
	for len(a) < len(b) {
		a += "0"
	}
	for len(b) < len(a) {
		b += "0"
	}
	return strings.Compare(a, b)
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return `"` + s + `"`
}
