package record

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParseEnvelope(f *testing.F) {
	env := Sign("hotline.message", testPayload(), testKey(1))
	wire := string(env.Marshal())
	p64 := base64.StdEncoding.EncodeToString(env.Payload)
	s64 := base64.StdEncoding.EncodeToString(env.Signatures[0].Sig)
	for _, s := range []string{
		wire,
		string(Sign("a", nil, testKey(2)).Marshal()),
		string(Sign("cell.member-add_2", []byte{0, 0xff, '"', '\\'}, testKey(2)).Marshal()),
		`{"payloadType":"application/vnd.liaison.x+json","payload":"","signatures":[{"keyid":"k","sig":""}]}`,
		`{"payloadType":"application/vnd.liaison.x+json","payload":"` + base64.RawURLEncoding.EncodeToString(env.Payload) + `","signatures":[{"keyid":"<&>\u2028","sig":"` + base64.RawStdEncoding.EncodeToString(env.Signatures[0].Sig) + `"},{"keyid":"b","sig":"AA"}]}`,
		` { "signatures" : [ { "sig" : "` + s64 + `" , "keyid" : "k" } ] , "payload" : "` + p64 + `" , "payloadType" : "application\/vnd.liaison.x+json" } `,
		wire + "}",
		strings.Replace(wire, `"payloadType"`, `"PayloadType"`, 1),
		strings.Replace(wire, `"keyid"`, `"keyid":"x","keyid"`, 1),
		`{"payloadType":"application/vnd.in-toto+json","payload":"","signatures":[]}`,
		`{}`, `null`, `[]`, `"x"`, ``,
		string(Sign("message.send", []byte(`{"id":"x","body":"a\ud800b"}`), testKey(3)).Marshal()),
		string(Sign("message.send", []byte(`{"id":"x","body":"\ud83d\ude00"}`), testKey(3)).Marshal()),
		strings.Replace(wire, `"keyid":"`, "\"keyid\":\"\xff", 1),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseEnvelope(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %q does not wrap ErrMalformed", err)
			}
			if e != nil {
				t.Fatal("envelope returned with an error")
			}
			return
		}
		if e.Kind() == "" || len(e.Signatures) == 0 || len(e.Signatures) > 4 || e.Payload == nil {
			t.Fatalf("accepted an envelope breaking its own rules: %+v", e)
		}
		if !utf8.Valid(data) || CheckIJSON(e.Payload) != nil {
			t.Fatalf("accepted %q, whose envelope or payload is not I-JSON", data)
		}
		m := e.Marshal()
		if len(m) > MaxEnvelopeSize {
			// Re-encoding can grow the input (padding, escapes), so an
			// input just under the limit may marshal to just over it.
			return
		}
		e2, err := ParseEnvelope(m)
		if err != nil {
			t.Fatalf("ParseEnvelope(Marshal()) of %q: %v\nmarshaled: %s", data, err, m)
		}
		if !envelopesEqual(e, e2) {
			t.Fatalf("round trip changed the envelope:\n%+v\n%+v", e, e2)
		}
		if m2 := e2.Marshal(); !bytes.Equal(m, m2) {
			t.Fatalf("Marshal is not stable:\n%s\n%s", m, m2)
		}
	})
}

func FuzzParseEntry(f *testing.F) {
	f.Add(fixedEntry().Bytes())
	f.Add((&Entry{Cell: "c", Time: time.Unix(0, 0), Envelope: &Envelope{}}).Bytes())
	f.Add((&Entry{Cell: "c", Index: -1, Time: time.Unix(1, 1), Audience: []string{"b", "a", "a"}, Nonce: []byte{}, Envelope: Sign("x", []byte("\x00<"), testKey(4))}).Bytes())
	f.Add([]byte(`{"v":1,"cell":"","index":0,"time":"0001-01-01T00:00:00Z","member":"","party":"","key":"","audience":[],"nonce":null,"envelope":{"payloadType":"","payload":null,"signatures":null}}`))
	f.Add([]byte(`{"v":1}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseEntry(data)
		if err != nil {
			return
		}
		b := e.Bytes()
		if !bytes.Equal(b, data) {
			t.Fatalf("accepted bytes are not canonical:\n in: %q\nout: %q", data, b)
		}
		e2, err := ParseEntry(b)
		if err != nil {
			t.Fatalf("ParseEntry(Bytes()): %v", err)
		}
		if LeafHash(e2.Bytes()) != LeafHash(data) {
			t.Fatal("leaf hash changed on a round trip")
		}
		if e.Time.Location() != time.UTC {
			t.Fatalf("time in %v, want UTC", e.Time.Location())
		}
		for _, p := range e.Audience {
			if !e.Visible(p) {
				t.Fatalf("audience member %q cannot see the entry", p)
			}
		}
	})
}

func FuzzParseCheckpoint(f *testing.F) {
	c := testCheckpoint()
	f.Add(c.Text())
	f.Add(c.Text() + "extension\n")
	f.Add(Checkpoint{Origin: "o", Size: 0}.Text())
	f.Add(Checkpoint{Origin: "a b+c", Size: 1<<63 - 1}.Text())
	f.Add("o\n01\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
	f.Add("o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n")
	f.Add("o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n")
	f.Add("\n\n\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseCheckpoint(text)
		if err != nil {
			return
		}
		body := c.Text()
		// Whatever follows the three lines is extension lines; the lines
		// themselves must be the one spelling of what they state.
		if !strings.HasPrefix(text, body) {
			t.Fatalf("accepted %q, whose first lines are not Text() %q", text, body)
		}
		c2, err := ParseCheckpoint(body)
		if err != nil {
			t.Fatalf("ParseCheckpoint(Text()) of %q: %v", text, err)
		}
		if !c2.Equal(c) || c2.Text() != body {
			t.Fatalf("round trip changed the checkpoint: %+v, %+v", c, c2)
		}
	})
}
