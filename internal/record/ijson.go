package record

import (
	"fmt"
	"unicode/utf8"
)

// CheckIJSON reports the first place where the JSON text data breaks the
// string rules of I-JSON (RFC 7493 §2.1): a byte sequence that is not
// UTF-8, anywhere, or a \u escape of a surrogate that is not half of a
// high-then-low pair, in a key or a string at any depth. Either reads
// differently in different languages (encoding/json makes both U+FFFD,
// Python keeps a lone surrogate, JavaScript a lone UTF-16 unit), so the
// same signed bytes would say two things. Offsets count bytes from 0.
//
// It is a byte scan, not a decode: it runs on every command received. It
// checks nothing else of the JSON syntax, which the decoder does; on text
// that is not JSON its answer means little, but it never fails to return.
func CheckIJSON(data []byte) error {
	inString := false
	start := 0 // of the string being scanned
	for i := 0; i < len(data); {
		// Most of a payload is ASCII text that needs no second look.
		for i < len(data) && plain[data[i]] {
			i++
		}
		if i == len(data) {
			break
		}
		c := data[i]
		if c >= utf8.RuneSelf {
			// A run of bytes outside ASCII, a word of Arabic or Hebrew, is
			// checked at once; only a bad one is walked to find where.
			// utf8 refuses overlong forms and encoded surrogates (ED A0
			// 80) as well as stray bytes.
			j := i + 1
			for j < len(data) && data[j] >= utf8.RuneSelf {
				j++
			}
			if utf8.Valid(data[i:j]) {
				i = j
				continue
			}
			for {
				r, n := utf8.DecodeRune(data[i:j])
				if r == utf8.RuneError && n == 1 {
					return newIJSONError("invalid UTF-8", data, i, inString, start)
				}
				i += n
			}
		}
		if !inString {
			if c == '"' {
				inString, start = true, i
			}
			i++
			continue
		}
		switch c {
		case '"':
			inString = false
			i++
		case '\\':
			if i+1 < len(data) && data[i+1] == 'u' {
				u, ok := hex4(data[i+2:])
				switch {
				case !ok: // not an escape the decoder accepts: its error
					i += 2
				case u >= 0xD800 && u <= 0xDBFF:
					if i+11 < len(data) && data[i+6] == '\\' && data[i+7] == 'u' {
						if lo, ok := hex4(data[i+8:]); ok && lo >= 0xDC00 && lo <= 0xDFFF {
							i += 12
							continue
						}
					}
					return newIJSONError("unpaired surrogate "+string(data[i:i+6]), data, i, true, start)
				case u >= 0xDC00 && u <= 0xDFFF:
					return newIJSONError("unpaired surrogate "+string(data[i:i+6]), data, i, true, start)
				default:
					i += 6
				}
			} else if i+1 < len(data) && data[i+1] < utf8.RuneSelf {
				i += 2 // \" and \\ among them: neither ends the string
			} else {
				i++ // what follows is checked as UTF-8
			}
		default:
			i++
		}
	}
	return nil
}

// plain marks the bytes the scan may pass over in or out of a string:
// ASCII other than the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := range utf8.RuneSelf {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// hex4 reads four hex digits.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// newIJSONError says what is wrong at offset at, and whether it is inside a
// key, a string, or neither. Only an error pays for finding out which.
func newIJSONError(what string, data []byte, at int, inString bool, start int) error {
	where := ""
	if inString {
		where = " in a string"
		if isKey(data, start) {
			where = " in a key"
		}
	}
	return &ijsonError{at: at, msg: fmt.Sprintf("%s%s at byte %d", what, where, at)}
}

type ijsonError struct {
	at  int // the offset, for tests
	msg string
}

func (e *ijsonError) Error() string { return e.msg }

// isKey reports whether the string starting at data[start] is an object
// key: a ':' follows it.
func isKey(data []byte, start int) bool {
	i := start + 1
	for i < len(data) && data[i] != '"' {
		if data[i] == '\\' {
			i++
		}
		i++
	}
	for i++; i < len(data); i++ {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			continue
		case ':':
			return true
		}
		return false
	}
	return false
}
