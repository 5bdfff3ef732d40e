package record

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

const testOrigin = "liaison.example/cells/amman"

func testCheckpoint() Checkpoint {
	return Checkpoint{Origin: testOrigin, Size: 1234, Root: LeafHash([]byte("root"))}
}

func signTestCheckpoint(t *testing.T, c Checkpoint) (msg []byte, vkey string) {
	t.Helper()
	skey, vkey, err := NewNoteKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	msg, err = SignCheckpoint(c, s)
	if err != nil {
		t.Fatal(err)
	}
	return msg, vkey
}

func TestCheckpointText(t *testing.T) {
	var root Hash
	for i := range root {
		root[i] = byte(i)
	}
	c := Checkpoint{Origin: "example.com/log", Size: 42, Root: root}
	// C2SP tlog-checkpoint: origin, decimal size, standard base64 root hash,
	// each ending in a newline.
	want := "example.com/log\n42\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
	if got := c.Text(); got != want {
		t.Fatalf("Text() = %q, want %q", got, want)
	}
	back, err := ParseCheckpoint(want)
	if err != nil || !back.Equal(c) {
		t.Fatalf("ParseCheckpoint(Text()) = %+v, %v", back, err)
	}
	if (Checkpoint{Origin: "o", Size: 0}).Text() != "o\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" {
		t.Errorf("Text of an empty checkpoint = %q", (Checkpoint{Origin: "o"}).Text())
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	c := testCheckpoint()
	msg, vkey := signTestCheckpoint(t, c)
	got, err := OpenCheckpoint(msg, vkey)
	if err != nil {
		t.Fatalf("OpenCheckpoint: %v", err)
	}
	if !got.Equal(c) {
		t.Fatalf("OpenCheckpoint = %+v, want %+v", got, c)
	}
	if !strings.HasPrefix(vkey, testOrigin+"+") {
		t.Errorf("verifier key %q is not named %q", vkey, testOrigin)
	}
	if NoteKeyName(testOrigin) != testOrigin {
		t.Errorf("NoteKeyName(%q) = %q", testOrigin, NoteKeyName(testOrigin))
	}
}

// TestCheckpointWithNoteDirectly verifies a checkpoint the way third-party
// code would, with golang.org/x/mod/sumdb/note and no Liaison code.
func TestCheckpointWithNoteDirectly(t *testing.T) {
	c := testCheckpoint()
	msg, vkey := signTestCheckpoint(t, c)

	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		t.Fatalf("note.Open: %v", err)
	}
	want := testOrigin + "\n1234\n" + base64.StdEncoding.EncodeToString(c.Root[:]) + "\n"
	if n.Text != want {
		t.Fatalf("note text = %q, want %q", n.Text, want)
	}
	if len(n.Sigs) != 1 || n.Sigs[0].Name != testOrigin || n.Sigs[0].Hash != v.KeyHash() {
		t.Fatalf("note signatures = %+v", n.Sigs)
	}
	if len(n.UnverifiedSigs) != 0 {
		t.Fatalf("unverified signatures: %+v", n.UnverifiedSigs)
	}
	// The signed note is the text, a blank line, then one signature line.
	if !bytes.HasPrefix(msg, []byte(want+"\n— "+testOrigin+" ")) {
		t.Fatalf("signed note is not text + blank line + signature:\n%s", msg)
	}
}

func TestCheckpointWrongKey(t *testing.T) {
	msg, _ := signTestCheckpoint(t, testCheckpoint())
	// Another key with the same name: note.Open finds no verifiable signature.
	_, otherV, err := NewNoteKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenCheckpoint(msg, otherV); err == nil {
		t.Fatal("checkpoint verified with another key of the same name")
	}
	// Another key with another name.
	_, thirdV, err := NewNoteKey("liaison.example/cells/beirut")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenCheckpoint(msg, thirdV); err == nil {
		t.Fatal("checkpoint verified with another cell's key")
	}
	if _, err := OpenCheckpoint(msg, "not a key"); err == nil {
		t.Fatal("checkpoint verified with a malformed key")
	}
}

func TestCheckpointTampered(t *testing.T) {
	msg, vkey := signTestCheckpoint(t, testCheckpoint())
	for name, m := range map[string][]byte{
		"size":      bytes.Replace(msg, []byte("\n1234\n"), []byte("\n1235\n"), 1),
		"origin":    bytes.Replace(msg, []byte("amman\n"), []byte("ammam\n"), 1),
		"no sig":    msg[:bytes.Index(msg, []byte("\n\n"))+2],
		"truncated": msg[:len(msg)-3],
		"empty":     nil,
	} {
		if bytes.Equal(m, msg) {
			t.Fatalf("%s: tampering left the note unchanged", name)
		}
		if _, err := OpenCheckpoint(m, vkey); err == nil {
			t.Errorf("%s: tampered checkpoint verified", name)
		}
	}
}

