package record

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

func TestCheckIJSON(t *testing.T) {
	for _, in := range []string{
		``, `{}`, `[]`, `1`, `"x"`, `null`,
		`{"id":"x","text":"hold fire at grid 41"}`,
		`{"body":"اطلاق نار في الشمال","he":"הפסקת אש"}`,
		`{"s":"\ud83d\ude00 \uD83D\uDE00 \u00e9 \u0000 \uffff"}`, // pairs in either case, other escapes
		`{"s":"\\ud800"}`,                     // an escaped backslash, then text
		`{"s":"\"\ud83d\ude00\\"}`,            // escaped quotes and backslashes around a pair
		"{\"s\":\"\xef\xbf\xbd\U0010FFFF\"}",  // U+FFFD and the last code point, raw
		`{"\ud83d\ude00":[{"k":["\u2028"]}]}`, // a pair in a key, deep
	} {
		if err := CheckIJSON([]byte(in)); err != nil {
			t.Errorf("CheckIJSON(%q) = %v, want nil", in, err)
		}
	}
	for in, want := range map[string]string{
		"{\"s\":\"x\xff\xfey\"}":             "invalid UTF-8 in a string at byte 7",
		"{\"s\":\"\xed\xa0\x80\"}":           "invalid UTF-8 in a string at byte 6", // a surrogate, UTF-8 encoded
		"{\"s\":\"\xc0\xaf\"}":               "invalid UTF-8 in a string at byte 6", // overlong '/'
		"{\"s\":\"\xe2\x82\"}":               "invalid UTF-8 in a string at byte 6", // cut short
		"{\"k\xff\":1}":                      "invalid UTF-8 in a key at byte 3",
		"{\"s\":1}\xff":                      "invalid UTF-8 at byte 7",
		`{"s":"x\ud800y"}`:                   `unpaired surrogate \ud800 in a string at byte 7`,
		`{"s":"\uDBFF"}`:                     `unpaired surrogate \uDBFF in a string at byte 6`,
		`{"s":"\ud800`:                       `unpaired surrogate \ud800 in a string at byte 6`,
		`{"s":"\ud800\u0041"}`:               `unpaired surrogate \ud800 in a string at byte 6`,
		`{"s":"\ud800\ud800\udc00"}`:         `unpaired surrogate \ud800 in a string at byte 6`,
		`{"s":"\udc00"}`:                     `unpaired surrogate \udc00 in a string at byte 6`,
		`{"s":"\ude00\ud83d"}`:               `unpaired surrogate \ude00 in a string at byte 6`,
		`{"s":"\ud83d\ude00\ude00"}`:         `unpaired surrogate \ude00 in a string at byte 18`,
		`{"\udfff":1}`:                       `unpaired surrogate \udfff in a key at byte 2`,
		`{"a" : [{"b":["ok","\ud800"]}]}`:    `unpaired surrogate \ud800 in a string at byte 20`,
		`{"a":{"\ud800"  :  1}}`:             `unpaired surrogate \ud800 in a key at byte 7`,
		"{\"s\":\"\\ud800\xff\"}":            `unpaired surrogate \ud800 in a string at byte 6`,
		"{\"s\":\"\\\\\\\"\\ud800\"}":        `unpaired surrogate \ud800 in a string at byte 10`,
		`{"s":"\\\ud800"}`:                   `unpaired surrogate \ud800 in a string at byte 8`,
		`{"s":"ok","t":"\ud800","u":"\xff"}`: `unpaired surrogate \ud800 in a string at byte 15`,
	} {
		err := CheckIJSON([]byte(in))
		if err == nil || err.Error() != want {
			t.Errorf("CheckIJSON(%q) = %v, want %q", in, err, want)
		}
	}
}

