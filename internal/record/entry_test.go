package record

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixedEntry is an entry whose every field is fixed, signature included.
func fixedEntry() *Entry {
	priv := testKey(3)
	payload := []byte(`{"id":"c-0001","time":"2025-06-01T11:59:58.5+03:00","cell":"amman","to":["party-b"],"text":"convoy <A&B> moves at 0400"}`)
	return &Entry{
		Cell:     "amman",
		Index:    42,
		Time:     time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.FixedZone("IDT", 3*3600)),
		Member:   "m-alice <&>",
		Party:    "party-a",
		KeyID:    KeyID(priv.Public().(ed25519.PublicKey)),
		Audience: []string{"party-b", "mediator", "party-a"},
		Nonce:    []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
		Envelope: Sign("hotline.message", payload, priv),
	}
}

func TestEntryGolden(t *testing.T) {
	golden := filepath.Join("testdata", "entry.golden")
	e := fixedEntry()
	got := e.Bytes()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("canonical bytes changed; entries already in logs would no longer verify\n got: %s\nwant: %s", got, want)
	}
	if !bytes.Equal(e.Bytes(), got) {
		t.Fatal("Bytes is not stable across calls")
	}
	if !slices.Equal(e.Audience, []string{"party-b", "mediator", "party-a"}) {
		t.Errorf("Bytes reordered the caller's audience: %q", e.Audience)
	}
	// The form promised in the doc comment, checked on the golden bytes.
	for _, frag := range []string{
		`{"v":1,"cell":"amman","index":42,"time":"2025-06-01T09:00:00.123456789Z",`,
		`"audience":["mediator","party-a","party-b"],`,
		`"nonce":"AAECAwQFBgcICQoLDA0ODw==",`,
		`"member":"m-alice <&>"`, // not HTML-escaped
	} {
		if !bytes.Contains(want, []byte(frag)) {
			t.Errorf("golden bytes lack %s", frag)
		}
	}
	if bytes.ContainsAny(want, "\n\t") {
		t.Error("golden bytes are not compact")
	}

	h := LeafHash(want)
	ref := sha256.Sum256(append([]byte{0}, want...))
	if h != ref {
		t.Errorf("LeafHash = %x, want SHA-256(0x00 || bytes) = %x", h[:], ref[:])
	}

	parsed, err := ParseEntry(want)
	if err != nil {
		t.Fatalf("ParseEntry(golden): %v", err)
	}
	if !bytes.Equal(parsed.Bytes(), want) {
		t.Fatal("ParseEntry(golden).Bytes() differs from golden")
	}
	if parsed.Cell != e.Cell || parsed.Index != e.Index || !parsed.Time.Equal(e.Time) ||
		parsed.Time.Location() != time.UTC || parsed.Member != e.Member || parsed.Party != e.Party ||
		parsed.KeyID != e.KeyID || !slices.Equal(parsed.Audience, []string{"mediator", "party-a", "party-b"}) ||
		!bytes.Equal(parsed.Nonce, e.Nonce) || !envelopesEqual(parsed.Envelope, e.Envelope) {
		t.Fatalf("ParseEntry(golden) = %+v, want %+v", parsed, e)
	}
	if err := parsed.Envelope.Verify(testKey(3).Public().(ed25519.PublicKey)); err != nil {
		t.Errorf("envelope inside the entry: %v", err)
	}
}

