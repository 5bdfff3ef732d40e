package main

// This file is a verifier written by an outsider: it knows DESIGN.md's log
// contract, net/http, encoding/json and golang.org/x/mod/sumdb/{note,tlog},
// and no Liaison code at all (TestOutsideVerifierImports keeps it so).

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// outsideCheckpoint is what the outsider remembers of a verified log.
type outsideCheckpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// outsideReport is what one verification established.
type outsideReport struct {
	Checkpoint outsideCheckpoint
	Leaves     []tlog.Hash
	Read       int // entries whose data was checked
	Signatures int // envelope signatures verified
	Inclusion  int // inclusion proofs checked
}

// outsideGet fetches path from the server with the bearer token.
func outsideGet(base, token, path string) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", path, resp.Status, b)
	}
	return b, nil
}

func outsideGetJSON(base, token, path string, v any) error {
	b, err := outsideGet(base, token, path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// outsideLogin signs in and returns a bearer token.
func outsideLogin(base, username, password string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var r struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != http.StatusOK || r.Token == "" {
		return "", fmt.Errorf("login: %s (%v)", resp.Status, err)
	}
	return r.Token, nil
}

// outsideCheckpointNote fetches and opens the signed checkpoint.
func outsideCheckpointNote(base, token string) (outsideCheckpoint, error) {
	var cp outsideCheckpoint
	vkey, err := outsideGet(base, token, "/api/v1/log/key")
	if err != nil {
		return cp, err
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(vkey)))
	if err != nil {
		return cp, fmt.Errorf("verifier key: %w", err)
	}
	msg, err := outsideGet(base, token, "/api/v1/log/checkpoint")
	if err != nil {
		return cp, err
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return cp, fmt.Errorf("checkpoint signature: %w", err)
	}
	// C2SP tlog-checkpoint: origin, size, base64 root hash, each on a line.
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		return cp, fmt.Errorf("checkpoint %q has fewer than three lines", n.Text)
	}
	cp.Origin = lines[0]
	if cp.Origin != v.Name() {
		return cp, fmt.Errorf("checkpoint origin %q is not the key's name %q", cp.Origin, v.Name())
	}
	if cp.Size, err = strconv.ParseInt(lines[1], 10, 64); err != nil {
		return cp, fmt.Errorf("checkpoint size %q", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != len(cp.Root) {
		return cp, fmt.Errorf("checkpoint root %q", lines[2])
	}
	copy(cp.Root[:], root)
	return cp, nil
}

// outsideVerify verifies the log at base as the holder of token sees it:
// the checkpoint's signature, the root recomputed from every leaf hash, the
// data of every entry it may read against its leaf, each of those entries'
// envelope signature and inclusion proof, and, when prev is not nil, that
// the log extends the checkpoint prev with a consistency proof.
func outsideVerify(base, token string, prev *outsideCheckpoint) (*outsideReport, error) {
	cp, err := outsideCheckpointNote(base, token)
	if err != nil {
		return nil, err
	}
	rep := &outsideReport{Checkpoint: cp}

	// Every leaf hash, at most 1000 per request.
	for start := int64(0); start < cp.Size; start += 1000 {
		end := min(cp.Size, start+1000)
		var r struct {
			Leaves [][]byte `json:"leaves"`
		}
		if err := outsideGetJSON(base, token, fmt.Sprintf("/api/v1/log/leaves?start=%d&end=%d", start, end), &r); err != nil {
			return nil, err
		}
		if int64(len(r.Leaves)) != end-start {
			return nil, fmt.Errorf("leaves %d..%d: got %d", start, end, len(r.Leaves))
		}
		for _, l := range r.Leaves {
			var h tlog.Hash
			if len(l) != len(h) {
				return nil, fmt.Errorf("a leaf hash of %d bytes", len(l))
			}
			copy(h[:], l)
			rep.Leaves = append(rep.Leaves, h)
		}
	}

	// The tree over them, in tlog's stored-hash layout, and its root.
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x >= int64(len(stored)) {
				return nil, fmt.Errorf("no stored hash %d", x)
			}
			out[i] = stored[x]
		}
		return out, nil
	})
	for i, lh := range rep.Leaves {
		hs, err := tlog.StoredHashesForRecordHash(int64(i), lh, reader)
		if err != nil {
			return nil, err
		}
		stored = append(stored, hs...)
	}
	if cp.Size > 0 {
		root, err := tlog.TreeHash(cp.Size, reader)
		if err != nil {
			return nil, err
		}
		if root != cp.Root {
			return nil, fmt.Errorf("the leaves hash to %s, the checkpoint says %s", root, cp.Root)
		}
	}

	// The entries this party may read.
	keys := map[string]ed25519.PublicKey{}
	for after := int64(-1); ; {
		var page struct {
			Entries []struct {
				Index    int64  `json:"index"`
				LeafData []byte `json:"leaf_data"`
			} `json:"entries"`
			Next string `json:"next"`
		}
		if err := outsideGetJSON(base, token, fmt.Sprintf("/api/v1/entries?after=%d&limit=1000", after), &page); err != nil {
			return nil, err
		}
		for _, e := range page.Entries {
			if e.Index >= cp.Size {
				continue // after the checkpoint
			}
			if tlog.RecordHash(e.LeafData) != rep.Leaves[e.Index] {
				return nil, fmt.Errorf("entry %d: its data does not hash to leaf %d", e.Index, e.Index)
			}
			if err := outsideCheckSignature(e.LeafData, keys); err != nil {
				return nil, fmt.Errorf("entry %d: %w", e.Index, err)
			}
			rep.Signatures++
			var p struct {
				Hashes [][]byte `json:"hashes"`
			}
			if err := outsideGetJSON(base, token, fmt.Sprintf("/api/v1/log/proof/inclusion?index=%d&size=%d", e.Index, cp.Size), &p); err != nil {
				return nil, err
			}
			if err := tlog.CheckRecord(toHashes(p.Hashes), cp.Size, cp.Root, e.Index, rep.Leaves[e.Index]); err != nil {
				return nil, fmt.Errorf("entry %d: inclusion proof: %w", e.Index, err)
			}
			rep.Inclusion++
			rep.Read++
		}
		if page.Next == "" {
			break
		}
		if after, err = strconv.ParseInt(page.Next, 10, 64); err != nil {
			return nil, err
		}
	}

	// The log only grew since prev.
	if prev != nil {
		if prev.Origin != cp.Origin {
			return nil, fmt.Errorf("origin changed from %q to %q", prev.Origin, cp.Origin)
		}
		switch {
		case cp.Size < prev.Size:
			return nil, fmt.Errorf("the log shrank from %d to %d entries", prev.Size, cp.Size)
		case cp.Size == prev.Size:
			if cp.Root != prev.Root {
				return nil, fmt.Errorf("two checkpoints of size %d with different roots", cp.Size)
			}
		default:
			var p struct {
				Hashes [][]byte `json:"hashes"`
			}
			if err := outsideGetJSON(base, token, fmt.Sprintf("/api/v1/log/proof/consistency?from=%d&to=%d", prev.Size, cp.Size), &p); err != nil {
				return nil, err
			}
			if err := tlog.CheckTree(toHashes(p.Hashes), cp.Size, cp.Root, prev.Size, prev.Root); err != nil {
				return nil, fmt.Errorf("the log of %d entries does not extend the checkpoint of %d: %w", cp.Size, prev.Size, err)
			}
		}
	}
	return rep, nil
}

