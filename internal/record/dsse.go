// Package record holds Liaison's verifiable record: DSSE envelopes signed with
// Ed25519 device keys, log entries in their canonical byte form, the RFC 6962
// Merkle tree over them, and C2SP checkpoints. It knows nothing of SQL or HTTP.
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
	"io"
	"slices"
	"strconv"
	"strings"
)

// PayloadTypePrefix starts every Liaison payload type; the kind of command
// sits between it and PayloadTypeSuffix.
const (
	PayloadTypePrefix = "application/vnd.liaison."
	PayloadTypeSuffix = "+json"
)

// MaxEnvelopeSize bounds an envelope as received from a client. Attachments
// travel as blobs, so a command is small.
const MaxEnvelopeSize = 256 << 10

// MaxBulkEnvelopeSize bounds the envelope of a command whose content must be
// in the log itself to be decided on and replayed: a STIX bundle submitted
// to the intelligence desk, ten thousand objects of it. Only the kinds a
// registry declares bulk (cell.Registry.HandleBulk) may be that large.
const MaxBulkEnvelopeSize = 32 << 20

var (
	// ErrMalformed reports an envelope that cannot be parsed.
	ErrMalformed = errors.New("malformed envelope")
	// ErrBadSignature reports an envelope whose signature does not verify
	// with the key it names.
	ErrBadSignature = errors.New("signature does not verify")
)

// Envelope is a DSSE envelope (github.com/secure-systems-lab/dsse). Payload
// holds the raw payload bytes; its JSON form is base64, as DSSE specifies.
type Envelope struct {
	PayloadType string      `json:"payloadType"`
	Payload     []byte      `json:"payload"`
	Signatures  []Signature `json:"signatures"`
}

// Signature is one DSSE signature.
type Signature struct {
	KeyID string `json:"keyid"`
	Sig   []byte `json:"sig"`
}

// PayloadType returns the DSSE payload type of a command kind.
func PayloadType(kind string) string { return PayloadTypePrefix + kind + PayloadTypeSuffix }

// Kind returns the command kind named by the envelope's payload type, or ""
// when the type is not a Liaison one.
func (e *Envelope) Kind() string {
	t := e.PayloadType
	if !strings.HasPrefix(t, PayloadTypePrefix) || !strings.HasSuffix(t, PayloadTypeSuffix) {
		return ""
	}
	return t[len(PayloadTypePrefix) : len(t)-len(PayloadTypeSuffix)]
}

// PAE is DSSE's pre-authentication encoding, the bytes that are signed:
// "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body.
func PAE(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(payloadType) + len(payload) + 32)
	b.WriteString("DSSEv1 ")
	b.WriteString(strconv.Itoa(len(payloadType)))
	b.WriteByte(' ')
	b.WriteString(payloadType)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(payload)))
	b.WriteByte(' ')
	b.Write(payload)
	return b.Bytes()
}

// KeyID names an Ed25519 public key: the hex of the first 16 bytes of its
// SHA-256. It is stable, short enough to read aloud, and reveals nothing more
// than the key itself.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:16])
}

// Sign returns an envelope of kind carrying payload, signed by priv.
func Sign(kind string, payload []byte, priv ed25519.PrivateKey) *Envelope {
	pt := PayloadType(kind)
	pub := priv.Public().(ed25519.PublicKey)
	return &Envelope{
		PayloadType: pt,
		Payload:     payload,
		Signatures:  []Signature{{KeyID: KeyID(pub), Sig: ed25519.Sign(priv, PAE(pt, payload))}},
	}
}

// KeyIDs lists the key ids that signed the envelope, in order.
func (e *Envelope) KeyIDs() []string {
	ids := make([]string, len(e.Signatures))
	for i, s := range e.Signatures {
		ids[i] = s.KeyID
	}
	return ids
}

// Verify checks that the envelope carries exactly one signature, made by pub.
// Liaison envelopes are signed by one device key: a second signature would
// be an unverified claim riding along with the first.
func (e *Envelope) Verify(pub ed25519.PublicKey) error {
	if len(e.Signatures) != 1 {
		return fmt.Errorf("%w: want exactly one signature, have %d", ErrMalformed, len(e.Signatures))
	}
	s := e.Signatures[0]
	if s.KeyID != KeyID(pub) {
		return fmt.Errorf("%w: key id %q is not the id of the given key", ErrBadSignature, s.KeyID)
	}
	if len(s.Sig) != ed25519.SignatureSize || !ed25519.Verify(pub, PAE(e.PayloadType, e.Payload), s.Sig) {
		return fmt.Errorf("%w (key %s)", ErrBadSignature, s.KeyID)
	}
	return nil
}

