package record

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// testKey returns a fixed Ed25519 key derived from seed, so that signatures
// (deterministic in Ed25519) are reproducible.
func testKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func testPayload() []byte {
	return []byte(`{"id":"01J0000000000000000000000","time":"2025-06-01T12:00:00Z","cell":"amman","text":"hello"}`)
}

func TestPAESpecVector(t *testing.T) {
	// DSSE protocol.md, "Test vector".
	got := PAE("http://example.com/HelloWorld", []byte("hello world"))
	if want := "DSSEv1 29 http://example.com/HelloWorld 11 hello world"; string(got) != want {
		t.Errorf("PAE = %q, want %q", got, want)
	}
	if got, want := PAE("", nil), "DSSEv1 0  0 "; string(got) != want {
		t.Errorf("PAE of empties = %q, want %q", got, want)
	}
	// Lengths count bytes, not characters.
	if got, want := PAE("t", []byte("é")), "DSSEv1 1 t 2 é"; string(got) != want {
		t.Errorf("PAE = %q, want %q", got, want)
	}
}

func TestKeyID(t *testing.T) {
	pub := testKey(1).Public().(ed25519.PublicKey)
	sum := sha256.Sum256(pub)
	if got, want := KeyID(pub), hex.EncodeToString(sum[:16]); got != want {
		t.Errorf("KeyID = %q, want %q", got, want)
	}
	if len(KeyID(pub)) != 32 {
		t.Errorf("KeyID has %d characters, want 32", len(KeyID(pub)))
	}
	if KeyID(pub) == KeyID(testKey(2).Public().(ed25519.PublicKey)) {
		t.Error("two keys share a key id")
	}
}