func toHashes(bs [][]byte) []tlog.Hash {
	out := make([]tlog.Hash, len(bs))
	for i, b := range bs {
		copy(out[i][:], b)
	}
	return out
}

// outsideCheckSignature checks an entry's DSSE envelope signature with the
// key the entry names: the server key that the log's first entry declares,
// or a key that an earlier key.register entry (signed by that key itself)
// declares. keys collects them.
func outsideCheckSignature(data []byte, keys map[string]ed25519.PublicKey) error {
	var e struct {
		Index    int64  `json:"index"`
		Key      string `json:"key"`
		Envelope struct {
			PayloadType string `json:"payloadType"`
			Payload     []byte `json:"payload"`
			Signatures  []struct {
				KeyID string `json:"keyid"`
				Sig   []byte `json:"sig"`
			} `json:"signatures"`
		} `json:"envelope"`
	}
	if err := json.Unmarshal(data, &e); err != nil {
		return err
	}
	env := e.Envelope
	if len(env.Signatures) != 1 || env.Signatures[0].KeyID != e.Key {
		return fmt.Errorf("want one signature by key %s", e.Key)
	}
	var p struct {
		ServerKey []byte `json:"server_key"`
		PublicKey []byte `json:"public_key"`
	}
	json.Unmarshal(env.Payload, &p) //nolint:errcheck // commands other than these two lack both fields
	keyID := func(pub []byte) string {
		sum := sha256.Sum256(pub)
		return hex.EncodeToString(sum[:16])
	}
	switch env.PayloadType {
	case "application/vnd.liaison.cell.create+json":
		if e.Index != 0 || len(p.ServerKey) != ed25519.PublicKeySize {
			return fmt.Errorf("cell.create at %d", e.Index)
		}
		keys[keyID(p.ServerKey)] = p.ServerKey
	case "application/vnd.liaison.key.register+json":
		if len(p.PublicKey) != ed25519.PublicKeySize || keyID(p.PublicKey) != e.Key {
			return fmt.Errorf("key.register not signed by the key it registers")
		}
		keys[e.Key] = p.PublicKey
	}
	pub, ok := keys[e.Key]
	if !ok {
		return fmt.Errorf("signed by unknown key %s", e.Key)
	}
	// DSSE's pre-authentication encoding.
	pae := fmt.Sprintf("DSSEv1 %d %s %d ", len(env.PayloadType), env.PayloadType, len(env.Payload))
	if !ed25519.Verify(pub, append([]byte(pae), env.Payload...), env.Signatures[0].Sig) {
		return fmt.Errorf("the envelope signature does not verify with key %s", e.Key)
	}
	return nil
}