// ParseEnvelope decodes a DSSE envelope strictly: unknown fields, trailing
// data, a non-Liaison payload type, a missing or oversized field, and an
// envelope or payload that is not I-JSON (CheckIJSON) are errors, each with
// a message precise enough to show a client.
func ParseEnvelope(data []byte) (*Envelope, error) { return ParseEnvelopeMax(data, MaxEnvelopeSize) }

// ParseEnvelopeMax is ParseEnvelope with a size limit of max bytes, for the
// routes of bulk commands (MaxBulkEnvelopeSize).
func ParseEnvelopeMax(data []byte, max int) (*Envelope, error) {
	if len(data) > max {
		return nil, fmt.Errorf("%w: %d bytes exceeds the limit of %d", ErrMalformed, len(data), max)
	}
	var wire struct {
		PayloadType *string `json:"payloadType"`
		Payload     *string `json:"payload"`
		Signatures  []struct {
			KeyID *string `json:"keyid"`
			Sig   *string `json:"sig"`
		} `json:"signatures"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&wire); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	// dec.More would miss a stray '}' or ']': it reports only whether
	// another element follows inside an array or object.
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the envelope", ErrMalformed)
	}
	if err := exactFieldNames(data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	// The decoder turns what is not UTF-8 into U+FFFD without a word, so
	// the envelope's text is checked as received.
	if err := CheckIJSON(data); err != nil {
		return nil, fmt.Errorf("%w: envelope: %v", ErrMalformed, err)
	}
	if wire.PayloadType == nil || *wire.PayloadType == "" {
		return nil, fmt.Errorf("%w: payloadType is missing", ErrMalformed)
	}
	if wire.Payload == nil {
		return nil, fmt.Errorf("%w: payload is missing", ErrMalformed)
	}
	env := &Envelope{PayloadType: *wire.PayloadType}
	if env.Kind() == "" || !validKind(env.Kind()) {
		return nil, fmt.Errorf("%w: payloadType %q is not %s<kind>%s", ErrMalformed, env.PayloadType, PayloadTypePrefix, PayloadTypeSuffix)
	}
	p, err := decodeB64(*wire.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: payload is not base64: %v", ErrMalformed, err)
	}
	if err := CheckIJSON(p); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	env.Payload = p
	if len(wire.Signatures) == 0 {
		return nil, fmt.Errorf("%w: no signatures", ErrMalformed)
	}
	if len(wire.Signatures) > 4 {
		return nil, fmt.Errorf("%w: %d signatures, at most 4", ErrMalformed, len(wire.Signatures))
	}
	for i, s := range wire.Signatures {
		if s.KeyID == nil || *s.KeyID == "" || len(*s.KeyID) > 128 {
			return nil, fmt.Errorf("%w: signature %d: keyid is missing or too long", ErrMalformed, i)
		}
		if s.Sig == nil {
			return nil, fmt.Errorf("%w: signature %d: sig is missing", ErrMalformed, i)
		}
		sig, err := decodeB64(*s.Sig)
		if err != nil {
			return nil, fmt.Errorf("%w: signature %d: sig is not base64: %v", ErrMalformed, i, err)
		}
		env.Signatures = append(env.Signatures, Signature{KeyID: *s.KeyID, Sig: sig})
	}
	return env, nil
}

// exactFieldNames checks what encoding/json lets through even with
// DisallowUnknownFields: a field name that matches an envelope field only
// case-insensitively ("PayloadType"), and a field given twice, of which the
// decoder silently keeps the last. Other DSSE parsers may read either
// differently. It expects data that decoded into the envelope's wire form, so
// the only objects are the envelope and its signatures.
func exactFieldNames(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var walk func(fields []string) error
	walk = func(fields []string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('['):
			for dec.More() {
				if err := walk([]string{"keyid", "sig"}); err != nil {
					return err
				}
			}
		case json.Delim('{'):
			seen := make(map[string]bool, len(fields))
			for dec.More() {
				tok, err := dec.Token()
				if err != nil {
					return err
				}
				name, _ := tok.(string)
				if !slices.Contains(fields, name) {
					return fmt.Errorf("unknown field %q", name)
				}
				if seen[name] {
					return fmt.Errorf("field %q appears twice", name)
				}
				seen[name] = true
				if err := walk(nil); err != nil {
					return err
				}
			}
		default:
			return nil
		}
		_, err = dec.Token() // the closing ']' or '}'
		return err
	}
	return walk([]string{"payloadType", "payload", "signatures"})
}

// decodeB64 accepts standard and URL-safe base64, padded or not: DSSE
// implementations differ, and the signature covers the decoded bytes.
func decodeB64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	_, err := base64.StdEncoding.DecodeString(s)
	return nil, err
}

func validKind(k string) bool {
	if len(k) == 0 || len(k) > 64 {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Marshal returns the envelope's JSON form.
func (e *Envelope) Marshal() []byte {
	b, err := json.Marshal(e)
	if err != nil {
		panic(err) // only byte slices and strings: cannot fail
	}
	return b
}