func TestPayloadTypeAndKind(t *testing.T) {
	if got := PayloadType("hotline.message"); got != "application/vnd.liaison.hotline.message+json" {
		t.Errorf("PayloadType = %q", got)
	}
	for pt, kind := range map[string]string{
		"application/vnd.liaison.hotline.message+json": "hotline.message",
		"application/vnd.in-toto+json":                 "",
		"application/vnd.liaison.x+xml":                "",
		"text/plain":                                   "",
	} {
		e := &Envelope{PayloadType: pt}
		if got := e.Kind(); got != kind {
			t.Errorf("Kind of %q = %q, want %q", pt, got, kind)
		}
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	priv := testKey(1)
	pub := priv.Public().(ed25519.PublicKey)
	payload := testPayload()
	env := Sign("hotline.message", payload, priv)

	if env.PayloadType != "application/vnd.liaison.hotline.message+json" || env.Kind() != "hotline.message" {
		t.Fatalf("payload type %q, kind %q", env.PayloadType, env.Kind())
	}
	if !bytes.Equal(env.Payload, payload) {
		t.Fatalf("payload %q, want %q", env.Payload, payload)
	}
	if ids := env.KeyIDs(); len(ids) != 1 || ids[0] != KeyID(pub) {
		t.Fatalf("KeyIDs = %q, want [%q]", ids, KeyID(pub))
	}
	// The signature is a plain Ed25519 signature over the PAE: any DSSE
	// implementation can check it.
	if !ed25519.Verify(pub, PAE(env.PayloadType, payload), env.Signatures[0].Sig) {
		t.Fatal("signature is not an Ed25519 signature over the PAE")
	}
	if err := env.Verify(pub); err != nil {
		t.Fatalf("Verify: %v", err)
	}

	// Through the wire form and back.
	wire := env.Marshal()
	var generic map[string]any
	if err := json.Unmarshal(wire, &generic); err != nil {
		t.Fatal(err)
	}
	if generic["payload"] != base64.StdEncoding.EncodeToString(payload) {
		t.Errorf("wire payload %v is not the standard base64 of the payload", generic["payload"])
	}
	back, err := ParseEnvelope(wire)
	if err != nil {
		t.Fatalf("ParseEnvelope(Marshal()): %v", err)
	}
	if !envelopesEqual(env, back) {
		t.Fatalf("round trip changed the envelope:\n%s\n%s", wire, back.Marshal())
	}
	if err := back.Verify(pub); err != nil {
		t.Fatalf("Verify after round trip: %v", err)
	}
}

func envelopesEqual(a, b *Envelope) bool {
	if a.PayloadType != b.PayloadType || !bytes.Equal(a.Payload, b.Payload) || len(a.Signatures) != len(b.Signatures) {
		return false
	}
	for i := range a.Signatures {
		if a.Signatures[i].KeyID != b.Signatures[i].KeyID || !bytes.Equal(a.Signatures[i].Sig, b.Signatures[i].Sig) {
			return false
		}
	}
	return true
}

func TestVerifyFailures(t *testing.T) {
	priv := testKey(1)
	pub := priv.Public().(ed25519.PublicKey)
	other := testKey(2)
	otherPub := other.Public().(ed25519.PublicKey)
	fresh := func() *Envelope { return Sign("hotline.message", testPayload(), priv) }

	cases := []struct {
		name   string
		mutate func(*Envelope)
		key    ed25519.PublicKey
		want   error
	}{
		{"altered payload", func(e *Envelope) { e.Payload[len(e.Payload)-2] ^= 1 }, pub, ErrBadSignature},
		{"appended payload", func(e *Envelope) { e.Payload = append(e.Payload, ' ') }, pub, ErrBadSignature},
		{"altered payloadType", func(e *Envelope) { e.PayloadType = PayloadType("hotline.ack") }, pub, ErrBadSignature},
		{"wrong key", func(e *Envelope) {}, otherPub, ErrBadSignature},
		{"wrong key, its key id claimed", func(e *Envelope) { e.Signatures[0].KeyID = KeyID(otherPub) }, otherPub, ErrBadSignature},
		{"key id mismatch", func(e *Envelope) { e.Signatures[0].KeyID = KeyID(otherPub) }, pub, ErrBadSignature},
		{"key id altered", func(e *Envelope) { e.Signatures[0].KeyID = strings.ToUpper(e.Signatures[0].KeyID) }, pub, ErrBadSignature},
		{"altered signature", func(e *Envelope) { e.Signatures[0].Sig[10] ^= 0x80 }, pub, ErrBadSignature},
		{"truncated signature", func(e *Envelope) { e.Signatures[0].Sig = e.Signatures[0].Sig[:63] }, pub, ErrBadSignature},
		{"empty signature", func(e *Envelope) { e.Signatures[0].Sig = nil }, pub, ErrBadSignature},
		{"signature by another key", func(e *Envelope) {
			e.Signatures[0].Sig = ed25519.Sign(other, PAE(e.PayloadType, e.Payload))
		}, pub, ErrBadSignature},
		{"two signatures", func(e *Envelope) {
			e.Signatures = append(e.Signatures, Sign("hotline.message", e.Payload, other).Signatures[0])
		}, pub, ErrMalformed},
		{"the same signature twice", func(e *Envelope) {
			e.Signatures = append(e.Signatures, e.Signatures[0])
		}, pub, ErrMalformed},
		{"no signature", func(e *Envelope) { e.Signatures = nil }, pub, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := fresh()
			tc.mutate(e)
			err := e.Verify(tc.key)
			if err == nil {
				t.Fatal("Verify succeeded")
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify error %q does not wrap %q", err, tc.want)
			}
		})
	}
}

// validEnvelopeJSON is a well-formed wire envelope, signed by testKey(1).
func validEnvelopeJSON(t testing.TB) string {
	t.Helper()
	return string(Sign("hotline.message", testPayload(), testKey(1)).Marshal())
}

