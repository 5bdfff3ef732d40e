package record

import (
	"crypto/ed25519"
	"encoding/binary"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

const benchTreeSize = 1_000_000

var (
	benchTreeOnce sync.Once
	benchTree     *memTree
	benchRoot     Hash
	benchTreeErr  error
)

// bigTree returns an in-memory tree of benchTreeSize leaves, built on first
// use: about two million stored hashes, 64 MB.
func bigTree(b *testing.B) (*memTree, Hash) {
	b.Helper()
	benchTreeOnce.Do(func() {
		m := &memTree{hashes: make([]Hash, 0, tlog.StoredHashCount(benchTreeSize))}
		var leaf [8]byte
		for i := range int64(benchTreeSize) {
			binary.BigEndian.PutUint64(leaf[:], uint64(i))
			hs, err := StoredHashes(m.size, leaf[:], m)
			if err != nil {
				benchTreeErr = err
				return
			}
			m.hashes = append(m.hashes, hs...)
			m.size++
		}
		benchTree = m
		benchRoot, benchTreeErr = TreeHash(benchTreeSize, m)
	})
	if benchTreeErr != nil {
		b.Fatal(benchTreeErr)
	}
	return benchTree, benchRoot
}

// benchIndex spreads the i'th benchmark iteration over [0, n).
func benchIndex(i, n int64) int64 { return (i * 7_919_111) % n }

func BenchmarkInclusionProof(b *testing.B) {
	m, root := bigTree(b)
	b.Run("prove", func(b *testing.B) {
		var i int64
		for b.Loop() {
			if _, err := InclusionProof(benchIndex(i, benchTreeSize), benchTreeSize, m); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("check", func(b *testing.B) {
		const idx = 123_457
		p, err := InclusionProof(idx, benchTreeSize, m)
		if err != nil {
			b.Fatal(err)
		}
		var leaf [8]byte
		binary.BigEndian.PutUint64(leaf[:], idx)
		h := LeafHash(leaf[:])
		for b.Loop() {
			if err := tlog.CheckRecord(p, benchTreeSize, root, idx, h); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkConsistencyProof(b *testing.B) {
	m, root := bigTree(b)
	b.Run("prove", func(b *testing.B) {
		var i int64
		for b.Loop() {
			from := 1 + benchIndex(i, benchTreeSize-1)
			if _, err := ConsistencyProof(from, benchTreeSize, m); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("check", func(b *testing.B) {
		const from = 654_321
		p, err := ConsistencyProof(from, benchTreeSize, m)
		if err != nil {
			b.Fatal(err)
		}
		old, err := TreeHash(from, m)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := tlog.CheckTree(p, benchTreeSize, root, from, old); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchPayload is a typical command payload of about 300 bytes.
func benchPayload() []byte {
	return []byte(`{"id":"01JXQ4T7R2M8K5N3P6V9W0Y1Z2","time":"2025-06-01T12:00:00.123Z","cell":"amman",` +
		`"channel":"military","precedence":"immediate","to":["party-a","party-b"],` +
		`"text":"Request confirmation that the patrol scheduled at grid 36.512/35.201 is postponed by 24 hours.` +
		strings.Repeat(" ", 39) + `"}`)
}

func BenchmarkVerifyEnvelope(b *testing.B) {
	priv := testKey(1)
	pub := priv.Public().(ed25519.PublicKey)
	env := Sign("hotline.message", benchPayload(), priv)
	b.SetBytes(int64(len(env.Payload)))
	for b.Loop() {
		if err := env.Verify(pub); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEntryBytes(b *testing.B) {
	e := &Entry{
		Cell: "amman", Index: 123_456, Time: time.Date(2025, 6, 1, 12, 0, 0, 987654321, time.UTC),
		Member: "m-alice", Party: "party-a", KeyID: KeyID(testKey(1).Public().(ed25519.PublicKey)),
		Audience: []string{"party-b", "mediator", "party-a"}, Nonce: NewNonce(),
		Envelope: Sign("hotline.message", benchPayload(), testKey(1)),
	}
	b.SetBytes(int64(len(e.Bytes())))
	for b.Loop() {
		_ = e.Bytes()
	}
}
