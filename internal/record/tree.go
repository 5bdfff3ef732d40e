package record

import (
	"encoding/base64"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// Hash is a Merkle tree hash (SHA-256).
type Hash = tlog.Hash

// HashReader reads stored tree hashes by their storage index
// (tlog.StoredHashIndex). Stores implement it over their hash tables.
type HashReader = tlog.HashReader

// StoredHashes returns the hashes to store when leaf n, with canonical bytes
// data, is appended to a tree of n leaves. r must answer for the hashes
// already stored, including those appended earlier in the same batch.
func StoredHashes(n int64, data []byte, r HashReader) ([]Hash, error) {
	return tlog.StoredHashes(n, data, r)
}

// TreeHash returns the root hash of the tree of the first n leaves.
func TreeHash(n int64, r HashReader) (Hash, error) { return tlog.TreeHash(n, r) }

// InclusionProof returns the RFC 6962 audit path of leaf i in the tree of
// size n.
func InclusionProof(i, n int64, r HashReader) ([]Hash, error) {
	if i < 0 || i >= n {
		return nil, fmt.Errorf("index %d is outside a tree of size %d", i, n)
	}
	p, err := tlog.ProveRecord(n, i, r)
	return p, err
}

// ConsistencyProof returns the RFC 6962 consistency proof between the trees
// of sizes m and n.
func ConsistencyProof(m, n int64, r HashReader) ([]Hash, error) {
	if m < 1 || m > n {
		return nil, fmt.Errorf("sizes %d and %d do not make a consistency proof (need 1 <= from <= to)", m, n)
	}
	return tlog.ProveTree(n, m, r)
}

// EncodeHashes renders hashes as base64 strings for JSON answers.
func EncodeHashes(hs []Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

// DecodeHashes parses base64 hashes.
func DecodeHashes(ss []string) ([]Hash, error) {
	out := make([]Hash, len(ss))
	for i, s := range ss {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != len(Hash{}) {
			return nil, fmt.Errorf("hash %d is not a base64 SHA-256 hash", i)
		}
		copy(out[i][:], b)
	}
	return out, nil
}

// StoredHashIndex maps a tree node (level, n) to its storage index.
func StoredHashIndex(level int, n int64) int64 { return tlog.StoredHashIndex(level, n) }