func TestParseEnvelopeAccepts(t *testing.T) {
	priv := testKey(1)
	pub := priv.Public().(ed25519.PublicKey)
	env := Sign("hotline.message", testPayload(), priv)
	sig := env.Signatures[0].Sig
	p64 := base64.StdEncoding.EncodeToString(env.Payload)
	s64 := base64.StdEncoding.EncodeToString(sig)
	for name, in := range map[string]string{
		"compact":   string(env.Marshal()),
		"spaced":    "\n {\n \"signatures\" : [ { \"sig\" : \"" + s64 + "\" , \"keyid\" : \"" + env.Signatures[0].KeyID + "\" } ] ,\n \"payload\" : \"" + p64 + "\", \"payloadType\" : \"" + env.PayloadType + "\" }\n\n",
		"url-safe":  `{"payloadType":"` + env.PayloadType + `","payload":"` + base64.URLEncoding.EncodeToString(env.Payload) + `","signatures":[{"keyid":"` + env.Signatures[0].KeyID + `","sig":"` + base64.RawURLEncoding.EncodeToString(sig) + `"}]}`,
		"unpadded":  `{"payloadType":"` + env.PayloadType + `","payload":"` + base64.RawStdEncoding.EncodeToString(env.Payload) + `","signatures":[{"keyid":"` + env.Signatures[0].KeyID + `","sig":"` + base64.RawStdEncoding.EncodeToString(sig) + `"}]}`,
		"escaped":   `{"payloadType":"application\/vnd.liaison.hotline.message+json","payload":"` + p64 + `","signatures":[{"keyid":"` + env.Signatures[0].KeyID + `","sig":"` + s64 + `"}]}`,
		"dsse-more": `{"payloadType":"` + env.PayloadType + `","payload":"` + p64 + `","signatures":[{"keyid":"` + env.Signatures[0].KeyID + `","sig":"` + s64 + `"},{"keyid":"x","sig":""}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParseEnvelope([]byte(in))
			if err != nil {
				t.Fatalf("ParseEnvelope: %v", err)
			}
			if got.PayloadType != env.PayloadType || !bytes.Equal(got.Payload, env.Payload) ||
				got.Signatures[0].KeyID != env.Signatures[0].KeyID || !bytes.Equal(got.Signatures[0].Sig, sig) {
				t.Fatalf("parsed %+v, want %+v", got, env)
			}
			if name != "dsse-more" {
				if err := got.Verify(pub); err != nil {
					t.Fatalf("Verify: %v", err)
				}
			}
		})
	}
}

func TestParseEnvelopeRejects(t *testing.T) {
	valid := validEnvelopeJSON(t)
	if _, err := ParseEnvelope([]byte(valid)); err != nil {
		t.Fatalf("the valid envelope does not parse: %v", err)
	}
	env, _ := ParseEnvelope([]byte(valid))
	kid := env.Signatures[0].KeyID
	p64 := base64.StdEncoding.EncodeToString(env.Payload)
	s64 := base64.StdEncoding.EncodeToString(env.Signatures[0].Sig)
	build := func(pt, payload, sigs string) string {
		return `{"payloadType":` + pt + `,"payload":` + payload + `,"signatures":` + sigs + `}`
	}
	pt := `"` + env.PayloadType + `"`
	p := `"` + p64 + `"`
	sigs := `[{"keyid":"` + kid + `","sig":"` + s64 + `"}]`
	sig1 := `{"keyid":"k","sig":"` + s64 + `"}`

	cases := map[string]string{
		"empty input":             "",
		"whitespace":              " \n",
		"null":                    "null",
		"array":                   "[" + valid + "]",
		"string":                  `"x"`,
		"truncated":               valid[:len(valid)-1],
		"unknown field":           strings.Replace(valid, `{"payloadType"`, `{"extra":1,"payloadType"`, 1),
		"unknown signature field": strings.Replace(valid, `"keyid"`, `"public":"x","keyid"`, 1),
		"field name case":         strings.Replace(valid, `"payloadType"`, `"PayloadType"`, 1),
		"signature field case":    strings.Replace(valid, `"keyid"`, `"keyId"`, 1),
		"duplicate field":         strings.Replace(valid, `{"payloadType"`, `{"payload":"AAAA","payloadType"`, 1),
		"duplicate sig field":     strings.Replace(valid, `"keyid"`, `"sig":"AAAA","keyid"`, 1),
		"trailing envelope":       valid + valid,
		"trailing garbage":        valid + "x",
		"trailing brace":          valid + "}",
		"trailing bracket":        valid + " ]",
		"trailing comma":          valid + ",",
		"trailing number":         valid + " 1",
		"missing payloadType":     `{"payload":` + p + `,"signatures":` + sigs + `}`,
		"null payloadType":        build("null", p, sigs),
		"empty payloadType":       build(`""`, p, sigs),
		"numeric payloadType":     build("1", p, sigs),
		"missing payload":         `{"payloadType":` + pt + `,"signatures":` + sigs + `}`,
		"null payload":            build(pt, "null", sigs),
		"object payload":          build(pt, `{"id":"x"}`, sigs),
		"missing signatures":      `{"payloadType":` + pt + `,"payload":` + p + `}`,
		"null signatures":         build(pt, p, "null"),
		"no signatures":           build(pt, p, "[]"),
		"five signatures":         build(pt, p, "["+strings.Repeat(sig1+",", 4)+sig1+"]"),
		"signature not an object": build(pt, p, `["x"]`),
		"null signature":          build(pt, p, `[null]`),
		"missing keyid":           build(pt, p, `[{"sig":"`+s64+`"}]`),
		"empty keyid":             build(pt, p, `[{"keyid":"","sig":"`+s64+`"}]`),
		"long keyid":              build(pt, p, `[{"keyid":"`+strings.Repeat("a", 129)+`","sig":"`+s64+`"}]`),
		"missing sig":             build(pt, p, `[{"keyid":"`+kid+`"}]`),
		"null sig":                build(pt, p, `[{"keyid":"`+kid+`","sig":null}]`),
		"bad base64 payload":      build(pt, `"not*base64"`, sigs),
		"bad base64 length":       build(pt, `"aGVsbG8gd29ybGQ=="`, sigs),
		"mixed base64 alphabets":  build(pt, `"ab+_"`, sigs),
		"bad base64 sig":          build(pt, p, `[{"keyid":"k","sig":"%%%%"}]`),
		"in-toto payload type":    build(`"application/vnd.in-toto+json"`, p, sigs),
		"no kind":                 build(`"application/vnd.liaison.+json"`, p, sigs),
		"kind with upper case":    build(`"application/vnd.liaison.Hotline+json"`, p, sigs),
		"kind with slash":         build(`"application/vnd.liaison.a/b+json"`, p, sigs),
		"kind with space":         build(`"application/vnd.liaison.a b+json"`, p, sigs),
		"long kind":               build(`"`+PayloadType(strings.Repeat("k", 65))+`"`, p, sigs),
		"wrong suffix":            build(`"application/vnd.liaison.hotline+xml"`, p, sigs),
		"oversize":                build(pt, `"`+strings.Repeat("A", MaxEnvelopeSize)+`"`, sigs),
		"oversize whitespace":     valid + strings.Repeat(" ", MaxEnvelopeSize),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			env, err := ParseEnvelope([]byte(in))
			if err == nil {
				t.Fatalf("ParseEnvelope accepted %.200q as %+v", in, env)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %q does not wrap ErrMalformed", err)
			}
			if env != nil {
				t.Fatalf("non-nil envelope with error %v", err)
			}
		})
	}

	// The size bound is on the input: just under it is fine.
	big := build(pt, `"`+strings.Repeat("A", 4*(MaxEnvelopeSize/4-100))+`"`, sigs)
	if len(big) > MaxEnvelopeSize {
		t.Fatalf("test envelope of %d bytes is over the limit", len(big))
	}
	if _, err := ParseEnvelope([]byte(big)); err != nil {
		t.Errorf("envelope of %d bytes (limit %d): %v", len(big), MaxEnvelopeSize, err)
	}
}

// Multiple signatures parse (DSSE allows them) but never verify.
func TestParsedMultiSignatureDoesNotVerify(t *testing.T) {
	priv := testKey(1)
	pub := priv.Public().(ed25519.PublicKey)
	e := Sign("hotline.message", testPayload(), priv)
	e.Signatures = append(e.Signatures, Sign("hotline.message", testPayload(), testKey(2)).Signatures[0])
	back, err := ParseEnvelope(e.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if got := back.KeyIDs(); len(got) != 2 || got[1] != KeyID(testKey(2).Public().(ed25519.PublicKey)) {
		t.Fatalf("KeyIDs = %q", got)
	}
	if err := back.Verify(pub); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Verify of a doubly signed envelope: %v, want ErrMalformed", err)
	}
}

func ExampleSign() {
	// A device key; a real one comes from NewDeviceKey.
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	pub := priv.Public().(ed25519.PublicKey)

	payload := []byte(`{"id":"c1","time":"2025-06-01T12:00:00Z","cell":"amman","text":"hold fire at grid 41"}`)
	env := Sign("hotline.message", payload, priv)
	wire := env.Marshal() // what the client sends

	got, err := ParseEnvelope(wire)
	if err != nil {
		panic(err)
	}
	fmt.Println(got.PayloadType)
	fmt.Println("verify:", got.Verify(pub))

	got.Payload = bytes.Replace(got.Payload, []byte("41"), []byte("42"), 1)
	fmt.Println("tampered:", errors.Is(got.Verify(pub), ErrBadSignature))
	// Output:
	// application/vnd.liaison.hotline.message+json
	// verify: <nil>
	// tampered: true
}
