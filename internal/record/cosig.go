package record

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Cosignatures follow C2SP tlog-cosignature, version 1 (Ed25519): a
// witness signs "cosignature/v1\ntime <unix>\n" followed by the checkpoint
// body, and the note signature is the 8-byte big-endian time followed by
// the 64-byte Ed25519 signature. Its key hash commits to the type byte
// 0x04, so a cosignature can never pass for an ordinary note signature by
// the same key, nor one for the other.
const cosigAlg = 0x04

const cosigHeader = "cosignature/v1\n"

// ErrBadCosignature reports a cosignature or witness key that does not
// parse or verify.
var ErrBadCosignature = errors.New("bad cosignature")

func cosigKeyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', cosigAlg})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

func cosigMessage(t uint64, text []byte) []byte {
	m := make([]byte, 0, len(cosigHeader)+32+len(text))
	m = append(m, cosigHeader...)
	m = append(m, "time "...)
	m = strconv.AppendUint(m, t, 10)
	m = append(m, '\n')
	return append(m, text...)
}

// WitnessVerifierKey renders a witness's public key as a C2SP vkey of
// signature type 0x04: name+hash+base64(0x04 || key).
func WitnessVerifierKey(name string, pub ed25519.PublicKey) (string, error) {
	if !ValidOrigin(name) {
		return "", fmt.Errorf("%w: %q cannot name a witness key (no spaces or '+')", ErrBadCosignature, name)
	}
	if len(pub) != ed25519.PublicKeySize {
		return "", fmt.Errorf("%w: not an Ed25519 public key", ErrBadCosignature)
	}
	return fmt.Sprintf("%s+%08x+%s", name, cosigKeyHash(name, pub),
		base64.StdEncoding.EncodeToString(append([]byte{cosigAlg}, pub...))), nil
}

// WitnessVerifier is a note.Verifier of cosignature/v1 signatures: given to
// note.Open, it verifies a witness's signature line on a checkpoint.
type WitnessVerifier struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
}

// NewWitnessVerifier parses a witness vkey (WitnessVerifierKey's format).
func NewWitnessVerifier(vkey string) (*WitnessVerifier, error) {
	name, rest, ok1 := strings.Cut(vkey, "+")
	hash16, key64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || !ValidOrigin(name) || len(hash16) != 8 {
		return nil, fmt.Errorf("%w: witness key %q is not name+hash+key", ErrBadCosignature, vkey)
	}
	h, err := strconv.ParseUint(hash16, 16, 32)
	if err != nil {
		return nil, fmt.Errorf("%w: witness key hash %q is not hexadecimal", ErrBadCosignature, hash16)
	}
	key, err := base64.StdEncoding.DecodeString(key64)
	if err != nil || len(key) != 1+ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: witness key material is not a base64 type byte and Ed25519 key", ErrBadCosignature)
	}
	if key[0] != cosigAlg {
		return nil, fmt.Errorf("%w: witness key has signature type 0x%02x, want 0x04 (cosignature/v1)", ErrBadCosignature, key[0])
	}
	pub := ed25519.PublicKey(key[1:])
	if uint32(h) != cosigKeyHash(name, pub) {
		return nil, fmt.Errorf("%w: witness key hash %s does not match its name and key", ErrBadCosignature, hash16)
	}
	return &WitnessVerifier{name: name, hash: uint32(h), pub: pub}, nil
}

// Name implements note.Verifier.
func (v *WitnessVerifier) Name() string { return v.name }

// KeyHash implements note.Verifier.
func (v *WitnessVerifier) KeyHash() uint32 { return v.hash }

// Public returns the witness's Ed25519 public key.
func (v *WitnessVerifier) Public() ed25519.PublicKey { return v.pub }

// Verify implements note.Verifier: sig is the timestamped_signature.
func (v *WitnessVerifier) Verify(msg, sig []byte) bool {
	t, ok := cosigTime(sig)
	if !ok {
		return false
	}
	return ed25519.Verify(v.pub, cosigMessage(t, msg), sig[8:])
}

func cosigTime(sig []byte) (uint64, bool) {
	if len(sig) != 8+ed25519.SignatureSize {
		return 0, false
	}
	t := binary.BigEndian.Uint64(sig)
	return t, t <= 1<<63-1
}

