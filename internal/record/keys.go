package record

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// NoteKeyName returns the name of a cell's note key, which is also the
// origin line of its checkpoints.
func NoteKeyName(origin string) string { return origin }

// ValidOrigin reports whether s can name a log: note key names may not hold
// spaces or '+', and the origin is a single line.
func ValidOrigin(s string) bool {
	return s != "" && len(s) <= 200 && !strings.ContainsAny(s, " +\n\t\r")
}

// NewNoteKey generates a cell's note signing key and its verifier key, both
// in the sumdb/note text format.
func NewNoteKey(origin string) (skey, vkey string, err error) {
	if !ValidOrigin(origin) {
		return "", "", fmt.Errorf("origin %q cannot name a note key", origin)
	}
	return note.GenerateKey(rand.Reader, origin)
}

// DeviceKey is a member's Ed25519 key pair as a client keeps it in a file.
type DeviceKey struct {
	Member  string             `json:"member,omitempty"`
	Server  string             `json:"server,omitempty"`
	Private ed25519.PrivateKey `json:"private"`
}

// NewDeviceKey generates a device key.
func NewDeviceKey() (*DeviceKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return &DeviceKey{Private: priv}, nil
}

// Public returns the public half.
func (k *DeviceKey) Public() ed25519.PublicKey { return k.Private.Public().(ed25519.PublicKey) }

// ID returns the key id.
func (k *DeviceKey) ID() string { return KeyID(k.Public()) }

// WriteFile stores the key readable by its owner only.
func (k *DeviceKey) WriteFile(path string) error { return writeKeyFile(path, k) }

// writeKeyFile stores a key as JSON, readable by its owner only, whole or
// not at all (written aside, then renamed).
func writeKeyFile(path string, k any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(k, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ReadDeviceKey loads a key written by WriteFile.
func ReadDeviceKey(path string) (*DeviceKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var k DeviceKey
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	if len(k.Private) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("key file %s: no Ed25519 private key", path)
	}
	return &k, nil
}

// EncodePublicKey renders a public key for JSON (base64).
func EncodePublicKey(pub ed25519.PublicKey) string { return base64.StdEncoding.EncodeToString(pub) }

// DecodePublicKey parses a base64 Ed25519 public key.
func DecodePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b, err = base64.RawURLEncoding.DecodeString(s); err != nil {
			return nil, errors.New("public key is not base64")
		}
	}
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("public key has %d bytes, want %d", len(b), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}