// FuzzCheckIJSON holds the byte scan to a slow reference built another
// way: the decoder finds the strings, each is read as UTF-16 code units,
// and the units are paired by unicode/utf16. On JSON, both must find the
// same first fault, saying the same; where neither finds one, the text
// encoding/json reads must be the text a UTF-16 reader does.
func FuzzCheckIJSON(f *testing.F) {
	for _, s := range []string{
		`{"id":"x","text":"hold fire at grid 41"}`,
		`{"s":"\ud83d\ude00 \uD83D\uDE00 \u00e9 \u0000"}`,
		`{"s":"\\ud800"}`,
		`{"\ud83d\ude00":[{"k":["\u2028"]}]}`,
		"{\"s\":\"x\xff\xfey\"}",
		"{\"s\":\"\xed\xa0\x80\"}",
		"{\"k\xff\":1}",
		`{"s":"x\ud800y"}`,
		`{"s":"\ud800\ud800\udc00"}`,
		`{"s":"\ude00\ud83d"}`,
		`{"a" : [{"b":["ok","\ud800"]}]}`,
		`{"a":{"\ud800"  :  1}}`,
		"{\"s\":\"\\ud800\xff\"}",
		`["\ud800\u"]`,
		`"\ud800\uzzzz"`,
		`{"s":"ok","t":"\ud800","u":"\xff"}`,
		`[1,"\udbff\udfff",{"":"\ud7ff\ue000"}]`,
		// Found by fuzzing.
		"\"\\\xff", // an escape of a byte that is not UTF-8
		`[1e400]`,  // beyond float64: the reference must not decode numbers
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := CheckIJSON(data)
		var ie *ijsonError
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("error %v of type %T", err, err)
		}
		// On any input: what is not UTF-8 is refused, at the first bad byte
		// when that is the fault named.
		if !utf8.Valid(data) && err == nil {
			t.Fatalf("accepted %q, which is not UTF-8", data)
		}
		if ie != nil && strings.HasPrefix(ie.msg, "invalid UTF-8") {
			if r, n := utf8.DecodeRune(data[ie.at:]); !utf8.Valid(data[:ie.at]) || r != utf8.RuneError || n != 1 {
				t.Fatalf("%q: %v, but the bad byte is elsewhere", data, err)
			}
		}
		if !json.Valid(data) {
			return
		}
		want, utf16Text, goText := referenceIJSON(t, data)
		switch {
		case want == "" && err != nil:
			t.Fatalf("%q: refused (%v), the reference finds it sound", data, err)
		case want != "" && (err == nil || err.Error() != want):
			t.Fatalf("%q: %v, the reference says %q", data, err, want)
		case want == "" && !slices.Equal(goText, utf16Text):
			t.Fatalf("%q: encoding/json reads %q, a UTF-16 reader %q", data, goText, utf16Text)
		}
	})
}

