package record

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// memTree is an in-memory HashReader: the stored hashes of a tree, indexed
// by tlog.StoredHashIndex, as a store would keep them.
type memTree struct {
	hashes []Hash
	size   int64
}

func (m *memTree) ReadHashes(indexes []int64) ([]Hash, error) {
	out := make([]Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("hash %d is not stored (have %d)", x, len(m.hashes))
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

// append adds a leaf with the given data, storing what StoredHashes returns.
func (m *memTree) append(data []byte) error {
	if want := tlog.StoredHashIndex(0, m.size); int64(len(m.hashes)) != want {
		return fmt.Errorf("leaf %d: %d hashes stored, its first hash goes at %d", m.size, len(m.hashes), want)
	}
	hs, err := StoredHashes(m.size, data, m)
	if err != nil {
		return err
	}
	m.hashes = append(m.hashes, hs...)
	m.size++
	if want := tlog.StoredHashCount(m.size); int64(len(m.hashes)) != want {
		return fmt.Errorf("after leaf %d: %d hashes stored, want %d", m.size-1, len(m.hashes), want)
	}
	return nil
}

func buildTree(t testing.TB, leaves [][]byte) *memTree {
	t.Helper()
	m := &memTree{}
	for _, d := range leaves {
		if err := m.append(d); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// The reference below is RFC 6962 section 2.1, written from the text and
// sharing no code with tlog.

func refLeaf(d []byte) []byte {
	h := sha256.Sum256(append([]byte{0x00}, d...))
	return h[:]
}

func refNode(l, r []byte) []byte {
	b := append([]byte{0x01}, l...)
	h := sha256.Sum256(append(b, r...))
	return h[:]
}

// refSplit is the largest power of two smaller than n (n > 1).
func refSplit(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

// refMTH is MTH(D[n]).
func refMTH(d [][]byte) []byte {
	switch n := len(d); n {
	case 0:
		h := sha256.Sum256(nil)
		return h[:]
	case 1:
		return refLeaf(d[0])
	default:
		k := refSplit(n)
		return refNode(refMTH(d[:k]), refMTH(d[k:]))
	}
}

// refPath is PATH(m, D[n]), the audit path of leaf m.
func refPath(m int, d [][]byte) [][]byte {
	n := len(d)
	if n == 1 {
		return nil
	}
	k := refSplit(n)
	if m < k {
		return append(refPath(m, d[:k]), refMTH(d[k:]))
	}
	return append(refPath(m-k, d[k:]), refMTH(d[:k]))
}

// refProof is PROOF(m, D[n]) = SUBPROOF(m, D[n], true).
func refProof(m int, d [][]byte) [][]byte { return refSubproof(m, d, true) }

func refSubproof(m int, d [][]byte, b bool) [][]byte {
	n := len(d)
	if m == n {
		if b {
			return nil
		}
		return [][]byte{refMTH(d)}
	}
	k := refSplit(n)
	if m <= k {
		return append(refSubproof(m, d[:k], b), refMTH(d[k:]))
	}
	return append(refSubproof(m-k, d[k:], false), refMTH(d[:k]))
}

func hashesEqual(got []Hash, want [][]byte) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !bytes.Equal(got[i][:], want[i]) {
			return false
		}
	}
	return true
}

// testLeaves returns n leaves of differing lengths, some empty.
func testLeaves(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		b := make([]byte, i%7)
		for j := range b {
			b[j] = byte(i*31 + j)
		}
		out[i] = binary.BigEndian.AppendUint32(b, uint32(i))
		if i%11 == 5 {
			out[i] = nil
		}
	}
	return out
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLeafHashIsRFC6962(t *testing.T) {
	for _, d := range [][]byte{nil, {}, {0}, []byte("hello world")} {
		h := LeafHash(d)
		if !bytes.Equal(h[:], refLeaf(d)) {
			t.Errorf("LeafHash(%q) = %x, want SHA-256(0x00 || d) = %x", d, h[:], refLeaf(d))
		}
	}
}

func TestEmptyTreeHash(t *testing.T) {
	h, err := TreeHash(0, &memTree{})
	if err != nil {
		t.Fatal(err)
	}
	// RFC 6962: MTH({}) = SHA-256().
	if want := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; hex.EncodeToString(h[:]) != want {
		t.Errorf("TreeHash(0) = %x, want %s", h[:], want)
	}
}

// The leaves and roots of the certificate-transparency test tree
// (certificate-transparency merkle_tree_test, transparency-dev/merkle
// testonly), with some of its proofs.
var ctLeaves = []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"}

var ctRoots = []string{
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}

func TestCertificateTransparencyVectors(t *testing.T) {
	var leaves [][]byte
	for _, s := range ctLeaves {
		leaves = append(leaves, mustHex(t, s))
	}
	m := buildTree(t, leaves)
	for n := 1; n <= len(leaves); n++ {
		h, err := TreeHash(int64(n), m)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(h[:]); got != ctRoots[n-1] {
			t.Errorf("root of size %d = %s, want %s", n, got, ctRoots[n-1])
		}
		if ref := hex.EncodeToString(refMTH(leaves[:n])); ref != ctRoots[n-1] {
			t.Errorf("reference MTH of size %d = %s, want %s (the reference is wrong)", n, ref, ctRoots[n-1])
		}
	}

	inclusion := []struct {
		index, size int64
		proof       []string
	}{
		{0, 8, []string{
			"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
		}},
		{5, 8, []string{
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		}},
	}
	for _, tc := range inclusion {
		p, err := InclusionProof(tc.index, tc.size, m)
		if err != nil {
			t.Fatal(err)
		}
		var want [][]byte
		for _, s := range tc.proof {
			want = append(want, mustHex(t, s))
		}
		if !hashesEqual(p, want) {
			t.Errorf("InclusionProof(%d, %d) = %x, want %s", tc.index, tc.size, p, tc.proof)
		}
	}

	consistency := []struct {
		from, to int64
		proof    []string
	}{
		{1, 1, nil},
		{2, 8, []string{
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
		}},
		{6, 8, []string{
			"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		}},
		{2, 5, []string{
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		}},
	}
	for _, tc := range consistency {
		p, err := ConsistencyProof(tc.from, tc.to, m)
		if err != nil {
			t.Fatal(err)
		}
		var want [][]byte
		for _, s := range tc.proof {
			want = append(want, mustHex(t, s))
		}
		if !hashesEqual(p, want) {
			t.Errorf("ConsistencyProof(%d, %d) = %x, want %s", tc.from, tc.to, p, tc.proof)
		}
	}
}

// TestTreeAgainstReference builds one tree of 300 leaves and checks every
// prefix of it: the root against the reference MTH, every inclusion proof
// and every consistency proof against tlog's verifiers and, for the smaller
// sizes, against the reference PATH and PROOF.
func TestTreeAgainstReference(t *testing.T) {
	const max = 300
	const refMax = 64 // sizes up to which proofs are compared with the reference
	leaves := testLeaves(max)
	m := &memTree{}
	roots := make([]Hash, max+1)
	for n := 1; n <= max; n++ {
		if err := m.append(leaves[n-1]); err != nil {
			t.Fatal(err)
		}
		h, err := TreeHash(int64(n), m)
		if err != nil {
			t.Fatal(err)
		}
		if ref := refMTH(leaves[:n]); !bytes.Equal(h[:], ref) {
			t.Fatalf("root of size %d = %x, reference MTH = %x", n, h[:], ref)
		}
		roots[n] = h
	}
	// Hashes stored earlier must still give the roots of older sizes.
	for n := 1; n <= max; n++ {
		h, err := TreeHash(int64(n), m)
		if err != nil || h != roots[n] {
			t.Fatalf("root of size %d changed after growth: %x, %v", n, h[:], err)
		}
	}

	for n := int64(1); n <= max; n++ {
		for i := int64(0); i < n; i++ {
			p, err := InclusionProof(i, n, m)
			if err != nil {
				t.Fatalf("InclusionProof(%d, %d): %v", i, n, err)
			}
			if err := tlog.CheckRecord(p, n, roots[n], i, LeafHash(leaves[i])); err != nil {
				t.Fatalf("CheckRecord(leaf %d, size %d): %v", i, n, err)
			}
			if n <= refMax && !hashesEqual(p, refPath(int(i), leaves[:n])) {
				t.Fatalf("InclusionProof(%d, %d) differs from RFC 6962 PATH", i, n)
			}
		}
		for k := int64(1); k <= n; k++ {
			p, err := ConsistencyProof(k, n, m)
			if err != nil {
				t.Fatalf("ConsistencyProof(%d, %d): %v", k, n, err)
			}
			if err := tlog.CheckTree(p, n, roots[n], k, roots[k]); err != nil {
				t.Fatalf("CheckTree(%d, %d): %v", k, n, err)
			}
			if n <= refMax && !hashesEqual(p, refProof(int(k), leaves[:n])) {
				t.Fatalf("ConsistencyProof(%d, %d) differs from RFC 6962 PROOF", k, n)
			}
		}
	}
}

func flipBit(h Hash, bit int) Hash {
	h[bit/8%len(h)] ^= 1 << (bit % 8)
	return h
}

func TestTamperedProofsFail(t *testing.T) {
	const max = 100
	leaves := testLeaves(max)
	m := buildTree(t, leaves)
	root := func(n int64) Hash {
		h, err := TreeHash(n, m)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	checked := 0
	for _, n := range []int64{2, 3, 7, 8, 9, 31, 64, 65, 99, 100} {
		th := root(n)
		for _, i := range []int64{0, 1, n / 2, n - 2, n - 1} {
			p, err := InclusionProof(i, n, m)
			if err != nil {
				t.Fatal(err)
			}
			leaf := LeafHash(leaves[i])
			if err := tlog.CheckRecord(p, n, th, i, leaf); err != nil {
				t.Fatalf("untampered proof (%d, %d) fails: %v", i, n, err)
			}
			for j := range p {
				q := slices.Clone(p)
				q[j] = flipBit(q[j], j*13+int(i))
				if tlog.CheckRecord(q, n, th, i, leaf) == nil {
					t.Errorf("inclusion (%d, %d) with hash %d altered verifies", i, n, j)
				}
				checked++
			}
			if tlog.CheckRecord(p[:len(p)-1], n, th, i, leaf) == nil {
				t.Errorf("inclusion (%d, %d) with its last hash dropped verifies", i, n)
			}
			if tlog.CheckRecord(append(slices.Clone(p), th), n, th, i, leaf) == nil {
				t.Errorf("inclusion (%d, %d) with a hash added verifies", i, n)
			}
			if tlog.CheckRecord(p, n, flipBit(th, 3), i, leaf) == nil {
				t.Errorf("inclusion (%d, %d) verifies against a wrong root", i, n)
			}
			if tlog.CheckRecord(p, n, th, i, LeafHash([]byte("forged"))) == nil {
				t.Errorf("inclusion (%d, %d) verifies for a forged leaf", i, n)
			}
			other := (i + 1) % n
			if tlog.CheckRecord(p, n, th, other, leaf) == nil {
				t.Errorf("inclusion proof of leaf %d also proves leaf %d (size %d)", i, other, n)
			}
		}
		for _, k := range []int64{1, 2, n / 2, n - 1} {
			if k < 1 || k >= n {
				continue
			}
			old := root(k)
			p, err := ConsistencyProof(k, n, m)
			if err != nil {
				t.Fatal(err)
			}
			for j := range p {
				q := slices.Clone(p)
				q[j] = flipBit(q[j], j*7+int(k))
				if tlog.CheckTree(q, n, th, k, old) == nil {
					t.Errorf("consistency (%d, %d) with hash %d altered verifies", k, n, j)
				}
				checked++
			}
			if len(p) > 0 && tlog.CheckTree(p[:len(p)-1], n, th, k, old) == nil {
				t.Errorf("consistency (%d, %d) with its last hash dropped verifies", k, n)
			}
			if tlog.CheckTree(p, n, th, k, flipBit(old, 9)) == nil {
				t.Errorf("consistency (%d, %d) verifies against a wrong old root", k, n)
			}
			if tlog.CheckTree(p, n, flipBit(th, 9), k, old) == nil {
				t.Errorf("consistency (%d, %d) verifies against a wrong new root", k, n)
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d tampered proofs tried", checked)
	}
}

func TestProofArguments(t *testing.T) {
	m := buildTree(t, testLeaves(10))
	for _, tc := range []struct{ i, n int64 }{{-1, 5}, {5, 5}, {6, 5}, {0, 0}} {
		if _, err := InclusionProof(tc.i, tc.n, m); err == nil {
			t.Errorf("InclusionProof(%d, %d) succeeded", tc.i, tc.n)
		}
	}
	for _, tc := range []struct{ m, n int64 }{{0, 5}, {-1, 5}, {6, 5}, {0, 0}} {
		if _, err := ConsistencyProof(tc.m, tc.n, m); err == nil {
			t.Errorf("ConsistencyProof(%d, %d) succeeded", tc.m, tc.n)
		}
	}
	// A tree larger than what is stored cannot be proved.
	if _, err := InclusionProof(3, 20, m); err == nil {
		t.Error("InclusionProof beyond the stored tree succeeded")
	}
	if _, err := TreeHash(11, m); err == nil {
		t.Error("TreeHash beyond the stored tree succeeded")
	}
}

func TestEncodeDecodeHashes(t *testing.T) {
	hs := []Hash{LeafHash([]byte("a")), LeafHash(nil), {}}
	ss := EncodeHashes(hs)
	for i, s := range ss {
		if want := base64.StdEncoding.EncodeToString(hs[i][:]); s != want {
			t.Errorf("EncodeHashes[%d] = %q, want %q", i, s, want)
		}
	}
	back, err := DecodeHashes(ss)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back, hs) {
		t.Errorf("DecodeHashes(EncodeHashes(h)) = %x, want %x", back, hs)
	}
	if got := EncodeHashes(nil); len(got) != 0 {
		t.Errorf("EncodeHashes(nil) = %q", got)
	}
	for _, bad := range [][]string{
		{"not base64!"},
		{base64.StdEncoding.EncodeToString(make([]byte, 31))},
		{base64.StdEncoding.EncodeToString(make([]byte, 33))},
		{ss[0], ""},
	} {
		if _, err := DecodeHashes(bad); err == nil {
			t.Errorf("DecodeHashes(%q) succeeded", bad)
		}
	}
}
