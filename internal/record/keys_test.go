package record

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestDeviceKeyFile(t *testing.T) {
	k, err := NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	k.Member, k.Server = "m-alice", "https://liaison.example"
	path := filepath.Join(t.TempDir(), "keys", "device.json")
	if err := k.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("key file mode %o, want 600", perm)
		}
	}
	back, err := ReadDeviceKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Private, k.Private) || back.Member != k.Member || back.Server != k.Server {
		t.Fatalf("ReadDeviceKey = %+v, want %+v", back, k)
	}
	if back.ID() != KeyID(k.Public()) || !back.Public().Equal(k.Private.Public()) {
		t.Fatal("key read back has another public key")
	}
	// A key signs envelopes that verify under its public half.
	if err := Sign("x", []byte("{}"), back.Private).Verify(k.Public()); err != nil {
		t.Fatal(err)
	}
	other, _ := NewDeviceKey()
	if other.ID() == k.ID() {
		t.Fatal("two generated keys share an id")
	}
}

func TestReadDeviceKeyErrors(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"garbage":   "not json",
		"no key":    `{"member":"m"}`,
		"short key": `{"private":"` + base64.StdEncoding.EncodeToString(make([]byte, 32)) + `"}`,
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadDeviceKey(path); err == nil {
			t.Errorf("%s: ReadDeviceKey succeeded", name)
		}
	}
	if _, err := ReadDeviceKey(filepath.Join(dir, "missing")); err == nil {
		t.Error("ReadDeviceKey of a missing file succeeded")
	}
}

func TestPublicKeyEncoding(t *testing.T) {
	pub := testKey(5).Public().(ed25519.PublicKey)
	s := EncodePublicKey(pub)
	if s != base64.StdEncoding.EncodeToString(pub) {
		t.Errorf("EncodePublicKey = %q", s)
	}
	for _, in := range []string{s, base64.RawURLEncoding.EncodeToString(pub)} {
		got, err := DecodePublicKey(in)
		if err != nil || !got.Equal(pub) {
			t.Errorf("DecodePublicKey(%q) = %x, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "!!!", base64.StdEncoding.EncodeToString(pub[:31]), base64.StdEncoding.EncodeToString(append(pub, 0))} {
		if _, err := DecodePublicKey(bad); err == nil {
			t.Errorf("DecodePublicKey(%q) succeeded", bad)
		}
	}
}
