package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// state is what a verifier remembers of one log between runs: the verifier
// key it trusted on first use, and the last checkpoint it verified, which
// the log must extend from then on.
type state struct {
	Source      string    `json:"source"`
	VerifierKey string    `json:"verifier_key"`
	Checkpoint  string    `json:"checkpoint"` // the signed note, as served
	Size        int64     `json:"size"`       // for people reading the file
	Verified    time.Time `json:"verified"`
}

// StatePath returns the file in dir that keeps the state of the log name.
func StatePath(dir, name string) string {
	sum := sha256.Sum256([]byte(name))
	var b strings.Builder
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 80 {
			break
		}
	}
	return filepath.Join(dir, b.String()+"-"+hex.EncodeToString(sum[:6])+".json")
}

func loadState(dir, name string) (*state, error) {
	if dir == "" {
		return nil, nil
	}
	b, err := os.ReadFile(StatePath(dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", StatePath(dir, name), err)
	}
	if s.Source != name {
		return nil, fmt.Errorf("%s keeps the state of %q, not %q", StatePath(dir, name), s.Source, name)
	}
	if s.VerifierKey == "" {
		return nil, fmt.Errorf("%s: no verifier key", StatePath(dir, name))
	}
	return &s, nil
}

func saveState(dir string, s *state) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	p := StatePath(dir, s.Source)
	tmp, err := os.CreateTemp(dir, ".state-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}
