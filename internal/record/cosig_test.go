package record

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

func newTestWitness(t *testing.T, name string, at time.Time) *WitnessKey {
	t.Helper()
	k, err := NewWitnessKey(name)
	if err != nil {
		t.Fatal(err)
	}
	k.Now = func() time.Time { return at }
	return k
}

// TestCosignatureByHand recomputes a cosignature line from the
// specification's words alone, not from this package's helpers.
func TestCosignatureByHand(t *testing.T) {
	c := testCheckpoint()
	msg, vkey := signTestCheckpoint(t, c)
	at := time.Unix(1679315147, 0)
	w := newTestWitness(t, "witness.example/il", at)
	got, err := w.Cosign(msg, vkey)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(got, msg) {
		t.Fatalf("the cosigned note does not start with the checkpoint as signed:\n%s", got)
	}
	line := strings.TrimSuffix(string(got[len(msg):]), "\n")
	name, b64, ok := strings.Cut(strings.TrimPrefix(line, "— "), " ")
	if !ok || name != w.Name {
		t.Fatalf("signature line %q", line)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != 4+8+64 {
		t.Fatalf("signature of %d bytes, %v; want key ID, time and Ed25519 signature (76)", len(raw), err)
	}
	pub := w.Public()
	id := sha256.Sum256(append(append([]byte(w.Name+"\n"), 0x04), pub...))
	if !bytes.Equal(raw[:4], id[:4]) {
		t.Errorf("key ID %x, want SHA-256(name || \\n || 0x04 || key)[:4] = %x", raw[:4], id[:4])
	}
	if ts := binary.BigEndian.Uint64(raw[4:12]); ts != 1679315147 {
		t.Errorf("timestamp %d", ts)
	}
	signed := "cosignature/v1\ntime 1679315147\n" + c.Text()
	if !ed25519.Verify(pub, []byte(signed), raw[12:]) {
		t.Error("the signature does not verify over cosignature/v1, the time line and the checkpoint body")
	}
	if at2, err := CosignatureTime(b64); err != nil || !at2.Equal(at) {
		t.Errorf("CosignatureTime = %v, %v", at2, err)
	}
}

func TestCosignedNoteVerifiesWithEachKeyAlone(t *testing.T) {
	c := testCheckpoint()
	msg, vkey := signTestCheckpoint(t, c)
	il := newTestWitness(t, "witness.example/il", time.Unix(1700000000, 0))
	sy := newTestWitness(t, "witness.example/sy", time.Unix(1700000001, 0))
	a, err := il.Cosign(msg, vkey)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sy.Cosign(msg, vkey)
	if err != nil {
		t.Fatal(err)
	}
	both := append(bytes.Clone(a), b[len(msg):]...)

	cellV, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	for _, vk := range []string{il.VerifierKey(), sy.VerifierKey()} {
		v, err := NewWitnessVerifier(vk)
		if err != nil {
			t.Fatal(err)
		}
		n, err := note.Open(both, note.VerifierList(v))
		if err != nil {
			t.Fatalf("note.Open with %s alone: %v", vk, err)
		}
		if len(n.Sigs) != 1 || n.Sigs[0].Name != v.Name() || len(n.UnverifiedSigs) != 2 {
			t.Errorf("with %s: verified %v, unverified %v", vk, n.Sigs, n.UnverifiedSigs)
		}
	}
	// An existing verifier that knows only the cell's key sees what it saw.
	if got, err := OpenCheckpoint(both, vkey); err != nil || !got.Equal(c) {
		t.Errorf("OpenCheckpoint of the cosigned note = %+v, %v", got, err)
	}
	if n, err := note.Open(both, note.VerifierList(cellV)); err != nil || len(n.Sigs) != 1 {
		t.Errorf("note.Open with the cell key: %v", err)
	}
}

func TestCosignatureRefusals(t *testing.T) {
	c := testCheckpoint()
	msg, vkey := signTestCheckpoint(t, c)
	w := newTestWitness(t, "witness.example/il", time.Unix(1700000000, 0))
	cos, err := w.Cosign(msg, vkey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewWitnessVerifier(w.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	// Another checkpoint body under the same signature line.
	other := Checkpoint{Origin: c.Origin, Size: c.Size + 1, Root: c.Root}
	forged := []byte(other.Text() + "\n" + string(cos[len(c.Text())+1:]))
	var bad *note.InvalidSignatureError
	if _, err := note.Open(forged, note.VerifierList(v)); !errors.As(err, &bad) {
		t.Errorf("a cosignature moved to another checkpoint: %v, want InvalidSignatureError", err)
	}
	// A plain note signature by the same key is no cosignature: the key
	// hashes differ (0x01 and 0x04), so it is simply unknown.
	plainV, err := note.NewEd25519VerifierKey(w.Name, w.Public())
	if err != nil {
		t.Fatal(err)
	}
	if plainV == w.VerifierKey() {
		t.Fatal("the cosignature vkey equals the plain Ed25519 vkey")
	}
	if _, err := NewWitnessVerifier(plainV); !errors.Is(err, ErrBadCosignature) {
		t.Errorf("NewWitnessVerifier(a 0x01 key) = %v", err)
	}
	for _, vk := range []string{"", "name", "name+00000000+AAAA", w.VerifierKey()[:len(w.VerifierKey())-4] + "AAA=",
		strings.Replace(w.VerifierKey(), "+", "+f", 1)} {
		if _, err := NewWitnessVerifier(vk); err == nil {
			t.Errorf("NewWitnessVerifier(%q) accepted", vk)
		}
	}
	if _, err := w.Cosign(msg, plainV); err == nil {
		t.Error("Cosign checked the checkpoint against another key and signed")
	}
}

func TestPossessionProof(t *testing.T) {
	w := newTestWitness(t, "witness.example/il", time.Now())
	p, _ := base64.StdEncoding.DecodeString(w.ProvePossession("amman", "il"))
	if !ed25519.Verify(w.Public(), PossessionMessage("amman", "il", w.VerifierKey()), p) {
		t.Error("the proof does not verify")
	}
	if ed25519.Verify(w.Public(), PossessionMessage("amman", "sy", w.VerifierKey()), p) {
		t.Error("the proof for il serves sy")
	}
}