func TestParseEntryRejectsNonCanonical(t *testing.T) {
	e := fixedEntry()
	canon := string(e.Bytes())
	if _, err := ParseEntry([]byte(canon)); err != nil {
		t.Fatalf("canonical bytes do not parse: %v", err)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, []byte(canon), "", "  "); err != nil {
		t.Fatal(err)
	}
	// Re-encoding through a map sorts the keys: same content, other order.
	var m map[string]any
	if err := json.Unmarshal([]byte(canon), &m); err != nil {
		t.Fatal(err)
	}
	sortedKeys, _ := json.Marshal(m)
	htmlEscaped, _ := json.Marshal(json.RawMessage(canon)) // escapes <, >, &

	replace := func(old, new string) string {
		t.Helper()
		if !strings.Contains(canon, old) {
			t.Fatalf("canonical bytes lack %s", old)
		}
		return strings.Replace(canon, old, new, 1)
	}
	cases := map[string]string{
		"leading space":        " " + canon,
		"trailing newline":     canon + "\n",
		"space after colon":    replace(`"cell":"amman"`, `"cell": "amman"`),
		"space after comma":    replace(`,"index"`, `, "index"`),
		"indented":             indented.String(),
		"reordered fields":     replace(`"cell":"amman","index":42,`, `"index":42,"cell":"amman",`),
		"keys sorted":          string(sortedKeys),
		"unsorted audience":    replace(`["mediator","party-a","party-b"]`, `["party-b","mediator","party-a"]`),
		"null audience":        replace(`"audience":["mediator","party-a","party-b"]`, `"audience":null`),
		"time not UTC":         replace(`"2025-06-01T09:00:00.123456789Z"`, `"2025-06-01T12:00:00.123456789+03:00"`),
		"time +00:00":          replace(`"2025-06-01T09:00:00.123456789Z"`, `"2025-06-01T09:00:00.123456789+00:00"`),
		"time trailing zero":   replace(`"2025-06-01T09:00:00.123456789Z"`, `"2025-06-01T09:00:00.1234567890Z"`),
		"time not RFC 3339":    replace(`"2025-06-01T09:00:00.123456789Z"`, `"Sun, 01 Jun 2025 09:00:00 UTC"`),
		"escaped slash":        replace(`application/vnd`, `application\/vnd`),
		"HTML-escaped":         string(htmlEscaped),
		"unpadded nonce":       replace(`"AAECAwQFBgcICQoLDA0ODw=="`, `"AAECAwQFBgcICQoLDA0ODw"`),
		"index as float":       replace(`"index":42`, `"index":42.0`),
		"index as string":      replace(`"index":42`, `"index":"42"`),
		"version 2":            replace(`{"v":1,`, `{"v":2,`),
		"no version":           replace(`{"v":1,`, `{`),
		"unknown field":        replace(`{"v":1,`, `{"v":1,"extra":true,`),
		"field name case":      replace(`"cell":`, `"Cell":`),
		"duplicate field":      replace(`"cell":"amman",`, `"cell":"amman","cell":"amman",`),
		"no envelope":          canon[:strings.Index(canon, `,"envelope":`)] + "}",
		"null envelope":        canon[:strings.Index(canon, `,"envelope":`)] + `,"envelope":null}`,
		"trailing data":        canon + "{}",
		"trailing brace":       canon + "}",
		"envelope field order": replace(`{"payloadType":`, `{"signatures":[],"payloadType":`),
		"not JSON":             "entry 42",
		"empty":                "",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if in == canon {
				t.Fatal("variant equals the canonical bytes")
			}
			if got, err := ParseEntry([]byte(in)); err == nil {
				t.Fatalf("ParseEntry accepted %s as %+v", in, got)
			}
		})
	}
}

func TestEntryBytesNormalizes(t *testing.T) {
	// Equal entries written differently in memory give the same bytes.
	a := fixedEntry()
	b := fixedEntry()
	b.Time = a.Time.UTC()
	b.Audience = []string{"mediator", "party-a", "party-b"}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("zone or audience order changed the bytes:\n%s\n%s", a.Bytes(), b.Bytes())
	}
	// An entry of the server, with an empty audience and no nonce, round-trips.
	s := &Entry{Cell: "c", Index: 0, Time: time.Unix(0, 0), Envelope: Sign("deadline.passed", []byte("{}"), testKey(4))}
	back, err := ParseEntry(s.Bytes())
	if err != nil {
		t.Fatalf("ParseEntry(%s): %v", s.Bytes(), err)
	}
	if !bytes.Equal(back.Bytes(), s.Bytes()) || back.Member != "" || len(back.Audience) != 0 {
		t.Fatalf("round trip of %s gave %+v", s.Bytes(), back)
	}
	if !bytes.Contains(s.Bytes(), []byte(`"audience":[]`)) {
		t.Errorf("a nil audience is not written as []: %s", s.Bytes())
	}
}

