package verify

import (
	"fmt"
	"math/bits"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/liaison-cell/liaison/internal/record"
)

// memTree is the Merkle tree recomputed from leaf hashes alone, held in
// memory in tlog's stored-hash layout (about two hashes per leaf).
type memTree struct {
	n      int64
	hashes []record.Hash
}

func newMemTree(leaves []record.Hash) (*memTree, error) {
	n := int64(len(leaves))
	t := &memTree{hashes: make([]record.Hash, 0, tlog.StoredHashCount(n))}
	for i, h := range leaves {
		hs, err := tlog.StoredHashesForRecordHash(int64(i), h, t)
		if err != nil {
			return nil, fmt.Errorf("tree: leaf %d: %w", i, err)
		}
		t.hashes = append(t.hashes, hs...)
		t.n++
	}
	return t, nil
}

// ReadHashes implements tlog.HashReader.
func (t *memTree) ReadHashes(idx []int64) ([]record.Hash, error) {
	out := make([]record.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(t.hashes)) {
			return nil, fmt.Errorf("tree: no stored hash %d in a tree of %d leaves", x, t.n)
		}
		out[i] = t.hashes[x]
	}
	return out, nil
}

// root returns the root hash of the first n leaves.
func (t *memTree) root(n int64) (record.Hash, error) { return tlog.TreeHash(n, t) }

// hash returns the hash of the subtree of leaves [lo, hi), as RFC 6962
// splits it.
func (t *memTree) hash(lo, hi int64) record.Hash {
	size := hi - lo
	if size&(size-1) == 0 && lo%size == 0 { // a complete, aligned subtree: stored
		level := bits.TrailingZeros64(uint64(size))
		return t.hashes[tlog.StoredHashIndex(level, lo>>level)]
	}
	k := maxpow2(size)
	return tlog.NodeHash(t.hash(lo, lo+k), t.hash(lo+k, hi))
}

// maxpow2 returns the largest power of two smaller than n (n > 1): where
// RFC 6962 splits a tree of n leaves.
func maxpow2(n int64) int64 {
	return 1 << (bits.Len64(uint64(n-1)) - 1)
}

// ceilLog2 returns the depth of leaf 0 in a tree of n leaves: the length of
// its audit path.
func ceilLog2(n int64) int {
	if n <= 1 {
		return 0
	}
	return bits.Len64(uint64(n - 1))
}