func TestCheckpointOriginMustBeKeyName(t *testing.T) {
	c := testCheckpoint()
	c.Origin = "liaison.example/cells/beirut"
	msg, vkey := signTestCheckpoint(t, c) // signed by the key named testOrigin

	// The signature itself is good ...
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
		t.Fatalf("note.Open: %v", err)
	}
	// ... but the checkpoint speaks of a log the key does not name.
	if got, err := OpenCheckpoint(msg, vkey); err == nil {
		t.Fatalf("OpenCheckpoint accepted origin %q under key %q: %+v", c.Origin, testOrigin, got)
	} else if !strings.Contains(err.Error(), "origin") {
		t.Fatalf("error %q does not name the origin", err)
	}
}

func TestCheckpointSignedBodyMustParse(t *testing.T) {
	skey, vkey, err := NewNoteKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := note.Sign(&note.Note{Text: testOrigin + "\nmany\nroot\n"}, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenCheckpoint(msg, vkey); err == nil {
		t.Fatal("a signed note that is not a checkpoint was accepted")
	}
}

func TestNewNoteKeyOrigins(t *testing.T) {
	for _, bad := range []string{"", "a b", "a+b", "a\nb", "a\tb", "a\rb", strings.Repeat("o", 201)} {
		if _, _, err := NewNoteKey(bad); err == nil {
			t.Errorf("NewNoteKey(%q) succeeded", bad)
		}
		if ValidOrigin(bad) {
			t.Errorf("ValidOrigin(%q) = true", bad)
		}
	}
	for _, good := range []string{"a", "liaison.example/cells/amman", strings.Repeat("o", 200)} {
		if !ValidOrigin(good) {
			t.Errorf("ValidOrigin(%q) = false", good)
		}
		if _, _, err := NewNoteKey(good); err != nil {
			t.Errorf("NewNoteKey(%q): %v", good, err)
		}
	}
}

func TestParseCheckpoint(t *testing.T) {
	c := testCheckpoint()
	text := c.Text()
	root := base64.StdEncoding.EncodeToString(c.Root[:])

	// Extension lines follow the root and are ignored.
	ext, err := ParseCheckpoint(text + "ext one\next two\n")
	if err != nil || !ext.Equal(c) {
		t.Fatalf("with extension lines: %+v, %v", ext, err)
	}

	// Change the last character of the root within its padding bits: the
	// same bytes, another spelling.
	last := root[len(root)-2]
	loose := root[:len(root)-2] + string(last+1) + "="
	if b, err := base64.StdEncoding.DecodeString(loose); err != nil || !bytes.Equal(b, c.Root[:]) {
		t.Fatalf("test setup: %q does not decode to the root (%v)", loose, err)
	}

	for name, in := range map[string]string{
		"empty":              "",
		"no final newline":   strings.TrimSuffix(text, "\n"),
		"two lines":          testOrigin + "\n1234\n",
		"empty origin":       "\n1234\n" + root + "\n",
		"negative size":      testOrigin + "\n-1\n" + root + "\n",
		"signed size":        testOrigin + "\n+1234\n" + root + "\n",
		"leading zero":       testOrigin + "\n01234\n" + root + "\n",
		"spaced size":        testOrigin + "\n 1234\n" + root + "\n",
		"hex size":           testOrigin + "\n0x4d2\n" + root + "\n",
		"size overflow":      testOrigin + "\n9223372036854775808\n" + root + "\n",
		"empty size":         testOrigin + "\n\n" + root + "\n",
		"short root":         testOrigin + "\n1234\n" + base64.StdEncoding.EncodeToString(c.Root[:31]) + "\n",
		"long root":          testOrigin + "\n1234\n" + base64.StdEncoding.EncodeToString(append(c.Root[:], 0)) + "\n",
		"root with junk":     testOrigin + "\n1234\n" + root + "x\n",
		"url-safe root":      testOrigin + "\n1234\n" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)) + "\n",
		"unpadded root":      testOrigin + "\n1234\n" + strings.TrimSuffix(root, "=") + "\n",
		"root with CR":       testOrigin + "\n1234\n" + root + "\r\n",
		"root padding bits":  testOrigin + "\n1234\n" + loose + "\n",
		"CRLF lines":         strings.ReplaceAll(text, "\n", "\r\n"),
		"blank line":         "\n" + text,
		"root on line four":  testOrigin + "\n1234\n\n" + root + "\n",
		"size and root swap": testOrigin + "\n" + root + "\n1234\n",
	} {
		if got, err := ParseCheckpoint(in); err == nil {
			t.Errorf("%s: ParseCheckpoint(%q) = %+v", name, in, got)
		}
	}
}

func TestCheckpointEqual(t *testing.T) {
	a := testCheckpoint()
	if !a.Equal(a) {
		t.Fatal("a checkpoint is not equal to itself")
	}
	b := a
	b.Size++
	c := a
	c.Origin += "x"
	d := a
	d.Root[31] ^= 1
	for _, o := range []Checkpoint{b, c, d} {
		if a.Equal(o) || o.Equal(a) {
			t.Errorf("%+v equals %+v", a, o)
		}
	}
}
