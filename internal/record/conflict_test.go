package record

import (
	"errors"
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// histTree is a tree of leaves held in memory: one history.
type histTree struct{ hashes []Hash }

func (t *histTree) ReadHashes(ix []int64) ([]Hash, error) {
	out := make([]Hash, len(ix))
	for i, x := range ix {
		if x >= int64(len(t.hashes)) {
			return nil, fmt.Errorf("hash %d not stored", x)
		}
		out[i] = t.hashes[x]
	}
	return out, nil
}

func newHistTree(t *testing.T, prefix string, n int) *histTree {
	t.Helper()
	m := &histTree{}
	for i := range n {
		hs, err := tlog.StoredHashes(int64(i), fmt.Appendf(nil, "%s%d", prefix, i), m)
		if err != nil {
			t.Fatal(err)
		}
		m.hashes = append(m.hashes, hs...)
	}
	return m
}

func (t *histTree) root(tb testing.TB, n int64) Hash {
	h, err := tlog.TreeHash(n, t)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

func TestOldRootIsTheTreesRoot(t *testing.T) {
	tr := newHistTree(t, "leaf", 40)
	for n := int64(2); n <= 40; n++ {
		for m := int64(1); m < n; m++ {
			p, err := tlog.ProveTree(n, m, tr)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := OldRoot(p, m, n, tr.root(t, n))
			if m&(m-1) == 0 {
				if ok {
					t.Errorf("m=%d n=%d: a power of two's root is not in its proof, yet OldRoot found one", m, n)
				}
				continue
			}
			if !ok || got != tr.root(t, m) {
				t.Errorf("m=%d n=%d: OldRoot %v, want the tree's root at %d", m, n, ok, m)
			}
			// A proof towards another root leads nowhere.
			if _, ok := OldRoot(p, m, n, tr.root(t, n-1)); ok {
				t.Errorf("m=%d n=%d: OldRoot accepted the wrong new root", m, n)
			}
		}
	}
}

type signedLog struct {
	vkey string
	s    note.Signer
}

func newSignedLog(t *testing.T) *signedLog {
	skey, vkey, err := NewNoteKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return &signedLog{vkey, s}
}

func (l *signedLog) sign(t *testing.T, tr *histTree, n int64) []byte {
	t.Helper()
	msg, err := SignCheckpoint(Checkpoint{Origin: testOrigin, Size: n, Root: tr.root(t, n)}, l.s)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func TestCheckConflict(t *testing.T) {
	l, other := newSignedLog(t), newSignedLog(t)
	a, b := newHistTree(t, "a", 20), newHistTree(t, "b", 20) // two histories
	rootB7 := b.root(t, 7)
	proofB7to12, _ := tlog.ProveTree(12, 7, b)
	proofA7to12, _ := tlog.ProveTree(12, 7, a)
	rootA7 := a.root(t, 7)

	// A fork: one size, two roots.
	c, err := CheckConflict(l.vkey, l.sign(t, a, 9), l.sign(t, b, 9), nil, nil)
	if err != nil || c.Small.Size != 9 || c.Large.Size != 9 {
		t.Fatalf("a fork: %+v, %v", c, err)
	}
	c2, _ := CheckConflict(l.vkey, l.sign(t, b, 9), l.sign(t, a, 9), nil, nil)
	if c2.ID != c.ID {
		t.Errorf("the pair's id depends on its order: %s, %s", c.ID, c2.ID)
	}
	// Two sizes: b at 12 had another root at 7 than a's checkpoint of 7.
	if _, err := CheckConflict(l.vkey, l.sign(t, a, 7), l.sign(t, b, 12), &rootB7, proofB7to12); err != nil {
		t.Errorf("a larger checkpoint of another history: %v", err)
	}

	refused := []struct {
		name  string
		a, b  []byte
		root  *Hash
		proof []Hash
		want  error
	}{
		{"the same checkpoint twice", l.sign(t, a, 9), l.sign(t, a, 9), nil, nil, ErrNoConflict},
		{"a checkpoint not signed by the log", l.sign(t, a, 9), other.sign(t, b, 9), nil, nil, nil},
		{"an honest older checkpoint", l.sign(t, a, 7), l.sign(t, a, 12), &rootA7, proofA7to12, ErrNoConflict},
		{"two sizes without a proof", l.sign(t, a, 7), l.sign(t, b, 12), nil, nil, ErrNoConflict},
		{"a made-up root", l.sign(t, a, 7), l.sign(t, a, 12), &rootB7, proofA7to12, ErrNoConflict},
		{"a proof of another history", l.sign(t, a, 7), l.sign(t, a, 12), &rootB7, proofB7to12, ErrNoConflict},
	}
	for _, r := range refused {
		_, err := CheckConflict(l.vkey, r.a, r.b, r.root, r.proof)
		if err == nil || (r.want != nil && !errors.Is(err, r.want)) {
			t.Errorf("%s: %v, want a refusal", r.name, err)
		} else {
			t.Logf("%s: %v", r.name, err)
		}
	}
}
