package cell_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
)

// history is one history of a log, in memory.
type history []tlog.Hash

func (h history) ReadHashes(ix []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(ix))
	for i, x := range ix {
		out[i] = h[x]
	}
	return out, nil
}

func newHistory(t *testing.T, name string, n int) history {
	var h history
	for i := range n {
		hs, err := tlog.StoredHashes(int64(i), fmt.Appendf(nil, "%s %d", name, i), h)
		if err != nil {
			t.Fatal(err)
		}
		h = append(h, hs...)
	}
	return h
}

func (h history) root(t *testing.T, n int64) tlog.Hash {
	r, err := tlog.TreeHash(n, h)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type signingKey struct {
	vkey string
	s    note.Signer
}

func newNoteKey(t *testing.T) signingKey {
	skey, vkey, err := record.NewNoteKey("liaison/test")
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{vkey, s}
}

func (k signingKey) sign(t *testing.T, h history, n int64) string {
	msg, err := record.SignCheckpoint(record.Checkpoint{Origin: "liaison/test", Size: n, Root: h.root(t, n)}, k.s)
	if err != nil {
		t.Fatal(err)
	}
	return string(msg)
}

func TestWitnessAlarm(t *testing.T) {
	key := newNoteKey(t)
	w := newWorldNoteKey(t, key.vkey)
	a, b := newHistory(t, "a", 20), newHistory(t, "b", 20)
	fork := map[string]any{"alarm": "split-view", "detail": "il's witness cosigned another history", "held": key.sign(t, a, 9), "seen": key.sign(t, b, 9)}

	eff := w.must("sy.duty", cell.KindWitnessAlarm, fork)
	if !slices.Equal(eff.Audience, []string{record.Everyone}) {
		t.Errorf("witness.alarm audience %v, want everyone", eff.Audience)
	}
	if _, err := w.submit("sy.military", cell.KindWitnessAlarm, fork); !errors.Is(err, cell.ErrConflict) {
		t.Errorf("the same party raising the same alarm again: %v, want a conflict", err)
	}
	w.must("il.military", cell.KindWitnessAlarm, fork) // each party raises it once

	// Two sizes: the proof is the larger's history at the smaller size.
	proof, _ := tlog.ProveTree(12, 7, b)
	w.must("jo.duty", cell.KindWitnessAlarm, map[string]any{"alarm": "rollback", "detail": "smaller than held",
		"held": key.sign(t, b, 12), "seen": key.sign(t, a, 7), "root": cell.EncodeRoot(b.root(t, 7)), "proof": record.EncodeHashes(proof)})

	alarms, err := cell.Alarms(context.Background(), w.v)
	if err != nil || len(alarms) != 3 {
		t.Fatalf("Alarms = %+v, %v", alarms, err)
	}
	if x := alarms[0]; x.Party != "sy" || x.Member != "sy.duty" || x.Sizes != [2]int64{9, 9} || x.Alarm != "split-view" {
		t.Errorf("first alarm %+v", x)
	}
	if x := alarms[2]; x.Sizes != [2]int64{7, 12} {
		t.Errorf("the rollback's sizes %v, want smaller first", x.Sizes)
	}
}

// Nobody smears the cell: an alarm whose proof does not hold is refused,
// and says why.
func TestWitnessAlarmRefusesForgedProof(t *testing.T) {
	key, forger := newNoteKey(t), newNoteKey(t)
	w := newWorldNoteKey(t, key.vkey)
	a, b := newHistory(t, "a", 20), newHistory(t, "b", 20)
	honest, _ := tlog.ProveTree(12, 7, a)
	other, _ := tlog.ProveTree(12, 7, b)
	alarm := func(held, seen string, extra ...any) map[string]any {
		m := map[string]any{"alarm": "fork", "detail": "two histories", "held": held, "seen": seen}
		for i := 0; i < len(extra); i += 2 {
			m[extra[i].(string)] = extra[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name, member string
		fields       map[string]any
		want         error
	}{
		{"a checkpoint another key signed", "il.duty", alarm(key.sign(t, a, 9), forger.sign(t, b, 9)), cell.ErrInvalid},
		{"both signed by another key", "il.duty", alarm(forger.sign(t, a, 9), forger.sign(t, b, 9)), cell.ErrInvalid},
		{"the same checkpoint twice", "il.duty", alarm(key.sign(t, a, 9), key.sign(t, a, 9)), cell.ErrInvalid},
		{"an older checkpoint of the same history", "il.duty", alarm(key.sign(t, a, 12), key.sign(t, a, 7),
			"root", cell.EncodeRoot(a.root(t, 7)), "proof", record.EncodeHashes(honest)), cell.ErrInvalid},
		{"two sizes and no proof", "il.duty", alarm(key.sign(t, a, 12), key.sign(t, b, 7)), cell.ErrInvalid},
		{"a made-up root at the smaller size", "il.duty", alarm(key.sign(t, a, 12), key.sign(t, a, 7),
			"root", cell.EncodeRoot(b.root(t, 7)), "proof", record.EncodeHashes(honest)), cell.ErrInvalid},
		{"a proof from another history", "il.duty", alarm(key.sign(t, a, 12), key.sign(t, a, 7),
			"root", cell.EncodeRoot(b.root(t, 7)), "proof", record.EncodeHashes(other)), cell.ErrInvalid},
		{"an unknown kind", "il.duty", map[string]any{"alarm": "rumour", "detail": "x", "held": key.sign(t, a, 9), "seen": key.sign(t, b, 9)}, cell.ErrInvalid},
		{"no detail", "il.duty", map[string]any{"alarm": "fork", "detail": "", "held": key.sign(t, a, 9), "seen": key.sign(t, b, 9)}, cell.ErrInvalid},
		{"the server", "", alarm(key.sign(t, a, 9), key.sign(t, b, 9)), cell.ErrForbidden},
	} {
		_, err := w.submit(tc.member, cell.KindWitnessAlarm, tc.fields)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			continue
		}
		t.Logf("%s: %v", tc.name, err)
	}
	if alarms, _ := cell.Alarms(context.Background(), w.v); len(alarms) != 0 {
		t.Errorf("forged alarms were kept: %+v", alarms)
	}
}
