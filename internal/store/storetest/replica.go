package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// testReplicate keeps party us's replica of a log in which us reads some
// entries only: the gaps, the whole tree, the checkpoint, and nothing us
// may not read, entry or object.
func testReplicate(t *testing.T, s store.Store) {
	rp, ok := s.(store.Replicator)
	if !ok {
		t.Skip("the store keeps no replicas")
	}
	ctx := context.Background()
	const src, rep = "cell-src", "cell-rep"
	newCell(t, s, src)
	newCell(t, s, rep)
	sg := NewSigner(t)
	doc := func(v string) []byte { return []byte(`{"v":"` + v + `"}`) }
	ilMed := []string{"il", "mediator"}
	usMed := []string{"mediator", "us"}
	type logged struct {
		aud     []string
		mask    uint64
		changes []store.Change
	}
	source := []logged{
		{Everyone, 0b111, []store.Change{{Kind: "o", ID: "a", Doc: doc("a0")}}},
		{ilMed, 0b011, []store.Change{{Kind: "o", ID: "hidden", Doc: doc("h")}}},
		{Everyone, 0b111, []store.Change{{Kind: "o", ID: "b", Doc: doc("b")}, {Kind: "o", ID: "narrow", Doc: doc("n"), Mask: 0b011}}},
		{usMed, 0b110, []store.Change{{Kind: "o", ID: "a", Doc: doc("a3")}}},
		{ilMed, 0b011, nil},
		{ilMed, 0b011, nil},
	}
	for i, l := range source {
		mustAppend(t, s, src, sg.Pending(src, "r"+string(rune('0'+i)), Admit(l.aud, l.mask, l.changes...)))
	}
	stored := checkLog(t, s, src)
	// The hashes leaves from..n add, as a mirror has them from the cell.
	hashesTo := func(from, n int64) map[int64]record.Hash {
		var idx []int64
		for i := tlog.StoredHashCount(from); i < tlog.StoredHashCount(n); i++ {
			idx = append(idx, i)
		}
		hs, err := s.ReadHashes(ctx, src, idx)
		if err != nil {
			t.Fatal(err)
		}
		m := map[int64]record.Hash{}
		for i, h := range hs {
			m[idx[i]] = h
		}
		return m
	}
	us := store.Reader{Mask: 0b100}
	entry := func(i int) store.ReplicaEntry {
		e, err := record.ParseEntry(stored[i].LeafData)
		if err != nil {
			t.Fatal(err)
		}
		l := source[i]
		return store.ReplicaEntry{Entry: e, LeafData: stored[i].LeafData, Decide: func(ctx context.Context, v store.View) (store.Effect, error) {
			if idx, at, ok := store.NextPosition(v); !ok || idx != e.Index || !at.Equal(e.Time) {
				t.Errorf("entry %d decided at position %d, %v (%v)", e.Index, idx, at, ok)
			}
			return store.Effect{Audience: l.aud, Mask: l.mask, Changes: slices.Clone(l.changes)}, nil
		}}
	}
	note := []byte("checkpoint of 5\n")
	if err := rp.Replicate(ctx, rep, store.ReplicaBatch{Reader: us, Size: 5, Checkpoint: note, Hashes: hashesTo(0, 5),
		Entries: []store.ReplicaEntry{entry(0), entry(2), entry(3)}}); err != nil {
		t.Fatalf("Replicate: %v", err)
	}
	if n := size(t, s, rep); n != 5 {
		t.Errorf("replica size %d, want the checkpoint's 5", n)
	}
	es, err := s.Entries(ctx, rep, 0, 5)
	if err != nil {
		t.Fatal(err)
	}
	var idx []int64
	for _, e := range es {
		idx = append(idx, e.Index)
	}
	if !slices.Equal(idx, []int64{0, 2, 3}) {
		t.Errorf("replica entries %v, want [0 2 3]: us's own, at their indices", idx)
	}
	if got, err := record.TreeHash(5, HashReader(ctx, s, rep)); err != nil || got != RootFromLeaves(leavesOf(stored[:5])) {
		t.Errorf("replica root %v, %v; want the cell's", got, err)
	}
	if cp, err := s.Checkpoint(ctx, rep); err != nil || cp.Size != 5 || string(cp.Note) != string(note) {
		t.Errorf("replica checkpoint %d %q, %v", cp.Size, cp.Note, err)
	}
	v := s.View(rep)
	for _, id := range []string{"hidden", "narrow"} {
		if o, err := v.Get(ctx, "o", id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the replica holds o/%s (%s, mask %#x), which us does not read", id, o.Doc, o.Mask)
		}
	}
	if o, err := v.Get(ctx, "o", "a"); err != nil || string(o.Doc) != string(doc("a3")) || o.Seq != 0 || o.Updated != 3 || o.Mask != 0b110 {
		t.Errorf("o/a = %+v, %v; want a3, seq 0, updated 3, mask 0b110", o, err)
	}
	// An entry us does not read is refused, and the batch with it.
	if err := rp.Replicate(ctx, rep, store.ReplicaBatch{Reader: us, Size: 6, Hashes: hashesTo(5, 6), Entries: []store.ReplicaEntry{entry(5)}}); err == nil {
		t.Error("Replicate kept an entry its reader does not read")
	}
	if n := size(t, s, rep); n != 5 {
		t.Errorf("after a refused batch the replica's size is %d, want 5", n)
	}
	// A batch behind the replica is refused.
	if err := rp.Replicate(ctx, rep, store.ReplicaBatch{Reader: us, Size: 4, Hashes: hashesTo(0, 4)}); err == nil {
		t.Error("Replicate went back from 5 to 4 leaves")
	}
	// The rest of the tree, with no entry us reads.
	if err := rp.Replicate(ctx, rep, store.ReplicaBatch{Reader: us, Size: 6, Hashes: hashesTo(5, 6)}); err != nil {
		t.Fatal(err)
	}
	if got, err := record.TreeHash(6, HashReader(ctx, s, rep)); err != nil || got != RootFromLeaves(leavesOf(stored)) {
		t.Errorf("replica root at 6 %v, %v; want the cell's", got, err)
	}
}