// CosignatureTime returns the time a cosignature line (note.Signature's
// Base64, the key hash included) says it was made.
func CosignatureTime(b64 string) (time.Time, error) {
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) < 4 {
		return time.Time{}, fmt.Errorf("%w: signature is not base64", ErrBadCosignature)
	}
	t, ok := cosigTime(b[4:])
	if !ok {
		return time.Time{}, fmt.Errorf("%w: not a timestamped Ed25519 signature", ErrBadCosignature)
	}
	return time.Unix(int64(t), 0).UTC(), nil
}

// WitnessKey is a witness's Ed25519 key pair as its file keeps it. Name is
// the key name of its signature lines.
type WitnessKey struct {
	Name    string             `json:"name"`
	Private ed25519.PrivateKey `json:"private"`
	// Now stamps cosignatures (default time.Now); tests set it.
	Now func() time.Time `json:"-"`
}

// NewWitnessKey generates a witness key called name.
func NewWitnessKey(name string) (*WitnessKey, error) {
	if !ValidOrigin(name) {
		return nil, fmt.Errorf("%q cannot name a witness key (no spaces or '+')", name)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return &WitnessKey{Name: name, Private: priv}, nil
}

// Public returns the public half.
func (k *WitnessKey) Public() ed25519.PublicKey { return k.Private.Public().(ed25519.PublicKey) }

// VerifierKey returns the witness's vkey.
func (k *WitnessKey) VerifierKey() string {
	v, _ := WitnessVerifierKey(k.Name, k.Public()) // the name was checked when the key was made or read
	return v
}

// Signer returns k as a note.Signer of cosignature/v1 signatures.
func (k *WitnessKey) Signer() note.Signer { return cosigner{k} }

type cosigner struct{ k *WitnessKey }

func (s cosigner) Name() string    { return s.k.Name }
func (s cosigner) KeyHash() uint32 { return cosigKeyHash(s.k.Name, s.k.Public()) }

// Sign makes a cosignature/v1 signature stamped now.
func (s cosigner) Sign(msg []byte) ([]byte, error) {
	k := s.k
	now := time.Now
	if k.Now != nil {
		now = k.Now
	}
	t := now().Unix()
	if t < 0 {
		return nil, errors.New("cosignature: the clock is before 1970")
	}
	sig := binary.BigEndian.AppendUint64(make([]byte, 0, 8+ed25519.SignatureSize), uint64(t))
	return append(sig, ed25519.Sign(k.Private, cosigMessage(uint64(t), msg))...), nil
}

var _ note.Verifier = (*WitnessVerifier)(nil)

// Cosign adds k's cosignature to a signed checkpoint note, which must
// verify with the cell's verifier key vkey: a witness cosigns only what it
// has verified. The answer holds the cell's signature and k's, in that
// order.
func (k *WitnessKey) Cosign(msg []byte, vkey string) ([]byte, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: verifier key: %w", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	n.UnverifiedSigs = nil // others' lines are theirs to send
	return note.Sign(n, k.Signer())
}

// PossessionMessage is what a witness key signs (plain Ed25519) to prove,
// when it is registered, that the registering party holds it: the cell, the
// party and the vkey, so the proof serves no other registration.
func PossessionMessage(cellID, party, vkey string) []byte {
	return []byte("liaison witness.register\n" + cellID + "\n" + party + "\n" + vkey + "\n")
}

// ProvePossession returns the base64 proof that k is registered for party.
func (k *WitnessKey) ProvePossession(cellID, party string) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(k.Private, PossessionMessage(cellID, party, k.VerifierKey())))
}

// WriteFile stores the key readable by its owner only.
func (k *WitnessKey) WriteFile(path string) error { return writeKeyFile(path, k) }

// ReadWitnessKey loads a key written by WriteFile.
func ReadWitnessKey(path string) (*WitnessKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var k WitnessKey
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("witness key file %s: %w", path, err)
	}
	if len(k.Private) != ed25519.PrivateKeySize || !ValidOrigin(k.Name) {
		return nil, fmt.Errorf("witness key file %s: no name and Ed25519 private key", path)
	}
	return &k, nil
}