func TestNonceChangesLeafHash(t *testing.T) {
	a := fixedEntry()
	b := fixedEntry()
	b.Nonce = slices.Clone(a.Nonce)
	if LeafHash(a.Bytes()) != LeafHash(b.Bytes()) {
		t.Fatal("equal entries have different leaf hashes")
	}
	b.Nonce[15] ^= 1
	if LeafHash(a.Bytes()) == LeafHash(b.Bytes()) {
		t.Fatal("entries with different nonces share a leaf hash")
	}

	seen := map[Hash]bool{}
	nonces := map[string]bool{}
	for range 64 {
		n := NewNonce()
		if len(n) != 16 {
			t.Fatalf("nonce of %d bytes, want 16", len(n))
		}
		nonces[string(n)] = true
		e := fixedEntry()
		e.Nonce = n
		seen[LeafHash(e.Bytes())] = true
	}
	if len(nonces) != 64 || len(seen) != 64 {
		t.Fatalf("64 fresh nonces gave %d distinct nonces and %d distinct leaf hashes", len(nonces), len(seen))
	}
}

func TestVisible(t *testing.T) {
	e := fixedEntry()
	for party, want := range map[string]bool{"mediator": true, "party-a": true, "party-b": true, "party-c": false, "": false} {
		if got := e.Visible(party); got != want {
			t.Errorf("Visible(%q) = %v, want %v", party, got, want)
		}
	}
}

func TestParseHeader(t *testing.T) {
	h, err := ParseHeader([]byte(`{"id":"c-1","time":"2025-06-01T11:59:58.5+03:00","cell":"amman","text":"other fields are the domain's"}`))
	if err != nil {
		t.Fatal(err)
	}
	if h.ID != "c-1" || h.Cell != "amman" || !h.Time.Equal(time.Date(2025, 6, 1, 8, 59, 58, 5e8, time.UTC)) {
		t.Fatalf("ParseHeader = %+v", h)
	}
	if _, err := ParseHeader([]byte(`{"id":"` + strings.Repeat("x", 128) + `","time":"2025-06-01T00:00:00Z","cell":"c"}`)); err != nil {
		t.Errorf("an id of 128 bytes: %v", err)
	}

	for name, in := range map[string]string{
		"empty":      ``,
		"not JSON":   `id=1`,
		"array":      `[1]`,
		"string":     `"x"`,
		"null":       `null`,
		"no id":      `{"time":"2025-06-01T00:00:00Z","cell":"c"}`,
		"empty id":   `{"id":"","time":"2025-06-01T00:00:00Z","cell":"c"}`,
		"numeric id": `{"id":1,"time":"2025-06-01T00:00:00Z","cell":"c"}`,
		"long id":    `{"id":"` + strings.Repeat("x", 129) + `","time":"2025-06-01T00:00:00Z","cell":"c"}`,
		"no time":    `{"id":"a","cell":"c"}`,
		"zero time":  `{"id":"a","time":"0001-01-01T00:00:00Z","cell":"c"}`,
		"bad time":   `{"id":"a","time":"yesterday","cell":"c"}`,
		"unix time":  `{"id":"a","time":1748736000,"cell":"c"}`,
		"no cell":    `{"id":"a","time":"2025-06-01T00:00:00Z"}`,
		"empty cell": `{"id":"a","time":"2025-06-01T00:00:00Z","cell":""}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseHeader([]byte(in))
			if err == nil {
				t.Fatal("ParseHeader succeeded")
			}
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %q does not wrap ErrMalformed", err)
			}
		})
	}
}