// referenceIJSON returns the message of the first fault in the JSON text
// data ("" if none) and every key and string in order, as a UTF-16 reader
// reads it and as encoding/json does.
func referenceIJSON(t *testing.T, data []byte) (string, []string, []string) {
	badUTF8 := -1
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			badUTF8 = i
			break
		}
		i += n
	}
	type str struct {
		start, end int // of the literal, quotes included
		key        bool
	}
	var strs []str
	var goText []string
	type frame struct{ object, wantKey bool }
	var stack []frame
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%q: token: %v", data, err)
		}
		after := dec.InputOffset()
		isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].wantKey
		switch tok {
		case json.Delim('{'), json.Delim('['):
			stack = append(stack, frame{object: tok == json.Delim('{'), wantKey: true})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		default:
			if s, ok := tok.(string); ok {
				goText = append(goText, s)
				start := before + int64(bytes.IndexByte(data[before:after], '"'))
				strs = append(strs, str{int(start), int(after), isKey})
			}
		}
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].wantKey = !isKey
		}
	}
	fault, faultAt := "", -1
	var text []string
	for _, s := range strs {
		type unit struct {
			u  uint16
			at int // of its \u escape, or -1
		}
		var units []unit
		lit := data[s.start+1 : s.end-1]
		for j := 0; j < len(lit); {
			if lit[j] == '\\' {
				if lit[j+1] == 'u' {
					v, err := strconv.ParseUint(string(lit[j+2:j+6]), 16, 16)
					if err != nil {
						t.Fatalf("%q: escape %q: %v", data, lit[j:j+6], err)
					}
					units = append(units, unit{uint16(v), s.start + 1 + j})
					j += 6
					continue
				}
				c := map[byte]rune{'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}[lit[j+1]]
				if c == 0 {
					c = rune(lit[j+1])
				}
				units = append(units, unit{uint16(c), -1})
				j += 2
				continue
			}
			r, n := utf8.DecodeRune(lit[j:])
			for _, u := range utf16.Encode([]rune{r}) {
				units = append(units, unit{u, -1})
			}
			j += n
		}
		var u16 []uint16
		for k := 0; k < len(units); k++ {
			u := units[k].u
			u16 = append(u16, u)
			high, low := u >= 0xD800 && u <= 0xDBFF, u >= 0xDC00 && u <= 0xDFFF
			if high && k+1 < len(units) && units[k+1].u >= 0xDC00 && units[k+1].u <= 0xDFFF {
				u16 = append(u16, units[k+1].u)
				k++
				continue
			}
			if (high || low) && faultAt < 0 {
				at := units[k].at
				faultAt, fault = at, fmt.Sprintf("unpaired surrogate %s%s at byte %d", data[at:at+6], where(s.key), at)
			}
		}
		if badUTF8 >= s.start && badUTF8 < s.end && (faultAt < 0 || badUTF8 < faultAt) {
			faultAt, fault = badUTF8, fmt.Sprintf("invalid UTF-8%s at byte %d", where(s.key), badUTF8)
		}
		text = append(text, string(utf16.Decode(u16)))
	}
	return fault, text, goText
}

func where(key bool) string {
	if key {
		return " in a key"
	}
	return " in a string"
}

// The envelope's parser refuses a payload or envelope that is not I-JSON,
// and says which.
func TestParseEnvelopeRefusesNonIJSON(t *testing.T) {
	env := Sign("message.send", []byte(`{"id":"x","body":"a\ud800b"}`), testKey(1))
	_, err := ParseEnvelope(env.Marshal())
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), `payload: unpaired surrogate \ud800 in a string at byte 19`) {
		t.Errorf("lone surrogate in the payload: %v", err)
	}
	env = Sign("message.send", []byte("{\"id\":\"x\",\"body\":\"a\xffb\"}"), testKey(1))
	_, err = ParseEnvelope(env.Marshal())
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "payload: invalid UTF-8 in a string at byte 19") {
		t.Errorf("invalid UTF-8 in the payload: %v", err)
	}
	wire := strings.Replace(string(Sign("message.send", testPayload(), testKey(1)).Marshal()), `"keyid":"`, "\"keyid\":\"\xfe", 1)
	_, err = ParseEnvelope([]byte(wire))
	if want := fmt.Sprintf("envelope: invalid UTF-8 in a string at byte %d", strings.IndexByte(wire, 0xfe)); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), want) {
		t.Errorf("invalid UTF-8 in the envelope: %v, want %q", err, want)
	}
	// Base64 in either alphabet hides nothing.
	raw := `{"payloadType":"` + env.PayloadType + `","payload":"` + base64.RawURLEncoding.EncodeToString(env.Payload) +
		`","signatures":[{"keyid":"k","sig":"AA"}]}`
	if _, err := ParseEnvelope([]byte(raw)); err == nil || !strings.Contains(err.Error(), "payload: invalid UTF-8") {
		t.Errorf("invalid UTF-8 in a URL-safe payload: %v", err)
	}
}

func BenchmarkCheckIJSON(b *testing.B) {
	for name, p := range map[string][]byte{
		"ascii":  benchPayload(),
		"arabic": []byte(`{"id":"01JXQ4T7R2M8K5N3P6V9W0Y1Z2","time":"2025-06-01T12:00:00.123Z","cell":"amman","body":"` + strings.Repeat("طلب تأكيد تأجيل الدورية ", 10) + `"}`),
	} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				if err := CheckIJSON(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
